package connector

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// guideRow is one row of the guide chapter 4 tables. The subs and reasons
// cells are copied verbatim from "SCR-Ident API Guide 2 Result" (whitespace
// collapsed, "-" written as ""), independently of the literals in
// catalog_tables.go, and parsed by parseCells.
type guideRow struct {
	method  Method
	status  string
	typ     StatusType // Status Type column, resolved with 2.6 where it shows '-'
	subs    string     // Sub Status cell
	reasons string     // Sub Status Reason cell (photo: record status, not codes)
	result  bool       // Result Data column "yes"
}

var guideRows = []guideRow{
	// 4.1 AutoID
	{MethodAutoID, "started", StatusTypeNone, "", "", false},
	{MethodAutoID, "review pending", StatusTypeNotification, "", "", false}, // '-' in 4.1, notification per 2.6
	{MethodAutoID, "incomplete", StatusTypeNotification,
		"80 Problem with recordings 81 Problem with document 82 Problem with result data 83 Incomplete other 85 Abort due to technical problem 86 Abort due to connection problem 87 Problem with person 97 Cancellation by user",
		"800 User has cancelled 801 Recordings not complete 802 Quality of one or more recordings too poor 803 Document not recognized 804 Document not supported 805 Document damaged 806 Document covered 807 Document expired 808 Address not complete 809 Other technical problem during identification attempt 810 Ident/case already finished 811 Incomplete other reason 817 Technical problem with recorded files 818 Backend cannot finish identification attempt 819 Problem with WebSocket connection 820 Data fields from document not complete 821 Problem with agent result 822 Cancelled by automatic cleanup 823 Liveness check not sufficient 824 Security features not recognisable well enough 825 Once no serious attempt to identify 826 No document captured 827 Wrong document page captured 828 Device moved instead of document 829 Device moved instead of person 831 Problem with review result 832 Residence permit no ID card substitute 833 More than one document captured 834 Timeout during machine phase 835 Document blocked by business customer 973 Timeout at user 974 Timeout in app because in background",
		false},
	{MethodAutoID, "cancelled", StatusTypeCancelled,
		"94 Cancellation by this ident",
		"900 Maximum number of cancellations by user exceeded", false},
	{MethodAutoID, "success", StatusTypeFinal, "", "", true},
	{MethodAutoID, "declined", StatusTypeFinal,
		"• 11 Fraud suspicion",
		"830 Identification document from copy instead of original 110 Identification document possibly forged 111 Person does not match photo 113 Multiple persons present 124 Digital manipulation 119 Other reason for fraud suspicion",
		true},
	{MethodAutoID, "declined", StatusTypeFinal, "• 15 Abuse", "815 Inappropriate content in recordings", true},
	{MethodAutoID, "declined", StatusTypeFinal, "84 Declined other", "814 Repeatedly no serious attempt to identify 816 Declined other reason", true},
	{MethodAutoID, "declined", StatusTypeFinal, "12 Operation valid time frame exceeded (case ID)", "", false},

	// 4.2 Basic
	{MethodBasic, "started", StatusTypeNone, "", "", false},
	{MethodBasic, "coupon requested", StatusTypeNotification, "", "", false},
	{MethodBasic, "incomplete", StatusTypeNone,
		"53 Identification document has expired 54 Unsupported identification document 70 Error in the printed form data 71 User rejects document scan 97 Cancellation by user 98 Cancellation for technical reasons",
		"", false},
	{MethodBasic, "review pending", StatusTypePreliminary, "", "", false},
	{MethodBasic, "success", StatusTypeFinal, "", "", true},
	{MethodBasic, "declined", StatusTypeFinal, "11 Fraud suspicion", "115 No matching signature (deprecated: no longer used since 2020) 116 No matching photo", true},
	{MethodBasic, "declined", StatusTypeFinal,
		"16 Identification with abnormalities",
		"114 Document shows abnormalities 117 Inconsistencies with date of expiry 112 Multiple identity checks for single person 113 Multiple persons present 123 Multiple identity checks for single person over longer period of time",
		true},
	{MethodBasic, "declined", StatusTypeFinal, "17 Identification with unrecoverable data problem in identification document", "118 Images of document not received", true},
	{MethodBasic, "declined", StatusTypeFinal, "12 Operation valid time frame exceeded (case ID)", "", false},

	// 4.3 eID
	{MethodEID, "started", StatusTypeNone, "", "", false},
	{MethodEID, "incomplete", StatusTypeNone,
		"53 Identification document has expired 54 Identification document not supported 59 Identification document invalid 60 elD unknown error 61 elD problem with authentication / PIN 62 elD problem reading card 63 elD problem with elD server 64 Problem with custom step 65 Problem during elD phase 66 Problem with document 97 Cancellation by user 98 Cancellation for technical reasons 99 Cancellation for other reasons",
		"591 Document with invalid certificate (e.g. test ID card) 592 Document does not provide all of the required data 600 eCardAPI reports unknown error 610 Error in eID client 611 Incomplete data from PIN or card 612 Authentication failed 613 PIN entered incorrectly too often 614 PIN deactivated 620 Error in communcation between Ecard client (browser) and card reader 621 Error in communication between eID client (app) and card 622 Chip card error 623 Card slipped / not readable / removed 630 eID server not operational 631 eID client cannot communicate with eID server 632 eID server internal error 640 Document image upload step cannot start 650 eID type unknown 651 eID type not accepted or supported 652 problem with attestation request 653 certificate does not cover requested attribute set 660 Document authenticity not verifiable (e.g. test ID card, chip corrupted) 661 Document not supported 662 Document expired 973 Timeout at user 974 Timeout in app because in background 975 User cancelled eID attempt 996 Ident/case already finished 998 Other reason for cancellation",
		false},
	{MethodEID, "success", StatusTypeFinal, "", "", true},
	{MethodEID, "declined", StatusTypeFinal, "11 Fraud suspicion", "122 Identification document blocked by authorities", true},
	{MethodEID, "declined", StatusTypeFinal, "12 Operation valid time frame exceeded (case ID)", "", false},

	// 4.4 Photo: the fourth column is "Record Status", not reason codes.
	{MethodPhoto, "started", StatusTypeNone, "", "", false},
	{MethodPhoto, "review pending", StatusTypeNotification, "", "", false},
	{MethodPhoto, "incomplete", StatusTypeNotification,
		"31 Identification document or driving licence not supported 32 Identification document or driving licence expired 33 Document or person not clearly identifiable 34 Image or video quality insufficient",
		"", false},
	{MethodPhoto, "success", StatusTypeFinal, "", "", true},
	{MethodPhoto, "declined", StatusTypeFinal, "11 Fraud suspicion", "", true},
	{MethodPhoto, "declined", StatusTypeFinal, "15 Abuse (e.g. nonsense, nude photos)", "", true},
	{MethodPhoto, "declined", StatusTypeFinal, "12 Operation valid time frame exceeded (case ID)", "", false},

	// 4.5 Video (the incomplete reason cell continues on the next page)
	{MethodVideo, "started", StatusTypeNone, "", "", false},
	{MethodVideo, "incomplete", StatusTypeNone,
		"50 Problem with identification document 51 Language problems 52 Insufficient video quality (security features cannot be verified or identification document unreadable) 53 Identification document has expired 54 Unsupported identification document 55 Problem with TAN 56 Identification document damaged 57 Cancellation in queue 58 Problem with video chat recording 97 Cancellation by user 98 Cancellation for technical reasons 99 Cancellation for other reasons",
		"200 Video only, no audio 201 Audio only, no video 202 Videochat recording not possible 203 Videochat recording faulty 204 Videochat recording with other problem 205 Videochat recording faulty due to max queue size reached 206 Videochat recording faulty due to too many chunks lost 207 Videochat recording faulty due to agent disallowing screen share function (e.g. pressing stop button) 500 Identification document blocked by business customer 510 Communication with user not possible due to language problems 511 Language of the user blocked by business customer 520 Pixelated/blurry/no autofocus/mirrored 523 Bad lighting conditions 525 User has problems with camera 550 User did not enter correct TAN 570 Cancellation in queue by system 971 Cancellation in queue by user 972 User has hung up 973 Timeout at user 974 Timeout in app because in background 980 Connection quality 981 Video cannot be accepted 982 Video and audio are not established 985 User did not receive TAN 986 Sudden disconnection 987 Frozen image 988 Timeout in queue 989 Other technical reason for cancellation " +
			"990 User uncooperative 991 User operating error 992 Case belongs to different person 996 Ident/case already finished 998 Other reason for cancellation",
		false},
	{MethodVideo, "review pending", StatusTypePreliminary, "11 Fraud suspicion (e.g. nonsense, nude photos) 15 Abuse", "", false},
	{MethodVideo, "success", StatusTypeFinal, "", "", true},
	{MethodVideo, "declined", StatusTypeFinal,
		"11 Fraud suspicion",
		"110 Identification document possibly forged 111 Person does not match photo 112 Multiple identity checks for single person 113 Multiple persons present 119 Other reason for fraud suspicion 121 Social engineering",
		true},
	{MethodVideo, "declined", StatusTypeFinal, "• 15 Abuse (e.g. nonsense, nude photos)", "", true},
	{MethodVideo, "declined", StatusTypeFinal, "19 Identification with unrecoverable data problem in videochat recording 99 Cancellation for other reason", "", true},
	{MethodVideo, "declined", StatusTypeFinal, "12 Operation valid time frame exceeded (case ID)", "120 Videochat recording missing or faulty", false},
}

