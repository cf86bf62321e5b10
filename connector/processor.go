package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

const instrumentation = "github.com/postident-connector/postident-connector/connector"

// ProcessorConfig configures a Processor. Zero values take the defaults
// stated on each field.
type ProcessorConfig struct {
	ClientID string
	// PartnerMode reads status endpoints only and emits no results (guide
	// chapter 9).
	PartnerMode bool
	Topics      Topics
	// Parallelism bounds concurrent POSTIDENT fetches; default 8.
	Parallelism int
	// BatchSize bounds how many notifications are handled and committed
	// together; default 500.
	BatchSize int
	// BatchWait is how long a batch waits for more notifications once it
	// has one; default 5ms.
	BatchWait time.Duration
	// IncludeBinaryData and IncludeResultPDF fetch images and the result
	// PDF and publish each file to Topics.Records; off by default.
	IncludeBinaryData, IncludeResultPDF bool
	// MaxRecordBytes is the largest record the broker takes (its
	// message.max.bytes); a file that does not fit is reported and skipped.
	// Default 1 MiB.
	MaxRecordBytes int
	// Expiry removes state entries of cases POSTIDENT has deleted (see
	// ExpiryConfig); it runs only with a Subscriber that is an Ownership.
	Expiry ExpiryConfig
	// Coalesce fetches bursts of closed cases with list calls (one RSA
	// decryption for up to 1000 cases) instead of one GET each; the zero
	// value is off. It stays off in partner mode and with
	// IncludeBinaryData or IncludeResultPDF: lists carry no binaries and
	// partner accounts may not read them.
	Coalesce CoalesceConfig
	// RetryBudget is how long a batch retries cases that fail for a
	// transient reason (5xx, timeouts, an unavailable schema registry)
	// while other cases of the batch go through; after it they are parked
	// as "transient", and the batch is done: only they wait, not every
	// notification behind them. When no case of the batch goes through (a
	// POSTIDENT outage) nothing is parked and the batch is retried until it
	// does. Default 5s.
	RetryBudget time.Duration
	// ParkRetryInterval is how long a parked case is left alone (its
	// notifications skipped) before the next notification fetches it
	// again; a changed identification `modified` in a reconcile snapshot
	// or a retry request (HeaderRetry) fetches it at once. A "transient"
	// case is fetched again sooner, with backoff: after as long as it has
	// been failing, at least TransientRetryMin, at most this. Default 1h.
	ParkRetryInterval time.Duration
	// Parked is the set of parked cases loaded from the dead-letter topic;
	// nil starts empty.
	Parked *Parked
	// Version is the connector version written into dead-letter records.
	Version string
	// RedriveEvery is how often the processor looks for the transient cases
	// it parked that are due for another fetch, and asks for them with a
	// retry notification (redrive.go). Default DefaultRedriveEvery.
	RedriveEvery time.Duration
	// Backlog, when set, returns how old the oldest notification the
	// processor's group had not committed was when the broker was last
	// asked (0 when none or not known): the oldest-unhandled gauge then
	// sees notifications no replica has fetched, not only the batch in
	// hand.
	Backlog func() time.Duration
	// OnReady, when set, is told when the processor stops for an operator
	// (false, with the reason) and when it runs (true).
	OnReady func(ready bool, reason string)
	Logger  *slog.Logger
	Now     func() time.Time
}

func (c *ProcessorConfig) defaults() {
	if c.Parallelism <= 0 {
		c.Parallelism = 8
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 5 * time.Millisecond
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
	if c.Topics.DeadLetter == "" {
		c.Topics.DeadLetter = DefaultTopics().DeadLetter
	}
	if c.RetryBudget <= 0 {
		c.RetryBudget = DefaultRetryBudget
	}
	if c.RedriveEvery <= 0 {
		c.RedriveEvery = DefaultRedriveEvery
	}
	if c.ParkRetryInterval <= 0 {
		c.ParkRetryInterval = time.Hour
	}
	if c.Parked == nil {
		c.Parked = NewParked()
	}
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = 1 << 20
	}
	if c.PartnerMode || c.IncludeBinaryData || c.IncludeResultPDF {
		c.Coalesce.Enabled = false
	}
	if c.Coalesce.Enabled {
		c.Coalesce.defaults()
	}
}

