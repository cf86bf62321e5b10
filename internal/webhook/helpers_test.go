package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	connlog "github.com/postident-connector/postident-connector/internal/telemetry"
)

// testTimeout bounds every test; nothing here should take more than a
// fraction of it.
const testTimeout = 20 * time.Second

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// received is what a sink saw in one Accept call.
type received struct {
	n           Notification
	span        trace.SpanContext
	hasDeadline bool
}

// chanSink acknowledges at once and hands every notification to the test.
type chanSink struct{ ch chan received }

func newChanSink() *chanSink { return &chanSink{ch: make(chan received, 64)} }

func (s *chanSink) Accept(ctx context.Context, n Notification) error {
	_, ok := ctx.Deadline()
	select {
	case s.ch <- received{n: n, span: trace.SpanContextFromContext(ctx), hasDeadline: ok}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the next notification, failing the test if none arrives.
func (s *chanSink) next(ctx context.Context, t *testing.T) received {
	t.Helper()
	select {
	case r := <-s.ch:
		return r
	case <-ctx.Done():
		t.Fatal("sink received nothing")
		return received{}
	}
}

// blockingSink blocks every call until release is closed, ignoring ctx, like
// a broken sink would: the handler must answer on its own.
type blockingSink struct {
	entered  chan struct{}
	release  chan struct{}
	returned chan struct{}
	once     sync.Once
}

func newBlockingSink() *blockingSink {
	return &blockingSink{entered: make(chan struct{}, 64), release: make(chan struct{}), returned: make(chan struct{}, 64)}
}

func (s *blockingSink) Accept(context.Context, Notification) error {
	s.entered <- struct{}{}
	<-s.release
	s.returned <- struct{}{}
	return nil
}

func (s *blockingSink) unblock() { s.once.Do(func() { close(s.release) }) }

func (s *blockingSink) waitEntered(ctx context.Context, t *testing.T) {
	t.Helper()
	select {
	case <-s.entered:
	case <-ctx.Done():
		t.Fatal("sink was not called")
	}
}

// ctxSink waits for its context, as a Kafka writer whose broker is down does.
type ctxSink struct{}

func (ctxSink) Accept(ctx context.Context, _ Notification) error {
	<-ctx.Done()
	return ctx.Err()
}

// failSink fails at once, as a Kafka writer refusing the record does.
type failSink struct{}

var errBrokerDown = errors.New("kafka: broker not available")

func (failSink) Accept(context.Context, Notification) error { return errBrokerDown }

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env is a handler behind a real loopback HTTP server, with its own metric
// reader, span recorder and log buffer.
type env struct {
	h      *Handler
	srv    *httptest.Server
	url    string
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	logs   *syncBuffer
}

func newEnv(t *testing.T, cfg Config, sink Sink) *env {
	t.Helper()
	e := &env{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder(), logs: &syncBuffer{}}
	if cfg.Logger == nil {
		// The handler the connector logs through: it adds trace and span ids.
		cfg.Logger = slog.New(connlog.NewContextHandler(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	h, err := newHandler(cfg, sink, mp, tp)
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	e.h = h
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL + h.cfg.Path
	return e
}

// call is one request a test sends.
type call struct {
	method      string // default POST
	path        string // default the handler's path
	contentType string // default application/json; "-" for none
	body        string
	chunked     bool // hide the length, so the handler must count
	user, pass  string
	header      http.Header
}

type response struct {
	status int
	body   string
	header http.Header
}

func (e *env) do(ctx context.Context, t *testing.T, c call) response {
	t.Helper()
	return doURL(ctx, t, e.srv.Client(), e.srv.URL, e.h.cfg.Path, c)
}

func doURL(ctx context.Context, t *testing.T, client *http.Client, base, defPath string, c call) response {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = defPath
	}
	var body io.Reader = strings.NewReader(c.body)
	if c.chunked {
		body = io.MultiReader(body) // an unknown length: sent chunked
	}
	req, err := http.NewRequestWithContext(ctx, c.method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.chunked {
		req.ContentLength = -1
	}
	switch c.contentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	for k, vs := range c.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// counts returns postident_webhooks_total by "outcome/reason".
func (e *env) counts(ctx context.Context, t *testing.T) (requests map[string]int64, histogramCount uint64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(ctx, &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	requests = map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != instrumentationName {
			continue
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name != metricRequests {
					continue
				}
				for _, dp := range d.DataPoints {
					o, _ := dp.Attributes.Value(attrOutcome)
					r, _ := dp.Attributes.Value(attrReason)
					requests[o.AsString()+"/"+r.AsString()] += dp.Value
				}
			case metricdata.Histogram[float64]:
				if m.Name != metricDuration {
					continue
				}
				for _, dp := range d.DataPoints {
					histogramCount += dp.Count
				}
			}
		}
	}
	return requests, histogramCount
}

const validBody = `{"caseId":"YR9W91GEZK24","referenceId":"order-4711"}`

var testEpoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
