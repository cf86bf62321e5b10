package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock drives the check cache without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestHealth() (*Health, *fakeClock) {
	h := NewHealth()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.now = clock.Now
	return h, clock
}

// switchCheck is a check whose result the test flips.
type switchCheck struct {
	err   atomic.Pointer[error]
	calls atomic.Int64
}

func (c *switchCheck) set(err error) { c.err.Store(&err) }

func (c *switchCheck) check(context.Context) error {
	c.calls.Add(1)
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func TestReadyzLifecycle(t *testing.T) {
	ctx := testCtx(t)
	h, clock := newTestHealth()
	ping := &switchCheck{}
	ping.set(errors.New("kafka: dial tcp 127.0.0.1:9092: connection refused"))
	h.SetReady("kafka", false, "connecting")
	h.SetReady("state", false, "loading partitions")
	h.AddCheck("kafka-ping", ping.check)

	srv := httptest.NewServer(AdminHandler(nil, h))
	defer srv.Close()

	// Each step: change something, then what /readyz must say. The clock
	// moves past the cache before each step, so every step probes afresh.
	steps := []struct {
		name     string
		change   func()
		wantCode int
		want     []string // lines the body must contain
		notWant  []string // line prefixes the body must not have
	}{
		{
			name:     "nothing ready",
			change:   func() {},
			wantCode: http.StatusServiceUnavailable,
			want: []string{
				"kafka: connecting",
				"kafka-ping: kafka: dial tcp 127.0.0.1:9092: connection refused",
				"state: loading partitions",
			},
		},
		{
			name:     "kafka ready, state loading, ping failing",
			change:   func() { h.SetReady("kafka", true, "ignored") },
			wantCode: http.StatusServiceUnavailable,
			want:     []string{"state: loading partitions", "kafka-ping: "},
			notWant:  []string{"kafka: "},
		},
		{
			name:     "both components ready, ping still failing",
			change:   func() { h.SetReady("state", true, "") },
			wantCode: http.StatusServiceUnavailable,
			want:     []string{"kafka-ping: kafka: dial tcp"},
			notWant:  []string{"state:"},
		},
		{
			name:     "all ready",
			change:   func() { ping.set(nil) },
			wantCode: http.StatusOK,
			want:     []string{"ok"},
		},
		{
			name:     "component regresses",
			change:   func() { h.SetReady("state", false, "rebalancing") },
			wantCode: http.StatusServiceUnavailable,
			want:     []string{"state: rebalancing"},
		},
	}
	for _, step := range steps {
		step.change()
		clock.Advance(2 * DefaultCheckCacheTTL)
		code, body := get(t, ctx, srv, "/readyz")
		if code != step.wantCode {
			t.Errorf("%s: GET /readyz = %d, want %d\n%s", step.name, code, step.wantCode, body)
		}
		for _, w := range step.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q:\n%s", step.name, w, body)
			}
		}
		for line := range strings.Lines(body) {
			for _, nw := range step.notWant {
				if strings.HasPrefix(line, nw) {
					t.Errorf("%s: body has a line starting %q:\n%s", step.name, nw, body)
				}
			}
		}
	}
}

func TestHealthz(t *testing.T) {
	ctx := testCtx(t)
	h := NewHealth()
	h.SetReady("kafka", false, "down") // liveness must not care
	srv := httptest.NewServer(AdminHandler(nil, h))
	defer srv.Close()

	code, body := get(t, ctx, srv, "/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 %q", code, body, "ok\n")
	}
	if code, _ := get(t, ctx, srv, "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics without telemetry = %d, want 404", code)
	}
}

func TestReadyWithNothingRegistered(t *testing.T) {
	ready, failures := NewHealth().Ready(testCtx(t))
	if !ready || len(failures) != 0 {
		t.Errorf("Ready() = %v %v, want true and no failures", ready, failures)
	}
}

func TestCheckResultsAreCached(t *testing.T) {
	ctx := testCtx(t)
	h, clock := newTestHealth()
	ping := &switchCheck{}
	ping.set(errors.New("broker unreachable"))
	h.AddCheck("kafka-ping", ping.check)

	if ready, _ := h.Ready(ctx); ready {
		t.Fatal("ready with a failing check")
	}
	ping.set(nil)
	// Within the cache window the failure stands and the check is not run.
	if ready, failures := h.Ready(ctx); ready || failures["kafka-ping"] != "broker unreachable" {
		t.Errorf("within TTL: Ready() = %v %v, want cached failure", ready, failures)
	}
	if n := ping.calls.Load(); n != 1 {
		t.Errorf("check ran %d times within the cache window, want 1", n)
	}
	clock.Advance(DefaultCheckCacheTTL)
	if ready, failures := h.Ready(ctx); !ready {
		t.Errorf("after TTL: Ready() = false %v, want true", failures)
	}
	// Adding a check invalidates the cache at once.
	h.AddCheck("state-store", func(context.Context) error { return errors.New("not loaded") })
	if ready, failures := h.Ready(ctx); ready || failures["state-store"] != "not loaded" {
		t.Errorf("after AddCheck: Ready() = %v %v, want state-store failure", ready, failures)
	}
}

