package connector

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Error classes of a parked case (DeadLetter.ErrorClass), and the class of
// errors that stop the processor for an operator.
const (
	// ClassUnreadable: the answer arrived but does not decode (malformed
	// JSON, a member of the wrong JSON type, over the size cap, or for
	// another caseId). Parked at once.
	ClassUnreadable = "unreadable"
	// ClassUndecryptable: the answer does not decrypt while other cases do.
	ClassUndecryptable = "undecryptable"
	// ClassRejected: POSTIDENT answered 400 to this case's GET while other
	// cases' GETs succeed.
	ClassRejected = "rejected"
	// ClassTransient: 5xx, timeouts, connection errors, an unavailable
	// schema registry, still failing after the retry budget while other
	// cases went through. Re-tried after the park interval.
	ClassTransient = "transient"
	// classOperator: credentials refused, or the same decryption or 400
	// failure for several different cases. Never parked: the processor
	// stops pulling until an operator fixes the settings.
	classOperator = "operator"
)

// ParkClasses are the classes a parked case can have, in a stable order.
func ParkClasses() []string {
	return []string{ClassUnreadable, ClassUndecryptable, ClassRejected, ClassTransient}
}

// OperatorThreshold is how many different cases must fail to decrypt (or be
// refused with 400) with no successful fetch in between before the
// processor takes it for a configuration error (wrong key, wrong data
// password) and stops for an operator. One or two such cases are parked:
// a single broken or hostile answer must not stop the pipeline.
const OperatorThreshold = 3

// HeaderRetry on a notification asks the processor to fetch the case even
// if it is parked (`postident-connector dead-letter retry`).
const HeaderRetry = "postident-retry"

// HeaderStoredAnswer on a retry notification carries the encrypted answer
// kept on the dead-letter topic: when POSTIDENT no longer has the case
// (404), the processor decodes it instead (see StoredDecoder).
const HeaderStoredAnswer = "postident-stored-answer"

// DeadLetter is a parked case (topic postident.case-dead-letter.v1,
// compacted, key caseId; a tombstone once the case went through). It holds
// no personal data in clear: Message is the connector's own error text,
// which names fields and positions, never values; EncryptedAnswer is the
// compact JWE as POSTIDENT sent it, readable only with the private key.
type DeadLetter struct {
	CaseID           string     `avro:"caseId" json:"caseId"`
	ErrorClass       string     `avro:"errorClass" json:"errorClass"`
	Message          string     `avro:"message" json:"message"`
	HTTPStatus       *int32     `avro:"httpStatus" json:"httpStatus,omitempty"`
	Endpoint         *string    `avro:"endpoint" json:"endpoint,omitempty"`
	Attempts         int32      `avro:"attempts" json:"attempts"`
	FirstFailureAt   time.Time  `avro:"firstFailureAt" json:"firstFailureAt"`
	LastFailureAt    time.Time  `avro:"lastFailureAt" json:"lastFailureAt"`
	ConnectorVersion string     `avro:"connectorVersion" json:"connectorVersion"`
	CaseModified     *time.Time `avro:"caseModified" json:"caseModified,omitempty"`
	EncryptedAnswer  *string    `avro:"encryptedAnswer" json:"encryptedAnswer,omitempty"`
}

// parkEntry is what the processor keeps of a parked case in memory.
type parkEntry struct {
	class    string
	modified int64 // identification modified (unix ms) when parked; 0 unknown
	first    time.Time
	last     time.Time
	attempts int32
}

// Parked is the set of parked cases, loaded from the dead-letter topic at
// start and kept by the processor. Lookups on the hot path cost one atomic
// load while nothing is parked.
type Parked struct {
	n      atomic.Int64
	mu     sync.RWMutex
	m      map[string]parkEntry
	counts [4]atomic.Int64 // by ParkClasses index
}

// NewParked returns an empty set.
func NewParked() *Parked { return &Parked{m: map[string]parkEntry{}} }

func classIndex(class string) int {
	for i, c := range ParkClasses() {
		if c == class {
			return i
		}
	}
	return 3 // unknown classes of newer writers count as transient
}

