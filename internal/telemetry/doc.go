// Package telemetry adapts OpenTelemetry, Prometheus and log/slog to the
// connector: it sets up the process-wide tracer and meter providers, serves
// the internal admin endpoints (/healthz, /readyz, /metrics) and builds the
// structured logger.
//
// What it does:
//
//   - [Setup] installs the global OpenTelemetry tracer provider, meter provider
//     and the W3C propagator (tracecontext + baggage). Metrics go through the
//     OpenTelemetry Prometheus exporter into a private [prometheus.Registry]
//     (never the default one, so tests and libraries cannot collide), together
//     with the Go runtime and process collectors. Spans are exported over OTLP
//     (HTTP/protobuf) only when the standard OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variable is set; the exporter reads
//     the other standard OTEL_* variables itself. OTEL_SDK_DISABLED=true turns
//     tracing off (nothing sampled or exported; trace ids are still made, so
//     logs stay correlated) but keeps /metrics, which is the admin contract
//     and not an OpenTelemetry export.
//   - [SetupForTest] does the same with an in-memory span recorder, so tests of
//     other packages can assert on spans created through the global tracer.
//   - [Health] collects readiness: named components report themselves with
//     [Health.SetReady], active probes (a Kafka ping) are added with
//     [Health.AddCheck]. [AdminHandler] serves it on /readyz.
//   - [NewLogger] builds a JSON or text slog logger whose records carry the
//     request id and the trace and span ids of the context they were logged
//     with.
//   - MaskName, MaskDate and MaskID mask personal data for the dev-mode live
//     view.
//
// What it does not do: it does not decide what to measure or trace (the
// roles create their own instruments through [Meter] and [Tracer]), it does
// not export metrics over OTLP (Prometheus scrapes /metrics), and it never
// puts personal data into telemetry: callers must not pass names, birth
// dates, document numbers, addresses, emails or phone numbers as span
// attributes, metric labels, log attributes or readiness reasons.
package telemetry
