package connector

import "slices"

// This file is the POSTIDENT status catalog of "SCR-Ident API Guide 2
// Result", chapter 4 (one table per identification method), with the status
// types of chapter 2.6 and the photo record statuses of chapter 4.4.1.
//
// The tables below mirror the guide row by row. Where the guide spreads one
// status over several rows (e.g. declined: one row per subStatus group), the
// rows are merged into one StatusInfo. Where one row lists several subStatus
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

// catalogCode is a subStatus or subStatusReason code with its text, as
// printed in the guide tables.
type catalogCode struct {
	code int
	text string
}

// catalogRow is one row of a guide chapter 4 table: the Identification Status,
// Status Type, Sub Status, Sub Status Reason and Result Data columns.
type catalogRow struct {
	status  string
	typ     StatusType
	subs    []catalogCode // Sub Status column
	reasons []catalogCode // Sub Status Reason column, for every subStatus of the row
	result  bool          // Result Data column: "yes"
}

// autoIDTable is guide 4.1 (AutoID).
var autoIDTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	// The 4.1 table shows '-' as the type of review pending; the 2.6 summary
	// for AutoID/Photo gives 'notification' (webhook, callbackUrlReviewPending)
	// and the changelog of 28.11.2024 documents notification webhooks for
	// pending reviews in AutoID. 2.6 wins.
	{status: StatusReviewPending, typ: StatusTypeNotification},
	{status: StatusIncomplete, typ: StatusTypeNotification,
		subs: []catalogCode{
			{80, "Problem with recordings"},
			{81, "Problem with document"},
			{82, "Problem with result data"},
			{83, "Incomplete other"},
			{85, "Abort due to technical problem"},
			{86, "Abort due to connection problem"},
			{87, "Problem with person"},
			{97, "Cancellation by user"},
		},
		reasons: []catalogCode{
			{800, "User has cancelled"},
			{801, "Recordings not complete"},
			{802, "Quality of one or more recordings too poor"},
			{803, "Document not recognized"},
			{804, "Document not supported"},
			{805, "Document damaged"},
			{806, "Document covered"},
			{807, "Document expired"},
			{808, "Address not complete"},
			{809, "Other technical problem during identification attempt"},
			{810, "Ident/case already finished"},
			{811, "Incomplete other reason"},
			{817, "Technical problem with recorded files"},
			{818, "Backend cannot finish identification attempt"},
			{819, "Problem with WebSocket connection"},
			{820, "Data fields from document not complete"},
			{821, "Problem with agent result"},
			{822, "Cancelled by automatic cleanup"},
			{823, "Liveness check not sufficient"},
			{824, "Security features not recognisable well enough"},
			{825, "Once no serious attempt to identify"},
			{826, "No document captured"},
			{827, "Wrong document page captured"},
			{828, "Device moved instead of document"},
			{829, "Device moved instead of person"},
			{831, "Problem with review result"},
			{832, "Residence permit no ID card substitute"},
			{833, "More than one document captured"},
			{834, "Timeout during machine phase"},
			{835, "Document blocked by business customer"},
			{973, "Timeout at user"},
			{974, "Timeout in app because in background"},
		}},
	// Only AutoID has the status cancelled (2.6: "cancelled (autoid)").
	{status: StatusCancelled, typ: StatusTypeCancelled,
		subs:    []catalogCode{{94, "Cancellation by this ident"}},
		reasons: []catalogCode{{900, "Maximum number of cancellations by user exceeded"}}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{
			{830, "Identification document from copy instead of original"},
			{110, "Identification document possibly forged"},
			{111, "Person does not match photo"},
			{113, "Multiple persons present"},
			{124, "Digital manipulation"},
			{119, "Other reason for fraud suspicion"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs:    []catalogCode{{15, "Abuse"}},
		reasons: []catalogCode{{815, "Inappropriate content in recordings"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{84, "Declined other"}},
		reasons: []catalogCode{
			{814, "Repeatedly no serious attempt to identify"},
			{816, "Declined other reason"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// basicTable is guide 4.2 (Basic, post office). The status cancelled was
// removed for basic (changelog 23.11.2020).
var basicTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	{status: StatusCouponRequested, typ: StatusTypeNotification},
	// Type '-' in 4.2 and empty in the 2.6 summary for Basic/eID/Video.
	// The subStatus codes of this row have no reasons.
	{status: StatusIncomplete, typ: StatusTypeNone,
		subs: []catalogCode{
			{53, "Identification document has expired"},
			{54, "Unsupported identification document"},
			{70, "Error in the printed form data"},
			{71, "User rejects document scan"},
			{97, "Cancellation by user"},
			{98, "Cancellation for technical reasons"},
		}},
	// 4.2 prints "pelimina ry".
	{status: StatusReviewPending, typ: StatusTypePreliminary},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{
			// The guide text includes its deprecation note; kept verbatim.
			{115, "No matching signature (deprecated: no longer used since 2020)"},
			{116, "No matching photo"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{16, "Identification with abnormalities"}},
		reasons: []catalogCode{
			{114, "Document shows abnormalities"},
			{117, "Inconsistencies with date of expiry"},
			{112, "Multiple identity checks for single person"},
			{113, "Multiple persons present"},
			{123, "Multiple identity checks for single person over longer period of time"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs:    []catalogCode{{17, "Identification with unrecoverable data problem in identification document"}},
		reasons: []catalogCode{{118, "Images of document not received"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// eidTable is guide 4.3 (eID). eID has no review pending; its former status
// cancelled became declined (changelog 20.04.2020). The text extraction of
// the guide prints "elD" (lower-case L) in the subStatus texts 60-63 and 65;
// that is the method name eID, written as such everywhere else, and is kept as
// eID.
var eidTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	// Type cell empty in 4.3 and in the 2.6 summary for Basic/eID/Video.
	{status: StatusIncomplete, typ: StatusTypeNone,
		subs: []catalogCode{
			{53, "Identification document has expired"},
			{54, "Identification document not supported"},
			{59, "Identification document invalid"},
			{60, "eID unknown error"},
			{61, "eID problem with authentication / PIN"},
			{62, "eID problem reading card"},
			{63, "eID problem with eID server"},
			{64, "Problem with custom step"},
			{65, "Problem during eID phase"},
			{66, "Problem with document"},
			{97, "Cancellation by user"},
			{98, "Cancellation for technical reasons"},
			{99, "Cancellation for other reasons"},
		},
		reasons: []catalogCode{
			{591, "Document with invalid certificate (e.g. test ID card)"},
			{592, "Document does not provide all of the required data"},
			{600, "eCardAPI reports unknown error"},
			{610, "Error in eID client"},
			{611, "Incomplete data from PIN or card"},
			{612, "Authentication failed"},
			{613, "PIN entered incorrectly too often"},
			{614, "PIN deactivated"},
			{620, "Error in communcation between Ecard client (browser) and card reader"}, // sic
			{621, "Error in communication between eID client (app) and card"},
			{622, "Chip card error"},
			{623, "Card slipped / not readable / removed"},
			{630, "eID server not operational"},
			{631, "eID client cannot communicate with eID server"},
			{632, "eID server internal error"},
			{640, "Document image upload step cannot start"},
			{650, "eID type unknown"},
			{651, "eID type not accepted or supported"},
			{652, "problem with attestation request"},
			{653, "certificate does not cover requested attribute set"},
			{660, "Document authenticity not verifiable (e.g. test ID card, chip corrupted)"},
			{661, "Document not supported"},
			{662, "Document expired"},
			{973, "Timeout at user"},
			{974, "Timeout in app because in background"},
			{975, "User cancelled eID attempt"},
			{996, "Ident/case already finished"},
			{998, "Other reason for cancellation"},
		}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs:    []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{{122, "Identification document blocked by authorities"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// photoTable is guide 4.4 (Photo). Photo has subStatus codes but no
// subStatusReasons: its fourth column is the record status of 4.4.1 (see
// ValidationStatuses and PhotoValidationSubStatuses), not reason codes.
var photoTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	{status: StatusReviewPending, typ: StatusTypeNotification},
	{status: StatusIncomplete, typ: StatusTypeNotification,
		subs: []catalogCode{
			{31, "Identification document or driving licence not supported"},
			{32, "Identification document or driving licence expired"},
			{33, "Document or person not clearly identifiable"},
			{34, "Image or video quality insufficient"},
		}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{15, "Abuse (e.g. nonsense, nude photos)"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// videoTable is guide 4.5 (Video).
var videoTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	// Type '-' in 4.5 and empty in the 2.6 summary for Basic/eID/Video.
	{status: StatusIncomplete, typ: StatusTypeNone,
		subs: []catalogCode{
			{50, "Problem with identification document"},
			{51, "Language problems"},
			{52, "Insufficient video quality (security features cannot be verified or identification document unreadable)"},
			{53, "Identification document has expired"},
			{54, "Unsupported identification document"},
			{55, "Problem with TAN"},
			{56, "Identification document damaged"},
			{57, "Cancellation in queue"},
			{58, "Problem with video chat recording"},
			{97, "Cancellation by user"},
			{98, "Cancellation for technical reasons"},
			{99, "Cancellation for other reasons"},
		},
		reasons: []catalogCode{
			{200, "Video only, no audio"},
			{201, "Audio only, no video"},
			{202, "Videochat recording not possible"},
			{203, "Videochat recording faulty"},
			{204, "Videochat recording with other problem"},
			{205, "Videochat recording faulty due to max queue size reached"},
			{206, "Videochat recording faulty due to too many chunks lost"},
			{207, "Videochat recording faulty due to agent disallowing screen share function (e.g. pressing stop button)"},
			{500, "Identification document blocked by business customer"},
			{510, "Communication with user not possible due to language problems"},
			{511, "Language of the user blocked by business customer"},
			{520, "Pixelated/blurry/no autofocus/mirrored"},
			{523, "Bad lighting conditions"},
			{525, "User has problems with camera"},
			{550, "User did not enter correct TAN"},
			{570, "Cancellation in queue by system"},
			{971, "Cancellation in queue by user"},
			{972, "User has hung up"},
			{973, "Timeout at user"},
			{974, "Timeout in app because in background"},
			{980, "Connection quality"},
			{981, "Video cannot be accepted"},
			{982, "Video and audio are not established"},
			{985, "User did not receive TAN"},
			{986, "Sudden disconnection"},
			{987, "Frozen image"},
			{988, "Timeout in queue"},
			{989, "Other technical reason for cancellation"},
			{990, "User uncooperative"},
			{991, "User operating error"},
			{992, "Case belongs to different person"},
			{996, "Ident/case already finished"},
			{998, "Other reason for cancellation"},
		}},
	// The texts of 11 and 15 are verbatim from 4.5, although the example in
	// parentheses reads as if it belonged to 15 (compare declined 15).
	{status: StatusReviewPending, typ: StatusTypePreliminary,
		subs: []catalogCode{
			{11, "Fraud suspicion (e.g. nonsense, nude photos)"},
			{15, "Abuse"},
		}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{
			{110, "Identification document possibly forged"},
			{111, "Person does not match photo"},
			{112, "Multiple identity checks for single person"},
			{113, "Multiple persons present"},
			{119, "Other reason for fraud suspicion"},
			{121, "Social engineering"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{15, "Abuse (e.g. nonsense, nude photos)"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{
			{19, "Identification with unrecoverable data problem in videochat recording"},
			{99, "Cancellation for other reason"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs:    []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}},
		reasons: []catalogCode{{120, "Videochat recording missing or faulty"}}},
}

// catalogTables lists the tables in the order of Methods.
var catalogTables = []struct {
	method Method
	rows   []catalogRow
}{
	{MethodAutoID, autoIDTable},
	{MethodBasic, basicTable},
	{MethodEID, eidTable},
	{MethodPhoto, photoTable},
	{MethodVideo, videoTable},
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
