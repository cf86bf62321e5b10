package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// TestTelemetryEndToEnd scrapes /metrics during an end-to-end run and finds
// the counters moving, and follows one webhook's trace through the webhook,
// Kafka, the processor, the POSTIDENT call and the produced events.
func TestTelemetryEndToEnd(t *testing.T) {
	tel, rec := telemetry.SetupForTest()
	defer func() { _ = tel.Shutdown(t.Context()) }()
	e := newE2E(t, envOpts{tel: tel})
	col := e.collect()

	scrape := func() string {
		resp, err := http.Get(e.adminURL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	before := scrape()
	id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodVideo, Class: connector.ClassGwG, Scenario: "success"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RunToEnd(id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the result", func() (bool, string) {
		_, rs := col.snapshot()
		return len(rs[id]) == 1, "no result yet"
	})
	after := scrape()
	for _, name := range []string{"postident_webhooks_total", "postident_events_produced_total", "postident_processor_fetches_total", "postident_scr_requests_total"} {
		if b, a := counterSum(before, name), counterSum(after, name); a <= b {
			t.Errorf("%s did not move: %v -> %v", name, b, a)
		}
	}

	// Every webhook's trace continues into the processor: as the parent of
	// its processor.case span, or linked from it when the processor handled
	// several notifications of the case together.
	spans := rec.Ended()
	byName := map[string]int{}
	continued := map[string]bool{}
	for _, s := range spans {
		byName[s.Name()]++
		if s.Name() == "processor.case" {
			continued[s.SpanContext().TraceID().String()] = true
			for _, l := range s.Links() {
				continued[l.SpanContext.TraceID().String()] = true
			}
		}
	}
	hooks := 0
	for _, s := range spans {
		if s.Name() != "webhook.receive" {
			continue
		}
		hooks++
		if !continued[s.SpanContext().TraceID().String()] {
			t.Errorf("webhook trace %s does not reach the processor (spans: %v)", s.SpanContext().TraceID(), byName)
		}
	}
	if hooks == 0 {
		t.Fatalf("no webhook span; spans: %v", byName)
	}
	// Within the processor's trace, the POSTIDENT call is a child span.
	for _, s := range spans {
		if s.Name() == "postident.fetch" && !continued[s.SpanContext().TraceID().String()] {
			t.Errorf("postident.fetch outside the processor's trace")
		}
	}
	if byName["postident.fetch"] == 0 {
		t.Error("no postident.fetch span")
	}
	// The produced events carry the same trace in their traceparent header.
	col.mu.Lock()
	hdrs := col.headers[id]
	col.mu.Unlock()
	tp := ""
	for _, h := range hdrs {
		if h.Key == "traceparent" {
			tp = string(h.Value)
		}
	}
	if len(tp) < 55 {
		t.Fatalf("result has no traceparent header: %q", tp)
	}
	found := false
	for _, s := range spans {
		if s.SpanContext().TraceID().String() == tp[3:35] && s.Name() == "processor.case" {
			found = true
		}
	}
	if !found {
		t.Errorf("result traceparent %s does not continue a processor trace", tp)
	}
}
