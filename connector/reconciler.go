package connector

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
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
}

// Reconciler is the safety net for lost webhooks and the only source for
// accounts without webhooks. It lists every non-archived case (new, in
// progress, closed) through the status list, which carries no personal data,
// and publishes a status snapshot of each into the notifications topic, so
// that the processor owns every change. Where POSTIDENT answers with a
// partial delivery (X-PARTIAL-DELIVERY, at most 1000 cases) it splits the
// created-date window in halves until each window is complete; archiving by
// the archiver shrinks the closed part of the list between runs.
type Reconciler struct {
	cfg   ReconcilerConfig
	src   Source
	pub   Publisher
	codec Codec

	tracer trace.Tracer
	runs   metric.Int64Counter
	seen   metric.Int64Counter
}

// NewReconciler returns a reconciler.
func NewReconciler(cfg ReconcilerConfig, src Source, pub Publisher, codec Codec) (*Reconciler, error) {
	cfg.defaults()
	r := &Reconciler{cfg: cfg, src: src, pub: pub, codec: codec, tracer: otel.Tracer(instrumentation)}
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
	outcome := "ok"
	if err != nil {
		outcome = "error"
		span.RecordError(err)
	}
	r.runs.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	span.SetAttributes(attribute.Int("postident.cases", st.Cases), attribute.Int("postident.list_calls", st.Calls))
	return st, err
}

// ListWindows lists the cases of q created in [from, until], splitting the
// window in halves wherever POSTIDENT delivers only part of it, and hands each
// complete page to fn. A window of one second that is still partial is
// handed over as it is and counted in st.Incomplete.
func ListWindows(ctx context.Context, src Source, q ListQuery, from, until time.Time, st *ReconcileStats, fn func([]CaseResult) error) error {
	q.CreatedFrom, q.CreatedUntil = from, until
	cases, partial, err := src.List(ctx, q)
	st.Calls++
	if err != nil {
		return fmt.Errorf("list cases created %s..%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
	}
	if partial && until.Sub(from) > time.Second {
		// The halves share their middle second: the guide does not say
		// whether createdUntil is inclusive, and POSTIDENT may compare
		// with more precision than the seconds it prints. A case on the
		// boundary is listed twice, which the processor makes harmless.
		mid := from.Add(until.Sub(from) / 2).Truncate(time.Second)
		if !mid.After(from) {
			mid = from.Add(time.Second)
		}
		if err := ListWindows(ctx, src, q, from, mid, st, fn); err != nil {
			return err
		}
		return ListWindows(ctx, src, q, mid, until, st, fn)
	}
	if partial {
		st.Incomplete++
	}
	st.Cases += len(cases)
	if len(cases) == 0 {
		return nil
	}
	return fn(cases)
}

func (r *Reconciler) publish(ctx context.Context, cases []CaseResult) error {
	now := r.cfg.Now()
	for start := 0; start < len(cases); start += r.cfg.PublishChunk {
		end := min(start+r.cfg.PublishChunk, len(cases))
		msgs := make([]Message, 0, end-start)
		for i := start; i < end; i++ {
			c := &cases[i]
			n := &Notification{CaseID: c.CaseID, Origin: string(OriginReconcile), ReceivedAt: now, Snapshot: SnapshotOf(c)}
			val, err := r.codec.Encode(ctx, r.cfg.Topics.Notifications, n)
			if err != nil {
				return fmt.Errorf("encode notification: %w", err)
			}
			m := Message{Topic: r.cfg.Topics.Notifications, Key: []byte(c.CaseID), Value: val, Time: now,
				Headers: EventHeaders(TypeNotification, uuid.NewString(), r.cfg.ClientID, c.CaseID, now, OriginReconcile)}
			otel.GetTextMapPropagator().Inject(ctx, HeaderCarrier{Headers: &m.Headers})
			msgs = append(msgs, m)
		}
		if err := r.pub.Publish(ctx, msgs...); err != nil {
			return fmt.Errorf("publish notifications: %w", err)
		}
		r.seen.Add(ctx, int64(len(msgs)))
	}
	return nil
}
