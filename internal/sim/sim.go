package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// ErrNotFound is returned for an unknown or deleted case.
var ErrNotFound = errors.New("case not found")

// ErrClosed is returned by calls on a closed simulator.
var ErrClosed = errors.New("simulator closed")

// Sim is a POSTIDENT SCR-Ident simulator. All methods are safe for
// concurrent use.
type Sim struct {
	cfg   Config
	clock *clock

	mu     sync.RWMutex // guards the store, the cases and idRNG
	st     *store
	seq    uint64
	idRNG  *rand.Rand
	faults atomic.Pointer[Faults]
	poison poisonSet // per-case poisoned answers (poison.go)

	// Scheduler: events in simulated time.
	evMu         sync.Mutex
	events       evHeap
	evSeq        uint64
	nextDue      atomic.Int64 // unix nanos of the earliest due event or retention sweep; MaxInt64: none
	retentionDue atomic.Int64 // unix nanos when the oldest case falls out of retention; written under mu
	dueMu        sync.Mutex   // serialises processing of due events
	kick         chan struct{}
	deleted      atomic.Int64
	created      atomic.Int64
	expiredN     atomic.Int64
	requests     atomic.Int64
	faultRNG     lockedRand
	streamMu     sync.Mutex
	stream       *stream
	hooks        *hooks
	keys         keyCache
	done         chan struct{}
	closeOnce    sync.Once
	wg           sync.WaitGroup
}

// New returns a running simulator; Close stops it.
func New(cfg Config) (*Sim, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("sim config: %w", err)
	}
	s := &Sim{
		cfg:   cfg,
		clock: newClock(cfg.Now, cfg.TimeScale),
		st:    newStore(),
		idRNG: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5ca1ab1e)),
		kick:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	s.faultRNG.r = rand.New(rand.NewPCG(uint64(cfg.Seed), 0xfa017))
	s.faults.Store(&Faults{})
	s.nextDue.Store(math.MaxInt64)
	s.retentionDue.Store(math.MaxInt64)
	s.hooks = newHooks(s)
	s.wg.Add(1)
	go s.schedule()
	return s, nil
}

// Close stops the stream, the scheduler and the webhook workers (in-flight
// deliveries are cancelled). It is safe to call more than once.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		s.StopStream()
		close(s.done)
		s.hooks.close()
		s.wg.Wait()
	})
}

// Now returns the simulated time.
func (s *Sim) Now() time.Time { return s.clock.Now() }

// SetFaults replaces the injected faults. Invalid values (rates outside
// [0, 1], negative durations) are ignored with an error.
func (s *Sim) SetFaults(f Faults) {
	_ = s.setFaults(f)
}

func (s *Sim) setFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faults.Store(&f)
	return nil
}

// CurrentFaults returns the injected faults.
func (s *Sim) CurrentFaults() Faults { return *s.faults.Load() }

// CaseSpec describes a scenario-driven case.
type CaseSpec struct {
	// Method is the identification method; default Config.DefaultMethod.
	Method connector.Method
	// Class is the regulatory class; default Config.DefaultClass.
	Class connector.Class
	// Scenario is a name of Scenarios(Method), "random", or a script
	// "[method/]status[:sub[:reason]],..." (see doc.go). Default "success".
	Scenario string
	// ReferenceID goes to processData.referenceId (and the webhook body
	// when Config.WebhookReferenceID).
	ReferenceID string
	// CustomData goes to orderData.customData.
	CustomData map[string]string
	// WebhookURLPartner goes to processData.webHookUrlPartner; the partner
	// receives the webhooks too.
	WebhookURLPartner string
	// ExtraMethods are further methods configured for the case: after an
	// autoid cancellation the case stays in progress while one remains.
	ExtraMethods []connector.Method
}

// CreateCase creates a case in status new; Step advances it.
func (s *Sim) CreateCase(spec CaseSpec) (string, error) {
	c, err := s.newCase(spec, nil, false)
	if err != nil {
		return "", err
	}
	return c.id, nil
}

