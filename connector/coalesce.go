package connector

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// This file stays whole at about 500 lines: it is one algorithm (plan a
// round of list calls, run it, absorb the cases, fetch the rest) whose steps
// share the round's state and read top to bottom in the order they run.

// CoalesceConfig turns list coalescing on and tunes it. The zero value is
// off; with Enabled set, zero fields take the defaults stated on each.
//
// A single-case GET costs one RSA decryption (about 5 ms with RSA-3072). The
// list call GET /cases?closed=true&archived=false carries up to 1000 cases
// in one JWE, so one decryption serves them all. Closed is terminal (guide
// 8.3), so a case taken from that list is as current as a GET of it. Lists
// carry no binary data, and partner accounts may not read them: with
// PartnerMode, IncludeBinaryData or IncludeResultPDF coalescing stays off.
type CoalesceConfig struct {
	Enabled bool
	// Min is the fewest cases of one cluster worth a list call; fewer are
	// fetched one by one. Default 4: a webhook cluster costs two list calls
	// (status, then data), two decryptions plus the JSON of what they carry,
	// against one decryption per single GET. Measured at 200 results/s
	// (docs/BENCHMARKS.md), 4 left almost no single GETs and gave lower
	// latency and CPU per result than 16, under which most of the small
	// batches of a moderate rate were fetched one by one.
	Min int
	// Slack widens the closing-time window around the hints: a case closes
	// shortly before POSTIDENT sends its webhook. Default 2s.
	Slack time.Duration
	// MaxSpan is the widest closing-time window of one cluster (and the
	// largest creation-time gap inside a cluster of snapshots). Default 30s.
	MaxSpan time.Duration
	// MaxCalls bounds the list calls of one batch. Default 16.
	MaxCalls int
	// Cache is how many listed closed cases that no notification asked for
	// yet are kept for the next batches (FIFO; each is handed out once).
	// Default 5000.
	Cache int
	// Lookback is createdFrom = now - Lookback on closing-time queries.
	// Default 150 days, POSTIDENT's longest retention.
	Lookback time.Duration
}

func (c *CoalesceConfig) defaults() {
	if c.Min <= 0 {
		c.Min = 4
	}
	if c.Slack <= 0 {
		c.Slack = 2 * time.Second
	}
	if c.MaxSpan <= 0 {
		c.MaxSpan = 30 * time.Second
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 16
	}
	if c.Cache <= 0 {
		c.Cache = 5000
	}
	if c.Lookback <= 0 {
		c.Lookback = 150 * 24 * time.Hour
	}
}

// listPageSize is POSTIDENT's largest list answer (guide 7.5.1).
const listPageSize = 1000

// maxKnown bounds the remembered status entries; forgetting them only
// costs another status list.
const maxKnown = 200_000

// coalescer is the processor's list-call prefetch (see CoalesceConfig). Its
// memory lives across batches: what status lists told about closed cases
// (caseId -> created, closed), how far the closing time has been walked
// completely, and the cache of listed cases nobody asked for yet.
type coalescer struct {
	cfg    CoalesceConfig
	src    Source
	now    func() time.Time
	log    *slog.Logger
	tracer trace.Tracer
	// onList is called once per list call (for metrics): status or data.
	onList func(ctx context.Context, statusOnly bool)

	// mu serialises prefetch rounds: a round finds what the previous one
	// learnt and cached.
	mu          sync.Mutex
	off         bool // POSTIDENT rejected a list query: single GETs only
	known       map[string]knownCase
	walkedUntil time.Time
	cache       map[string]*CaseResult
	fifo        []string
}

// knownCase is what a status list told about a closed case.
type knownCase struct{ created, closed time.Time }

// hint is what a case's notification says about when it closed.
type hint struct {
	id      string
	closed  time.Time // webhook receivedAt, or a closed snapshot's identification modified
	created time.Time // a closed snapshot's caseStatus.created; zero when unknown
}

func newCoalescer(cfg CoalesceConfig, src Source, now func() time.Time, log *slog.Logger, tracer trace.Tracer, onList func(context.Context, bool)) *coalescer {
	cfg.defaults()
	return &coalescer{cfg: cfg, src: src, now: now, log: log, tracer: tracer, onList: onList,
		known: map[string]knownCase{}, cache: map[string]*CaseResult{}}
}

