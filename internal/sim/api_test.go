package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

func apiAuth(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	id := mustCase(t, s, CaseSpec{}, true)
	ctx := testCtx(t)
	base := srv.URL + APIPrefix
	tests := []struct {
		name, client, user, pass string
		want                     int
	}{
		{"right login", DefaultClientID, DefaultUsername, DefaultPassword, 200},
		{"wrong password", DefaultClientID, DefaultUsername, "nope", 401},
		{"wrong user", DefaultClientID, "other", DefaultPassword, 401},
		{"no login", DefaultClientID, "", "", 401},
		{"unknown client", "OTHERCLIENT", DefaultUsername, DefaultPassword, 401},
		{"client id is case sensitive", strings.ToLower(DefaultClientID), DefaultUsername, DefaultPassword, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []string{"/cases", "/cases/" + id, "/cases/status", "/cases/" + id + "/status/full"} {
				r := call(t, ctx, http.MethodGet, base+tc.client+p, tc.user, tc.pass, "", nil)
				if r.code != tc.want {
					t.Errorf("GET %s: %d, want %d", p, r.code, tc.want)
				}
				if r.code == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("401 without WWW-Authenticate: Basic")
				}
			}
		})
	}
	// The unknown-case check comes after the login check.
	r := call(t, ctx, http.MethodGet, base+"OTHER/cases/NOPE", "", "", "", nil)
	if r.code != 401 {
		t.Errorf("unknown client, unknown case: %d, want 401", r.code)
	}
}

func apiNotFoundAndRouting(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	id := mustCase(t, s, CaseSpec{}, false)
	a := newAPI(t, srv)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/cases/NOSUCHCASE01", 404},
		{"GET", "/cases/NOSUCHCASE01/full", 404},
		{"GET", "/cases/NOSUCHCASE01/status", 404},
		{"GET", "/cases/NOSUCHCASE01/status/full", 404},
		{"GET", "/cases/" + id + "/nonsense", 404},
		{"GET", "/nonsense", 404},
		{"GET", "/cases/archive", 405}, // the archive path takes PATCH only
		{"DELETE", "/cases/" + id, 405},
		{"POST", "/cases/archive", 405},
		{"PUT", "/cases", 405},
		{"GET", "/cases/" + id, 200},
		{"GET", "/cases/" + id + "/", 200},
		{"GET", "/cases/" + id + "/full/", 200},
		{"GET", "/cases/" + id + "/status/", 200},
		{"GET", "/cases/" + id + "/status/full/", 200},
		{"GET", "/cases/", 200},
		{"GET", "/cases/full/", 200},
		{"GET", "/cases/status/", 200},
		{"GET", "/cases/status/full/", 200},
	}
	for _, tc := range tests {
		if r := a.do(tc.method, tc.path, "", nil); r.code != tc.want {
			t.Errorf("%s %s: %d, want %d (%s)", tc.method, tc.path, r.code, tc.want, r.body)
		}
	}
	// Error bodies are JSON.
	r := a.get("/cases/NOSUCHCASE01")
	var eb errorBody
	r.json(t, &eb)
	if eb.Status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("error body %s, content type %s", r.body, r.header.Get("Content-Type"))
	}
}

