package telemetry

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults of [Health].
const (
	// DefaultCheckTimeout bounds each check added with AddCheck. It stays
	// below the one-second default timeout of a Kubernetes readiness probe,
	// so a hanging dependency shows up as "not ready" and not as a failed
	// probe request.
	DefaultCheckTimeout = 800 * time.Millisecond
	// DefaultCheckCacheTTL is how long check results are reused, so that
	// frequent probes (several kubelets, a dashboard) do not each ping Kafka.
	DefaultCheckCacheTTL = time.Second
)

// maxReasonLen caps a readiness reason: /readyz is for people and probes,
// not for dumping whole error chains.
const maxReasonLen = 200

// Health tracks readiness: named components that report their own state
// ([Health.SetReady]) and checks that are probed on demand
// ([Health.AddCheck]). The process is ready when every named component is
// ready and every check passes; with neither, it is ready. A component that
// must gate readiness should call SetReady(name, false, "starting") as soon
// as it is created. All methods are safe for concurrent use.
//
// Reasons are shown on /readyz: they must not contain personal data.
type Health struct {
	timeout time.Duration
	ttl     time.Duration
	now     func() time.Time // a seam for tests of the cache

	mu       sync.Mutex
	states   map[string]componentState
	checks   map[string]func(context.Context) error
	gen      uint64        // bumped by AddCheck to invalidate the cache
	cached   *probeResult  // last completed probe of the checks
	inflight chan struct{} // closed when the running probe completes
}

type componentState struct {
	ready  bool
	reason string
}

type probeResult struct {
	at       time.Time
	gen      uint64
	failures map[string]string
}

// NewHealth returns a Health with no components and no checks, probing with
// [DefaultCheckTimeout] and caching results for [DefaultCheckCacheTTL].
func NewHealth() *Health {
	return &Health{
		timeout: DefaultCheckTimeout,
		ttl:     DefaultCheckCacheTTL,
		now:     time.Now,
		states:  make(map[string]componentState),
		checks:  make(map[string]func(context.Context) error),
	}
}

// SetReady records the state of the named component (for example "kafka" or
// "state"). reason says why it is not ready and is ignored when ready is
// true; it must not contain personal data.
func (h *Health) SetReady(name string, ready bool, reason string) {
	if ready {
		reason = ""
	}
	h.mu.Lock()
	h.states[name] = componentState{ready: ready, reason: reason}
	h.mu.Unlock()
}

// AddCheck adds (or, for a name already added, replaces) a check that is run
// when readiness is asked for. fn must honour ctx: it gets
// [DefaultCheckTimeout], after which the check counts as failed. Results are
// cached for [DefaultCheckCacheTTL]. A returned error fails readiness with
// the error text as the reason, so it must not contain personal data.
func (h *Health) AddCheck(name string, fn func(ctx context.Context) error) {
	h.mu.Lock()
	h.checks[name] = fn
	h.gen++
	h.mu.Unlock()
}

// Ready reports whether the process is ready. The map names each component
// or check that is not ready, with the reason; it is empty when ready. Ready
// runs the checks (at most one probe at a time, its result shared and
// cached) and returns early with a failure when ctx ends first.
func (h *Health) Ready(ctx context.Context) (bool, map[string]string) {
	failures := make(map[string]string)
	h.mu.Lock()
	for name, st := range h.states {
		if !st.ready {
			failures[name] = nonEmpty(st.reason)
		}
	}
	h.mu.Unlock()

	for name, reason := range h.probe(ctx) {
		if prev, ok := failures[name]; ok {
			reason = prev + "; " + reason
		}
		failures[name] = reason
	}
	return len(failures) == 0, failures
}

// probe returns the failures of the checks, from the cache when it is fresh.
// The returned map must not be modified.
func (h *Health) probe(ctx context.Context) map[string]string {
	for {
		h.mu.Lock()
		if len(h.checks) == 0 {
			h.mu.Unlock()
			return nil
		}
		if c := h.cached; c != nil && c.gen == h.gen && h.now().Sub(c.at) < h.ttl {
			h.mu.Unlock()
			return c.failures
		}
		if wait := h.inflight; wait != nil {
			// Another caller is probing: share its result rather than
			// pinging every dependency twice.
			h.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return map[string]string{"readiness": "probe abandoned: " + ctx.Err().Error()}
			}
		}
		done := make(chan struct{})
		h.inflight = done
		gen := h.gen
		checks := maps.Clone(h.checks)
		h.mu.Unlock()

		failures := h.runChecks(ctx, checks)

		h.mu.Lock()
		// A probe cut short by the caller says nothing about the
		// dependencies; do not let it answer for the next second.
		if ctx.Err() == nil {
			h.cached = &probeResult{at: h.now(), gen: gen, failures: failures}
		}
		h.inflight = nil
		close(done)
		h.mu.Unlock()
		return failures
	}
}

// runChecks runs all checks concurrently, each bounded by h.timeout.
func (h *Health) runChecks(ctx context.Context, checks map[string]func(context.Context) error) map[string]string {
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	for name, fn := range checks {
		go func() {
			results <- result{name: name, err: h.runCheck(ctx, fn)}
		}()
	}
	failures := make(map[string]string)
	for range checks {
		r := <-results
		if r.err != nil {
			failures[r.name] = sanitizeReason(r.err.Error())
		}
	}
	return failures
}

// runCheck returns when fn returns or its time is up, whichever is first, so
// a check that ignores ctx cannot hang /readyz (its goroutine ends when fn
// does).
func (h *Health) runCheck(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked")
			}
		}()
		done <- fn(cctx)
	}()
	select {
	case err := <-done:
		return err
	case <-cctx.Done():
		if ctx.Err() != nil {
			return fmt.Errorf("check abandoned: %w", ctx.Err())
		}
		return fmt.Errorf("check timed out after %s", h.timeout)
	}
}

func nonEmpty(reason string) string {
	if reason == "" {
		return "not ready"
	}
	return sanitizeReason(reason)
}

// sanitizeReason keeps a reason on one line and short.
func sanitizeReason(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxReasonLen {
		r := []rune(s)
		s = string(r[:maxReasonLen]) + "…"
	}
	if s == "" {
		return "failed"
	}
	return s
}
