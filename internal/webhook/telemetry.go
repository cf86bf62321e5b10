package webhook

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the meter and tracer of this package.
const instrumentationName = "github.com/postident-connector/postident-connector/internal/webhook"

// Metric names, as exported to Prometheus.
const (
	metricRequests = "postident_webhooks_total"
	metricDuration = "postident_webhook_duration_seconds"
	metricRefDrop  = "postident_webhook_reference_id_dropped_total"
)

// Attribute keys. HTTP keys follow the OpenTelemetry semantic conventions.
const (
	attrOutcome    = attribute.Key("outcome")
	attrReason     = attribute.Key("reason")
	attrMethod     = attribute.Key("http.request.method")
	attrStatusCode = attribute.Key("http.response.status_code")
	attrRoute      = attribute.Key("http.route")
	attrCaseID     = attribute.Key("postident.case_id")
	attrRequestID  = attribute.Key("postident.request_id")
	attrReasonSpan = attribute.Key("postident.webhook.reject_reason")
)

// reason is the fixed, small set of rejection reasons used as the metric
// label "reason" (and the log / span attribute). reasonNone marks accepted
// notifications.
type reason uint8

const (
	reasonNone reason = iota
	reasonMethod
	reasonContentType
	reasonTooLarge
	reasonBadJSON
	reasonBadCaseID
	reasonUnauthorized
	reasonForbidden
	reasonRateLimited
	reasonOverloaded
	reasonSinkError
	reasonTimeout
	numReasons
)

var reasonNames = [numReasons]string{
	reasonNone:         "",
	reasonMethod:       "method",
	reasonContentType:  "content_type",
	reasonTooLarge:     "too_large",
	reasonBadJSON:      "bad_json",
	reasonBadCaseID:    "bad_case_id",
	reasonUnauthorized: "unauthorized",
	reasonForbidden:    "forbidden",
	reasonRateLimited:  "rate_limited",
	reasonOverloaded:   "overloaded",
	reasonSinkError:    "sink_error",
	reasonTimeout:      "timeout",
}

func (r reason) String() string { return reasonNames[r] }

// durationBuckets suit a call that must finish within POSTIDENT's 2 s.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 5}

// telemetry holds the instruments. Attribute sets are built once per reason
// so recording a request does not allocate.
type telemetry struct {
	tracer   trace.Tracer
	requests metric.Int64Counter
	duration metric.Float64Histogram
	attrs    [numReasons]metric.MeasurementOption
	drops    metric.Int64Counter
	dropAttr [numRefDrops]metric.MeasurementOption
}

// newTelemetry creates the instruments from the given providers; NewHandler
// passes the global ones (otel.GetMeterProvider, otel.GetTracerProvider), so
// providers installed later by the telemetry setup still take effect.
func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider) (*telemetry, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	meter := mp.Meter(instrumentationName)
	t := &telemetry{tracer: tp.Tracer(instrumentationName)}
	var err error
	t.requests, err = meter.Int64Counter(metricRequests,
		metric.WithDescription("POSTIDENT webhook calls by outcome (accepted, rejected) and rejection reason."),
		metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	t.duration, err = meter.Float64Histogram(metricDuration,
		metric.WithDescription("Time from the arrival of a POSTIDENT webhook call until its answer, including the sink acknowledgement."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		return nil, err
	}
	t.drops, err = meter.Int64Counter(metricRefDrop,
		metric.WithDescription("Accepted POSTIDENT webhook calls whose referenceId was dropped (too long, not printable, not a string, duplicate); the caseId went on."),
		metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	for d := range numRefDrops {
		t.dropAttr[d] = metric.WithAttributeSet(attribute.NewSet(attrReason.String(d.String())))
	}
	for r := range numReasons {
		if r == reasonNone {
			t.attrs[r] = metric.WithAttributeSet(attribute.NewSet(attrOutcome.String("accepted")))
			continue
		}
		t.attrs[r] = metric.WithAttributeSet(attribute.NewSet(attrOutcome.String("rejected"), attrReason.String(r.String())))
	}
	return t, nil
}

func (t *telemetry) record(ctx context.Context, r reason, seconds float64) {
	t.requests.Add(ctx, 1, t.attrs[r])
	t.duration.Record(ctx, seconds, t.attrs[r])
}

func (t *telemetry) refDropped(ctx context.Context, d refDrop) {
	t.drops.Add(ctx, 1, t.dropAttr[d])
}

// methodAttr keeps the method attribute to the known methods; anything else
// is "_OTHER", as the semantic conventions ask, so a caller cannot mint
// attribute values.
func methodAttr(m string) attribute.KeyValue {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return attrMethod.String(m)
	}
	return attrMethod.String("_OTHER")
}