// Apply records a dead-letter record read from the topic; nil (a
// tombstone) removes the case.
func (s *Parked) Apply(caseID string, d *DeadLetter) {
	if d == nil {
		s.remove(caseID)
		return
	}
	e := parkEntry{class: d.ErrorClass, first: d.FirstFailureAt, last: d.LastFailureAt, attempts: d.Attempts}
	if d.CaseModified != nil {
		e.modified = d.CaseModified.UnixMilli()
	}
	s.put(caseID, e)
}

// Len is the number of parked cases.
func (s *Parked) Len() int { return int(s.n.Load()) }

// Count is the number of parked cases of class.
func (s *Parked) Count(class string) int64 { return s.counts[classIndex(class)].Load() }

// IDs returns the parked case ids (any order).
func (s *Parked) IDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.m))
	for id := range s.m {
		out = append(out, id)
	}
	return out
}

func (s *Parked) get(caseID string) (parkEntry, bool) {
	if s.n.Load() == 0 {
		return parkEntry{}, false
	}
	s.mu.RLock()
	e, ok := s.m[caseID]
	s.mu.RUnlock()
	return e, ok
}

func (s *Parked) put(caseID string, e parkEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[caseID]; ok {
		s.counts[classIndex(old.class)].Add(-1)
	} else {
		s.n.Add(1)
	}
	s.m[caseID] = e
	s.counts[classIndex(e.class)].Add(1)
}

// learnModified records the `modified` of a parked case that was parked
// without one (in memory: after a restart the next snapshot tells again).
func (s *Parked) learnModified(caseID string, modified int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[caseID]; ok && e.modified == 0 {
		e.modified = modified
		s.m[caseID] = e
	}
}

func (s *Parked) remove(caseID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.m[caseID]
	if !ok {
		return false
	}
	delete(s.m, caseID)
	s.n.Add(-1)
	s.counts[classIndex(old.class)].Add(-1)
	return true
}

// parkedSkip reports whether the notifications of w leave a parked case
// alone: they do unless one asks for a retry (HeaderRetry), a reconcile
// snapshot shows a later identification `modified` than the one the case
// was parked with, or the park interval has passed since its last failure.
// Later, not other: a snapshot of an overlapping reconcile run can arrive
// after a newer one, and its older version is no change.
func (p *Processor) parkedSkip(w *caseWork) bool {
	e, ok := p.parked.get(w.caseID)
	if !ok {
		return false
	}
	for _, m := range w.msgs {
		if string(m.Header(HeaderRetry)) == "true" {
			return false
		}
	}
	if e.modified != 0 {
		for _, n := range w.notes {
			if n.Snapshot != nil && n.Snapshot.Modified != nil && n.Snapshot.Modified.UnixMilli() > e.modified {
				return false
			}
		}
	}
	return p.cfg.Now().Sub(e.last) < e.retryAfter(p.cfg.ParkRetryInterval)
}

// DefaultRetryBudget is ProcessorConfig.RetryBudget's default: long enough
// for a blip, short enough that a case POSTIDENT keeps failing holds back
// the notifications behind it for seconds, not minutes.
const DefaultRetryBudget = 5 * time.Second

// TransientRetryMin is how long a case parked as "transient" is left alone
// at least (see ProcessorConfig.ParkRetryInterval).
const TransientRetryMin = 30 * time.Second

// retryAfter is how long after its last failure a parked case is fetched
// again by a notification. A transient failure backs off: as long as the
// case has been failing (so 30s, then about 1m, 2m, 4m... with the
// reconciler's snapshots every RECONCILE_INTERVAL), up to interval; any
// other class waits the whole interval, as the same answer would come.
func (e parkEntry) retryAfter(interval time.Duration) time.Duration {
	if e.class != ClassTransient {
		return interval
	}
	return min(max(e.last.Sub(e.first), TransientRetryMin), interval)
}

// classOf sorts a failed fetch (or event build) of one case.
func classOf(err error) string {
	switch {
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrMisconfigured):
		return classOperator
	case errors.Is(err, ErrUndecryptable):
		return ClassUndecryptable
	case errors.Is(err, ErrBadRequest):
		return ClassRejected
	case errors.Is(err, ErrCaseUnreadable):
		return ClassUnreadable
	}
	return ClassTransient
}
