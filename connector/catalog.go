package connector

import "slices"

// This file is the POSTIDENT status catalog of "SCR-Ident API Guide 2
// Result", chapter 4 (one table per identification method), with the status
// types of chapter 2.6 and the photo record statuses of chapter 4.4.1.
//
// The tables (catalog_tables.go) mirror the guide row by row. Where the
// guide spreads one status over several rows (e.g. declined: one row per
// subStatus group), the rows are merged into one StatusInfo. Where one row lists several subStatus
// codes and several subStatusReason codes in the same cell (the 'incomplete'
// rows of AutoID, eID and Video), the guide does not say which reason belongs
// to which subStatus, so every reason of the row is listed under every
// subStatus of that row.

// Method is an identification method key as POSTIDENT writes it.
type Method string

// Identification methods (guide 1.1).
const (
	MethodAutoID Method = "autoid"
	MethodBasic  Method = "basic"
	MethodEID    Method = "eid"
	MethodPhoto  Method = "photo"
	MethodVideo  Method = "video"
)

// Methods returns all identification methods in alphabetical order.
func Methods() []Method {
	return []Method{MethodAutoID, MethodBasic, MethodEID, MethodPhoto, MethodVideo}
}

// Identification status values as POSTIDENT writes them (guide 8.6.1).
const (
	StatusStarted         = "started"
	StatusCouponRequested = "coupon requested"
	StatusIncomplete      = "incomplete"
	StatusReviewPending   = "review pending"
	StatusCancelled       = "cancelled"
	StatusDeclined        = "declined"
	StatusSuccess         = "success"
)

// StatusType is the status type of guide chapter 2.6.
type StatusType string

// Status types (guide 2.6). StatusTypeNone stands for the '-' or empty cell.
const (
	StatusTypeNone         StatusType = "none"
	StatusTypeNotification StatusType = "notification"
	StatusTypePreliminary  StatusType = "preliminary"
	StatusTypeFinal        StatusType = "final"
	StatusTypeCancelled    StatusType = "cancelled"
)

// Reason is a subStatusReason (level 3 of a state, guide 4).
type Reason struct {
	Code int
	Text string
}

// SubStatus is a subStatus (level 2 of a state, guide 4) with the reasons the
// guide lists for it.
type SubStatus struct {
	Code    int
	Text    string
	Reasons []Reason
}

// StatusInfo describes one identification status of one method.
type StatusInfo struct {
	Method Method
	Status string
	Type   StatusType
	// Resumable: the user can still continue/resume this identification
	// (guide 4: "All states from 'started' to 'incomplete' may be continued /
	// resumed by the user", i.e. started, coupon requested and incomplete;
	// not review pending, not final, not cancelled).
	Resumable bool
	// SwitchMethod: this identification is over (cancelled), but the case
	// stays in progress while another configured method remains, and the
	// user can switch to it (guide 4.1, status cancelled). Whether one
	// remains shows in the case status: closed when none does. See
	// CaseResumable.
	SwitchMethod bool
	// Final: success or declined.
	Final bool
	// HasResult: result data exists for this status (success, declined). For
	// declined it does not exist for subStatus 12; see ResultExpected.
	HasResult   bool
	SubStatuses []SubStatus
}

// ValidationStatuses are the record validationStatus values of method photo
// (guide 4.4.1).
var ValidationStatuses = []string{"unchecked", "valid", "invalid"}

// PhotoValidationSubStatuses returns the record validationSubStatus values of
// method photo (guide 4.4.1); they occur with validationStatus "invalid". The
// first five are always set uniformly for all records of a document.
func PhotoValidationSubStatuses() []string {
	return []string{
		"document not supported",
		"document not identifiable",
		"document expired",
		"fraud suspicion",
		"abuse",
		"person not identifiable",
		"bad exposure",
		"too blurry",
		"partly concealed",
		"picture detail not sufficient",
	}
}

// catalogEntry is one (method, status) with the guide rows it was merged from.
type catalogEntry struct {
	info StatusInfo
	rows []catalogRow
}

type catalogKey struct {
	method Method
	status string
}

var (
	catalogEntries []*catalogEntry // stable order: method, then guide row order
	catalogIndex   = map[catalogKey]*catalogEntry{}
)

func init() {
	for _, mt := range catalogTables {
		for _, r := range mt.rows {
			k := catalogKey{mt.method, r.status}
			e := catalogIndex[k]
			if e == nil {
				e = &catalogEntry{info: StatusInfo{
					Method:       mt.method,
					Status:       r.status,
					Type:         r.typ,
					Resumable:    isResumable(r.status),
					SwitchMethod: r.typ == StatusTypeCancelled,
					Final:        r.status == StatusSuccess || r.status == StatusDeclined,
				}}
				catalogIndex[k] = e
				catalogEntries = append(catalogEntries, e)
			}
			if e.info.Type != r.typ {
				panic("connector: catalog rows of " + string(mt.method) + "/" + r.status + " disagree on the status type")
			}
			e.rows = append(e.rows, r)
			e.info.HasResult = e.info.HasResult || r.result
			for _, s := range r.subs {
				sub := SubStatus{Code: s.code, Text: s.text}
				for _, rc := range r.reasons {
					sub.Reasons = append(sub.Reasons, Reason{Code: rc.code, Text: rc.text})
				}
				e.info.SubStatuses = append(e.info.SubStatuses, sub)
			}
		}
	}
}

