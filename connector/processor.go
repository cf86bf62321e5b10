package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
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
	// as "transient". When no case of the batch goes through (a POSTIDENT
	// outage) nothing is parked and the batch is retried until it does.
	// Default 1m.
	RetryBudget time.Duration
	// ParkRetryInterval is how long a parked case is left alone (its
	// notifications skipped) before the next notification fetches it
	// again; a changed identification `modified` in a reconcile snapshot
	// or a retry request (HeaderRetry) fetches it at once. Default 1h.
	ParkRetryInterval time.Duration
	// Parked is the set of parked cases loaded from the dead-letter topic;
	// nil starts empty.
	Parked *Parked
	// Version is the connector version written into dead-letter records.
	Version string
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
		c.RetryBudget = time.Minute
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
	p := &Processor{cfg: cfg, src: src, pub: pub, codec: codec, state: state, tracer: otel.Tracer(instrumentation), parked: cfg.Parked}
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

// caseWork is the notifications of one case within a batch.
type caseWork struct {
	caseID string
	notes  []*Notification
	msgs   []*Message

	// fail is set once the case failed (kept across the retry rounds of
	// one batch); nil on the hot path, so the good cases pay 8 bytes.
	fail *failure
}

// failure is a case's failed attempts within one batch.
type failure struct {
	attempts int32
	first    time.Time
	err      error
}

// outcome is what handling one case produced: records to publish and the
// memo to keep once they are durable.
type outcome struct {
	caseID string
	out    []Message
	memo   memo
	keep   bool
	// fetched: POSTIDENT answered and the answer was used (a successful
	// decryption, when encryption is on).
	fetched bool
	// learnModified is the `modified` (unix ms) of a parked case whose
	// record did not know it, from a snapshot; 0 otherwise.
	learnModified int64
}

