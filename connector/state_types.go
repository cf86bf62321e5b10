package connector

import "time"

// This file holds the records of the connector's own topics: the
// notifications that ask the processor to look at a case and the per-case
// state it keeps, with the conventions of avro_types.go.

// Notification asks the processor to look at a case (topic
// postident.notifications.v1, internal). The webhook sends the caseId alone;
// the reconciler adds a status-only Snapshot so the processor can skip
// unchanged cases without fetching them.
type Notification struct {
	CaseID      string          `avro:"caseId" json:"caseId"`
	ReferenceID *string         `avro:"referenceId" json:"referenceId"`
	Origin      string          `avro:"origin" json:"origin"`
	ReceivedAt  time.Time       `avro:"receivedAt" json:"receivedAt"`
	Snapshot    *StatusSnapshot `avro:"snapshot" json:"snapshot"`
}

// StatusSnapshot is the status of a case as a list or status call returned
// it: no personal data. Modified is the primary identification's modified
// time.
type StatusSnapshot struct {
	CaseStatus          string     `avro:"caseStatus" json:"caseStatus"`
	Archived            bool       `avro:"archived" json:"archived"`
	Method              *string    `avro:"method" json:"method"`
	Status              *string    `avro:"status" json:"status"`
	SubStatusCode       *int32     `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusReasonCode *int32     `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	Modified            *time.Time `avro:"identificationModified" json:"identificationModified"`
	// Created is caseStatus.created: the processor fetches closed cases of
	// a reconcile run by their creation range (one list call for many).
	// Nil in snapshots written before the field existed.
	Created *time.Time `avro:"created" json:"created"`
}

// CaseState is what the processor last emitted for a case (topic
// postident.case-state.v1, compacted by caseId). Replays and restarts compare
// against it so they do not emit twice.
type CaseState struct {
	CaseID              string     `avro:"caseId" json:"caseId"`
	CaseStatus          string     `avro:"caseStatus" json:"caseStatus"`
	Method              *string    `avro:"method" json:"method"`
	Status              *string    `avro:"status" json:"status"`
	SubStatusCode       *int32     `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusReasonCode *int32     `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	IdentModified       *time.Time `avro:"identificationModified" json:"identificationModified"`
	StatusType          string     `avro:"statusType" json:"statusType"`
	LastStatusEventID   string     `avro:"lastStatusEventId" json:"lastStatusEventId"`
	ResultEventID       *string    `avro:"resultEventId" json:"resultEventId"`
	UpdatedAt           time.Time  `avro:"updatedAt" json:"updatedAt"`
	// ForgottenAt marks a case erased by `forget`: the processor, the
	// reconciler and backfills never write it again.
	ForgottenAt *time.Time `avro:"forgottenAt" json:"forgottenAt,omitempty"`
}

// SameIdentState reports whether snap shows the state s recorded: the same
// case status, method, status, subStatus, subStatusReason and identification
// modified time. The archived flag is ignored (archiving is the connector's
// own acknowledgement, not a transition). False when either is nil.
func (s *CaseState) SameIdentState(snap *StatusSnapshot) bool {
	if s == nil || snap == nil {
		return false
	}
	return s.CaseStatus == snap.CaseStatus &&
		eqPtr(s.Method, snap.Method) &&
		eqPtr(s.Status, snap.Status) &&
		eqPtr(s.SubStatusCode, snap.SubStatusCode) &&
		eqPtr(s.SubStatusReasonCode, snap.SubStatusReasonCode) &&
		eqTime(s.IdentModified, snap.Modified)
}

// eqPtr and eqTime compare optional values: equal when both are nil or
// both are set to the same value.
func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