// isResumable reports whether the status lies between 'started' and
// 'incomplete' (guide 4); review pending does not, as the user's part is done.
func isResumable(status string) bool {
	switch status {
	case StatusStarted, StatusCouponRequested, StatusIncomplete:
		return true
	}
	return false
}

// clone returns a deep copy, so that callers cannot change the catalog.
func (s StatusInfo) clone() StatusInfo {
	s.SubStatuses = slices.Clone(s.SubStatuses)
	for i := range s.SubStatuses {
		s.SubStatuses[i].Reasons = slices.Clone(s.SubStatuses[i].Reasons)
	}
	return s
}

// Catalog returns every (method, status) of guide chapter 4, ordered by method
// (as Methods) and then by the order of the guide's table. The result is a
// copy.
func Catalog() []StatusInfo {
	out := make([]StatusInfo, len(catalogEntries))
	for i, e := range catalogEntries {
		out[i] = e.info.clone()
	}
	return out
}

// LookupStatus returns the catalog entry of status for method m.
func LookupStatus(m Method, status string) (StatusInfo, bool) {
	e := catalogIndex[catalogKey{m, status}]
	if e == nil {
		return StatusInfo{}, false
	}
	return e.info.clone(), true
}

// statusInfo is LookupStatus without the copy: the catalog's own entry, or
// nil. For hot paths of this package (identStateOf runs for every event),
// which only read it; the clone of LookupStatus costs allocations there.
func statusInfo(m Method, status string) *StatusInfo {
	if e := catalogIndex[catalogKey{m, status}]; e != nil {
		return &e.info
	}
	return nil
}

func lookupSubStatus(m Method, status string, code int) (*SubStatus, bool) {
	e := catalogIndex[catalogKey{m, status}]
	if e == nil {
		return nil, false
	}
	for i := range e.info.SubStatuses {
		if e.info.SubStatuses[i].Code == code {
			return &e.info.SubStatuses[i], true
		}
	}
	return nil, false
}

// SubStatusText returns the guide text of subStatus code of status for m.
func SubStatusText(m Method, status string, code int) (string, bool) {
	s, ok := lookupSubStatus(m, status, code)
	if !ok {
		return "", false
	}
	return s.Text, true
}

// ReasonText returns the guide text of subStatusReason reason under subStatus
// of status for m.
func ReasonText(m Method, status string, subStatus, reason int) (string, bool) {
	s, ok := lookupSubStatus(m, status, subStatus)
	if !ok {
		return "", false
	}
	for _, r := range s.Reasons {
		if r.Code == reason {
			return r.Text, true
		}
	}
	return "", false
}

// StatusTypeOf returns the status type of status for m, StatusTypeNone for an
// unknown method or status.
func StatusTypeOf(m Method, status string) StatusType {
	if e := catalogIndex[catalogKey{m, status}]; e != nil {
		return e.info.Type
	}
	return StatusTypeNone
}

// CanResume reports whether the user can still continue or resume an
// identification of method m in status (guide 4). False for unknown values.
// It speaks of the identification; for the case see CaseResumable.
func CanResume(m Method, status string) bool {
	e := catalogIndex[catalogKey{m, status}]
	return e != nil && e.info.Resumable
}

// CaseResumable reports whether the user can still go on with a case whose
// primary identification of method m is in status, given the case status:
// never once the case is closed; otherwise when the identification can be
// resumed (CanResume), or when it was cancelled and the case stayed in
// progress, which POSTIDENT does exactly while another configured method
// remains to switch to (guide 4.1: "the case remains in progress allowing
// the user to switch to the remaining identification method(s)"). This holds
// for every method whose catalog has a cancelled status (SwitchMethod).
func CaseResumable(m Method, status, caseStatus string) bool {
	if caseStatus == CaseClosed {
		return false
	}
	e := catalogIndex[catalogKey{m, status}]
	return e != nil && (e.info.Resumable || e.info.SwitchMethod)
}

// ResultExpected reports whether result data exist for an identification of
// method m in status with subStatus (guide 4, column Result Data): false for
// every non-final or unknown status and for declined with subStatus 12
// (operation valid time frame exceeded). For a status without subStatus codes
// (success) the subStatus is ignored. A subStatus the guide does not list
// under a final status falls back to StatusInfo.HasResult.
func ResultExpected(m Method, status string, subStatus int) bool {
	e := catalogIndex[catalogKey{m, status}]
	if e == nil || !e.info.Final {
		return false
	}
	for _, r := range e.rows {
		if len(r.subs) == 0 {
			return r.result
		}
		for _, s := range r.subs {
			if s.code == subStatus {
				return r.result
			}
		}
	}
	return e.info.HasResult
}
