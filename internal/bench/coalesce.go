package bench

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// CoalesceConfig configures a Coalescer. Zero values take the defaults
// stated on each field.
type CoalesceConfig struct {
	// Min is the fewest fetches waiting in one round that are worth a list
	// call; fewer are fetched one by one. Default 16: a list call costs one
	// RSA decryption plus the JSON of every case it carries, so it pays off
	// once it replaces a dozen single decryptions.
	Min int
	// Linger is how long a round collects concurrent fetches. Default 2ms.
	Linger time.Duration
	// Slack widens the closing-time window around the hints: a webhook's
	// case closed shortly before its receivedAt (clock skew, POSTIDENT's
	// send delay). Default 2s.
	Slack time.Duration
	// MaxSpan is the widest closing-time window of one list query; waiting
	// cases whose hints lie further apart form separate clusters. Default 30s.
	MaxSpan time.Duration
	// Lookback is createdFrom = now - Lookback. Default 150 days.
	Lookback time.Duration
	// MaxCalls bounds the list calls of one round. Default 16.
	MaxCalls int
	// Cache is how many listed closed cases that nobody waited for are kept
	// for later rounds (closed cases do not change). Default 3000.
	Cache int
	// Parallelism bounds the single fetches in flight. Default 8, the
	// processor's own default.
	Parallelism int
	Logger      *slog.Logger
}

