package connector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Re-drive of transient cases. A case parked as "transient" (POSTIDENT
// kept failing it while other cases went through) is fetched again with
// backoff (parkEntry.retryAfter). A notification does that, and the
// reconciler sends one for every open case only every RECONCILE_INTERVAL
// (5 minutes by default). So the processor that parked a transient case
// also asks for it itself when its backoff has passed: it publishes a retry
// notification (HeaderRetry) for the case, which whichever replica owns the
// case's partition handles like any other. If that fetch fails again, the
// replica that handled it parks the case again and schedules the next
// re-drive; the schedule is one-shot, so one replica at a time holds it.
// After a restart the schedule is gone and the reconciler's snapshots
// bring the case back, as before.

// DefaultRedriveEvery is how often the processor looks for transient cases
// due for another fetch (ProcessorConfig.RedriveEvery).
const DefaultRedriveEvery = 10 * time.Second

// redriveSet is when each transient case this processor parked is due.
type redriveSet struct {
	mu  sync.Mutex
	due map[string]time.Time
}

func (r *redriveSet) schedule(caseID string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.due == nil {
		r.due = map[string]time.Time{}
	}
	r.due[caseID] = at
}

// take removes and returns the cases due at now.
func (r *redriveSet) take(now time.Time) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, at := range r.due {
		if !now.Before(at) {
			out = append(out, id)
			delete(r.due, id)
		}
	}
	return out
}

// startRedrive runs redriveOnce every RedriveEvery until ctx ends.
func (p *Processor) startRedrive(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.cfg.RedriveEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := p.redriveOnce(ctx); err != nil && ctx.Err() == nil {
				p.cfg.Logger.WarnContext(ctx, "re-drive of transient cases failed; the reconciler's snapshots bring them back", "err", err)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// redriveOnce publishes a retry notification for each transient case whose
// backoff has passed and that is still parked as transient.
func (p *Processor) redriveOnce(ctx context.Context) error {
	now := p.cfg.Now()
	var out []Message
	for _, id := range p.redrive.take(now) {
		if e, ok := p.parked.get(id); !ok || e.class != ClassTransient {
			continue // resolved meanwhile, or parked for another reason
		}
		n := &Notification{CaseID: id, Origin: string(OriginReconcile), ReceivedAt: now}
		val, err := p.codec.Encode(ctx, p.cfg.Topics.Notifications, n)
		if err != nil {
			return fmt.Errorf("encode retry notification: %w", err)
		}
		hs := EventHeaders(TypeNotification, uuid.NewString(), p.cfg.ClientID, id, now, OriginReconcile)
		hs = append(hs, Header{Key: HeaderRetry, Value: []byte("true")})
		out = append(out, Message{Topic: p.cfg.Topics.Notifications, Key: []byte(id), Value: val, Headers: hs, Time: now})
	}
	if len(out) == 0 {
		return nil
	}
	if err := p.pub.Publish(ctx, out...); err != nil {
		return fmt.Errorf("publish %d retry notifications: %w", len(out), err)
	}
	p.cfg.Logger.InfoContext(ctx, "transient cases due for another fetch; retry notifications published", "cases", len(out))
	return nil
}