// apiSingleCaseShapes checks what each single-case endpoint carries.
func apiSingleCaseShapes(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	id := mustCase(t, s, CaseSpec{
		Method: connector.MethodAutoID, Scenario: "cancelled-switch", ExtraMethods: []connector.Method{connector.MethodVideo},
		CustomData: map[string]string{"custom1": "A"}, ReferenceID: "REF-1",
	}, true)
	a := newAPI(t, srv)

	primary := a.get("/cases/" + id)
	m := jsonKeys(t, primary.body)
	for _, k := range []string{"caseId", "caseStatus", "orderData", "contactData", "primaryIdent", "accountingData"} {
		if _, ok := m[k]; !ok {
			t.Errorf("/cases/{id}: %s missing", k)
		}
	}
	if _, ok := m["identifications"]; ok {
		t.Errorf("/cases/{id}: identifications present")
	}
	var cr connector.CaseResult
	primary.json(t, &cr)
	if cr.PrimaryIdent.IdentificationMethod != connector.MethodVideo || cr.PrimaryIdent.IdentificationStatus.Status != connector.StatusSuccess {
		t.Errorf("primary = %s %s, want the video success", cr.PrimaryIdent.IdentificationMethod, cr.PrimaryIdent.IdentificationStatus.Status)
	}
	if cr.OrderData.ProcessData == nil || cr.OrderData.ProcessData.ReferenceID != "REF-1" {
		t.Errorf("processData.referenceId missing")
	}

	full := a.getCase("/cases/" + id + "/full")
	if full.PrimaryIdent != nil || len(full.Identifications) != 2 {
		t.Fatalf("/full: primaryIdent %v, %d identifications", full.PrimaryIdent != nil, len(full.Identifications))
	}
	if full.Identifications[0].IdentificationStatus.Status != connector.StatusCancelled {
		t.Errorf("/full: first identification %s", full.Identifications[0].IdentificationStatus.Status)
	}

	for _, p := range []string{"/status", "/status/full"} {
		r := a.get("/cases/" + id + p)
		m := jsonKeys(t, r.body)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"accountingData", "caseId", "caseStatus", "orderData", "primaryIdent"}
		if p == "/status/full" {
			want = []string{"accountingData", "caseId", "caseStatus", "identifications", "orderData"}
		}
		if !slices.Equal(keys, want) {
			t.Errorf("%s keys %v, want %v", p, keys, want)
		}
		if od := jsonKeys(t, m["orderData"]); len(od) != 1 || od["customData"] == nil {
			t.Errorf("%s orderData %s, want only customData", p, m["orderData"])
		}
		var idents []json.RawMessage
		if p == "/status" {
			idents = []json.RawMessage{m["primaryIdent"]}
		} else if err := json.Unmarshal(m["identifications"], &idents); err != nil {
			t.Fatal(err)
		}
		for _, raw := range idents {
			ik := jsonKeys(t, raw)
			if len(ik) != 2 || ik["identificationMethod"] == nil || ik["identificationStatus"] == nil {
				t.Errorf("%s identification %s, want method and status only", p, raw)
			}
		}
	}
	// The caseStatus object of a case has no caseId (8.3).
	if cs := jsonKeys(t, m["caseStatus"]); cs["caseId"] != nil {
		t.Errorf("caseStatus carries caseId")
	}
}