// HandleBatch processes notification messages and returns nil once every
// case is handled: its events and state acknowledged by Kafka, or parked on
// the dead-letter topic. Undecodable notifications are logged and skipped:
// they cannot become valid by retrying.
//
// Failures are sorted per case (classOf). The good cases are published at
// once; an unreadable answer is parked at once; transient failures are
// retried, only the failed cases, with backoff, for ProcessorConfig.
// RetryBudget, then parked as "transient" if other cases went through (if
// none did, POSTIDENT is down: the batch keeps waiting, nothing is parked).
// A decryption failure or a 400 is parked when other cases decrypt; with no
// success since, OperatorThreshold different such cases (or a 401/403)
// return an error wrapping ErrNeedsOperator, and the batch stays
// uncommitted.
func (p *Processor) HandleBatch(ctx context.Context, msgs []Message) error {
	order, err := p.group(ctx, msgs)
	if err != nil {
		return err
	}
	pre := p.prefetch(ctx, order)
	start := p.cfg.Now()
	backoff := 100 * time.Millisecond
	progress := false
	for {
		failed, ok, err := p.round(ctx, order, pre)
		if err != nil {
			return err
		}
		if len(failed) == 0 {
			return nil
		}
		progress = progress || ok
		retry, err := p.sortFailures(ctx, failed, progress, p.cfg.Now().Sub(start) >= p.cfg.RetryBudget)
		if err != nil || len(retry) == 0 {
			return err
		}
		p.cfg.Logger.WarnContext(ctx, "cases of a batch failed, retrying them", "failed", len(retry), "cases", len(order),
			"backoff", backoff, "err", retry[0].fail.err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
		order, pre = retry, nil
	}
}

// group sorts the notifications by case, in order of first appearance. A
// notification that cannot be decoded is skipped with a log line, unless
// the codec says its registry is unavailable: then the batch fails, to be
// retried.
func (p *Processor) group(ctx context.Context, msgs []Message) ([]*caseWork, error) {
	works := make(map[string]*caseWork)
	var order []*caseWork
	for i := range msgs {
		m := &msgs[i]
		var n Notification
		if err := p.codec.Decode(ctx, m.Value, &n); err != nil {
			if errors.Is(err, ErrCodecUnavailable) {
				// The schema registry is down: the notification is fine and
				// will decode later. Retry the batch, skip nothing.
				return nil, fmt.Errorf("decode notification at partition %d offset %d: %w", m.Partition, m.Offset, err)
			}
			p.cfg.Logger.WarnContext(ctx, "skipping undecodable notification", "partition", m.Partition, "offset", m.Offset, "err", err)
			continue
		}
		if n.CaseID == "" {
			n.CaseID = string(m.Key)
		}
		if !ValidCaseID(n.CaseID) {
			// Only our webhook and reconciler write here; a malformed id
			// is a foreign record, skipped rather than sent to POSTIDENT.
			p.cfg.Logger.WarnContext(ctx, "skipping notification with an invalid case id", "partition", m.Partition, "offset", m.Offset)
			continue
		}
		w := works[n.CaseID]
		if w == nil {
			w = &caseWork{caseID: n.CaseID}
			works[n.CaseID] = w
			order = append(order, w)
		}
		w.notes = append(w.notes, &n)
		w.msgs = append(w.msgs, m)
	}
	return order, nil
}

// round handles the cases of order in parallel, publishes what the good
// ones produced and returns the failed ones; ok reports whether any case
// was fetched successfully.
func (p *Processor) round(ctx context.Context, order []*caseWork, pre map[string]*CaseResult) (failed []*caseWork, ok bool, err error) {
	results := make([]outcome, len(order))
	errs := make([]error, len(order))
	sem := make(chan struct{}, p.cfg.Parallelism)
	var wg sync.WaitGroup
	for i, w := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = p.handleCase(ctx, w, pre[w.caseID])
		}()
	}
	wg.Wait()
	now := p.cfg.Now()
	var out []Message
	var unpark []string
	for i, w := range order {
		if errs[i] != nil {
			if w.fail == nil {
				w.fail = &failure{first: now}
			}
			w.fail.attempts++
			w.fail.err = errs[i]
			failed = append(failed, w)
			continue
		}
		r := &results[i]
		if r.fetched {
			ok = true
			if _, was := p.parked.get(w.caseID); was {
				// Resolved: the tombstone empties its dead-letter entry.
				unpark = append(unpark, w.caseID)
				out = append(out, Message{Topic: p.cfg.Topics.DeadLetter, Key: []byte(w.caseID), Time: now})
			}
		}
		out = append(out, r.out...)
	}
	if err := p.publish(ctx, out); err != nil {
		return nil, false, err
	}
	for i := range results {
		if r := &results[i]; errs[i] == nil && r.keep {
			p.state.put(r.caseID, r.memo)
		}
	}
	for i := range results {
		if r := &results[i]; errs[i] == nil && r.learnModified != 0 {
			p.parked.learnModified(r.caseID, r.learnModified)
		}
	}
	for _, id := range unpark {
		p.parked.remove(id)
		p.cfg.Logger.InfoContext(ctx, "parked case went through; dead-letter entry removed", "case_id", id)
	}
	if ok && len(p.suspects) > 0 {
		clear(p.suspects)
	}
	return failed, ok, nil
}

// publish writes a round's records in two steps: the events (status,
// result, binary records, dead-letter tombstones) first, and the state
// records only once the events are acknowledged.
//
// One Publish spans several topics, and a producer writes each partition
// with its own request: a crash (kill -9, a lost broker) in the middle can
// leave some partitions written and others not. Had the state record of a
// closed case landed without its result, every later notification of the
// case would be skipped as already emitted, and the result would never be
// written (the fault suite's kill -9 scenario found one such case in 1,500
// on Apache Kafka). Written in this order, a crash leaves at worst events
// without their state record: they are emitted again, with the same ids,
// which consumers already de-duplicate. It costs one more acknowledged
// round trip per batch.
func (p *Processor) publish(ctx context.Context, out []Message) error {
	n := 0 // out[:n] becomes the events, then out[n:] the state records
	var state []Message
	for _, m := range out {
		if m.Topic == p.cfg.Topics.State {
			state = append(state, m)
			continue
		}
		out[n] = m
		n++
	}
	if n > 0 {
		if err := p.pub.Publish(ctx, out[:n]...); err != nil {
			return fmt.Errorf("publish events: %w", err)
		}
	}
	if len(state) > 0 {
		if err := p.pub.Publish(ctx, state...); err != nil {
			return fmt.Errorf("publish state: %w", err)
		}
	}
	return nil
}

// prefetch fetches the batch's closed cases with list calls where it can
// (see CoalesceConfig). Cases it does not return are fetched singly by
// handleCase. Nil when coalescing is off.
func (p *Processor) prefetch(ctx context.Context, order []*caseWork) map[string]*CaseResult {
	if p.co == nil {
		return nil
	}
	var hints []hint
	for _, w := range order {
		if _, _, need := p.needsFetch(w); !need || (p.parked.Len() > 0 && p.parkedSkip(w)) {
			continue
		}
		if h, ok := hintOf(w); ok {
			hints = append(hints, h)
		}
	}
	if len(hints) == 0 {
		return nil
	}
	return p.co.prefetch(ctx, hints)
}