// newCase validates spec, builds the case and stores it. order, when not
// nil, is the order data of a Start API call.
func (s *Sim) newCase(spec CaseSpec, order *connector.OrderData, partner bool) (*simCase, error) {
	if spec.Method == "" {
		spec.Method = s.cfg.DefaultMethod
	}
	if !slices.Contains(connector.Methods(), spec.Method) {
		return nil, fmt.Errorf("unknown method %q", spec.Method)
	}
	if spec.Class == "" {
		spec.Class = s.cfg.DefaultClass
	}
	if !slices.Contains(connector.Classes(), spec.Class) {
		return nil, fmt.Errorf("unknown class %q", spec.Class)
	}
	for _, m := range spec.ExtraMethods {
		if !slices.Contains(connector.Methods(), m) {
			return nil, fmt.Errorf("unknown extra method %q", m)
		}
	}
	if spec.WebhookURLPartner != "" {
		if err := checkWebhookURL(spec.WebhookURLPartner); err != nil {
			return nil, fmt.Errorf("partner %w", err)
		}
	}
	if order == nil {
		order = &connector.OrderData{}
		if len(spec.CustomData) > 0 {
			order.CustomData = maps(spec.CustomData)
		}
		if spec.ReferenceID != "" || s.cfg.WebhookURL != "" || spec.WebhookURLPartner != "" {
			order.ProcessData = &connector.ProcessData{
				ReferenceID:       spec.ReferenceID,
				WebHookURL:        s.cfg.WebhookURL,
				WebHookURLPartner: spec.WebhookURLPartner,
			}
		}
	}

	s.processDue(s.clock.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return nil, ErrClosed
	default:
	}
	id := s.newID()
	steps, err := resolveScenario(spec.Scenario, spec.Method, spec.ExtraMethods, s.caseRand(id, "scenario"))
	if err != nil {
		return nil, err
	}
	extra, err := validateSteps(steps, spec.Method, spec.ExtraMethods)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", spec.Scenario, err)
	}
	now := s.clock.Now()
	s.seq++
	c := &simCase{
		id: id, seq: s.seq, class: spec.Class, method: spec.Method, partner: partner,
		methods: append([]connector.Method{spec.Method}, extra...),
		created: now, modified: now, validUntil: now.Add(s.cfg.CaseValidity),
		status: csNew, order: order, steps: steps,
	}
	s.st.insert(c)
	s.lowerRetention(c.created)
	s.created.Add(1)
	s.push(&event{at: c.validUntil, kind: evExpire, caseID: c.id})
	return c, nil
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns a fresh 12-character case ID like POSTIDENT's
// ("YR9W91GEZK24"), reproducible from Seed. Caller holds mu.
func (s *Sim) newID() string {
	for {
		b := make([]byte, 12)
		for i := range b {
			b[i] = idAlphabet[s.idRNG.IntN(len(idAlphabet))]
		}
		if _, dup := s.st.byID[string(b)]; !dup {
			return string(b)
		}
	}
}

// caseRand returns a generator seeded by Seed, the caseId and a purpose, so
// everything derived for a case is reproducible and independent of order.
func (s *Sim) caseRand(caseID, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(caseID))
	h.Write([]byte{0})
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(uint64(s.cfg.Seed), h.Sum64()))
}

// Case returns the case as GET /cases/{id} (full: /cases/{id}/full) would
// return it, without binary data; the result is a deep copy.
func (s *Sim) Case(caseID string, full bool) (*connector.CaseResult, bool) {
	s.processDue(s.clock.Now())
	s.mu.RLock()
	c := s.st.byID[caseID]
	if c == nil {
		s.mu.RUnlock()
		return nil, false
	}
	sn := c.snapshot()
	s.mu.RUnlock()
	b, err := s.encodeView(sn, viewOpts{full: full})
	if err != nil {
		return nil, false
	}
	var out connector.CaseResult
	if connector.Unmarshal(b, &out) != nil {
		return nil, false
	}
	out.Normalize()
	return &out, true
}

// Transitions returns every identification state the case went through, in
// order, with the times they were reached.
func (s *Sim) Transitions(caseID string) []connector.IdentificationStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.st.byID[caseID]
	if c == nil {
		return nil
	}
	out := make([]connector.IdentificationStatus, 0, len(c.transitions))
	for _, t := range c.transitions {
		id := c.idents[t.ident]
		is := statusObject(t.method, t.st)
		is.Created = outTime(id.created)
		is.Modified = outTime(t.at)
		if connector.ResultExpected(t.method, t.st.status, t.st.sub) {
			is.IdentificationTime = outTime(t.at)
		}
		out = append(out, is)
	}
	return out
}

// Advance moves the simulated clock forward by d and applies what became
// due (expiry, retention, streamed steps, webhook retries) before it returns;
// webhook sends themselves run asynchronously (see WaitIdle).
func (s *Sim) Advance(d time.Duration) {
	s.clock.advance(d)
	s.processDue(s.clock.Now())
	s.wake()
}

// CaseIDs returns the IDs of all stored (not deleted) cases in creation
// order.
func (s *Sim) CaseIDs() []string {
	s.processDue(s.clock.Now())
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.st.ord))
	for i, c := range s.st.ord {
		out[i] = c.id
	}
	return out
}

