package connector

import (
	"testing"
	"time"
)

// TestOldestUnhandledAge: the gauge's age is the older of the batch in
// hand and the group's backlog as the broker tells it, so it grows while
// notifications wait that no replica fetched (the stall of issue 13, during
// which the batch in hand was empty and the consumer lag stayed 0).
func TestOldestUnhandledAge(t *testing.T) {
	var backlog time.Duration
	p := &Processor{cfg: ProcessorConfig{Backlog: func() time.Duration { return backlog }}}
	if age := p.oldestUnhandledAge(); age != 0 {
		t.Errorf("idle: %v, want 0", age)
	}
	backlog = 10 * time.Minute
	if age := p.oldestUnhandledAge(); age < 10*time.Minute {
		t.Errorf("nothing fetched, a backlog 10 minutes old: %v", age)
	}
	p.oldest.Store(time.Now().Add(-time.Hour).UnixNano())
	if age := p.oldestUnhandledAge(); age < time.Hour {
		t.Errorf("a batch in hand an hour old: %v", age)
	}
	p.oldest.Store(0)
	backlog = 0
	p.cfg.Backlog = nil
	if age := p.oldestUnhandledAge(); age != 0 {
		t.Errorf("no backlog function: %v, want 0", age)
	}
}