// CoalesceActive reports whether the processor fetches bursts of closed
// cases with list calls: Coalesce.Enabled, and neither partner mode nor
// binaries nor PDFs.
func (c ProcessorConfig) CoalesceActive() bool {
	return c.Coalesce.Enabled && !c.PartnerMode && !c.IncludeBinaryData && !c.IncludeResultPDF
}

// Processor turns notifications into events. For each notified case it
// fetches the case from POSTIDENT, compares it with the state it last
// emitted, publishes a CaseStatusChanged for a new identification state and
// a CaseResult once per closed case, records the new state on the state
// topic, and only then commits the notifications. Cases of one batch are
// fetched in parallel; notifications of one case are handled together, in
// order, so per-case order holds. With ProcessorConfig.Coalesce, bursts of
// closed cases are fetched with list calls before the parallel fetches, and
// only what the lists did not deliver is fetched one by one.
type Processor struct {
	cfg   ProcessorConfig
	src   Source
	pub   Publisher
	codec Codec
	rec   recordBuilder // builds every record the processor writes
	state *State

	tracer    trace.Tracer
	events    metric.Int64Counter
	tooLarge  metric.Int64Counter
	fetches   metric.Int64Counter
	skipped   metric.Int64Counter
	lists     metric.Int64Counter
	stateSize metric.Int64ObservableGauge
	parkedN   metric.Int64Counter

	// parked is the parked set (ProcessorConfig.Parked).
	parked *Parked
	// suspects are the cases that failed to decrypt (or got a 400) since
	// the last successful fetch; OperatorThreshold of them stop the
	// processor. Touched by HandleBatch's own goroutine only.
	suspects map[string]struct{}
	// halted is set while the processor waits for an operator.
	halted atomic.Bool
	// oldest is the Kafka time (unix ns) of the oldest notification of the
	// batch in hand, 0 when none is.
	oldest atomic.Int64
	// redrive is when the transient cases this processor parked are due
	// for another fetch (redrive.go).
	redrive redriveSet

	// Attribute sets built once: attribute.NewSet on every Add was 5% of
	// the processor's CPU.
	eventAttrs map[eventKey]metric.AddOption
	fetchAttrs map[string]metric.AddOption
	listAttrs  [2]metric.AddOption // data, status
	parkAttrs  map[string]metric.AddOption

	co *coalescer // nil when coalescing is off
}

type eventKey struct {
	typ    string
	origin Origin
}

// eventAttr returns the attribute option of an event counter Add.
func (p *Processor) eventAttr(typ string, origin Origin) metric.AddOption {
	if o, ok := p.eventAttrs[eventKey{typ, origin}]; ok {
		return o
	}
	return metric.WithAttributes(attribute.String("type", typ), attribute.String("origin", string(origin)))
}