// apiListFilters walks the filters of 7.5.1 and their defaults.
func apiListFilters(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	newID := mustCase(t, s, CaseSpec{}, false)
	s.Advance(time.Hour)
	progID := mustCase(t, s, CaseSpec{}, false)
	if _, err := s.Step(progID); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Hour)
	closedID := mustCase(t, s, CaseSpec{}, true) // closed at t0+2h
	s.Advance(time.Hour)
	archID := mustCase(t, s, CaseSpec{}, true) // closed at t0+3h
	if r := a.do("PATCH", "/cases/archive", `["`+archID+`"]`, nil); r.code != 200 {
		t.Fatalf("archive: %d %s", r.code, r.body)
	}
	at := func(h int) string {
		return url.QueryEscape(t0.Add(time.Duration(h) * time.Hour).Format(connector.TimeLayout))
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{closedID}},
		{"?closed=true", []string{closedID}},
		{"?new=true", []string{newID, closedID}},
		{"?new=true&closed=false", []string{newID}},
		{"?inProgress=true&closed=false", []string{progID}},
		{"?new=true&inProgress=true", []string{newID, progID, closedID}},
		{"?archived=true", []string{closedID, archID}},
		{"?closed=false", nil},
		{"?new=TRUE&inProgress=True&archived=true", []string{newID, progID, closedID, archID}},
		{"?new=true&inProgress=true&createdFrom=" + at(1), []string{progID, closedID}},
		{"?new=true&inProgress=true&createdUntil=" + at(1), []string{newID, progID}},
		{"?new=true&createdFrom=" + at(1) + "&createdUntil=" + at(1), nil},
		{"?archived=true&closedFrom=" + at(3), []string{archID}},
		{"?archived=true&closedUntil=" + at(2), []string{closedID}},
		{"?new=true&inProgress=true&archived=true&closedFrom=" + at(0), []string{closedID, archID}},
		// Other offsets and the Z form are ISO 8601 with offset as well.
		{"?archived=true&closedFrom=" + url.QueryEscape(t0.Add(3*time.Hour).UTC().Format(time.RFC3339)), []string{archID}},
		{"?archived=true&closedFrom=" + url.QueryEscape(t0.Add(3*time.Hour).In(time.FixedZone("", -5*3600)).Format(connector.TimeLayout)), []string{archID}},
		{"?unknownParameter=1", []string{closedID}},
		// maxResults belongs to the status lists; the data lists ignore it.
		{"?new=true&maxResults=1", []string{newID, closedID}},
	}
	for _, tc := range tests {
		for _, ep := range []string{"/cases", "/cases/", "/cases/full", "/cases/status", "/cases/status/full"} {
			if strings.Contains(tc.query, "maxResults") && strings.Contains(ep, "status") {
				continue
			}
			got, partial := a.getList(ep + tc.query)
			var ids []string
			for _, c := range got {
				ids = append(ids, c.CaseID)
			}
			if !slices.Equal(ids, tc.want) || partial {
				t.Errorf("%s%s: %v (partial %v), want %v", ep, tc.query, ids, partial, tc.want)
			}
		}
	}
	bad := []string{
		"?new=yes", "?closed=1", "?archived=maybe",
		"?createdFrom=2024-03-01", "?createdFrom=2024-03-01T10:00:00", "?closedUntil=yesterday",
		"?createdFrom=2024-03-01T10:00:00+01:00", // unencoded '+' arrives as a space
		"?createdUntil=" + url.QueryEscape("01.03.2024 10:00"),
	}
	for _, q := range bad {
		if r := a.get("/cases" + q); r.code != 400 {
			t.Errorf("GET /cases%s: %d, want 400", q, r.code)
		}
	}
	for _, q := range []string{"?maxResults=0", "?maxResults=-1", "?maxResults=ten"} {
		if r := a.get("/cases/status" + q); r.code != 400 {
			t.Errorf("GET /cases/status%s: %d, want 400", q, r.code)
		}
	}
}

// apiListLimit checks the page size of 1000, X-PARTIAL-DELIVERY, paging
// by archiving, maxResults and the partial page fault.
func apiListLimit(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	var ids []string
	for i := range 1005 {
		ids = append(ids, mustCase(t, s, CaseSpec{Scenario: "started,success"}, true))
		if i%100 == 0 {
			s.Advance(time.Second)
		}
	}
	page, partial := a.getList("/cases")
	if len(page) != MaxListResults || !partial {
		t.Fatalf("first page: %d cases, partial %v", len(page), partial)
	}
	for i, c := range page {
		if c.CaseID != ids[i] {
			t.Fatalf("page[%d] = %s, want %s (ordered by creation)", i, c.CaseID, ids[i])
		}
	}
	if st, partial := a.getList("/cases/status"); len(st) != MaxListResults || !partial {
		t.Errorf("status page: %d, partial %v", len(st), partial)
	}
	if st, partial := a.getList("/cases/status?maxResults=5000"); len(st) != MaxListResults || !partial {
		t.Errorf("maxResults above 1000: %d, partial %v", len(st), partial)
	}
	if st, partial := a.getList("/cases/status/full?maxResults=10"); len(st) != 10 || !partial {
		t.Errorf("maxResults=10: %d, partial %v", len(st), partial)
	}
	// Archive the first page; the rest comes next, without the header.
	body, _ := json.Marshal(ids[:MaxListResults])
	var archived []connector.CaseStatus
	r := a.do("PATCH", "/cases/archive", string(body), nil)
	r.json(t, &archived)
	if len(archived) != MaxListResults {
		t.Fatalf("archived %d", len(archived))
	}
	page, partial = a.getList("/cases")
	if len(page) != 5 || partial {
		t.Errorf("second page: %d, partial %v", len(page), partial)
	}
	if st, partial := a.getList("/cases/status?maxResults=5"); len(st) != 5 || partial {
		t.Errorf("maxResults=5 of 5: %d, partial %v", len(st), partial)
	}

	s.SetFaults(Faults{PartialPageSize: 2})
	page, partial = a.getList("/cases")
	if len(page) != 2 || !partial {
		t.Errorf("partial page fault: %d, partial %v", len(page), partial)
	}
}

