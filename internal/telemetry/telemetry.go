package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Standard OpenTelemetry environment variables this package interprets
// itself. The OTLP exporter reads the rest (headers, TLS, timeouts,
// compression) on its own.
const (
	envEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envTracesExporter = "OTEL_TRACES_EXPORTER"
	envSDKDisabled    = "OTEL_SDK_DISABLED"
	envTracesSampler  = "OTEL_TRACES_SAMPLER"
)

// Config configures [Setup]. The zero value is usable.
type Config struct {
	// ServiceName is the service.name resource attribute. Default
	// "postident-connector". OTEL_SERVICE_NAME overrides it.
	ServiceName string
	// ServiceVersion is the service.version resource attribute. Default
	// empty (left out). OTEL_RESOURCE_ATTRIBUTES may override it.
	ServiceVersion string
	// TraceSampleRatio is the fraction of new traces (root spans) that are
	// sampled; child spans follow their parent's decision. Default (zero)
	// 1.0; values above 1 mean 1.0; a negative value samples no new traces
	// but still honours sampled parents. When OTEL_TRACES_SAMPLER is set, it
	// wins over this field.
	//
	// OTLP export is enabled when OTEL_EXPORTER_OTLP_ENDPOINT or
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, and disabled by
	// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
	TraceSampleRatio float64
	// Logger receives errors that OpenTelemetry reports in the background
	// (a failed OTLP export). Default slog.Default().
	Logger *slog.Logger
}

// Telemetry holds the providers installed by [Setup]. The exported fields are
// set by Setup and must not be replaced. All methods are safe for concurrent
// use.
type Telemetry struct {
	// MeterProvider is the global meter provider; it feeds Registry.
	MeterProvider *sdkmetric.MeterProvider
	// TracerProvider is the global tracer provider.
	TracerProvider *sdktrace.TracerProvider
	// Registry is the private Prometheus registry served by MetricsHandler:
	// OpenTelemetry metrics plus the Go runtime and process collectors.
	Registry *prometheus.Registry
	// Propagator is the global propagator: W3C tracecontext and baggage.
	Propagator propagation.TextMapPropagator
	// OTLP is true when spans are exported over OTLP.
	OTLP bool

	shutdownOnce sync.Once
	shutdownErr  error
}

// options are the parts of setup that Setup and SetupForTest choose
// differently.
type options struct {
	// recorder, when set, receives every span synchronously.
	recorder sdktrace.SpanProcessor
	// noOTLP ignores the OTLP environment (tests must not export).
	noOTLP bool
	// alwaysSample samples every span regardless of Config and environment.
	alwaysSample bool
}

// Setup builds the tracer and meter providers, installs them and the W3C
// propagator (tracecontext + baggage) as the OpenTelemetry globals, and
// returns them. Call [Telemetry.Shutdown] on exit to flush spans.
//
// Setup replaces the globals on every call; the last call wins. It returns an
// error when the environment asks for something it cannot do (an OTLP
// protocol other than http/protobuf) or an exporter cannot be built.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	return setup(ctx, cfg, options{})
}

// SetupForTest is [Setup] for tests of any package: every span is sampled and
// recorded in the returned recorder (synchronously, so it is visible as soon
// as the span ends), nothing is exported over OTLP whatever the environment
// says, and the providers are installed as globals. Because it replaces
// process-wide globals, tests that use it must not run in parallel with each
// other. Call Shutdown when done. It panics if setup fails, which only a
// programming error can cause.
func SetupForTest() (*Telemetry, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	t, err := setup(context.Background(), Config{ServiceName: "test"}, options{
		recorder:     rec,
		noOTLP:       true,
		alwaysSample: true,
	})
	if err != nil {
		panic(fmt.Sprintf("telemetry: setup for test: %v", err))
	}
	return t, rec
}

