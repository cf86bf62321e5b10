package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// sortFailures decides, for each failed case of a round, whether it is
// parked now, retried, or stops the processor (see HandleBatch). progress
// says whether any case of the batch went through; budgetSpent whether the
// retry budget is used up.
func (p *Processor) sortFailures(ctx context.Context, failed []*caseWork, progress, budgetSpent bool) (retry []*caseWork, err error) {
	var park []*caseWork
	up, probed := false, false
	for _, w := range failed {
		switch classOf(w.fail.err) {
		case classOperator:
			return nil, fmt.Errorf("%w: %w", ErrNeedsOperator, w.fail.err)
		case ClassUnreadable:
			park = append(park, w)
		case ClassUndecryptable, ClassRejected:
			if progress {
				// Other answers decrypt and other GETs are accepted: the
				// key and data password are right, this answer is bad.
				park = append(park, w)
				continue
			}
			if p.suspects == nil {
				p.suspects = map[string]struct{}{}
			}
			p.suspects[w.caseID] = struct{}{}
			if len(p.suspects) >= OperatorThreshold {
				return nil, fmt.Errorf("%w: %d different cases failed alike with no successful fetch in between (check POSTIDENT_PRIVATE_KEY_FILE and POSTIDENT_DATA_PASSWORD with `postident-connector check`), last: %w",
					ErrNeedsOperator, len(p.suspects), w.fail.err)
			}
			if budgetSpent {
				park = append(park, w)
			} else {
				retry = append(retry, w)
			}
		default:
			if budgetSpent && !progress && !probed {
				// Nothing of this batch went through: an outage, or only
				// cases that fail for a reason of their own (a batch of
				// one, at a quiet hour). Ask POSTIDENT something else.
				probed = true
				up = p.upstreamUp(ctx)
			}
			if budgetSpent && (progress || up) {
				park = append(park, w)
			} else {
				retry = append(retry, w)
			}
		}
	}
	if len(park) > 0 {
		if err := p.park(ctx, park); err != nil {
			return nil, err
		}
	}
	return retry, nil
}

// upstreamUp reports whether POSTIDENT answers a call that involves none of
// the failing cases: one entry of the status list (no personal data, allowed
// for partner accounts too). Without it, a case that POSTIDENT answers with
// a 5xx every time would, alone in its batches, look like an outage and hold
// back every notification behind it for as long as it fails.
func (p *Processor) upstreamUp(ctx context.Context) bool {
	_, _, err := p.src.List(ctx, ListQuery{StatusOnly: true, New: true, InProgress: true, MaxResults: 1})
	var bad *ListEntriesError
	if err != nil && !errors.As(err, &bad) { // a page with a bad entry is an answer too
		return false
	}
	p.cfg.Logger.WarnContext(ctx, "POSTIDENT answers other calls; cases failing alone past the retry budget are parked as transient")
	return true
}

// park writes a dead-letter record for each case and adds it to the parked
// set. A case parked again with the same class and the same `modified`
// (the park interval passed, the answer is still bad) gets no second
// record: the topic holds one entry per poisoned version.
func (p *Processor) park(ctx context.Context, ws []*caseWork) error {
	now := p.cfg.Now()
	entries := make([]parkEntry, len(ws))
	var dls []DeadLetter
	for i, w := range ws {
		class := classOf(w.fail.err)
		e := parkEntry{class: class, first: w.fail.first, last: now, attempts: w.fail.attempts}
		mod := lastModified(w)
		if mod != nil {
			e.modified = mod.UnixMilli()
		}
		old, was := p.parked.get(w.caseID)
		if was {
			e.first = old.first
			e.attempts += old.attempts
			if mod == nil && old.modified != 0 {
				// A webhook carries no `modified`: still the version parked.
				e.modified = old.modified
				mod = new(time.UnixMilli(old.modified).UTC())
			}
		}
		entries[i] = e
		if was && old.class == class && old.modified == e.modified {
			continue
		}
		d := DeadLetter{CaseID: w.caseID, ErrorClass: class, Message: w.fail.err.Error(), Attempts: e.attempts,
			FirstFailureAt: e.first, LastFailureAt: now, ConnectorVersion: p.cfg.Version, CaseModified: mod}
		var ce *CaseError
		if errors.As(w.fail.err, &ce) {
			if ce.StatusCode != 0 {
				d.HTTPStatus = new(int32(ce.StatusCode)) //nolint:gosec // an HTTP status
			}
			if ce.Endpoint != "" {
				d.Endpoint = new(ce.Endpoint)
			}
			if n := len(ce.EncryptedAnswer); n > p.cfg.MaxRecordBytes-deadLetterOverhead {
				dropAnswer(&d, n, "over the record size limit (KAFKA_MAX_MESSAGE_BYTES)")
			} else if n > 0 {
				d.EncryptedAnswer = new(string(ce.EncryptedAnswer))
			}
		}
		dls = append(dls, d)
	}
	if err := p.publishDeadLetters(ctx, dls); err != nil {
		return err
	}
	for i, w := range ws {
		p.parked.put(w.caseID, entries[i])
		if entries[i].class == ClassTransient {
			p.redrive.schedule(w.caseID, now.Add(entries[i].retryAfter(p.cfg.ParkRetryInterval)))
		}
		p.parkedN.Add(ctx, 1, p.parkAttrs[entries[i].class])
		// The error text names fields and positions, never values.
		p.cfg.Logger.WarnContext(ctx, "case parked on the dead-letter topic; the other cases go on", "case_id", w.caseID,
			"class", entries[i].class, "attempts", entries[i].attempts, "err", w.fail.err)
	}
	return nil
}