// hintOf reads the closing-time hint of a case from its last notification:
// a webhook's receivedAt (POSTIDENT calls when a case reaches a status with
// a status type, the final ones among them), or a snapshot that says closed
// and not archived. An open or archived snapshot gives none: the list of
// closed, non-archived cases cannot hold the case.
func hintOf(w *caseWork) (hint, bool) {
	last := w.notes[len(w.notes)-1]
	if last.Snapshot == nil {
		return hint{id: w.caseID, closed: last.ReceivedAt}, !last.ReceivedAt.IsZero()
	}
	s := last.Snapshot
	if s.CaseStatus != CaseClosed || s.Archived || s.Modified == nil {
		return hint{}, false
	}
	h := hint{id: w.caseID, closed: *s.Modified}
	if s.Created != nil {
		h.created = *s.Created
	}
	return h, true
}

// round is one batch's prefetch.
type round struct {
	c       *coalescer
	ctx     context.Context
	pre     map[string]*CaseResult // served: caseId -> case
	waiting map[string]bool
	seen    map[string]bool // listed in this round: repeats of continued pages are dropped
	calls   int
}

// prefetch serves the hinted cases from the cache and from list calls and
// returns what it found. Cases it does not return are fetched singly by the
// caller: correctness never depends on the lists.
func (c *coalescer) prefetch(ctx context.Context, hints []hint) map[string]*CaseResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	pre := map[string]*CaseResult{}
	r := &round{c: c, ctx: ctx, pre: pre, waiting: map[string]bool{}, seen: map[string]bool{}}
	var rest []hint
	for _, h := range hints {
		if cr, ok := c.cache[h.id]; ok {
			// Taken, not shared: the processor may fill in fields.
			delete(c.cache, h.id)
			pre[h.id] = cr
			continue
		}
		r.waiting[h.id] = true
		rest = append(rest, h)
	}
	if c.off || len(rest) < c.cfg.Min {
		return pre
	}
	parent := ctx
	ctx, span := c.tracer.Start(ctx, "processor.prefetch", trace.WithAttributes(attribute.Int("postident.waiting", len(rest))))
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r.ctx = ctx
	err := r.run(rest)
	if err != nil {
		if parent.Err() != nil {
			// Shutting down: nothing to report.
			span.SetStatus(codes.Error, "cancelled")
			return pre
		}
		if errors.Is(err, ErrBadRequest) {
			// A filter POSTIDENT does not take will not work next time either.
			c.off = true
			c.log.ErrorContext(ctx, "POSTIDENT rejected a list query; list coalescing is off until restart, cases are fetched one by one", "err", err)
		} else {
			c.log.WarnContext(ctx, "coalesced list failed; fetching the rest one by one", "waiting", len(r.waiting), "err", err)
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, "list failed")
	}
	span.SetAttributes(attribute.Int("postident.served", len(pre)), attribute.Int("postident.list_calls", r.calls))
	return pre
}

func (r *round) run(hints []hint) error {
	cfg := r.c.cfg
	// 1. Closed snapshots that carry their creation time: the data list of
	// their creation range (and closing window) holds them all, no status
	// list needed.
	var byCreated []hint
	for _, h := range hints {
		if !h.created.IsZero() {
			byCreated = append(byCreated, h)
		}
	}
	slices.SortFunc(byCreated, func(a, b hint) int { return a.created.Compare(b.created) })
	for _, cl := range cut(byCreated, cfg.Min, func(first, prev, h hint) bool { return h.created.Sub(prev.created) > cfg.MaxSpan }) {
		if r.calls >= cfg.MaxCalls {
			return nil
		}
		lo, hi := closingRange(cl)
		q := ListQuery{Closed: true,
			CreatedFrom: cl[0].created.Truncate(time.Second), CreatedUntil: cl[len(cl)-1].created.Truncate(time.Second).Add(time.Second),
			ClosedFrom: lo.Add(-cfg.Slack).Truncate(time.Second), ClosedUntil: hi.Add(cfg.Slack + time.Second).Truncate(time.Second)}
		if err := r.dataPages(q); err != nil {
			return err
		}
	}
	// 2. The rest by closing time: locate with the status list, then fetch
	// the dense creation ranges.
	var byClosed []hint
	for _, h := range hints {
		if r.waiting[h.id] {
			byClosed = append(byClosed, h)
		}
	}
	slices.SortFunc(byClosed, func(a, b hint) int { return a.closed.Compare(b.closed) })
	for _, cl := range cut(byClosed, cfg.Min, func(first, _, h hint) bool { return h.closed.Sub(first.closed) > cfg.MaxSpan }) {
		if r.calls >= cfg.MaxCalls {
			return nil
		}
		if err := r.locateAndFetch(cl); err != nil {
			return err
		}
	}
	return nil
}

