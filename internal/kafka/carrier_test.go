package kafka

import (
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

// TestHeaderCarrierThroughKafka: the trace context that connector.HeaderCarrier
// writes survives a trip through the broker. (The carrier's own tests are in
// connector/carrier_test.go.)
func TestHeaderCarrierThroughKafka(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "traced", Partitions: 1})
	sc := spanContext(t)
	m := msg(topic, "case-1", "v")
	propagation.TraceContext{}.Inject(trace.ContextWithRemoteSpanContext(ctx, sc), connector.HeaderCarrier{Headers: &m.Headers})
	w := newWriter(t, cfg)
	if err := w.Publish(ctx, m); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := readAll(t, ctx, cfg, topic)
	if len(got) != 1 {
		t.Fatalf("%d records", len(got))
	}
	back := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, connector.HeaderCarrier{Headers: &got[0].Headers}))
	if !back.Equal(sc) {
		t.Fatalf("extracted %v, want %v", back, sc)
	}
}