// deadLetterOverhead is room for a dead-letter record's other fields, its
// key and headers beside the stored answer.
const deadLetterOverhead = 16 << 10

// dropAnswer leaves the stored answer out of d and says so in its message:
// a record the broker refuses would stop the batch, and with it every case
// behind the poisoned one.
func dropAnswer(d *DeadLetter, n int, why string) {
	d.EncryptedAnswer = nil
	d.Message += fmt.Sprintf(" (the answer, %d bytes, is not kept: %s)", n, why)
}

// publishDeadLetters writes the records. When the broker refuses one for
// its size (a topic with a lower max.message.bytes than
// KAFKA_MAX_MESSAGE_BYTES says), they are written again without the
// stored answers: the record of the failure matters more than the copy.
func (p *Processor) publishDeadLetters(ctx context.Context, dls []DeadLetter) error {
	if len(dls) == 0 {
		return nil
	}
	err := p.publishDeadLettersOnce(ctx, dls)
	if !errors.Is(err, ErrRecordTooLarge) {
		return err
	}
	dropped := 0
	for i := range dls {
		if d := &dls[i]; d.EncryptedAnswer != nil {
			dropAnswer(d, len(*d.EncryptedAnswer), "the broker refused the record with it")
			dropped++
		}
	}
	if dropped == 0 {
		return err
	}
	p.cfg.Logger.WarnContext(ctx, "the broker refused a dead-letter record for its size; writing the records without the stored answers (raise the dead-letter topic's max.message.bytes to keep them)",
		"records", len(dls), "answers_dropped", dropped)
	return p.publishDeadLettersOnce(ctx, dls)
}

func (p *Processor) publishDeadLettersOnce(ctx context.Context, dls []DeadLetter) error {
	now := p.cfg.Now()
	out := make([]Message, 0, len(dls))
	for i := range dls {
		val, err := p.codec.Encode(ctx, p.cfg.Topics.DeadLetter, &dls[i])
		if err != nil {
			return fmt.Errorf("encode dead-letter record: %w", err)
		}
		out = append(out, Message{Topic: p.cfg.Topics.DeadLetter, Key: []byte(dls[i].CaseID), Value: val, Time: now})
	}
	if err := p.pub.Publish(ctx, out...); err != nil {
		return fmt.Errorf("publish dead-letter records: %w", err)
	}
	return nil
}

// decodeStored is for a retry of a parked case that POSTIDENT no longer has:
// the answer stored on the dead-letter topic, sent along by `dead-letter
// retry`, is decoded with this build's decoder instead. Without one, the
// fetch's result stands.
func (p *Processor) decodeStored(ctx context.Context, w *caseWork, c *CaseResult, err error) (*CaseResult, error) {
	sd, ok := p.src.(StoredDecoder)
	if !ok {
		return c, err
	}
	for i := len(w.msgs) - 1; i >= 0; i-- {
		if ans := w.msgs[i].Header(HeaderStoredAnswer); len(ans) > 0 {
			p.cfg.Logger.InfoContext(ctx, "case gone at POSTIDENT; decoding the answer stored on the dead-letter topic", "case_id", w.caseID)
			return sd.DecodeStored(w.caseID, ans)
		}
	}
	return c, err
}

