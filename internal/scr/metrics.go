package scr

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/postident-connector/postident-connector/connector"
)

// callMetrics count every HTTP attempt, by endpoint template (never a
// caseId) and outcome. They are made per Client from the global meter
// provider current at New, so a provider installed later (tests, a restart
// of telemetry) is honoured by the next client.
type callMetrics struct {
	requests  metric.Int64Counter
	durations metric.Float64Histogram
	// unknownValues and unmapped count what a decoded case carries beyond
	// the guide (connector.CaseResult.UnknownValues, UnmappedMembers): the
	// first by field name (a fixed set, never a value), the second without
	// labels, as member names come from the answer.
	unknownValues metric.Int64Counter
	unmapped      metric.Int64Counter
	// plain counts status answers accepted in plain JSON although
	// encryption is required.
	plain metric.Int64Counter
	// degraded counts Note fields whose value was not text
	// (connector.CaseResult.Degraded), by field name.
	degraded metric.Int64Counter
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
	cm.unknownValues, _ = m.Int64Counter("postident_scr_unknown_values_total",
		metric.WithDescription("Enumerated values the guide does not list (passed through as text), by field."))
	cm.unmapped, _ = m.Int64Counter("postident_scr_unmapped_members_total",
		metric.WithDescription("JSON members of case answers the model has no field for (kept in the CaseResult's unmappedJson)."))
	cm.degraded, _ = m.Int64Counter("postident_scr_degraded_values_total",
		metric.WithDescription("Free-text fields whose value was neither text nor a number: left empty, the value kept in the CaseResult's unmappedJson; by field."))
	return cm
}

// noteCase counts the unknown values and unmapped members of a decoded
// case. Nothing to count is the usual case and costs no allocation.
func (cm callMetrics) noteCase(ctx context.Context, c *connector.CaseResult) {
	if cm.unknownValues == nil {
		return
	}
	c.UnknownValues(func(field string) {
		cm.unknownValues.Add(ctx, 1, metric.WithAttributes(attribute.String("field", field)))
	})
	if n := len(c.UnmappedMembers()); n > 0 {
		cm.unmapped.Add(ctx, int64(n))
	}
	for _, field := range c.Degraded() {
		cm.degraded.Add(ctx, 1, metric.WithAttributes(attribute.String("field", field)))
	}
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