func setup(ctx context.Context, cfg Config, opts options) (*Telemetry, error) {
	if cfg.ServiceName == "" {
		cfg.ServiceName = "postident-connector"
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}

	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}

	// Metrics: OpenTelemetry instruments -> Prometheus exporter -> private
	// registry. A private registry keeps repeated setups (tests, dev mode)
	// from colliding on prometheus.DefaultRegisterer.
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process collector: %w", err)
	}
	promExporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("create prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(promExporter),
	)

	// Traces.
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	otlp := false
	disabled := envTrue(envSDKDisabled)
	if !opts.noOTLP && !disabled && otlpConfigured() {
		if err := checkOTLPProtocol(); err != nil {
			_ = mp.Shutdown(ctx)
			return nil, err
		}
		// otlptracehttp.New does not dial; it reads the endpoint, headers,
		// TLS and timeout from the standard OTEL_* variables.
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			_ = mp.Shutdown(ctx)
			return nil, fmt.Errorf("create otlp trace exporter: %w", err)
		}
		// The batcher reads OTEL_BSP_* itself.
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
		otlp = true
	}
	if opts.recorder != nil {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(opts.recorder))
	}
	switch {
	case opts.alwaysSample:
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.AlwaysSample()))
	case disabled:
		// Spans still get ids (so logs keep trace_id and traceparent still
		// propagates), but nothing is recorded.
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.NeverSample()))
	case os.Getenv(envTracesSampler) != "":
		// The SDK has already read OTEL_TRACES_SAMPLER(_ARG); passing a
		// sampler here would override the operator's choice.
	default:
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.ParentBased(ratioSampler(cfg.TraceSampleRatio))))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)

	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(prop)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("opentelemetry error", slog.String("error", err.Error()))
	}))

	return &Telemetry{
		MeterProvider:  mp,
		TracerProvider: tp,
		Registry:       reg,
		Propagator:     prop,
		OTLP:           otlp,
	}, nil
}

// newResource describes this process. Environment attributes
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) come last so they override
// the configured ones, as operators expect.
func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	attrs := []resource.Option{
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(cfg.ServiceName)),
	}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, resource.WithAttributes(semconv.ServiceVersion(cfg.ServiceVersion)))
	}
	attrs = append(attrs, resource.WithFromEnv())
	res, err := resource.New(ctx, attrs...)
	if errors.Is(err, resource.ErrPartialResource) {
		// A malformed OTEL_RESOURCE_ATTRIBUTES entry drops only that entry.
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("build telemetry resource: %w", err)
	}
	return res, nil
}

func ratioSampler(ratio float64) sdktrace.Sampler {
	switch {
	case ratio == 0 || ratio >= 1:
		return sdktrace.AlwaysSample()
	case ratio < 0:
		return sdktrace.NeverSample()
	default:
		return sdktrace.TraceIDRatioBased(ratio)
	}
}

func otlpConfigured() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(envTracesExporter)), "none") {
		return false
	}
	return os.Getenv(envEndpoint) != "" || os.Getenv(envTracesEndpoint) != ""
}

// checkOTLPProtocol refuses protocols that the HTTP/protobuf exporter would
// silently ignore, so a misconfigured collector address fails at start and
// not as lost traces.
func checkOTLPProtocol() error {
	for _, name := range []string{envTracesProtocol, envProtocol} {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			continue
		}
		if v != "http/protobuf" {
			return fmt.Errorf("%s=%q is not supported: set it to http/protobuf and point the endpoint at the collector's OTLP/HTTP port (usually 4318)", name, v)
		}
		return nil // the traces-specific variable wins over the general one
	}
	return nil
}

func envTrue(name string) bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(name)), "true")
}

// MetricsHandler serves the registry in the Prometheus text exposition
// format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{
		// One failing collector must not hide every other metric.
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Shutdown flushes pending spans and stops both providers. It is bounded by
// ctx. Calling it again returns the first call's result without doing
// anything. The globals stay installed, and instruments and tracers obtained
// from them become no-ops.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdownOnce.Do(func() {
		// Traces first: they are what a crash would lose.
		var errs []error
		if err := t.TracerProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down tracer provider: %w", err))
		}
		if err := t.MeterProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down meter provider: %w", err))
		}
		t.shutdownErr = errors.Join(errs...)
	})
	return t.shutdownErr
}

// Meter returns a meter from the global meter provider. Meters obtained
// before the first Setup forward to the provider that Setup installs; obtain
// them after Setup when Setup may run more than once (tests).
func Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return otel.Meter(name, opts...)
}

// Tracer returns a tracer from the global tracer provider. Tracers obtained
// before the first Setup forward to the provider that Setup installs; obtain
// them after Setup when Setup may run more than once (tests).
func Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return otel.Tracer(name, opts...)
}