// lastModified is the latest identification `modified` the case's
// notifications carried (reconcile snapshots), or nil. The latest, not the
// last: snapshots of overlapping reconcile runs can arrive out of order.
func lastModified(w *caseWork) *time.Time {
	var last *time.Time
	for _, n := range w.notes {
		if s := n.Snapshot; s != nil && s.Modified != nil && (last == nil || s.Modified.After(*last)) {
			t := *s.Modified
			last = &t
		}
	}
	return last
}

// halt stops the processor for an operator: not ready, with the reason, and
// no more notifications pulled until ctx ends (a restart with fixed
// settings). The batch in hand stays uncommitted, so nothing is lost.
func (p *Processor) halt(ctx context.Context, err error) {
	p.halted.Store(true)
	// What to check comes first: /readyz shortens long reasons.
	reason := "stopped for an operator: " + operatorHint(err) + "; fix and restart. Cause: " + err.Error()
	p.cfg.Logger.ErrorContext(ctx, "processor stopped for an operator; notifications wait on Kafka, the webhook keeps accepting them; fix the settings and restart (see `postident-connector check`)", "err", err)
	if p.cfg.OnReady != nil {
		p.cfg.OnReady(false, reason)
	}
	<-ctx.Done()
}

// operatorHint names the settings to check for an operator-level error.
func operatorHint(err error) string {
	switch {
	case errors.Is(err, ErrUnauthorized):
		return "POSTIDENT refused the credentials (check POSTIDENT_CLIENT_ID, POSTIDENT_USERNAME, POSTIDENT_PASSWORD)"
	case errors.Is(err, ErrBadRequest):
		return "POSTIDENT rejected the requests of several cases (check POSTIDENT_DATA_PASSWORD: x-scr-keyhash)"
	}
	return "answers of several cases do not decrypt (check POSTIDENT_PRIVATE_KEY_FILE and POSTIDENT_DATA_PASSWORD)"
}

// oldestUnhandledAge is how old the oldest notification not handled yet
// is: the batch in hand's oldest, or the oldest the group had not
// committed at the broker's last answer (Backlog), whichever is older; 0
// when there is none.
func (p *Processor) oldestUnhandledAge() time.Duration {
	var age time.Duration
	if t := p.oldest.Load(); t != 0 {
		age = time.Since(time.Unix(0, t))
	}
	if p.cfg.Backlog != nil {
		age = max(age, p.cfg.Backlog())
	}
	return max(age, 0)
}

// oldestTime is the earliest Kafka time of msgs (unix ns), or now when
// none carries one.
func oldestTime(msgs []Message) int64 {
	var o int64
	for i := range msgs {
		if t := msgs[i].Time; !t.IsZero() && (o == 0 || t.UnixNano() < o) {
			o = t.UnixNano()
		}
	}
	if o == 0 {
		o = time.Now().UnixNano()
	}
	return o
}

// parkMetrics registers the parking and readiness instruments.
func (p *Processor) parkMetrics(m metric.Meter) error {
	var err error
	if p.parkedN, err = m.Int64Counter("postident_cases_parked_total",
		metric.WithDescription("Cases parked on the dead-letter topic, by error class.")); err != nil {
		return err
	}
	p.parkAttrs = map[string]metric.AddOption{}
	sets := map[string]attribute.Set{}
	for _, c := range ParkClasses() {
		sets[c] = attribute.NewSet(attribute.String("class", c))
		p.parkAttrs[c] = metric.WithAttributeSet(sets[c])
	}
	if _, err = m.Int64ObservableGauge("postident_cases_parked",
		metric.WithDescription("Cases parked now (on the dead-letter topic, not yet resolved), by error class."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for _, c := range ParkClasses() {
				o.Observe(p.parked.Count(c), metric.WithAttributeSet(sets[c]))
			}
			return nil
		})); err != nil {
		return err
	}
	if _, err = m.Int64ObservableGauge("postident_processor_ready",
		metric.WithDescription("1 while the processor pulls notifications, 0 while it waits for an operator (credentials refused, answers undecryptable)."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			v := int64(1)
			if p.halted.Load() {
				v = 0
			}
			o.Observe(v)
			return nil
		})); err != nil {
		return err
	}
	_, err = m.Float64ObservableGauge("postident_oldest_unhandled_notification_seconds",
		metric.WithDescription("Age of the oldest notification not handled yet: in the batch in hand, or not committed by the processor group (asked of the broker every 15s); 0 when idle. Grows during a stall even when the consumer lag stays 0."),
		metric.WithUnit("s"),
		metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
			o.Observe(p.oldestUnhandledAge().Seconds())
			return nil
		}))
	return err
}
