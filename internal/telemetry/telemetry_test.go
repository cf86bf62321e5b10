package telemetry

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
)

// testCtx bounds every test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// clearOTelEnv makes a test independent of the environment it runs in.
func clearOTelEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{
		envEndpoint, envTracesEndpoint, envProtocol, envTracesProtocol,
		envTracesExporter, envSDKDisabled, envTracesSampler,
		"OTEL_TRACES_SAMPLER_ARG", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	} {
		t.Setenv(name, "")
	}
}

func shutdownOnCleanup(t *testing.T, tel *Telemetry) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// get fetches path from srv over real HTTP.
func get(t *testing.T, ctx context.Context, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

func TestMetricsServesGlobalMeterInstruments(t *testing.T) {
	clearOTelEnv(t)
	ctx := testCtx(t)
	tel, err := Setup(ctx, Config{ServiceName: "metrics-test", ServiceVersion: "1.2.3"})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	shutdownOnCleanup(t, tel)

	// Created through the global meter, as the roles do.
	counter, err := Meter("telemetry-test").Int64Counter("postident_test_events",
		metric.WithDescription("Events seen by the test."))
	if err != nil {
		t.Fatalf("create counter: %v", err)
	}
	counter.Add(ctx, 3, metric.WithAttributes(attribute.String("origin", "webhook")))

	srv := httptest.NewServer(AdminHandler(tel, NewHealth()))
	defer srv.Close()
	code, body := get(t, ctx, srv, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200\n%s", code, body)
	}

	var found bool
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "postident_test_events_total{") &&
			strings.Contains(line, `origin="webhook"`) && strings.HasSuffix(line, " 3") {
			found = true
		}
	}
	if !found {
		t.Errorf("counter postident_test_events_total{origin=\"webhook\"} 3 not found in:\n%s", body)
	}
	for _, want := range []string{"go_goroutines", "process_", `service_name="metrics-test"`, `service_version="1.2.3"`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestSetupForTestRecordsSpansFromGlobalTracer(t *testing.T) {
	clearOTelEnv(t)
	ctx := testCtx(t)
	tel, rec := SetupForTest()
	shutdownOnCleanup(t, tel)

	_, span := Tracer("telemetry-test").Start(ctx, "process case")
	span.SetAttributes(attribute.String("case.id", "case-1"))
	span.End()

	ended := rec.Ended()
	if len(ended) != 1 {
		t.Fatalf("recorded %d ended spans, want 1", len(ended))
	}
	if got := ended[0].Name(); got != "process case" {
		t.Errorf("span name = %q, want %q", got, "process case")
	}
	if !ended[0].SpanContext().IsSampled() {
		t.Error("span not sampled")
	}
}

func TestPropagatorInjectsTraceparentAndBaggage(t *testing.T) {
	clearOTelEnv(t)
	ctx := testCtx(t)
	tel, _ := SetupForTest()
	shutdownOnCleanup(t, tel)

	member, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(member)
	if err != nil {
		t.Fatal(err)
	}
	ctx = baggage.ContextWithBaggage(ctx, bag)
	ctx, span := Tracer("telemetry-test").Start(ctx, "publish")
	defer span.End()

	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)

	tp := carrier.Get("traceparent")
	sc := span.SpanContext()
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	if tp != want {
		t.Errorf("traceparent = %q, want %q", tp, want)
	}
	if got := carrier.Get("baggage"); got != "tenant=acme" {
		t.Errorf("baggage = %q, want %q", got, "tenant=acme")
	}

	// And back: the extracted context continues the same trace.
	out := tel.Propagator.Extract(context.Background(), carrier)
	_, child := Tracer("telemetry-test").Start(out, "consume")
	defer child.End()
	if child.SpanContext().TraceID() != sc.TraceID() {
		t.Error("extracted context does not continue the trace")
	}
}

// otlpCollector is a minimal OTLP/HTTP receiver: it counts trace exports.
type otlpCollector struct {
	mu       sync.Mutex
	requests int
	bytes    int
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	c.mu.Lock()
	c.requests++
	c.bytes += len(body)
	c.mu.Unlock()
	// An empty protobuf ExportTraceServiceResponse is zero bytes.
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (c *otlpCollector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

func TestOTLPExport(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantOTLP bool
	}{
		{name: "endpoint set", env: map[string]string{envEndpoint: "{url}"}, wantOTLP: true},
		{name: "traces endpoint set", env: map[string]string{envTracesEndpoint: "{url}/v1/traces"}, wantOTLP: true},
		{name: "not configured", env: nil, wantOTLP: false},
		{name: "sdk disabled", env: map[string]string{envEndpoint: "{url}", envSDKDisabled: "true"}, wantOTLP: false},
		{name: "exporter none", env: map[string]string{envEndpoint: "{url}", envTracesExporter: "none"}, wantOTLP: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			ctx := testCtx(t)
			coll := &otlpCollector{}
			srv := httptest.NewServer(coll)
			defer srv.Close()
			for k, v := range tc.env {
				t.Setenv(k, strings.ReplaceAll(v, "{url}", srv.URL))
			}

			tel, err := Setup(ctx, Config{ServiceName: "otlp-test"})
			if err != nil {
				t.Fatalf("setup: %v", err)
			}
			if tel.OTLP != tc.wantOTLP {
				t.Errorf("OTLP = %v, want %v", tel.OTLP, tc.wantOTLP)
			}
			_, span := Tracer("telemetry-test").Start(ctx, "export me")
			span.End()
			// Shutdown flushes synchronously: after it, the collector has
			// seen the export or never will.
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			got := coll.count() > 0
			if got != tc.wantOTLP {
				t.Errorf("collector received export = %v, want %v", got, tc.wantOTLP)
			}
		})
	}
}

func TestSetupRejectsUnsupportedProtocol(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv(envEndpoint, "http://127.0.0.1:4317")
	t.Setenv(envProtocol, "grpc")
	if _, err := Setup(testCtx(t), Config{}); err == nil || !strings.Contains(err.Error(), "http/protobuf") {
		t.Fatalf("setup error = %v, want one naming http/protobuf", err)
	}
}

func TestShutdownTwice(t *testing.T) {
	clearOTelEnv(t)
	ctx := testCtx(t)
	tel, err := Setup(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("first shutdown: %v", err)
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
}

func TestRatioSampler(t *testing.T) {
	tests := []struct {
		ratio float64
		want  string
	}{
		{0, "AlwaysOnSampler"},
		{1, "AlwaysOnSampler"},
		{2, "AlwaysOnSampler"},
		{-1, "AlwaysOffSampler"},
		{0.25, "TraceIDRatioBased{0.25}"},
	}
	for _, tc := range tests {
		if got := ratioSampler(tc.ratio).Description(); got != tc.want {
			t.Errorf("ratioSampler(%v) = %s, want %s", tc.ratio, got, tc.want)
		}
	}
}
