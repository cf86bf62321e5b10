package webhook

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// secretRef stands for a customer reference: it must reach the sink and
// nothing else.
const secretRef = "CUSTOMER-Erika-Mustermann-1964"

func TestTelemetry(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)

	ok := e.do(ctx, t, call{body: `{"caseId":"YR9W91GEZK24","referenceId":"` + secretRef + `"}`})
	bad := e.do(ctx, t, call{body: `{"caseId":"` + secretRef + `","referenceId":"` + secretRef + `"}`})
	if ok.status != 200 || bad.status != 400 {
		t.Fatalf("statuses %d %d, want 200 400", ok.status, bad.status)
	}
	got := sink.next(ctx, t)
	if got.n.ReferenceID != secretRef {
		t.Fatalf("sink got referenceId %q", got.n.ReferenceID)
	}

	counts, hist := e.counts(ctx, t)
	if counts["accepted/"] != 1 || counts["rejected/bad_case_id"] != 1 || len(counts) != 2 {
		t.Errorf("postident_webhooks_total = %v", counts)
	}
	if hist != 2 {
		t.Errorf("postident_webhook_duration_seconds count = %d, want 2", hist)
	}

	spans := e.spans.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans ended, want 2", len(spans))
	}
	for _, s := range spans {
		if s.Name() != "webhook.receive" || s.SpanKind() != trace.SpanKindServer {
			t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
		}
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value
			if strings.Contains(kv.Value.String(), secretRef) {
				t.Errorf("span attribute %s carries the referenceId", kv.Key)
			}
		}
		if attrs[attrMethod].AsString() != "POST" {
			t.Errorf("method attribute %v", attrs[attrMethod])
		}
		switch attrs[attrStatusCode].AsInt64() {
		case 200:
			if attrs[attrCaseID].AsString() != "YR9W91GEZK24" {
				t.Errorf("accepted span caseId %v", attrs[attrCaseID])
			}
			if s.SpanContext().SpanID() != got.span.SpanID() || s.SpanContext().TraceID() != got.span.TraceID() {
				t.Error("the sink's context does not carry the request's span")
			}
			if attrs[attrRequestID].AsString() != ok.header.Get("X-Request-Id") {
				t.Error("span request id differs from the response header")
			}
		case 400:
			if _, has := attrs[attrCaseID]; has {
				t.Error("a rejected caseId became a span attribute")
			}
			if attrs[attrReasonSpan].AsString() != "bad_case_id" {
				t.Errorf("reject reason attribute %v", attrs[attrReasonSpan])
			}
		default:
			t.Errorf("status attribute %v", attrs[attrStatusCode])
		}
	}

	// Logs: the accepted line at debug with the caseId, the rejection at
	// info with its reason; neither the referenceId nor the unvalidated
	// caseId anywhere.
	logs := e.logs.String()
	if strings.Contains(logs, secretRef) || strings.Contains(logs, "Erika") {
		t.Fatalf("logs contain personal data: %s", logs)
	}
	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		// encoding/json keeps the last of duplicate keys; count them in the text.
		for _, key := range []string{`"trace_id"`, `"request_id"`, `"status"`} {
			if n := strings.Count(l, key); n > 1 {
				t.Errorf("log line has %s %d times: %s", key, n, l)
			}
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one per request: %s", len(lines), logs)
	}
	for _, m := range lines {
		switch m["status"] {
		case 200.0:
			if m["level"] != "DEBUG" || m["case_id"] != "YR9W91GEZK24" || m["request_id"] != ok.header.Get("X-Request-Id") || m["trace_id"] == nil {
				t.Errorf("accepted log line %v", m)
			}
		case 400.0:
			if m["level"] != "INFO" || m["reason"] != "bad_case_id" || m["case_id"] != nil || m["source"] != "127.0.0.1" {
				t.Errorf("rejection log line %v", m)
			}
		default:
			t.Errorf("log line %v", m)
		}
	}
}

func TestSpanStatusOnSinkError(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newEnv(t, Config{}, failSink{})
	e.do(ctx, t, call{body: validBody})
	spans := e.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if st := spans[0].Status(); st.Code != codes.Error || st.Description != "sink_error" {
		t.Errorf("span status %+v, want error sink_error", st)
	}
}

func TestMethodAttrBounded(t *testing.T) {
	t.Parallel()
	if got := methodAttr("FOO").Value.AsString(); got != "_OTHER" {
		t.Errorf("methodAttr(FOO) = %q", got)
	}
	if got := methodAttr("POST").Value.AsString(); got != "POST" {
		t.Errorf("methodAttr(POST) = %q", got)
	}
}

// global holds the providers TestGlobalTelemetry installs. The global
// providers delegate to the first ones set, so they are installed once per
// process (go test -count=N runs the test N times).
var global struct {
	once   sync.Once
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
}

// TestGlobalTelemetry checks the production path: NewHandler uses the global
// providers, even when they are installed after the handler was created. Not
// parallel: it replaces the process-wide providers.
func TestGlobalTelemetry(t *testing.T) {
	ctx := testCtx(t)
	sink := newChanSink()
	h, err := NewHandler(Config{Logger: discardLogger()}, sink)
	if err != nil {
		t.Fatal(err)
	}
	global.once.Do(func() {
		global.reader = sdkmetric.NewManualReader()
		global.spans = tracetest.NewSpanRecorder()
		otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(global.reader)))
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(global.spans)))
	})
	accepted := func() int64 {
		var rm metricdata.ResourceMetrics
		if err := global.reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == metricRequests && sm.Scope.Name == instrumentationName {
					for _, dp := range sum.DataPoints {
						if o, _ := dp.Attributes.Value(attrOutcome); o.AsString() == "accepted" {
							n += dp.Value
						}
					}
				}
			}
		}
		return n
	}
	before, spansBefore := accepted(), len(global.spans.Ended())

	srv := newTestServer(t, h)
	if r := doURL(ctx, t, srv.Client(), srv.URL, DefaultPath, call{body: validBody}); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	sink.next(ctx, t)
	if n := accepted() - before; n != 1 {
		t.Errorf("%s{outcome=accepted} grew by %d through the global meter provider, want 1", metricRequests, n)
	}
	if n := len(global.spans.Ended()) - spansBefore; n != 1 {
		t.Errorf("%d spans through the global tracer provider, want 1", n)
	}
}
