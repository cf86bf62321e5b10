package bench

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestSummary(t *testing.T) {
	var l Latencies
	for i := 100; i >= 1; i-- {
		l.Add(time.Duration(i) * time.Millisecond)
	}
	s := l.Summary()
	for _, tc := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, 50 * time.Millisecond},
		{"p90", s.P90, 90 * time.Millisecond},
		{"p99", s.P99, 99 * time.Millisecond},
		{"max", s.Max, 100 * time.Millisecond},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if (&Latencies{}).Summary().N != 0 {
		t.Error("empty summary has samples")
	}
}

// TestServedFromLists reads the processor's fetches by outcome from a
// Prometheus registry as the connector child's telemetry exposes it.
func TestServedFromLists(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "postident_processor_fetches_total"}, []string{"outcome"})
	reg.MustRegister(c)
	c.WithLabelValues("ok").Add(3)
	c.WithLabelValues("list").Add(42)
	if n := servedFromLists(reg); n != 42 {
		t.Errorf("servedFromLists = %d, want 42", n)
	}
	if n := servedFromLists(nil); n != 0 {
		t.Errorf("servedFromLists(nil) = %d, want 0", n)
	}
}