func apiArchive(t *testing.T) {
	s, srv := newTestSim(t, Config{ArchiveCaseID: true})
	a := newAPI(t, srv)
	closed := mustCase(t, s, CaseSpec{}, true)
	open := mustCase(t, s, CaseSpec{}, false)
	s.Advance(time.Minute)

	var out []connector.CaseStatus
	r := a.do("PATCH", "/cases/archive", fmt.Sprintf(`["%s","%s","NOSUCHCASE01","%s"]`, closed, open, closed), nil)
	if r.code != 200 {
		t.Fatalf("archive: %d %s", r.code, r.body)
	}
	r.json(t, &out)
	if len(out) != 1 || out[0].CaseID != closed || !out[0].Archived || out[0].Status != connector.CaseClosed || out[0].Created.IsZero() {
		t.Errorf("archive answer %s", r.body)
	}
	if !s.IsArchived(closed) || s.IsArchived(open) || s.ArchivedCount() != 1 {
		t.Errorf("archived flags wrong")
	}
	if cr := a.getCase("/cases/" + closed); !cr.CaseStatus.Archived {
		t.Errorf("case does not show archived")
	}
	// Already archived stays archived; not listed as updated again.
	r = a.do("PATCH", "/cases/archive", `["`+closed+`"]`, nil)
	if r.code != 200 || strings.TrimSpace(string(r.body)) != "[]" || !s.IsArchived(closed) {
		t.Errorf("second archive: %d %s", r.code, r.body)
	}
	// Limits and malformed bodies.
	ids := make([]string, MaxArchiveIDs+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("ID%010d", i)
	}
	tooMany, _ := json.Marshal(ids)
	exact, _ := json.Marshal(ids[:MaxArchiveIDs])
	tests := []struct {
		name, body string
		want       int
	}{
		{"10001 ids", string(tooMany), 400},
		{"10000 ids", string(exact), 200},
		{"empty array", "[]", 200},
		{"no body", "", 400},
		{"comma list", `"a","b"`, 400},
		{"object", `{"ids":["a"]}`, 400},
		{"numbers", `[1,2]`, 400},
		{"null", `null`, 400},
	}
	for _, tc := range tests {
		if r := a.do("PATCH", "/cases/archive", tc.body, nil); r.code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.code, tc.want)
		}
	}
	// Content-Type is mandatory (7.2.5) on calls with a body.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
		if r := a.do("PATCH", "/cases/archive", "[]", map[string]string{"Content-Type": ct}); r.code != 415 {
			t.Errorf("archive with %s: %d, want 415", ct, r.code)
		}
		if r := a.do("POST", "/cases", "{}", map[string]string{"Content-Type": ct}); r.code != 415 {
			t.Errorf("start with %s: %d, want 415", ct, r.code)
		}
	}
	if r := a.do("PATCH", "/cases/archive", "[]", map[string]string{"Content-Type": "application/json; charset=UTF-8"}); r.code != 200 {
		t.Errorf("archive with charset: %d", r.code)
	}
}

