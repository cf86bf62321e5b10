package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ReconcilerConfig configures a Reconciler. Zero values take the defaults
// stated on each field.
type ReconcilerConfig struct {
	ClientID string
	Topics   Topics
	// Interval between runs; default 5 minutes.
	Interval time.Duration
	// Lookback is how far back cases are listed, by creation date; default
	// 150 days, POSTIDENT's longest retention.
	Lookback time.Duration
	// PublishChunk bounds the notifications of one Publish call; default 1000.
	PublishChunk int
	Logger       *slog.Logger
	Now          func() time.Time
}

func (c *ReconcilerConfig) defaults() {
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.Lookback <= 0 {
		c.Lookback = 150 * 24 * time.Hour
	}
	if c.PublishChunk <= 0 {
		c.PublishChunk = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Topics == (Topics{}) {
		c.Topics = DefaultTopics()
	}
}

// ReconcileStats reports one reconcile run.
type ReconcileStats struct {
	Cases      int // notifications published
	Calls      int // list calls made
	Incomplete int // windows of one second that still had more than a page
	// Unreadable are the caseIds of list entries that did not decode
	// (ListEntriesError), each once; Unidentified counts such entries
	// without a usable caseId.
	Unreadable   []string
	Unidentified int
}

// Reconciler is the safety net for lost webhooks and the only source for
// accounts without webhooks. It lists every non-archived case (new, in
// progress, closed) through the status list, which carries no personal data,
// and publishes a status snapshot of each into the notifications topic, so
// that the processor owns every change. Where POSTIDENT answers with a
// partial delivery (X-PARTIAL-DELIVERY, at most 1000 cases) it continues
// from the page's last creation second, or splits the created-date window
// where the page is not ordered by creation (see ListWindows); archiving by
// the archiver shrinks the closed part of the list between runs.
type Reconciler struct {
	cfg ReconcilerConfig
	src Source
	pub Publisher
	rec recordBuilder // encodes the notifications

	tracer trace.Tracer
	runs   metric.Int64Counter
	seen   metric.Int64Counter
}

// NewReconciler returns a reconciler.
func NewReconciler(cfg ReconcilerConfig, src Source, pub Publisher, codec Codec) (*Reconciler, error) {
	cfg.defaults()
	r := &Reconciler{cfg: cfg, src: src, pub: pub, rec: recordBuilder{clientID: cfg.ClientID, codec: codec}, tracer: otel.Tracer(instrumentation)}
	m := otel.Meter(instrumentation)
	var err error
	if r.runs, err = m.Int64Counter("postident_reconcile_runs_total", metric.WithDescription("Reconcile runs, by outcome.")); err != nil {
		return nil, err
	}
	if r.seen, err = m.Int64Counter("postident_reconcile_cases_total", metric.WithDescription("Cases seen by reconcile runs.")); err != nil {
		return nil, err
	}
	return r, nil
}

// Run reconciles at once and then every Interval until ctx ends. A failed
// run is logged and retried at the next tick.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		st, err := r.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.cfg.Logger.ErrorContext(ctx, "reconcile failed", "err", err)
		} else {
			r.cfg.Logger.InfoContext(ctx, "reconcile done", "cases", st.Cases, "list_calls", st.Calls, "incomplete_windows", st.Incomplete)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce lists every non-archived case once and publishes its snapshot.
func (r *Reconciler) RunOnce(ctx context.Context) (ReconcileStats, error) {
	ctx, span := r.tracer.Start(ctx, "reconcile.run")
	defer span.End()
	var st ReconcileStats
	until := r.cfg.Now().Truncate(time.Second).Add(time.Second)
	from := until.Add(-r.cfg.Lookback)
	q := ListQuery{New: true, InProgress: true, Closed: true, StatusOnly: true}
	err := ListWindows(ctx, r.src, q, from, until, &st, func(cases []CaseResult) error {
		return r.publish(ctx, cases)
	})
	if err == nil && len(st.Unreadable) > 0 {
		// Notified without a snapshot, like a webhook: the processor
		// fetches each alone, and parks it if its own answer is bad too.
		err = r.notify(ctx, st.Unreadable)
	}
	if len(st.Unreadable)+st.Unidentified > 0 {
		r.cfg.Logger.WarnContext(ctx, "reconcile: status list entries that do not decode; notified by caseId where it was readable",
			"unreadable", len(st.Unreadable), "without_case_id", st.Unidentified)
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		span.RecordError(err)
	}
	r.runs.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	span.SetAttributes(attribute.Int("postident.cases", st.Cases), attribute.Int("postident.list_calls", st.Calls))
	return st, err
}

// ListWindows lists the cases of q created in [from, until] and hands them to
// fn, page by page, each case once.
//
// POSTIDENT answers at most 1000 cases per call and sets X-PARTIAL-DELIVERY
// when more match (guide 7.5.1). The guide's way on, archiving what was
// received, does not fit cases that are still open, so the window moves
// instead. A partial page is handed to fn, and when it is ordered by
// creation the next call starts at the creation second of its last case
// (createdFrom is inclusive, so the cases of that second already handed over
// come again and are dropped). The guide does not promise that order, so it
// is read off each page: creation times that never decrease and span at
// least two seconds, all inside the window. A page that is not ordered is
// not handed over, and the rest of the window is split in halves, each
// listed the same way. A page that makes no progress (all its cases created
// in the second the window starts with: more than a page of cases in one
// second) splits off that second. A window of one second that is still
// partial is handed over as it is and counted in st.Incomplete: no query
// reaches the rest of that second (the archiver's archiving does, between
// runs, for closed cases).
//
// Every split covers the window whatever the order of the pages, so no case
// created in [from, until] is missed outside of st.Incomplete seconds.
// Repeats are dropped by caseId at the second where two calls meet; a case
// whose page shows no creation time is handed over as listed. The memory
// for that is one second's caseIds, not the run's.
func ListWindows(ctx context.Context, src Source, q ListQuery, from, until time.Time, st *ReconcileStats, fn func([]CaseResult) error) error {
	w := &windowLister{src: src, q: q, st: st, fn: fn}
	return w.list(ctx, from, until)
}

// windowLister is one ListWindows run. Windows are listed in creation
// order, so a case listed twice can only be one of the latest second
// handed over (edge): where a page continues, or where two halves meet.
type windowLister struct {
	src     Source
	q       ListQuery
	st      *ReconcileStats
	fn      func([]CaseResult) error
	edge    time.Time           // latest creation second handed over
	edgeIDs map[string]struct{} // caseIds handed over that were created in edge
	badIDs  map[string]struct{} // caseIds of unreadable entries seen (st.Unreadable)
}

func (w *windowLister) list(ctx context.Context, from, until time.Time) error {
	// The client sends seconds (guide 7.5.1 samples); work in seconds, so
	// a continuation is comparable with the window's start.
	from = from.Truncate(time.Second)
	for {
		q := w.q
		q.CreatedFrom, q.CreatedUntil = from, until
		cases, partial, err := w.src.List(ctx, q)
		w.st.Calls++
		var bad *ListEntriesError
		if errors.As(err, &bad) {
			w.unreadable(bad)
			err = nil // the page's other entries are good
		}
		if err != nil {
			return fmt.Errorf("list cases created %s..%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
		}
		if !partial {
			return w.deliver(cases)
		}
		if until.Sub(from) <= time.Second {
			w.st.Incomplete++
			return w.deliver(cases)
		}
		first, last, ordered := createdSpan(cases, from, until)
		if ordered && last.After(first) {
			if err := w.deliver(cases); err != nil {
				return err
			}
			from = last
			continue
		}
		// No continuation. Split [from, until] at mid; both parts are
		// listed, so the split is complete whatever the page held.
		mid := from.Add(until.Sub(from) / 2).Truncate(time.Second)
		if ordered && first.Equal(from) {
			// More than a page was created in the window's first second:
			// split it off rather than halving down to it.
			mid = from.Add(time.Second)
		}
		if !mid.After(from) {
			mid = from.Add(time.Second)
		}
		// The parts share their middle second: the guide does not say
		// whether createdUntil is inclusive, and POSTIDENT may compare
		// with more precision than the seconds it prints. Repeats on it
		// are dropped.
		if err := w.list(ctx, from, mid); err != nil {
			return err
		}
		from = mid
	}
}

// createdSpan reports the creation seconds of a page's first and last case,
// and whether the page is ordered by creation: every case has a creation
// time inside [from, until] (at seconds precision), and the times never
// decrease. An empty page is not ordered.
func createdSpan(cases []CaseResult, from, until time.Time) (first, last time.Time, ordered bool) {
	if len(cases) == 0 {
		return first, last, false
	}
	for i := range cases {
		c := cases[i].CaseStatus.Created.Time
		if c.IsZero() {
			return first, last, false
		}
		c = c.Truncate(time.Second)
		if c.Before(from) || c.After(until) || (i > 0 && c.Before(last)) {
			return first, last, false
		}
		if i == 0 {
			first = c
		}
		last = c
	}
	return first, last, true
}

// unreadable records the unreadable entries of a page, each caseId once
// (split windows list the same entries again).
func (w *windowLister) unreadable(e *ListEntriesError) {
	if w.badIDs == nil {
		w.badIDs = map[string]struct{}{}
	}
	for _, id := range e.CaseIDs {
		if _, seen := w.badIDs[id]; !seen {
			w.badIDs[id] = struct{}{}
			w.st.Unreadable = append(w.st.Unreadable, id)
		}
	}
	w.st.Unidentified += e.Unidentified
}

// deliver hands the cases not handed over yet to fn and moves the edge.
func (w *windowLister) deliver(cases []CaseResult) error {
	fresh := cases
	for i := range cases {
		if _, dup := w.edgeIDs[cases[i].CaseID]; dup {
			// A copy: the Source may still hold the page it returned.
			fresh = make([]CaseResult, 0, len(cases)-1)
			for j := range cases {
				if _, dup := w.edgeIDs[cases[j].CaseID]; !dup {
					fresh = append(fresh, cases[j])
				}
			}
			break
		}
	}
	// Move the edge only after filtering: the page itself holds no
	// repeats, and may be in any order when it is complete.
	for i := range fresh {
		c := fresh[i].CaseStatus.Created.Time
		if c.IsZero() {
			continue
		}
		c = c.Truncate(time.Second)
		switch {
		case c.After(w.edge):
			w.edge = c
			w.edgeIDs = map[string]struct{}{fresh[i].CaseID: {}}
		case c.Equal(w.edge):
			w.edgeIDs[fresh[i].CaseID] = struct{}{}
		}
	}
	w.st.Cases += len(fresh)
	if len(fresh) == 0 {
		return nil
	}
	return w.fn(fresh)
}

// notify publishes a notification without a snapshot for each caseId.
func (r *Reconciler) notify(ctx context.Context, ids []string) error {
	return r.send(ctx, len(ids), func(i int) *Notification {
		return &Notification{CaseID: ids[i], Origin: string(OriginReconcile)}
	})
}

// publish publishes each case's snapshot.
func (r *Reconciler) publish(ctx context.Context, cases []CaseResult) error {
	return r.send(ctx, len(cases), func(i int) *Notification {
		return &Notification{CaseID: cases[i].CaseID, Origin: string(OriginReconcile), Snapshot: SnapshotOf(&cases[i])}
	})
}

// send encodes and publishes the n notifications note(i) builds, in chunks
// of PublishChunk.
func (r *Reconciler) send(ctx context.Context, n int, note func(i int) *Notification) error {
	now := r.cfg.Now()
	for start := 0; start < n; start += r.cfg.PublishChunk {
		end := min(start+r.cfg.PublishChunk, n)
		msgs := make([]Message, 0, end-start)
		for i := start; i < end; i++ {
			nt := note(i)
			nt.ReceivedAt = now
			var err error
			if msgs, err = r.rec.appendNotification(ctx, msgs, r.cfg.Topics.Notifications, nt, OriginReconcile); err != nil {
				return err
			}
		}
		if err := r.pub.Publish(ctx, msgs...); err != nil {
			return fmt.Errorf("publish notifications: %w", err)
		}
		r.seen.Add(ctx, int64(len(msgs)))
	}
	return nil
}
