package connector_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// withTraceContext installs the propagator telemetry.Setup installs, for the
// duration of a test, and returns a context with a sampled span context.
func withTraceContext(tb testing.TB) context.Context {
	tb.Helper()
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	tb.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	tb.Cleanup(cancel)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c},
		SpanID:     trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31},
		TraceFlags: trace.FlagsSampled,
	})
	return trace.ContextWithSpanContext(ctx, sc)
}

// TestIngestNotify: one webhook call becomes one notification record with
// the CloudEvents headers, the trace context and an Avro value that decodes
// back to what was reported.
func TestIngestNotify(t *testing.T) {
	ctx := withTraceContext(t)
	codec, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	in := &connector.Ingest{ClientID: "1234ABCD", Topic: "postident.notifications.v1", Pub: pub, Codec: codec}
	at := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	for _, tt := range []struct{ caseID, ref string }{{"YR9W91GEZK24", "REF-1"}, {"A1", ""}} {
		if err := in.Notify(ctx, tt.caseID, tt.ref, at); err != nil {
			t.Fatal(err)
		}
	}
	if pub.Count() != 2 {
		t.Fatalf("%d records, want 2", pub.Count())
	}
	ids := map[string]bool{}
	for i, m := range pub.All() {
		caseID := []string{"YR9W91GEZK24", "A1"}[i]
		if m.Topic != in.Topic || string(m.Key) != caseID || !m.Time.Equal(at) {
			t.Errorf("record %d: topic %s key %s time %v", i, m.Topic, m.Key, m.Time)
		}
		want := map[string]string{
			connector.HeaderSpecVersion: "1.0",
			connector.HeaderSource:      "/postident/1234ABCD",
			connector.HeaderType:        connector.TypeNotification,
			connector.HeaderSubject:     caseID,
			connector.HeaderTime:        "2026-03-04T05:06:07.008Z",
			connector.HeaderContentType: connector.ContentTypeAvro,
			connector.HeaderOrigin:      string(connector.OriginWebhook),
			"traceparent":               "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		}
		for k, v := range want {
			if got := string(m.Header(k)); got != v {
				t.Errorf("record %d: header %s = %q, want %q", i, k, got, v)
			}
		}
		id := string(m.Header(connector.HeaderID))
		if len(id) != 36 || ids[id] {
			t.Errorf("record %d: ce_id %q is not a fresh UUID", i, id)
		}
		ids[id] = true
		if len(m.Headers) != len(want)+1 {
			t.Errorf("record %d: %d headers, want %d", i, len(m.Headers), len(want)+1)
		}
		var n connector.Notification
		if err := codec.Decode(ctx, m.Value, &n); err != nil {
			t.Fatal(err)
		}
		if n.CaseID != caseID || n.Origin != string(connector.OriginWebhook) || !n.ReceivedAt.Equal(at) {
			t.Errorf("record %d: notification %+v", i, n)
		}
		if ref := []string{"REF-1", ""}[i]; (ref == "") != (n.ReferenceID == nil) || (n.ReferenceID != nil && *n.ReferenceID != ref) {
			t.Errorf("record %d: referenceId %v, want %q", i, n.ReferenceID, ref)
		}
	}
}

// BenchmarkIngestNotify is the connector's own CPU per accepted webhook
// after the HTTP handler: the notification's Avro encoding, headers, trace
// context and the publish call (acknowledged at once).
func BenchmarkIngestNotify(b *testing.B) {
	ctx := withTraceContext(b)
	codec, err := avro.New(avro.Config{})
	if err != nil {
		b.Fatal(err)
	}
	pub := &memory.Publisher{Discard: true}
	in := &connector.Ingest{ClientID: "BENCHCLIENT1", Topic: "postident.notifications.v1", Pub: pub, Codec: codec}
	at := time.Now().UTC().Truncate(time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		if err := in.Notify(ctx, "YR9W91GEZK24", "", at); err != nil {
			b.Fatal(err)
		}
	}
}
