package connector

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// HeaderExpired marks an expiry tombstone on the state topic; its value is
// the horizon (RFC 3339): the case's last change was before it.
const HeaderExpired = "postident-expired"

// ExpiryConfig bounds the state to the cases POSTIDENT can still hold.
//
// POSTIDENT deletes every case physically after the retention configured
// for the account, at most 150 days (guide 7.6, "Archiving Cases"). A case
// whose state was last recorded longer ago than Retention plus Margin can
// never be listed, fetched or notified again, so its entry only costs memory
// and reload time: the replica that owns the case's partition writes a
// tombstone for it on the state topic, and every replica forgets it. The
// state keeps the last change in days, so an entry expires up to a day after
// its horizon, never before.
//
// Expiring too early is harmless but not free: a case that changes after
// its entry expired is handled as new, so its current status event (and,
// once closed, its result) is emitted again, with the same deterministic
// ids. Expiring late only costs memory. Hence a generous margin.
type ExpiryConfig struct {
	// Retention is how long POSTIDENT keeps a case; default 150 days (the
	// connector passes RECONCILE_LOOKBACK).
	Retention time.Duration
	// Margin is added to Retention (late deletions at POSTIDENT, clock
	// differences, notifications that waited in Kafka); default 30 days.
	Margin time.Duration
	// Interval between sweeps; default 1h.
	Interval time.Duration
	// FirstSweep is how long after Run starts the first sweep runs, so the
	// subscriber has its partitions by then; default 1m.
	FirstSweep time.Duration
	// Batch is how many tombstones are published together; default 1000.
	Batch int
}

func (c *ExpiryConfig) defaults() {
	if c.Retention <= 0 {
		c.Retention = 150 * 24 * time.Hour
	}
	if c.Margin <= 0 {
		c.Margin = 30 * 24 * time.Hour
	}
	if c.Interval <= 0 {
		c.Interval = time.Hour
	}
	if c.FirstSweep <= 0 {
		c.FirstSweep = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 1000
	}
}

// Horizon is how long after its last change an entry is kept: Retention
// plus Margin.
func (c ExpiryConfig) Horizon() time.Duration {
	c.defaults()
	return c.Retention + c.Margin
}

// startExpiry runs sweeps in the background while Run runs, when sub is an
// Ownership; the returned function stops them and waits.
func (p *Processor) startExpiry(ctx context.Context, sub Subscriber) (stop func()) {
	own, ok := sub.(Ownership)
	if !ok {
		p.cfg.Logger.InfoContext(ctx, "state expiry off: the notifications subscriber does not report partition ownership")
		return func() {}
	}
	cfg := p.cfg.Expiry
	cfg.defaults()
	expired, err := otel.Meter(instrumentation).Int64Counter("postident_state_expired_total",
		metric.WithDescription("State entries expired with a tombstone because POSTIDENT can no longer hold their case (retention plus margin after the last change)."))
	if err != nil {
		p.cfg.Logger.WarnContext(ctx, "state expiry metric unavailable", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait := cfg.FirstSweep
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			n, err := p.ExpireOnce(ctx, own)
			if expired != nil && n > 0 {
				expired.Add(ctx, int64(n))
			}
			if err != nil && ctx.Err() == nil {
				p.cfg.Logger.WarnContext(ctx, "state expiry sweep failed; retrying at the next sweep", "expired", n, "err", err)
			}
			wait = cfg.Interval
		}
	}()
	return func() { cancel(); <-done }
}

// ExpireOnce tombstones, on the state topic, every entry owned by own whose
// last change is older than the expiry horizon (ProcessorConfig.Now minus
// Retention plus Margin), and drops it from the state once the tombstones
// are acknowledged. It returns how many entries it expired.
//
// A sweep runs beside the batches; the case of an expired entry is deleted
// at POSTIDENT, so no batch writes it meanwhile, and a state record written
// anyway keeps its entry in memory (State.expire checks the time again).
func (p *Processor) ExpireOnce(ctx context.Context, own Ownership) (int, error) {
	cfg := p.cfg.Expiry
	cfg.defaults()
	now := p.cfg.Now()
	cutoff := now.Add(-cfg.Horizon())
	total := 0
	for {
		ids := p.state.expirable(cutoff, own.Owns, cfg.Batch)
		if len(ids) == 0 {
			break
		}
		msgs := make([]Message, len(ids))
		for i, id := range ids {
			msgs[i] = Message{Topic: p.cfg.Topics.State, Key: []byte(id), Time: now,
				Headers: []Header{{Key: HeaderExpired, Value: []byte(cutoff.UTC().Format(time.RFC3339))}}}
		}
		if err := p.pub.Publish(ctx, msgs...); err != nil {
			return total, err
		}
		for _, id := range ids {
			p.state.expire(id, cutoff)
		}
		total += len(ids)
		if len(ids) < cfg.Batch {
			break
		}
	}
	if total > 0 {
		p.cfg.Logger.InfoContext(ctx, "state entries expired", "entries", total, "last_change_before", cutoff.UTC().Format(time.RFC3339), "tracked", p.state.Len())
	}
	return total, nil
}