func TestStartAPIAndPartner(t *testing.T) {
	s, srv := newTestSim(t, Config{PartnerUsername: "partner", PartnerPassword: "partner-pw"})
	a := newAPI(t, srv)
	body := `{"processData":{"referenceId":"R-7","webHookUrlPartner":"https://partner.example/hook"},
		"customData":{"custom1":"X"},"contactDataProvided":{"firstName":"Erika","lastName":"Testfrau","email":"e@example.com"}}`
	r := a.do("POST", "/cases", body, map[string]string{"x-sim-method": "eid", "x-sim-class": "tkg"})
	if r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	var sr startResponse
	r.json(t, &sr)
	if !connector.ValidCaseID(sr.CaseID) || len(sr.CaseID) != 12 {
		t.Fatalf("caseId %q", sr.CaseID)
	}
	cr := a.getCase("/cases/" + sr.CaseID)
	if cr.CaseStatus.Status != connector.CaseNew || cr.OrderData.ProcessData.ReferenceID != "R-7" || cr.PrimaryIdent != nil {
		t.Errorf("started case: %+v", cr.CaseStatus)
	}
	if err := s.RunToEnd(sr.CaseID); err != nil {
		t.Fatal(err)
	}
	cr = a.getCase("/cases/" + sr.CaseID)
	if cr.PrimaryIdent.IdentificationMethod != connector.MethodEID {
		t.Errorf("method %s, want eid", cr.PrimaryIdent.IdentificationMethod)
	}
	if f := cr.ContactData.FirstName; f.Value != "Erika" || f.Status != connector.FieldMatch {
		t.Errorf("provided first name: %+v", f)
	}
	if f := cr.ContactData.Email; f.Value != "e@example.com" || f.Status != connector.FieldMatch {
		t.Errorf("provided email: %+v", f)
	}
	bad := []struct{ hdr, val string }{{"x-sim-method", "telepathy"}, {"x-sim-class", "none"}, {"x-sim-scenario", "started,flying"}}
	for _, b := range bad {
		if r := a.do("POST", "/cases", "{}", map[string]string{b.hdr: b.val}); r.code != 400 {
			t.Errorf("start with %s=%s: %d", b.hdr, b.val, r.code)
		}
	}
	if r := a.do("POST", "/cases", `{"processData":{"webHookUrl":"https://x.example/h?ref=1"}}`, nil); r.code != 400 {
		t.Errorf("webhook URL with query: %d, want 400 (guide 5)", r.code)
	}

	// The partner starts cases and reads status; result data is the client's.
	ctx := testCtx(t)
	pcall := func(method, path, body string) response {
		return call(t, ctx, method, a.url(path), "partner", "partner-pw", body, nil)
	}
	r = pcall("POST", "/cases", `{"customData":{"c":"p"}}`)
	if r.code != 200 {
		t.Fatalf("partner start: %d", r.code)
	}
	r.json(t, &sr)
	for _, p := range []string{"/cases/" + sr.CaseID + "/status", "/cases/" + sr.CaseID + "/status/full", "/cases/status", "/cases/status/full"} {
		if r := pcall("GET", p, ""); r.code != 200 {
			t.Errorf("partner GET %s: %d", p, r.code)
		}
	}
	for _, p := range []string{"/cases/" + sr.CaseID, "/cases/" + sr.CaseID + "/full", "/cases", "/cases/full"} {
		if r := pcall("GET", p, ""); r.code != 403 {
			t.Errorf("partner GET %s: %d, want 403", p, r.code)
		}
	}
	if r := pcall("PATCH", "/cases/archive", "[]"); r.code != 403 {
		t.Errorf("partner archive: %d, want 403", r.code)
	}
	pc := a.getCase("/cases/" + sr.CaseID + "/status")
	if pc.AccountingData.AccountingNumber == cr.AccountingData.AccountingNumber {
		t.Errorf("partner case has the client's accounting number")
	}
}

// TestFaultsAPI: injected 5xx and latency on the SCR API.
func TestFaultsAPI(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	s.SetFaults(Faults{ErrorRate: 1})
	if r := a.get("/cases"); r.code != 500 && r.code != 503 {
		t.Errorf("error rate 1: %d", r.code)
	}
	s.SetFaults(Faults{Latency: time.Millisecond})
	if r := a.get("/cases"); r.code != 200 {
		t.Errorf("latency: %d", r.code)
	}
}