// guideCodeStart finds a two- or three-digit code that starts an entry of a cell.
var guideCodeStart = regexp.MustCompile(`(?:^|\s)(\d{2,3})\s`)

type guideCode struct {
	code int
	text string
}

// parseGuideCell splits a guide cell like "80 Problem with recordings 81 Problem
// with document" into its codes. The guide's text extraction prints the method
// name eID as "elD" in some cells; catalog.go spells it eID.
func parseGuideCell(t *testing.T, cell string) []guideCode {
	t.Helper()
	cell = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cell), "•"))
	cell = strings.ReplaceAll(cell, "elD", "eID")
	if cell == "" {
		return nil
	}
	idx := guideCodeStart.FindAllStringSubmatchIndex(cell, -1)
	if len(idx) == 0 || idx[0][0] != 0 {
		t.Fatalf("cell does not start with a code: %q", cell)
	}
	var out []guideCode
	for i, m := range idx {
		end := len(cell)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		var c int
		fmt.Sscan(cell[m[2]:m[3]], &c)
		out = append(out, guideCode{c, strings.TrimSpace(cell[m[1]:end])})
	}
	return out
}

type catalogCodeKey struct {
	method    Method
	status    string
	subStatus int
	reason    int // 0: the subStatus itself
}

// guideCodes returns every (method, status, subStatus[, reason]) of the
// guide with its text.
func guideCodes(t *testing.T) map[catalogCodeKey]string {
	t.Helper()
	want := map[catalogCodeKey]string{}
	for _, r := range guideRows {
		reasons := parseGuideCell(t, r.reasons)
		for _, s := range parseGuideCell(t, r.subs) {
			want[catalogCodeKey{r.method, r.status, s.code, 0}] = s.text
			for _, rs := range reasons {
				want[catalogCodeKey{r.method, r.status, s.code, rs.code}] = rs.text
			}
		}
	}
	return want
}

