package connector

import (
	"maps"
	"time"
)

// This file maps a CaseResult to the status side of the pipeline: the
// status-changed event, the status snapshot and the state recorded after
// an emission. Texts and types POSTIDENT leaves out come from the catalog.

// identState is the status part of the primary identification, with texts
// completed from the catalog.
type identState struct {
	method, status         *string
	subCode, reasonCode    *int32
	subText, reasonText    *string
	created, modified, idt *time.Time
	statusType             StatusType
	final, resultExpected  bool
}

// identStateOf reads the primary identification; the zero identState (type
// none) when the case has none yet.
func identStateOf(id *IdentificationResult) identState {
	if id == nil {
		return identState{statusType: StatusTypeNone}
	}
	m, st := id.IdentificationMethod, id.IdentificationStatus
	info := statusInfo(m, st.Status) // one catalog lookup, no copy
	s := identState{
		method:     optString(string(m)),
		status:     optString(st.Status),
		created:    optTime(st.Created),
		modified:   optTime(st.Modified),
		idt:        optTime(st.IdentificationTime),
		statusType: StatusTypeNone,
	}
	if info != nil {
		s.statusType, s.final = info.Type, info.Final
	}
	sub := 0
	if st.SubStatus != nil {
		sub = int(st.SubStatus.Code)
		s.subCode = new(int32(sub))
		s.subText = optString(st.SubStatus.Description)
		if s.subText == nil {
			// POSTIDENT may leave out the description; the catalog knows it.
			if t, ok := SubStatusText(m, st.Status, sub); ok {
				s.subText = &t
			}
		}
	}
	if st.SubStatusReason != nil {
		r := int(st.SubStatusReason.Code)
		s.reasonCode = new(int32(r))
		s.reasonText = optString(st.SubStatusReason.Description)
		if s.reasonText == nil {
			if t, ok := ReasonText(m, st.Status, sub, r); ok {
				s.reasonText = &t
			}
		}
	}
	if s.final { // ResultExpected is false for any other status
		s.resultExpected = ResultExpected(m, st.Status, sub)
	}
	return s
}

// resumable: the case is not closed, and the user can still start it (no
// identification yet), continue the primary identification, or switch to
// another method after a cancellation (CaseResumable, guide 4.1).
func resumable(c *CaseResult, id *IdentificationResult) bool {
	if c.CaseStatus.Status == CaseClosed {
		return false
	}
	if id == nil {
		return true
	}
	return CaseResumable(id.IdentificationMethod, id.IdentificationStatus.Status, c.CaseStatus.Status)
}

// NewStatusChanged builds the status event of the case as it is now. prev is
// the state recorded before (nil for a case seen the first time). Texts
// POSTIDENT omitted are filled from the catalog; status type, resumable,
// final and resultExpected come from the catalog (guide 2.6 and 4).
func NewStatusChanged(clientID string, c *CaseResult, prev *CaseState, origin Origin, observedAt time.Time) *CaseStatusChanged {
	id := c.Primary()
	s := identStateOf(id)
	ev := &CaseStatusChanged{
		EventID:                StatusEventID(clientID, c.CaseID, IdentKeyOf(c)),
		ClientID:               clientID,
		CaseID:                 c.CaseID,
		ReferenceID:            referenceIDOf(c),
		CaseStatus:             c.CaseStatus.Status,
		CaseArchived:           c.CaseStatus.Archived,
		CaseCreated:            ts(c.CaseStatus.Created),
		CaseModified:           optTime(c.CaseStatus.Modified),
		ValidUntil:             optTime(c.CaseStatus.ValidUntil),
		Method:                 s.method,
		Status:                 s.status,
		SubStatusCode:          s.subCode,
		SubStatusText:          s.subText,
		SubStatusReasonCode:    s.reasonCode,
		SubStatusReasonText:    s.reasonText,
		StatusType:             string(s.statusType),
		Resumable:              resumable(c, id),
		Final:                  s.final,
		ResultExpected:         s.resultExpected,
		IdentificationCreated:  s.created,
		IdentificationModified: s.modified,
		IdentificationTime:     s.idt,
		CustomData:             map[string]string{},
		ObservedAt:             msUTC(observedAt),
		Origin:                 string(origin),
	}
	if c.OrderData != nil && c.OrderData.CustomData != nil {
		ev.CustomData = maps.Clone(c.OrderData.CustomData)
	}
	if prev != nil {
		ev.Previous = &PreviousState{
			CaseStatus:          prev.CaseStatus,
			Method:              optCopy(prev.Method),
			Status:              optCopy(prev.Status),
			SubStatusCode:       optCopy(prev.SubStatusCode),
			SubStatusReasonCode: optCopy(prev.SubStatusReasonCode),
			StatusType:          prev.StatusType,
		}
	}
	return ev
}

// SnapshotOf returns the status-only view of c that the reconciler publishes.
func SnapshotOf(c *CaseResult) *StatusSnapshot {
	s := identStateOf(c.Primary())
	return &StatusSnapshot{
		CaseStatus:          c.CaseStatus.Status,
		Archived:            c.CaseStatus.Archived,
		Method:              s.method,
		Status:              s.status,
		SubStatusCode:       s.subCode,
		SubStatusReasonCode: s.reasonCode,
		Modified:            s.modified,
		Created:             optTime(c.CaseStatus.Created),
	}
}

// StateAfter returns the state to record once the events for c were
// published: statusEventID is the id of the last status event, resultEventID
// that of the case-result event (nil when none was emitted yet).
func StateAfter(c *CaseResult, statusEventID string, resultEventID *string, now time.Time) *CaseState {
	s := identStateOf(c.Primary())
	return &CaseState{
		CaseID:              c.CaseID,
		CaseStatus:          c.CaseStatus.Status,
		Method:              s.method,
		Status:              s.status,
		SubStatusCode:       s.subCode,
		SubStatusReasonCode: s.reasonCode,
		IdentModified:       s.modified,
		StatusType:          string(s.statusType),
		LastStatusEventID:   statusEventID,
		ResultEventID:       optCopy(resultEventID),
		UpdatedAt:           msUTC(now),
	}
}
