package connector

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Erasure that sticks. `postident-connector forget` tombstones a case's
// result and writes a forget marker as the case's state (ForgetMarker). The
// marker holds no personal data, only the case id and when it was forgotten.
// Every writer of personal data checks it first: the processor skips the
// case's notifications without fetching it (webhooks, POSTIDENT's retries and
// reconcile snapshots alike, counted in postident_processor_skipped_total
// with reason="forgotten"), and a backfill skips the case (BackfillConfig.
// Forgotten). The marker expires like any state entry, once POSTIDENT's
// retention has passed since the forget: the case is deleted there by then
// and cannot come back.

// ForgetMarker is the state record `forget` writes for caseID.
func ForgetMarker(caseID string, now time.Time) *CaseState {
	t := msUTC(now)
	return &CaseState{CaseID: caseID, ForgottenAt: &t, UpdatedAt: t}
}

// Attribute options of postident_processor_skipped_total, built once.
var (
	skipUnchanged = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "unchanged")))
	skipForgotten = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "forgotten")))
)

// skipAttr is the reason a case's notifications needed no fetch.
func (p *Processor) skipAttr(prev memo) metric.AddOption {
	if prev.forgotten() {
		return skipForgotten
	}
	return skipUnchanged
}
