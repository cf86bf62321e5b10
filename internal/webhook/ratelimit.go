package webhook

import (
	"math"
	"sync"
	"time"
)

// tokenBucket is a mutex-guarded token bucket shared by all callers. The
// webhook sees a few requests a second at most, so one lock is cheaper and
// simpler than anything cleverer.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take removes one token if there is one. Otherwise it reports how long until
// the next token, rounded up to whole seconds for Retry-After (at least 1).
func (b *tokenBucket) take(now time.Time) (ok bool, retryAfterSeconds int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := math.Ceil((1 - b.tokens) / b.rate)
	if wait < 1 || math.IsNaN(wait) {
		wait = 1
	}
	if wait > 3600 {
		wait = 3600
	}
	return false, int(wait)
}