func (c *CoalesceConfig) defaults() {
	if c.Min <= 0 {
		c.Min = 16
	}
	if c.Linger <= 0 {
		c.Linger = 2 * time.Millisecond
	}
	if c.Slack <= 0 {
		c.Slack = 2 * time.Second
	}
	if c.MaxSpan <= 0 {
		c.MaxSpan = 30 * time.Second
	}
	if c.Lookback <= 0 {
		c.Lookback = 150 * 24 * time.Hour
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 16
	}
	if c.Cache <= 0 {
		c.Cache = 5000
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 8
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Coalescer is a connector.Source that serves concurrent single-case
// fetches from list calls where it can: the prototype of "coalesce bursts of
// webhooks into list calls", measured by the load tool before it moves into
// the processor. Fetches that arrive within Linger of each other form a
// round. Each waiting case has a hint of when it closed, taken from its
// notification as the processor would (see HintingSubscriber): a webhook's
// receivedAt, or a reconcile snapshot's identification modified time when
// the snapshot says closed. The round sorts the waiting cases by hint, cuts
// them into clusters no wider than MaxSpan, and for every cluster of at
// least Min cases asks
//
//	GET /cases?closed=true&archived=false&closedFrom=first-Slack&closedUntil=last+Slack&createdFrom=now-Lookback
//
// (one JWE, one RSA decryption, up to 1000 cases). Each waiting fetch gets
// its case from the list. Cases the lists do not hold (still open, archived,
// closed outside the window, beyond MaxCalls pages) are fetched one by one
// as before, so correctness never depends on the list.
//
// Partial delivery: when a page is partial and its cases come ordered by
// creation (as the simulator orders them; the guide does not promise it),
// the next page starts at the last creation second seen (createdFrom is
// inclusive; repeats are dropped). Otherwise the cluster stops and the rest
// is fetched singly. Closed cases nobody waited for are kept (up to Cache)
// for the next rounds: in a burst, the next batch needs them.
//
// The processor must run with Parallelism >= BatchSize so a batch's fetches
// reach the Coalescer together.
type Coalescer struct {
	src    connector.Source
	cfg    CoalesceConfig
	counts *sourceCounter
	hints  *Hints
	ctx    context.Context
	sem    chan struct{}

	mu      sync.Mutex
	waiting map[string][]chan fetched
	round   bool
	cache   map[string]*connector.CaseResult
	fifo    []string
	// known and walkedUntil are step 1's memory (see listInto); known is
	// guarded by mu, walkedUntil by listMu.
	listMu      sync.Mutex
	known       map[string]knownCase
	walkedUntil time.Time
}

type fetched struct {
	c   *connector.CaseResult
	err error
}

var _ connector.Source = (*Coalescer)(nil)

// NewCoalescer wraps src. ctx bounds the list calls made by rounds (they
// serve many callers, so no single caller's context fits).
func NewCoalescer(ctx context.Context, src connector.Source, cfg CoalesceConfig, counts *sourceCounter, hints *Hints) *Coalescer {
	cfg.defaults()
	return &Coalescer{src: src, cfg: cfg, counts: counts, hints: hints, ctx: ctx, sem: make(chan struct{}, cfg.Parallelism),
		waiting: map[string][]chan fetched{}, cache: map[string]*connector.CaseResult{}, known: map[string]knownCase{}}
}

// Fetch returns the case from a coalesced list call or a single GET.
func (c *Coalescer) Fetch(ctx context.Context, caseID string, o connector.FetchOptions) (*connector.CaseResult, error) {
	if o.StatusOnly || o.IncludeBinaryData || o.IncludeResultPDF {
		// Lists carry no binary data, and partner accounts read status only.
		return c.single(ctx, caseID, o)
	}
	ch := make(chan fetched, 1)
	c.mu.Lock()
	if cr, ok := c.cache[caseID]; ok {
		// Taken, not shared: the processor may fill in fields of the case.
		delete(c.cache, caseID)
		c.mu.Unlock()
		c.hints.forget(caseID)
		c.counts.cacheHits.Add(1)
		return cr, nil
	}
	c.waiting[caseID] = append(c.waiting[caseID], ch)
	if !c.round {
		c.round = true
		go c.runRound()
	}
	c.mu.Unlock()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// List passes through.
func (c *Coalescer) List(ctx context.Context, q connector.ListQuery) ([]connector.CaseResult, bool, error) {
	return c.src.List(ctx, q)
}

// Archive passes through.
func (c *Coalescer) Archive(ctx context.Context, ids []string) ([]connector.CaseStatus, error) {
	return c.src.Archive(ctx, ids)
}

func (c *Coalescer) single(ctx context.Context, caseID string, o connector.FetchOptions) (*connector.CaseResult, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	return c.src.Fetch(ctx, caseID, o)
}

func (c *Coalescer) runRound() {
	time.Sleep(c.cfg.Linger)
	c.mu.Lock()
	w := c.waiting
	c.waiting = map[string][]chan fetched{}
	c.round = false
	c.mu.Unlock()
	if len(w) >= c.cfg.Min {
		// One round lists at a time: the next one then finds what this
		// one learnt and cached.
		c.listMu.Lock()
		defer c.listMu.Unlock()
		for _, cl := range c.clusters(w) {
			c.counts.coalesced.Add(1)
			if err := c.listInto(cl, w); err != nil && !errors.Is(err, errAllFound) {
				c.cfg.Logger.Warn("coalesced list failed; fetching singly", "waiting", len(cl.ids), "err", err)
			}
		}
	}
	for id, chs := range w {
		c.hints.forget(id)
		for _, ch := range chs {
			go func() {
				cr, err := c.single(c.ctx, id, connector.FetchOptions{})
				ch <- fetched{cr, err}
			}()
		}
	}
}

// cluster is waiting cases whose closing-time hints lie within MaxSpan.
type cluster struct {
	ids         []string
	first, last time.Time
}

// clusters groups the hinted waiting cases; clusters smaller than Min and
// cases without a hint are left to single fetches.
func (c *Coalescer) clusters(w map[string][]chan fetched) []cluster {
	type hinted struct {
		id string
		t  time.Time
	}
	hs := make([]hinted, 0, len(w))
	for id := range w {
		if t, ok := c.hints.closedAround(id); ok {
			hs = append(hs, hinted{id, t})
		}
	}
	slices.SortFunc(hs, func(a, b hinted) int { return a.t.Compare(b.t) })
	var out []cluster
	var cur cluster
	flush := func() {
		if len(cur.ids) >= c.cfg.Min {
			out = append(out, cur)
		}
		cur = cluster{}
	}
	for _, h := range hs {
		if len(cur.ids) > 0 && h.t.Sub(cur.first) > c.cfg.MaxSpan {
			flush()
		}
		if len(cur.ids) == 0 {
			cur.first = h.t
		}
		cur.ids = append(cur.ids, h.id)
		cur.last = h.t
	}
	flush()
	return out
}

var errAllFound = errors.New("every waiting case found")

// listInto serves the cases of cl from lists, in two steps, and removes
// those delivered from w:
//
//  1. locate: the status list (GET /cases/status, no personal data and a
//     fraction of the JSON per case) of the cluster's closing window gives
//     the creation time of every waiting case and of the cases around it.
//     What it finds is remembered (caseId -> created, closed), and closing
//     times walked completely are not walked again, so each status entry is
//     decoded about once however many rounds a burst takes;
//  2. fetch: the data list (GET /cases) over creation ranges dense in
//     waiting cases (at most 1000 cases, and no run of more than maxGap
//     cases nobody waits for) delivers their result data.
//
// Without step 1 the data list would be paged from the oldest creation on,
// carrying every case closed in the window (in a burst, thousands already
// processed but not yet archived) for each round again.
func (c *Coalescer) listInto(cl cluster, w map[string][]chan fetched) error {
	const maxGap = 64
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	now := time.Now()
	base := connector.ListQuery{Closed: true,
		ClosedFrom:  cl.first.Add(-c.cfg.Slack).Truncate(time.Second),
		ClosedUntil: cl.last.Add(c.cfg.Slack + time.Second).Truncate(time.Second),
		CreatedFrom: now.Add(-c.cfg.Lookback).Truncate(time.Second)}
	calls := 0
	// Step 1: locate what is not known yet.
	unknown := 0
	for _, id := range cl.ids {
		if _, ok := w[id]; ok && !c.isKnown(id) {
			unknown++
		}
	}
	if unknown >= 4 {
		walkStart := time.Now()
		q := base
		q.StatusOnly = true
		if from := c.walkedUntil.Add(-time.Second).Truncate(time.Second); from.After(q.ClosedFrom) {
			q.ClosedFrom = from
		}
		complete := false
		for ; calls < c.cfg.MaxCalls; calls++ {
			cases, partial, err := c.src.List(ctx, q)
			if err != nil {
				return err
			}
			c.learn(cases)
			if !partial {
				complete = true
				calls++
				break
			}
			next, ok := nextCreatedFrom(cases, q.CreatedFrom)
			if !ok {
				break
			}
			q.CreatedFrom = next
		}
		if complete {
			u := base.ClosedUntil
			if ws := walkStart.Add(-time.Second); ws.Before(u) {
				u = ws
			}
			if u.After(c.walkedUntil) {
				c.walkedUntil = u
			}
		}
	}
	// Step 2: fetch dense creation ranges of the window's population.
	pop := c.population(base.ClosedFrom, base.ClosedUntil, w)
	found := 0
	for _, p := range pop {
		if p.waited {
			found++
		}
	}
	if found < c.cfg.Min {
		return nil
	}
	for i := 0; i < len(pop) && calls < c.cfg.MaxCalls; {
		if !pop[i].waited {
			i++
			continue
		}
		lastWaited := i
		for k := i + 1; k < len(pop) && k-i < pageSize && k-lastWaited <= maxGap; k++ {
			if pop[k].waited {
				lastWaited = k
			}
		}
		dq := base
		dq.CreatedFrom = pop[i].created.Truncate(time.Second)
		dq.CreatedUntil = pop[lastWaited].created.Truncate(time.Second).Add(time.Second)
		for ; calls < c.cfg.MaxCalls; calls++ {
			cases, partial, err := c.src.List(ctx, dq)
			if err != nil {
				return err
			}
			c.absorb(cases, w)
			if !partial {
				break
			}
			next, ok := nextCreatedFrom(cases, dq.CreatedFrom)
			if !ok {
				break
			}
			dq.CreatedFrom = next
		}
		calls++
		i = lastWaited + 1
	}
	return nil
}

// knownCase is what a status list told about a closed case.
type knownCase struct{ created, closed time.Time }

func (c *Coalescer) isKnown(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.known[id]
	return ok
}

// learn remembers creation and closing times of listed closed cases.
func (c *Coalescer) learn(cases []connector.CaseResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.known) > 200_000 { // bounded: forgetting only costs a status list
		clear(c.known)
		c.walkedUntil = time.Time{}
	}
	for i := range cases {
		cr := &cases[i]
		if cr.CaseStatus.Status == connector.CaseClosed {
			c.known[cr.CaseID] = knownCase{created: cr.CaseStatus.Created.Time, closed: cr.CaseStatus.Modified.Time}
		}
	}
}

type located struct {
	created time.Time
	waited  bool
}

// population is the known closed cases of the closing window ordered by
// creation, marking those waited for.
func (c *Coalescer) population(from, until time.Time, w map[string][]chan fetched) []located {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pop []located
	for id, k := range c.known {
		if k.closed.Before(from) || k.closed.After(until) {
			continue
		}
		_, waited := w[id]
		pop = append(pop, located{k.created, waited})
	}
	slices.SortFunc(pop, func(a, b located) int { return a.created.Compare(b.created) })
	return pop
}

// pageSize is POSTIDENT's list page size (guide 7.5.1).
const pageSize = 1000

// nextCreatedFrom returns the creation second to continue from when cases
// are ordered by creation and end later than from.
func nextCreatedFrom(cases []connector.CaseResult, from time.Time) (time.Time, bool) {
	var last time.Time
	for i := range cases {
		t := cases[i].CaseStatus.Created.Time
		if t.Before(last) {
			return time.Time{}, false
		}
		last = t
	}
	last = last.Truncate(time.Second)
	return last, last.After(from)
}

// absorb delivers listed cases to their waiters and keeps other closed
// cases for later rounds.
func (c *Coalescer) absorb(cases []connector.CaseResult, w map[string][]chan fetched) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range cases {
		cr := &cases[i]
		if cr.CaseStatus.Status != connector.CaseClosed {
			continue
		}
		if chs, ok := w[cr.CaseID]; ok {
			chs[0] <- fetched{c: cr}
			c.counts.cacheHits.Add(1)
			if len(chs) == 1 {
				delete(w, cr.CaseID)
				c.hints.forget(cr.CaseID)
			} else {
				w[cr.CaseID] = chs[1:] // the others fetch singly: no sharing
			}
			continue
		}
		if _, ok := c.cache[cr.CaseID]; ok {
			continue
		}
		for len(c.cache) >= c.cfg.Cache && len(c.fifo) > 0 {
			delete(c.cache, c.fifo[0])
			c.fifo = c.fifo[1:]
		}
		c.cache[cr.CaseID] = cr
		c.fifo = append(c.fifo, cr.CaseID)
	}
	if len(c.fifo) > 4*c.cfg.Cache { // drop ids already taken from the cache
		live := c.fifo[:0]
		for _, id := range c.fifo {
			if _, ok := c.cache[id]; ok {
				live = append(live, id)
			}
		}
		c.fifo = live
	}
}

// Hints remembers, per caseId, when the case probably closed, from the
// notifications the processor reads: what the processor itself knows when
// it would make the list call.
type Hints struct {
	mu sync.Mutex
	t  map[string]time.Time
}

// NewHints returns an empty hint table.
func NewHints() *Hints { return &Hints{t: map[string]time.Time{}} }

func (h *Hints) set(id string, t time.Time) {
	h.mu.Lock()
	if len(h.t) > 1<<20 { // bounded: a lost hint only costs a single fetch
		clear(h.t)
	}
	h.t[id] = t
	h.mu.Unlock()
}

func (h *Hints) closedAround(id string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.t[id]
	return t, ok
}

func (h *Hints) forget(id string) {
	h.mu.Lock()
	delete(h.t, id)
	h.mu.Unlock()
}

// HintingSubscriber reads the notifications the processor fetches and
// records a closing-time hint per case: a reconcile snapshot of a closed
// case gives its identification modified time; a snapshot of an open case
// gives none (the list of closed cases cannot hold it); a webhook gives its
// receivedAt.
type HintingSubscriber struct {
	Sub   connector.Subscriber
	Codec connector.Codec
	Hints *Hints
}

// Fetch passes the next notification on after noting its hint.
func (s *HintingSubscriber) Fetch(ctx context.Context) (connector.Message, error) {
	m, err := s.Sub.Fetch(ctx)
	if err != nil {
		return m, err
	}
	var n connector.Notification
	if s.Codec.Decode(ctx, m.Value, &n) == nil {
		id := n.CaseID
		if id == "" {
			id = string(m.Key)
		}
		switch {
		case n.Snapshot == nil:
			s.Hints.set(id, n.ReceivedAt)
		case n.Snapshot.CaseStatus == connector.CaseClosed && !n.Snapshot.Archived && n.Snapshot.Modified != nil:
			s.Hints.set(id, *n.Snapshot.Modified)
		default:
			s.Hints.forget(id)
		}
	}
	return m, nil
}

// Commit passes through.
func (s *HintingSubscriber) Commit(ctx context.Context, msgs ...connector.Message) error {
	return s.Sub.Commit(ctx, msgs...)
}

// sourceCounter counts the calls that reach POSTIDENT.
type sourceCounter struct {
	src                                  connector.Source
	fetches, lists, listCases, fetchErrs atomic.Int64
	statusLists, statusCases             atomic.Int64
	listErrs, cacheHits, coalesced       atomic.Int64
}

var _ connector.Source = (*sourceCounter)(nil)

func (s *sourceCounter) Fetch(ctx context.Context, id string, o connector.FetchOptions) (*connector.CaseResult, error) {
	s.fetches.Add(1)
	c, err := s.src.Fetch(ctx, id, o)
	if err != nil {
		s.fetchErrs.Add(1)
	}
	return c, err
}

func (s *sourceCounter) List(ctx context.Context, q connector.ListQuery) ([]connector.CaseResult, bool, error) {
	cs, partial, err := s.src.List(ctx, q)
	if err != nil {
		s.listErrs.Add(1)
	}
	if q.StatusOnly {
		s.statusLists.Add(1)
		s.statusCases.Add(int64(len(cs)))
	} else {
		s.lists.Add(1)
		s.listCases.Add(int64(len(cs)))
	}
	return cs, partial, err
}

func (s *sourceCounter) Archive(ctx context.Context, ids []string) ([]connector.CaseStatus, error) {
	return s.src.Archive(ctx, ids)
}

func (s *sourceCounter) snapshot() SourceCounts {
	return SourceCounts{Fetches: s.fetches.Load(), Lists: s.lists.Load(), ListCases: s.listCases.Load(),
		StatusLists: s.statusLists.Load(), StatusCases: s.statusCases.Load(),
		CacheHits: s.cacheHits.Load(), Coalesced: s.coalesced.Load(), FetchErrs: s.fetchErrs.Load(), ListErrors: s.listErrs.Load()}
}
