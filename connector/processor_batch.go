package connector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// This file holds the Processor's rounds over one batch: grouping the
// notifications by case, handling the cases in parallel, publishing what
// they produced (events before state records), and sorting and retrying
// the failed ones (processor.go has the loop, processor_case.go one case).

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