func catalogCodes() map[catalogCodeKey]string {
	got := map[catalogCodeKey]string{}
	for _, info := range Catalog() {
		for _, s := range info.SubStatuses {
			got[catalogCodeKey{info.Method, info.Status, s.Code, 0}] = s.Text
			for _, r := range s.Reasons {
				got[catalogCodeKey{info.Method, info.Status, s.Code, r.Code}] = r.Text
			}
		}
	}
	return got
}

func sortedCatalogKeys(m map[catalogCodeKey]string) []catalogCodeKey {
	return slices.SortedFunc(maps.Keys(m), func(a, b catalogCodeKey) int {
		return cmp.Or(strings.Compare(string(a.method), string(b.method)),
			strings.Compare(a.status, b.status), cmp.Compare(a.subStatus, b.subStatus),
			cmp.Compare(a.reason, b.reason))
	})
}

// TestCatalogGuideCodes fails if any code of the guide is missing, has a
// different text, or if the catalog holds a code the guide does not.
func TestCatalogGuideCodes(t *testing.T) {
	want := guideCodes(t)
	got := catalogCodes()
	for _, k := range sortedCatalogKeys(want) {
		text := want[k]
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("missing %v %q", k, text)
		case g != text:
			t.Errorf("%v: text %q, guide says %q", k, g, text)
		}
		var lt string
		if k.reason == 0 {
			lt, ok = SubStatusText(k.method, k.status, k.subStatus)
		} else {
			lt, ok = ReasonText(k.method, k.status, k.subStatus, k.reason)
		}
		if !ok || lt != text {
			t.Errorf("lookup %v = %q, %v; want %q", k, lt, ok, text)
		}
	}
	for _, k := range sortedCatalogKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("catalog has %v %q, the guide does not", k, got[k])
		}
	}
}

