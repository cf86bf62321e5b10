package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestShutdownLeavesNoGoroutines runs the connector through traffic, stops
// it, and checks that every goroutine it started has ended: no role, reader,
// writer or server left behind.
func TestShutdownLeavesNoGoroutines(t *testing.T) {
	fake := kafkatest.Fake(t) // started before the baseline: its goroutines are not ours
	e := newE2E(t, envOpts{noStart: true, fake: fake})
	baseline := runtime.NumGoroutine()
	e.start()
	ids := createMixed(t, e.sim, 10, 1)
	runAll(t, e.sim, ids)
	e.reconcile()
	time.Sleep(500 * time.Millisecond)
	e.stop()
	if err := e.sim.WaitIdle(e.ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	deadline := time.Now().Add(15 * time.Second)
	for {
		n = runtime.NumGoroutine()
		if n <= baseline || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n > baseline {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var ours []string
		for _, g := range bytes.Split(buf, []byte("\n\n")) {
			if bytes.Contains(g, []byte("internal/sim.")) || bytes.Contains(g, []byte("net/http/httptest")) {
				continue // the simulator's, not the connector's
			}
			if bytes.Contains(g, []byte("postident-connector/")) || bytes.Contains(g, []byte("segmentio/kafka-go")) {
				ours = append(ours, string(g))
			}
		}
		if len(ours) > 0 {
			t.Errorf("%d goroutines after shutdown, %d before start; left behind:\n%s", n, baseline, strings.Join(ours, "\n\n"))
		}
	}
}