func TestCheckFailures(t *testing.T) {
	tests := []struct {
		name  string
		check func(ctx context.Context, block <-chan struct{}) error
		want  []string // acceptable prefixes of the reason
	}{
		{
			name: "error",
			check: func(context.Context, <-chan struct{}) error {
				return errors.New("sasl authentication failed")
			},
			want: []string{"sasl authentication failed"},
		},
		{
			name: "honours the timeout",
			check: func(ctx context.Context, _ <-chan struct{}) error {
				<-ctx.Done()
				return ctx.Err()
			},
			// Either the check's own error or runCheck's, whichever wins.
			want: []string{"context deadline exceeded", "check timed out after 20ms"},
		},
		{
			name: "ignores the timeout",
			check: func(_ context.Context, block <-chan struct{}) error {
				<-block // released only when the test ends
				return nil
			},
			want: []string{"check timed out after 20ms"},
		},
		{
			name:  "panics",
			check: func(context.Context, <-chan struct{}) error { panic("boom") },
			want:  []string{"check panicked"},
		},
		{
			name: "multi-line error is flattened",
			check: func(context.Context, <-chan struct{}) error {
				return errors.New("first\nsecond")
			},
			want: []string{"first second"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			block := make(chan struct{})
			t.Cleanup(func() { close(block) })
			h := NewHealth()
			h.timeout = 20 * time.Millisecond // keep the timeout cases quick
			h.AddCheck("c", func(ctx context.Context) error { return tc.check(ctx, block) })
			ready, failures := h.Ready(testCtx(t))
			if ready {
				t.Fatal("ready with a failing check")
			}
			got := failures["c"]
			ok := false
			for _, w := range tc.want {
				ok = ok || strings.HasPrefix(got, w)
			}
			if !ok {
				t.Errorf("reason = %q, want one of %q", got, tc.want)
			}
		})
	}
}

func TestConcurrentProbesShareOneRun(t *testing.T) {
	ctx := testCtx(t)
	h, _ := newTestHealth()
	release := make(chan struct{})
	var calls atomic.Int64
	h.AddCheck("slow", func(ctx context.Context) error {
		calls.Add(1)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	const callers = 8
	var wg sync.WaitGroup
	results := make(chan bool, callers)
	for range callers {
		wg.Go(func() {
			ready, _ := h.Ready(ctx)
			results <- ready
		})
	}
	// Let the first probe finish once every caller is either probing or
	// waiting for it; a waiting caller re-reads the fresh cache.
	close(release)
	wg.Wait()
	close(results)
	for ready := range results {
		if !ready {
			t.Error("a caller saw not ready")
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("check ran %d times for %d concurrent callers, want 1", n, callers)
	}
}

func TestSanitizeReason(t *testing.T) {
	long := strings.Repeat("x", maxReasonLen+50)
	tests := []struct {
		in, want string
	}{
		{"  spaced \t out\n", "spaced out"},
		{"", "failed"},
		{long, strings.Repeat("x", maxReasonLen) + "…"},
	}
	for _, tc := range tests {
		if got := sanitizeReason(tc.in); got != tc.want {
			t.Errorf("sanitizeReason(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestReadyzExclude: a component that waits for an operator fails /readyz
// with its name and reason; ?exclude= leaves it out for probes of the other
// roles of the same process.
func TestReadyzExclude(t *testing.T) {
	h := NewHealth()
	h.SetReady("processor", false, "stopped, POSTIDENT answers cannot be used: credentials refused")
	srv := httptest.NewServer(AdminHandler(nil, h))
	defer srv.Close()
	get := func(q string) (int, string) {
		resp, err := http.Get(srv.URL + "/readyz" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(""); code != http.StatusServiceUnavailable || !strings.Contains(body, "processor: stopped, POSTIDENT answers cannot be used") {
		t.Errorf("/readyz = %d %q", code, body)
	}
	if code, body := get("?exclude=processor"); code != http.StatusOK {
		t.Errorf("/readyz?exclude=processor = %d %q", code, body)
	}
	h.SetReady("webhook", false, "not listening yet")
	if code, body := get("?exclude=processor"); code != http.StatusServiceUnavailable || strings.Contains(body, "processor") {
		t.Errorf("/readyz?exclude=processor with the webhook down = %d %q", code, body)
	}
}