// NewProcessor returns a processor over a loaded state.
func NewProcessor(cfg ProcessorConfig, src Source, pub Publisher, codec Codec, state *State) (*Processor, error) {
	cfg.defaults()
	if cfg.ClientID == "" {
		return nil, errors.New("processor: client id is required")
	}
	p := &Processor{cfg: cfg, src: src, pub: pub, codec: codec, rec: recordBuilder{clientID: cfg.ClientID, codec: codec}, state: state, tracer: otel.Tracer(instrumentation), parked: cfg.Parked}
	m := otel.Meter(instrumentation)
	var err error
	if p.events, err = m.Int64Counter("postident_events_produced_total", metric.WithDescription("Events produced, by type and origin.")); err != nil {
		return nil, err
	}
	if p.fetches, err = m.Int64Counter("postident_processor_fetches_total", metric.WithDescription("Cases fetched from POSTIDENT by the processor, by outcome.")); err != nil {
		return nil, err
	}
	if p.tooLarge, err = m.Int64Counter("postident_records_too_large_total", metric.WithDescription("Binary records (images, PDFs) skipped because they exceed the broker's message size.")); err != nil {
		return nil, err
	}
	if p.skipped, err = m.Int64Counter("postident_processor_skipped_total", metric.WithDescription("Notifications that needed no fetch, by reason: unchanged (the state was already emitted) or forgotten (the case was erased with forget).")); err != nil {
		return nil, err
	}
	if p.lists, err = m.Int64Counter("postident_processor_list_calls_total", metric.WithDescription("List calls the processor made to fetch closed cases in bulk, by list (status or data); each is one decryption.")); err != nil {
		return nil, err
	}
	if p.stateSize, err = m.Int64ObservableGauge("postident_state_cases", metric.WithDescription("Cases tracked in the processor state."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(state.Len()))
			return nil
		})); err != nil {
		return nil, err
	}
	if err := p.parkMetrics(m); err != nil {
		return nil, err
	}
	p.eventAttrs = map[eventKey]metric.AddOption{}
	for _, typ := range []string{"status-changed", "result", "record"} {
		for _, o := range []Origin{OriginWebhook, OriginReconcile, OriginBackfill} {
			p.eventAttrs[eventKey{typ, o}] = metric.WithAttributeSet(attribute.NewSet(attribute.String("type", typ), attribute.String("origin", string(o))))
		}
	}
	p.fetchAttrs = map[string]metric.AddOption{}
	for _, o := range []string{"ok", "gone", "error", "list"} {
		p.fetchAttrs[o] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", o)))
	}
	p.listAttrs[0] = metric.WithAttributeSet(attribute.NewSet(attribute.String("list", "data")))
	p.listAttrs[1] = metric.WithAttributeSet(attribute.NewSet(attribute.String("list", "status")))
	if cfg.CoalesceActive() {
		p.co = newCoalescer(cfg.Coalesce, src, cfg.Now, cfg.Logger, p.tracer, func(ctx context.Context, statusOnly bool) {
			i := 0
			if statusOnly {
				i = 1
			}
			p.lists.Add(ctx, 1, p.listAttrs[i])
		})
	}
	return p, nil
}

// Run consumes notifications until ctx ends or a fatal error occurs (such as
// POSTIDENT refusing the credentials). A batch that fails for a transient
// reason is retried with backoff; its offsets are committed only after its
// events and state are acknowledged by Kafka.
//
// Commits run on their own goroutine, in batch order, while the next batch
// is fetched and handled: a commit is a broker round trip that would
// otherwise add to every notification's latency. At most one commit waits;
// Run returns only after the last one is done.
func (p *Processor) Run(ctx context.Context, sub Subscriber) error {
	commits := make(chan []Message, 1)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for batch := range commits {
			p.commit(ctx, sub, batch)
		}
	}()
	stopExpiry := p.startExpiry(ctx, sub) // expire.go
	defer stopExpiry()
	stopRedrive := p.startRedrive(ctx) // redrive.go
	defer stopRedrive()
	defer func() {
		close(commits)
		<-committed
	}()
	for {
		batch, err := p.fetchBatch(ctx, sub)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("processor: fetch notifications: %w", err)
		}
		p.oldest.Store(oldestTime(batch))
		backoff := 100 * time.Millisecond
		for {
			err = p.HandleBatch(ctx, batch)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrNeedsOperator) || IsFatal(err) {
				// Stop pulling, uncommitted: the notifications wait on
				// Kafka, and the other roles of the process keep running.
				p.halt(ctx, err)
				return nil
			}
			p.cfg.Logger.WarnContext(ctx, "processor batch failed, retrying", "notifications", len(batch), "backoff", backoff, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
		select {
		case commits <- batch:
			p.oldest.Store(0)
		case <-ctx.Done():
			return nil
		}
	}
}

// commit commits a handled batch's offsets. On shutdown it still tries for
// a moment, so a clean stop does not leave a durable batch uncommitted.
func (p *Processor) commit(ctx context.Context, sub Subscriber, batch []Message) {
	cctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
	}
	if err := sub.Commit(cctx, batch...); err != nil && cctx.Err() == nil {
		// The work is durable; a failed commit only means the batch may
		// be seen again, which the state makes harmless.
		p.cfg.Logger.WarnContext(ctx, "processor commit failed", "err", err)
	}
}

// fetchBatch blocks for one notification, then gathers more for at most
// BatchWait, up to BatchSize.
func (p *Processor) fetchBatch(ctx context.Context, sub Subscriber) ([]Message, error) {
	first, err := sub.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	batch := []Message{first}
	wctx, cancel := context.WithTimeout(ctx, p.cfg.BatchWait)
	defer cancel()
	for len(batch) < p.cfg.BatchSize {
		m, err := sub.Fetch(wctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}
