package connector_test

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/postident-connector/postident-connector/connector"
)

// These tests come from internal/kafka's carrier_test.go, whose
// kafka.HeaderCarrier was folded into connector.HeaderCarrier (issue #15);
// the round trip through a broker stays there.

// carrierSpanContext is the span context of the W3C Trace Context
// specification's example traceparent.
func carrierSpanContext() trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled, Remote: true})
}

func TestHeaderCarrierInjectExtract(t *testing.T) {
	const wantTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	sc := carrierSpanContext()
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)

	m := connector.Message{Headers: []connector.Header{{Key: "ce_id", Value: []byte("x")}}}
	prop.Inject(ctx, connector.HeaderCarrier{Headers: &m.Headers})
	if got := string(m.Header("traceparent")); got != wantTraceparent {
		t.Fatalf("traceparent = %q, want %q", got, wantTraceparent)
	}
	if string(m.Header("ce_id")) != "x" {
		t.Fatal("existing header lost")
	}
	got := trace.SpanContextFromContext(prop.Extract(context.Background(), connector.HeaderCarrier{Headers: &m.Headers}))
	if !got.Equal(sc) {
		t.Fatalf("extracted %v, want %v", got, sc)
	}

	// Injecting again (a message re-published after a retry) replaces the
	// header instead of adding a second one.
	other := trace.NewSpanContext(trace.SpanContextConfig{TraceID: sc.TraceID(), SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	prop.Inject(trace.ContextWithSpanContext(context.Background(), other), connector.HeaderCarrier{Headers: &m.Headers})
	n := 0
	for _, h := range m.Headers {
		if h.Key == "traceparent" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d traceparent headers after re-inject", n)
	}
}

func TestHeaderCarrierMethods(t *testing.T) {
	shared := []connector.Header{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}, {Key: "a", Value: []byte("3")}}
	m := connector.Message{Headers: shared}
	c := connector.HeaderCarrier{Headers: &m.Headers}
	if got := c.Get("a"); got != "1" {
		t.Fatalf("Get(a) = %q, want the first value", got)
	}
	if got := c.Get("missing"); got != "" {
		t.Fatalf("Get(missing) = %q", got)
	}
	if got := c.Keys(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Keys() = %v", got)
	}
	c.Set("a", "9")
	c.Set("c", "new")
	if got := c.Get("a"); got != "9" || len(m.Headers) != 3 || c.Get("c") != "new" {
		t.Fatalf("after Set: %v", m.Headers)
	}
	if string(shared[0].Value) != "1" {
		t.Fatal("Set wrote into the caller's header slice")
	}
	var nilHeaders connector.HeaderCarrier
	nilHeaders.Set("x", "y")
	if nilHeaders.Get("x") != "" || nilHeaders.Keys() != nil {
		t.Fatal("nil headers carrier is not empty")
	}
}

// TestHeaderCarrierAppendNoAlloc: the hot path, traceparent appended to
// the headers EventHeaders built, fits the room they leave and allocates
// nothing but the value.
func TestHeaderCarrierAppendNoAlloc(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	allocs := testing.AllocsPerRun(100, func() {
		hs := make([]connector.Header, 8, 9)
		connector.HeaderCarrier{Headers: &hs}.Set("traceparent", tp)
	})
	// One for hs (it escapes through the carrier), one for the value.
	if allocs > 2 {
		t.Fatalf("Set of a new key on headers with room: %v allocations, want at most 2", allocs)
	}
}
