package scr

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// callMetrics count every HTTP attempt, by endpoint template (never a
// caseId) and outcome. They are made per Client from the global meter
// provider current at New, so a provider installed later (tests, a restart
// of telemetry) is honoured by the next client.
type callMetrics struct {
	requests  metric.Int64Counter
	durations metric.Float64Histogram
	plain     metric.Int64Counter
}

func newCallMetrics() callMetrics {
	m := otel.Meter("github.com/postident-connector/postident-connector/internal/scr")
	var cm callMetrics
	cm.requests, _ = m.Int64Counter("postident_scr_requests_total",
		metric.WithDescription("SCR-Ident API attempts, by endpoint and outcome (ok, http status code, transport, error)."))
	cm.durations, _ = m.Float64Histogram("postident_scr_request_duration_seconds",
		metric.WithDescription("SCR-Ident API attempt latency, including body read and decryption."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	cm.plain, _ = m.Int64Counter("postident_scr_plain_status_answers_total",
		metric.WithDescription("Status calls answered in plain JSON although encryption is required (accepted: status answers carry no result data), by endpoint."))
	return cm
}

func (cm callMetrics) plainStatus(ctx context.Context, endpoint string) {
	if cm.plain != nil {
		cm.plain.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", endpoint)))
	}
}

func (cm callMetrics) observe(ctx context.Context, endpoint string, start time.Time, e *Error) {
	if cm.requests == nil {
		return
	}
	outcome := "ok"
	if e != nil {
		switch {
		case e.StatusCode != 0:
			outcome = strconv.Itoa(e.StatusCode)
		case IsRetryable(e):
			outcome = "transport"
		default:
			outcome = "error"
		}
	}
	ep := attribute.String("endpoint", endpoint)
	cm.requests.Add(ctx, 1, metric.WithAttributes(ep, attribute.String("outcome", outcome)))
	cm.durations.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(ep))
}