// needsFetch returns the state last emitted for the case and whether its
// notifications need a fetch at all.
func (p *Processor) needsFetch(w *caseWork) (prev memo, tracked, need bool) {
	prev, tracked = p.state.get(w.caseID)
	if !tracked {
		return prev, false, true
	}
	if prev.forgotten() {
		return prev, true, false // erased on request: never written again
	}
	// Closed is terminal (guide 8.3): once its result is out (or, for a
	// partner, its final status), later notifications of the case change
	// nothing and need no decryption.
	if prev.caseStatus == codeOf(memoCaseStatus, CaseClosed) && (prev.result() || p.cfg.PartnerMode) {
		return prev, true, false
	}
	// A reconcile snapshot equal to what was emitted needs no fetch.
	if allSnapshots(w.notes) {
		k := keyOfSnapshot(w.notes[len(w.notes)-1].Snapshot)
		if prev.fp == fingerprint(k) && (k.CaseStatus != CaseClosed || prev.result() || p.cfg.PartnerMode) {
			return prev, true, false
		}
	}
	return prev, true, true
}

// handleCase decides what one case's notifications produce; pre, when set,
// is the case as a list call delivered it, used instead of a fetch.
func (p *Processor) handleCase(ctx context.Context, w *caseWork, pre *CaseResult) (outcome, error) {
	last := w.notes[len(w.notes)-1]
	origin := Origin(last.Origin)
	if origin == "" {
		origin = OriginWebhook
	}
	// Continue the trace of the last notification, and link the traces of
	// the others handled together with it.
	prop := otel.GetTextMapPropagator()
	var links []trace.Link
	for _, m := range w.msgs[:len(w.msgs)-1] {
		if sc := trace.SpanContextFromContext(prop.Extract(ctx, HeaderCarrier{Headers: &m.Headers})); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	ctx = prop.Extract(ctx, HeaderCarrier{Headers: &w.msgs[len(w.msgs)-1].Headers})
	ctx, span := p.tracer.Start(ctx, "processor.case", trace.WithLinks(links...), trace.WithAttributes(
		attribute.String("postident.case_id", w.caseID),
		attribute.String("postident.origin", string(origin)),
		attribute.Int("postident.notifications", len(w.notes))))
	defer span.End()

	prev, tracked, need := p.needsFetch(w)
	if !need {
		p.skipped.Add(ctx, int64(len(w.notes)), p.skipAttr(prev))
		return outcome{}, nil
	}
	if p.parked.Len() > 0 && p.parkedSkip(w) {
		// Parked: left alone until it changes, a retry is asked for, or
		// the park interval passes (see parkedSkip).
		span.SetAttributes(attribute.Bool("postident.parked", true))
		p.skipped.Add(ctx, int64(len(w.notes)))
		oc := outcome{caseID: w.caseID}
		if e, _ := p.parked.get(w.caseID); e.modified == 0 {
			// Parked from a webhook, which carries no `modified`: the first
			// snapshot tells what the parked version is.
			if m := lastModified(w); m != nil {
				oc.learnModified = m.UnixMilli()
			}
		}
		return oc, nil
	}

	c, err := pre, error(nil)
	if c != nil {
		span.SetAttributes(attribute.Bool("postident.listed", true))
		p.fetches.Add(ctx, 1, p.fetchAttrs["list"])
	} else {
		c, err = p.fetch(ctx, w.caseID)
	}
	if errors.Is(err, ErrCaseGone) {
		c, err = p.decodeStored(ctx, w, c, err)
	}
	if err != nil {
		if errors.Is(err, ErrCaseGone) {
			p.cfg.Logger.WarnContext(ctx, "case no longer known to POSTIDENT; notification dropped", "case_id", w.caseID)
			span.SetStatus(codes.Error, "case gone")
			return outcome{}, nil
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, "fetch failed")
		return outcome{}, err
	}
	if c.CaseID == "" {
		c.CaseID = w.caseID
	}
	if last.ReferenceID != nil && c.OrderData != nil && c.OrderData.ProcessData != nil && c.OrderData.ProcessData.ReferenceID == "" {
		c.OrderData.ProcessData.ReferenceID = *last.ReferenceID
	}
	oc, err := p.diff(ctx, c, prev, tracked, origin, w.msgs[len(w.msgs)-1].Headers)
	oc.fetched = true
	return oc, err
}

func allSnapshots(notes []*Notification) bool {
	for _, n := range notes {
		if n.Snapshot == nil {
			return false
		}
	}
	return true
}

func (p *Processor) fetch(ctx context.Context, caseID string) (*CaseResult, error) {
	ctx, span := p.tracer.Start(ctx, "postident.fetch", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("postident.case_id", caseID), attribute.Bool("postident.status_only", p.cfg.PartnerMode)))
	defer span.End()
	c, err := p.src.Fetch(ctx, caseID, FetchOptions{StatusOnly: p.cfg.PartnerMode,
		IncludeBinaryData: p.cfg.IncludeBinaryData, IncludeResultPDF: p.cfg.IncludeResultPDF})
	outcomeAttr := "ok"
	switch {
	case errors.Is(err, ErrCaseGone):
		outcomeAttr = "gone"
	case err != nil:
		outcomeAttr = "error"
		span.RecordError(err)
		span.SetStatus(codes.Error, "fetch failed")
	}
	p.fetches.Add(ctx, 1, p.fetchAttrs[outcomeAttr])
	return c, err
}

