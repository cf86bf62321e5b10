package connector

import "time"

// This file holds the CloudEvents side of every record the connector writes:
// the origin of a look at a case, the ce_type of each record and the
// binary-mode header names (the header values are built in headers.go).

// Origin says which path made the connector look at a case.
type Origin string

// Origins, carried in the postident-origin header and in the events.
const (
	OriginWebhook   Origin = "webhook"   // a POSTIDENT webhook named the case
	OriginReconcile Origin = "reconcile" // the periodic list found it
	OriginBackfill  Origin = "backfill"  // an operator re-listed a date range (replay)
)

// CloudEvents types (ce_type) of the four records.
const (
	TypeStatusChanged = "de.deutschepost.postident.case.status-changed.v1"
	TypeCaseResult    = "de.deutschepost.postident.case.result.v1"
	TypeNotification  = "de.deutschepost.postident.notification.v1"
	TypeCaseState     = "de.deutschepost.postident.case.state.v1"
)

// CloudEvents Kafka binding (binary mode) header names, and the connector's
// own origin header.
const (
	HeaderSpecVersion = "ce_specversion"
	HeaderID          = "ce_id"
	HeaderSource      = "ce_source"
	HeaderType        = "ce_type"
	HeaderSubject     = "ce_subject"
	HeaderTime        = "ce_time"
	HeaderContentType = "content-type"
	HeaderOrigin      = "postident-origin"

	// ContentTypeAvro is the content-type of every record value.
	ContentTypeAvro = "application/avro"
)

// EventHeaders returns the CloudEvents binary-mode headers of one record:
// ce_specversion 1.0, ce_id, ce_source "/postident/<clientId>", ce_type,
// ce_subject (the caseId), ce_time (RFC 3339, UTC), content-type
// application/avro and postident-origin. The W3C traceparent header is added
// by the Kafka adapter, which owns the trace context.
//
// The values that repeat from record to record are shared (headers.go):
// callers must not write into the returned values.
func EventHeaders(ceType, id, clientID, caseID string, t time.Time, origin Origin) []Header {
	hs, _ := eventHeaders(ceType, id, nil, clientID, caseID, t, origin)
	return hs
}