// TestCatalogGuideRows checks the per-row columns: status type, result data
// and the set of statuses per method.
func TestCatalogGuideRows(t *testing.T) {
	statuses := map[Method][]string{}
	for _, r := range guideRows {
		if !slices.Contains(statuses[r.method], r.status) {
			statuses[r.method] = append(statuses[r.method], r.status)
		}
		if got := StatusTypeOf(r.method, r.status); got != r.typ {
			t.Errorf("StatusTypeOf(%s, %q) = %q, want %q", r.method, r.status, got, r.typ)
		}
		subs := parseGuideCell(t, r.subs)
		if len(subs) == 0 {
			subs = []guideCode{{code: 0}}
		}
		for _, s := range subs {
			if got := ResultExpected(r.method, r.status, s.code); got != r.result {
				t.Errorf("ResultExpected(%s, %q, %d) = %v, want %v", r.method, r.status, s.code, got, r.result)
			}
		}
	}
	var got []string
	var want []string
	for _, m := range Methods() {
		for _, s := range statuses[m] {
			want = append(want, string(m)+"/"+s)
		}
	}
	for _, info := range Catalog() {
		got = append(got, string(info.Method)+"/"+info.Status)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Catalog() statuses\n got %q\nwant %q", got, want)
	}
}

func TestCatalogCounts(t *testing.T) {
	type counts struct{ statuses, subStatuses, reasons int }
	// subStatuses: distinct (status, subStatus); reasons: distinct (status,
	// reason), counted by hand from the guide tables.
	want := map[Method]counts{
		MethodAutoID: {6, 8 + 1 + 4, 32 + 1 + 6 + 1 + 2},
		MethodBasic:  {6, 6 + 4, 2 + 5 + 1},
		MethodEID:    {4, 13 + 2, 28 + 1},
		MethodPhoto:  {5, 4 + 3, 0},
		MethodVideo:  {5, 12 + 2 + 5, 33 + 6 + 1},
	}
	got := map[Method]counts{}
	for _, info := range Catalog() {
		c := got[info.Method]
		c.statuses++
		c.subStatuses += len(info.SubStatuses)
		seen := map[int]bool{}
		for _, s := range info.SubStatuses {
			for _, r := range s.Reasons {
				if !seen[r.Code] {
					seen[r.Code] = true
					c.reasons++
				}
			}
		}
		got[info.Method] = c
	}
	// The same counts from the transcribed guide rows.
	fromGuide := map[Method]counts{}
	seenStatus := map[catalogCodeKey]bool{}
	for k := range guideCodes(t) {
		c := fromGuide[k.method]
		if k.reason == 0 {
			c.subStatuses++
		} else if rk := (catalogCodeKey{k.method, k.status, -1, k.reason}); !seenStatus[rk] {
			seenStatus[rk] = true
			c.reasons++
		}
		fromGuide[k.method] = c
	}
	for _, r := range guideRows {
		if sk := (catalogCodeKey{r.method, r.status, -2, 0}); !seenStatus[sk] {
			seenStatus[sk] = true
			c := fromGuide[r.method]
			c.statuses++
			fromGuide[r.method] = c
		}
	}
	for _, m := range Methods() {
		if got[m] != want[m] {
			t.Errorf("%s: catalog counts %+v, want %+v", m, got[m], want[m])
		}
		if fromGuide[m] != want[m] {
			t.Errorf("%s: guide rows count %+v, want %+v", m, fromGuide[m], want[m])
		}
	}
}

var catalogStatuses = []string{
	StatusStarted, StatusCouponRequested, StatusIncomplete, StatusReviewPending,
	StatusCancelled, StatusSuccess, StatusDeclined,
}