// cut splits sorted hints into clusters where split says a new one starts,
// keeping those of at least `least` cases.
func cut(hs []hint, least int, split func(first, prev, h hint) bool) [][]hint {
	var out [][]hint
	start := 0
	for i := 1; i <= len(hs); i++ {
		if i < len(hs) && !split(hs[start], hs[i-1], hs[i]) {
			continue
		}
		if i-start >= least {
			out = append(out, hs[start:i])
		}
		start = i
	}
	return out
}

func closingRange(cl []hint) (lo, hi time.Time) {
	lo, hi = cl[0].closed, cl[0].closed
	for _, h := range cl[1:] {
		if h.closed.Before(lo) {
			lo = h.closed
		}
		if h.closed.After(hi) {
			hi = h.closed
		}
	}
	return lo, hi
}

// list makes one list call within the round's budget.
func (r *round) list(q ListQuery) ([]CaseResult, bool, error) {
	r.calls++
	ctx, span := r.c.tracer.Start(r.ctx, "postident.list", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.Bool("postident.status_only", q.StatusOnly)))
	defer span.End()
	cases, partial, err := r.c.src.List(ctx, q)
	r.c.onList(ctx, q.StatusOnly)
	var bad *ListEntriesError
	if errors.As(err, &bad) {
		// Use the readable cases; the others are not delivered, so the
		// processor fetches each alone (and parks it if it is bad).
		span.SetAttributes(attribute.Int("postident.unreadable_entries", len(bad.CaseIDs)+bad.Unidentified))
		err = nil
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "list failed")
		return nil, false, err
	}
	span.SetAttributes(attribute.Int("postident.cases", len(cases)), attribute.Bool("postident.partial", partial))
	return cases, partial, nil
}

// dataPages reads the data list of q and its continuation pages while they
// keep serving waiting cases.
func (r *round) dataPages(q ListQuery) error {
	for r.calls < r.c.cfg.MaxCalls {
		cases, partial, err := r.list(q)
		if err != nil {
			return err
		}
		served := r.absorb(cases)
		if !partial || served < r.c.cfg.Min {
			// Complete, or a page mostly of cases nobody waits for (an
			// archiver that lags): the rest is cheaper one by one.
			return nil
		}
		next, ok := nextCreatedFrom(cases, q.CreatedFrom)
		if !ok {
			return nil
		}
		q.CreatedFrom = next
	}
	return nil
}