// ArchivedCount returns the number of stored archived cases.
func (s *Sim) ArchivedCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, f := range s.st.flags {
		if f&flagArchived != 0 {
			n++
		}
	}
	return n
}

// IsArchived reports whether the case exists and is archived.
func (s *Sim) IsArchived(caseID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.st.byID[caseID]
	return c != nil && c.archived
}

// LoadCase stores a fixed case verbatim (e.g. the guide's sample 7.4.1):
// caseStatus, orderData, contactData, the identifications (PrimaryIdent or
// Identifications) and accountingData are served as given; the class decides
// which record bytes includeBinaryData delivers. The case has no scenario;
// it still archives, expires and is deleted by retention like any other, so
// a case created longer than Retention before the simulated clock is refused
// (start the clock near the case's dates with Config.Now).
func (s *Sim) LoadCase(cr connector.CaseResult, class connector.Class) error {
	if !connector.ValidCaseID(cr.CaseID) {
		return errors.New("load case: caseId is not upper-case letters and digits")
	}
	if !slices.Contains(connector.Classes(), class) {
		return fmt.Errorf("load case: unknown class %q", class)
	}
	// A deep copy, so that the caller's value stays theirs.
	b, err := connector.Marshal(&cr)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	var cp connector.CaseResult
	if err := connector.Unmarshal(b, &cp); err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	cp.Normalize()
	idents := cp.Identifications
	if len(idents) == 0 && cp.PrimaryIdent != nil {
		idents = []connector.IdentificationResult{*cp.PrimaryIdent}
	}
	now := s.clock.Now()
	c := &simCase{
		id: cp.CaseID, class: class, order: cp.OrderData,
		created: cp.CaseStatus.Created.Time, modified: cp.CaseStatus.Modified.Time,
		validUntil: cp.CaseStatus.ValidUntil.Time, archived: cp.CaseStatus.Archived,
		fixed: &fixedCase{contactData: cp.ContactData, accounting: cp.AccountingData},
	}
	if c.created.IsZero() {
		c.created = now
	}
	if now.Sub(c.created) >= s.cfg.Retention {
		return fmt.Errorf("load case %s: created more than the retention period before the simulated clock", c.id)
	}
	if c.modified.IsZero() {
		c.modified = c.created
	}
	if c.validUntil.IsZero() {
		c.validUntil = c.created.Add(s.cfg.CaseValidity)
	}
	if c.order == nil {
		c.order = &connector.OrderData{}
	}
	switch cp.CaseStatus.Status {
	case connector.CaseNew:
		c.status = csNew
	case connector.CaseInProgress:
		c.status = csInProgress
	case connector.CaseClosed:
		c.status = csClosed
		c.closedAt = c.modified
	default:
		return fmt.Errorf("load case: unknown case status %q", cp.CaseStatus.Status)
	}
	for i := range idents {
		ir := &idents[i]
		if !slices.Contains(connector.Methods(), ir.IdentificationMethod) {
			return fmt.Errorf("load case: unknown method %q", ir.IdentificationMethod)
		}
		is := ir.IdentificationStatus
		st := step{method: ir.IdentificationMethod, status: is.Status}
		if is.SubStatus != nil {
			st.sub = int(is.SubStatus.Code)
		}
		if is.SubStatusReason != nil {
			st.reason = int(is.SubStatusReason.Code)
		}
		if _, ok := connector.LookupStatus(st.method, st.status); !ok {
			return fmt.Errorf("load case: status %q does not exist for %s", st.status, st.method)
		}
		c.idents = append(c.idents, &identState{
			method: st.method, st: st, created: is.Created.Time, modified: is.Modified.Time,
			identTime: is.IdentificationTime.Time, fixed: ir,
		})
		c.addMethod(st.method)
	}
	if len(c.idents) > 0 {
		c.method = c.idents[0].method
	} else {
		c.method = s.cfg.DefaultMethod
		c.methods = []connector.Method{c.method}
	}
	s.mu.Lock()
	if _, dup := s.st.byID[c.id]; dup {
		s.mu.Unlock()
		return fmt.Errorf("load case %s: case exists", c.id)
	}
	s.seq++
	c.seq = s.seq
	s.st.insert(c)
	s.lowerRetention(c.created)
	s.mu.Unlock()
	s.created.Add(1)
	if c.status != csClosed {
		s.push(&event{at: c.validUntil, kind: evExpire, caseID: c.id})
	}
	s.processDue(s.clock.Now())
	return nil
}