func TestCatalogStatusTypes(t *testing.T) {
	const x = StatusType("") // the method has no such status
	n, no, pre, fin, can := StatusTypeNone, StatusTypeNotification, StatusTypePreliminary, StatusTypeFinal, StatusTypeCancelled
	// columns: started, coupon requested, incomplete, review pending, cancelled, success, declined
	want := map[Method][7]StatusType{
		MethodAutoID: {n, x, no, no, can, fin, fin},
		MethodBasic:  {n, no, n, pre, x, fin, fin},
		MethodEID:    {n, x, n, x, x, fin, fin},
		MethodPhoto:  {n, x, no, no, x, fin, fin},
		MethodVideo:  {n, x, n, pre, x, fin, fin},
	}
	for _, m := range Methods() {
		for i, s := range catalogStatuses {
			w := want[m][i]
			info, ok := LookupStatus(m, s)
			if ok != (w != x) {
				t.Errorf("LookupStatus(%s, %q) ok = %v, want %v", m, s, ok, w != x)
			}
			if w == x {
				w = StatusTypeNone
			} else if info.Type != w || info.Method != m || info.Status != s {
				t.Errorf("LookupStatus(%s, %q) = %s/%q type %q, want type %q", m, s, info.Method, info.Status, info.Type, w)
			}
			if got := StatusTypeOf(m, s); got != w {
				t.Errorf("StatusTypeOf(%s, %q) = %q, want %q", m, s, got, w)
			}
		}
	}
}

func TestCatalogCanResume(t *testing.T) {
	// columns: started, coupon requested, incomplete, review pending, cancelled, success, declined
	want := map[Method][7]bool{
		MethodAutoID: {true, false, true, false, false, false, false},
		MethodBasic:  {true, true, true, false, false, false, false},
		MethodEID:    {true, false, true, false, false, false, false},
		MethodPhoto:  {true, false, true, false, false, false, false},
		MethodVideo:  {true, false, true, false, false, false, false},
	}
	for _, m := range Methods() {
		for i, s := range catalogStatuses {
			if got := CanResume(m, s); got != want[m][i] {
				t.Errorf("CanResume(%s, %q) = %v, want %v", m, s, got, want[m][i])
			}
			info, ok := LookupStatus(m, s)
			if !ok {
				continue
			}
			if info.Resumable != want[m][i] {
				t.Errorf("%s/%q Resumable = %v", m, s, info.Resumable)
			}
			final := s == StatusSuccess || s == StatusDeclined
			if info.Final != final || info.HasResult != final {
				t.Errorf("%s/%q Final = %v, HasResult = %v, want %v", m, s, info.Final, info.HasResult, final)
			}
		}
	}
}

func TestCatalogResultExpected(t *testing.T) {
	tests := []struct {
		m      Method
		status string
		sub    int
		want   bool
	}{
		{MethodAutoID, StatusSuccess, 0, true},
		{MethodAutoID, StatusDeclined, 11, true},
		{MethodAutoID, StatusDeclined, 15, true},
		{MethodAutoID, StatusDeclined, 84, true},
		{MethodAutoID, StatusDeclined, 12, false},
		{MethodAutoID, StatusCancelled, 94, false},
		{MethodAutoID, StatusIncomplete, 80, false},
		{MethodAutoID, StatusReviewPending, 0, false},
		{MethodBasic, StatusSuccess, 0, true},
		{MethodBasic, StatusDeclined, 16, true},
		{MethodBasic, StatusDeclined, 17, true},
		{MethodBasic, StatusDeclined, 12, false},
		{MethodBasic, StatusReviewPending, 0, false},
		{MethodEID, StatusDeclined, 11, true},
		{MethodEID, StatusDeclined, 12, false},
		{MethodPhoto, StatusDeclined, 15, true},
		{MethodPhoto, StatusDeclined, 12, false},
		{MethodVideo, StatusDeclined, 19, true},
		{MethodVideo, StatusDeclined, 99, true},
		{MethodVideo, StatusDeclined, 12, false},
		{MethodVideo, StatusReviewPending, 11, false},
		{MethodVideo, StatusIncomplete, 97, false},
		// success has no subStatus codes; the argument is ignored
		{MethodVideo, StatusSuccess, 42, true},
		// an unlisted subStatus of a final status falls back to HasResult
		{MethodVideo, StatusDeclined, 18, true},
		// unknown method or status
		{Method("nfc"), StatusSuccess, 0, false},
		{MethodVideo, "closed", 0, false},
		{MethodEID, StatusCancelled, 0, false},
	}
	for _, tt := range tests {
		if got := ResultExpected(tt.m, tt.status, tt.sub); got != tt.want {
			t.Errorf("ResultExpected(%s, %q, %d) = %v, want %v", tt.m, tt.status, tt.sub, got, tt.want)
		}
	}
}