// diff compares a fetched case with what was emitted and builds the records.
func (p *Processor) diff(ctx context.Context, c *CaseResult, prev memo, tracked bool, origin Origin, inHeaders []Header) (outcome, error) {
	now := p.cfg.Now()
	key := IdentKeyOf(c)
	fp := fingerprint(key)
	oc := outcome{caseID: c.CaseID, memo: prev}
	changed := !tracked || prev.fp != fp
	var statusID string
	var resultID *string
	if tracked && prev.result() {
		id := ResultEventID(p.cfg.ClientID, c.CaseID, key)
		resultID = &id
	}

	if changed {
		var prevState *CaseState
		if tracked {
			prevState = prev.previous(c.CaseID)
		}
		ev := NewStatusChanged(p.cfg.ClientID, c, prevState, origin, now)
		statusID = ev.EventID
		m, err := p.record(ctx, p.cfg.Topics.Status, TypeStatusChanged, ev.EventID, c.CaseID, now, origin, ev)
		if err != nil {
			return oc, err
		}
		oc.out = append(oc.out, m)
		p.events.Add(ctx, 1, p.eventAttr("status-changed", origin))
	} else {
		statusID = StatusEventID(p.cfg.ClientID, c.CaseID, key)
	}

	resultDone := tracked && prev.result()
	if !p.cfg.PartnerMode && !resultDone && c.CaseStatus.Status == CaseClosed {
		ev := NewCaseResultEvent(p.cfg.ClientID, c, origin, now)
		m, err := p.record(ctx, p.cfg.Topics.Result, TypeCaseResult, ev.EventID, c.CaseID, now, origin, ev)
		if err != nil {
			return oc, err
		}
		oc.out = append(oc.out, m)
		oc.out = append(oc.out, p.binaryRecords(ctx, c, now, origin)...)
		id := ev.EventID
		resultID = &id
		resultDone = true
		p.events.Add(ctx, 1, p.eventAttr("result", origin))
	}

	if !changed && resultDone == (tracked && prev.result()) {
		return oc, nil // nothing new: no state write either
	}
	st := StateAfter(c, statusID, resultID, now)
	m, err := p.record(ctx, p.cfg.Topics.State, TypeCaseState, statusID, c.CaseID, now, origin, st)
	if err != nil {
		return oc, err
	}
	oc.out = append(oc.out, m)
	oc.memo = memoOf(key, resultDone, now)
	oc.keep = true
	return oc, nil
}

// record encodes one event as a keyed Kafka message with CloudEvents
// headers and the current trace context.
func (p *Processor) record(ctx context.Context, topic, ceType, id, caseID string, t time.Time, origin Origin, v any) (Message, error) {
	val, err := p.codec.Encode(ctx, topic, v)
	if err != nil {
		return Message{}, fmt.Errorf("encode %s: %w", ceType, err)
	}
	m := Message{Topic: topic, Key: []byte(caseID), Value: val, Headers: EventHeaders(ceType, id, p.cfg.ClientID, caseID, t, origin), Time: t}
	otel.GetTextMapPropagator().Inject(ctx, HeaderCarrier{Headers: &m.Headers})
	return m, nil
}