// nextCreatedFrom returns the creation second to continue a partial page
// from (createdFrom is inclusive; repeats are dropped by the caller). It
// needs the page ordered by creation, as the simulator orders it; the guide
// does not promise an order, so an unordered page, or one that makes no
// progress, stops the continuation.
func nextCreatedFrom(cases []CaseResult, from time.Time) (time.Time, bool) {
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

// absorb hands listed closed cases to the waiting ones and keeps the
// others in the cache. It returns how many waiting cases it served.
func (r *round) absorb(cases []CaseResult) int {
	c := r.c
	served := 0
	for i := range cases {
		// A copy per case, so that the page's array is not kept alive by
		// one cached case.
		cr := cases[i]
		if cr.CaseStatus.Status != CaseClosed || cr.CaseID == "" || r.seen[cr.CaseID] {
			continue
		}
		r.seen[cr.CaseID] = true
		if r.waiting[cr.CaseID] {
			delete(r.waiting, cr.CaseID)
			r.pre[cr.CaseID] = &cr
			served++
			continue
		}
		if _, ok := c.cache[cr.CaseID]; ok {
			continue
		}
		for len(c.cache) >= c.cfg.Cache && len(c.fifo) > 0 {
			delete(c.cache, c.fifo[0])
			c.fifo = c.fifo[1:]
		}
		c.cache[cr.CaseID] = &cr
		c.fifo = append(c.fifo, cr.CaseID)
	}
	if len(c.fifo) > 2*c.cfg.Cache { // drop ids already taken from the cache
		live := make([]string, 0, len(c.cache))
		for _, id := range c.fifo {
			if _, ok := c.cache[id]; ok {
				live = append(live, id)
			}
		}
		c.fifo = live
	}
	return served
}

// locateAndFetch serves a closing-time cluster in two steps:
//
//  1. locate: the status list (no personal data, about 1/20 of the JSON
//     per case) of the cluster's closing window gives the creation time of
//     every waiting case and of the cases around it. What it finds is
//     remembered, and closing times walked completely are not walked again,
//     so each status entry is decoded about once however many batches a
//     burst takes;
//  2. fetch: the data list over creation ranges dense in waiting cases (at
//     most 1000 cases, and no run of more than maxGap cases nobody waits
//     for) delivers their result data.
//
// Without step 1 the data list would be read from the oldest creation on,
// carrying every case closed in the window (in a burst, thousands already
// handled but not yet archived) for every batch again.
func (r *round) locateAndFetch(cl []hint) error {
	const maxGap = 64
	c, cfg := r.c, r.c.cfg
	now := c.now()
	lo, hi := closingRange(cl)
	base := ListQuery{Closed: true,
		ClosedFrom:  lo.Add(-cfg.Slack).Truncate(time.Second),
		ClosedUntil: hi.Add(cfg.Slack + time.Second).Truncate(time.Second),
		CreatedFrom: now.Add(-cfg.Lookback).Truncate(time.Second)}
	unknown := 0
	for _, h := range cl {
		if _, ok := c.known[h.id]; r.waiting[h.id] && !ok {
			unknown++
		}
	}
	if unknown >= 4 {
		q := base
		q.StatusOnly = true
		if from := c.walkedUntil.Add(-time.Second).Truncate(time.Second); from.After(q.ClosedFrom) {
			q.ClosedFrom = from
		}
		complete := false
		for r.calls < cfg.MaxCalls {
			cases, partial, err := r.list(q)
			if err != nil {
				return err
			}
			c.learn(cases)
			if !partial {
				complete = true
				break
			}
			next, ok := nextCreatedFrom(cases, q.CreatedFrom)
			if !ok {
				break
			}
			q.CreatedFrom = next
		}
		if complete {
			// Cases still to close will close after now (minus a second
			// of clock difference), so closing times up to then are known.
			u := base.ClosedUntil
			if ws := now.Add(-time.Second); ws.Before(u) {
				u = ws
			}
			if u.After(c.walkedUntil) {
				c.walkedUntil = u
			}
		}
	}
	pop := c.population(base.ClosedFrom, base.ClosedUntil, r.waiting)
	found := 0
	for _, p := range pop {
		if p.waited {
			found++
		}
	}
	if found < cfg.Min {
		return nil
	}
	for i := 0; i < len(pop) && r.calls < cfg.MaxCalls; {
		if !pop[i].waited {
			i++
			continue
		}
		lastWaited := i
		for k := i + 1; k < len(pop) && k-i < listPageSize && k-lastWaited <= maxGap; k++ {
			if pop[k].waited {
				lastWaited = k
			}
		}
		dq := base
		dq.CreatedFrom = pop[i].created.Truncate(time.Second)
		dq.CreatedUntil = pop[lastWaited].created.Truncate(time.Second).Add(time.Second)
		if err := r.dataPages(dq); err != nil {
			return err
		}
		i = lastWaited + 1
	}
	return nil
}

// learn remembers creation and closing times of listed closed cases.
func (c *coalescer) learn(cases []CaseResult) {
	if len(c.known)+len(cases) > maxKnown {
		clear(c.known)
		c.walkedUntil = time.Time{}
	}
	for i := range cases {
		cr := &cases[i]
		if cr.CaseStatus.Status == CaseClosed && cr.CaseID != "" {
			c.known[cr.CaseID] = knownCase{created: cr.CaseStatus.Created.Time, closed: cr.CaseStatus.Modified.Time}
		}
	}
}

type located struct {
	created time.Time
	waited  bool
}

// population is the known closed cases of the closing window ordered by
// creation, marking those still waiting.
func (c *coalescer) population(from, until time.Time, waiting map[string]bool) []located {
	var pop []located
	for id, k := range c.known {
		if k.closed.Before(from) || k.closed.After(until) {
			continue
		}
		pop = append(pop, located{k.created, waiting[id]})
	}
	slices.SortFunc(pop, func(a, b located) int { return a.created.Compare(b.created) })
	return pop
}