func TestCatalogUnknown(t *testing.T) {
	if _, ok := LookupStatus("nfc", StatusStarted); ok {
		t.Error("LookupStatus of unknown method succeeded")
	}
	if _, ok := LookupStatus(MethodVideo, "Success"); ok {
		t.Error("LookupStatus is case-insensitive")
	}
	if _, ok := LookupStatus(MethodBasic, StatusCancelled); ok {
		t.Error("basic has no cancelled (removed 23.11.2020)")
	}
	if s, ok := SubStatusText(MethodVideo, StatusIncomplete, 59); ok {
		t.Errorf("SubStatusText(video, incomplete, 59) = %q", s)
	}
	if s, ok := SubStatusText(MethodVideo, StatusDeclined, 50); ok {
		t.Errorf("subStatus of another status found: %q", s)
	}
	if s, ok := SubStatusText("nfc", StatusDeclined, 11); ok {
		t.Errorf("SubStatusText of unknown method = %q", s)
	}
	if s, ok := ReasonText(MethodVideo, StatusDeclined, 11, 120); ok {
		t.Errorf("reason 120 belongs to subStatus 12, found under 11: %q", s)
	}
	if s, ok := ReasonText(MethodVideo, StatusDeclined, 13, 110); ok {
		t.Errorf("ReasonText with unknown subStatus = %q", s)
	}
	if s, ok := ReasonText(MethodAutoID, StatusDeclined, 11, 815); ok {
		t.Errorf("reason 815 belongs to subStatus 15, found under 11: %q", s)
	}
	if s, ok := ReasonText(MethodBasic, StatusIncomplete, 53, 0); ok {
		t.Errorf("basic incomplete has no reasons, got %q", s)
	}
	if got := StatusTypeOf("nfc", StatusSuccess); got != StatusTypeNone {
		t.Errorf("StatusTypeOf(unknown) = %q", got)
	}
	if CanResume("nfc", StatusStarted) || CanResume(MethodVideo, "closed") {
		t.Error("CanResume of unknown values")
	}
}

func TestCatalogMethods(t *testing.T) {
	want := []Method{"autoid", "basic", "eid", "photo", "video"}
	if got := Methods(); !slices.Equal(got, want) || !slices.IsSorted(got) {
		t.Errorf("Methods() = %q, want %q", got, want)
	}
}

// TestCatalogIsCopy checks that callers cannot change the catalog.
func TestCatalogIsCopy(t *testing.T) {
	c := Catalog()
	for i := range c {
		for j := range c[i].SubStatuses {
			c[i].SubStatuses[j].Text = "x"
			for k := range c[i].SubStatuses[j].Reasons {
				c[i].SubStatuses[j].Reasons[k].Text = "x"
			}
		}
	}
	info, _ := LookupStatus(MethodAutoID, StatusDeclined)
	info.SubStatuses[0].Reasons[0].Text = "x"
	if s, _ := ReasonText(MethodAutoID, StatusDeclined, 11, 830); s != "Identification document from copy instead of original" {
		t.Errorf("catalog changed through a returned value: %q", s)
	}
	if s, _ := SubStatusText(MethodVideo, StatusReviewPending, 15); s != "Abuse" {
		t.Errorf("catalog changed through a returned value: %q", s)
	}
}

func TestCatalogPhotoValidation(t *testing.T) {
	if want := []string{"unchecked", "valid", "invalid"}; !slices.Equal(ValidationStatuses, want) {
		t.Errorf("ValidationStatuses = %q", ValidationStatuses)
	}
	// 4.4.1, validationSubStatus of "invalid" (footnote marks removed).
	want := []string{
		"document not supported", "document not identifiable", "document expired",
		"fraud suspicion", "abuse", "person not identifiable", "bad exposure",
		"too blurry", "partly concealed", "picture detail not sufficient",
	}
	got := PhotoValidationSubStatuses()
	if !slices.Equal(got, want) {
		t.Errorf("PhotoValidationSubStatuses() = %q", got)
	}
	got[0] = "x"
	if PhotoValidationSubStatuses()[0] != want[0] {
		t.Error("PhotoValidationSubStatuses shares its slice")
	}
}
