package kafka

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

func spanContext(t *testing.T) trace.SpanContext {
	t.Helper()
	tid, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex("00f067aa0ba902b7")
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
}

const wantTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestHeaderCarrierInjectExtract(t *testing.T) {
	sc := spanContext(t)
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)

	m := connector.Message{Headers: []connector.Header{{Key: "ce_id", Value: []byte("x")}}}
	prop.Inject(ctx, HeaderCarrier{Msg: &m})
	if got := string(m.Header("traceparent")); got != wantTraceparent {
		t.Fatalf("traceparent = %q, want %q", got, wantTraceparent)
	}
	if string(m.Header("ce_id")) != "x" {
		t.Fatal("existing header lost")
	}
	got := trace.SpanContextFromContext(prop.Extract(context.Background(), HeaderCarrier{Msg: &m}))
	if !got.Equal(sc) {
		t.Fatalf("extracted %v, want %v", got, sc)
	}

	// Injecting again (a message re-published after a retry) replaces the
	// header instead of adding a second one.
	other := trace.NewSpanContext(trace.SpanContextConfig{TraceID: sc.TraceID(), SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	prop.Inject(trace.ContextWithSpanContext(context.Background(), other), HeaderCarrier{Msg: &m})
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
	c := HeaderCarrier{Msg: &m}
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
	var nilMsg HeaderCarrier
	nilMsg.Set("x", "y")
	if nilMsg.Get("x") != "" || nilMsg.Keys() != nil {
		t.Fatal("nil message carrier is not empty")
	}
}

// TestHeaderCarrierThroughKafka: the trace context survives a trip through
// the broker.
func TestHeaderCarrierThroughKafka(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "traced", Partitions: 1})
	sc := spanContext(t)
	m := msg(topic, "case-1", "v")
	propagation.TraceContext{}.Inject(trace.ContextWithRemoteSpanContext(ctx, sc), HeaderCarrier{Msg: &m})
	w := newWriter(t, cfg)
	if err := w.Publish(ctx, m); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := readAll(t, ctx, cfg, topic)
	if len(got) != 1 {
		t.Fatalf("%d records", len(got))
	}
	back := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, HeaderCarrier{Msg: &got[0]}))
	if !back.Equal(sc) {
		t.Fatalf("extracted %v, want %v", back, sc)
	}
}
