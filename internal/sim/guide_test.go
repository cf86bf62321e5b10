package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/guidesample"
	"github.com/postident-connector/postident-connector/internal/scr"
)

// guideNow lies shortly after the sample case of 7.4.1 was closed, so that
// retention (150 days) and validUntil keep it.
func guideNow() time.Time { return time.Date(2016, 7, 6, 12, 0, 0, 0, berlin) }

func loadGuideCase(t *testing.T, s *Sim) []byte {
	t.Helper()
	raw := guidesample.Case()
	var cr connector.CaseResult
	if err := json.Unmarshal(raw, &cr); err != nil {
		t.Fatalf("decode sample: %v", err)
	}
	if err := s.LoadCase(cr, connector.ClassGwG); err != nil {
		t.Fatalf("load sample: %v", err)
	}
	return raw
}

// normalize decodes JSON into generic values and drops members whose value
// is the empty string: connector.IdentificationDocumentProvided has
// omitempty on its strings, so the sample's "placeOfIssue": "" in the
// provided data cannot survive a round trip through the domain types.
func normalize(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if e == "" {
					delete(x, k)
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return walk(v)
}

// diffJSON reports the first paths where a and b differ.
func diffJSON(path string, a, b any, out *[]string) {
	if len(*out) > 10 {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, path+": type differs")
			return
		}
		for k := range x {
			diffJSON(path+"."+k, x[k], y[k], out)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				*out = append(*out, path+"."+k+": unexpected")
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			*out = append(*out, path+": array differs")
			return
		}
		for i := range x {
			diffJSON(path+"[]", x[i], y[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, path+": want "+jsonString(a)+", got "+jsonString(b))
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func assertSameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	var diffs []string
	diffJSON("$", normalize(t, want), normalize(t, got), &diffs)
	for _, d := range diffs {
		t.Error(d)
	}
}

// guideSample741 loads the case of the guide's sample 7.4.1 and checks
// that GET /cases/YR9W91GEZK24 returns it field for field (with and without
// the trailing slash the guide writes).
func guideSample741(t *testing.T) {
	s, srv := newTestSim(t, Config{Now: guideNow})
	want := loadGuideCase(t, s)
	a := newAPI(t, srv)
	for _, p := range []string{"/cases/YR9W91GEZK24", "/cases/YR9W91GEZK24/"} {
		r := a.get(p)
		if r.code != 200 {
			t.Fatalf("GET %s: %d %s", p, r.code, r.body)
		}
		assertSameJSON(t, want, r.body)
	}
	// Empty objects of the sample ("title": {}) come back as {}.
	r := a.get("/cases/YR9W91GEZK24")
	cd := jsonKeys(t, jsonKeys(t, r.body)["contactData"])
	if string(cd["title"]) != "{}" || string(cd["epost"]) != "{}" {
		t.Errorf("empty objects: title %s epost %s", cd["title"], cd["epost"])
	}
}

// guideSample742 checks the status shape of 7.4.2: the sample response
// (identifications array) with StatusIdentificationsArray, and the shape
// the text describes (primaryIdent) by default.
func guideSample742(t *testing.T) {
	want, err := os.ReadFile("testdata/guide_7_4_2.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("sample shape", func(t *testing.T) {
		s, srv := newTestSim(t, Config{Now: guideNow, StatusIdentificationsArray: true})
		loadGuideCase(t, s)
		r := newAPI(t, srv).get("/cases/YR9W91GEZK24/status")
		assertSameJSON(t, want, r.body)
	})
	t.Run("text shape", func(t *testing.T) {
		s, srv := newTestSim(t, Config{Now: guideNow})
		loadGuideCase(t, s)
		a := newAPI(t, srv)
		var m map[string]any
		if err := json.Unmarshal(want, &m); err != nil {
			t.Fatal(err)
		}
		m["primaryIdent"] = m["identifications"].([]any)[0]
		delete(m, "identifications")
		wantPrimary, _ := json.Marshal(m)
		assertSameJSON(t, wantPrimary, a.get("/cases/YR9W91GEZK24/status").body)
		// /status/full carries the identifications array.
		assertSameJSON(t, want, a.get("/cases/YR9W91GEZK24/status/full").body)
	})
}

// guideSampleBinary asks the sample case for its bytes: GwG delivers
// user face and document images and the result PDF.
func guideSampleBinary(t *testing.T) {
	s, srv := newTestSim(t, Config{Now: guideNow})
	loadGuideCase(t, s)
	a := newAPI(t, srv)
	cr := a.getCase("/cases/YR9W91GEZK24?includeResultPdf=true&includeBinaryData=true")
	p := cr.PrimaryIdent
	for _, rec := range append(p.Records, p.IdentificationDocument.Records...) {
		if rec.DocumentData == "" {
			t.Errorf("record %s has no documentData", rec.Type)
			continue
		}
		b, err := base64.StdEncoding.DecodeString(rec.DocumentData)
		if err != nil {
			t.Fatalf("record %s: %v", rec.Type, err)
		}
		if rec.MimeType == "application/pdf" {
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("%%EOF")) {
				t.Errorf("record %s is no PDF", rec.Type)
			}
			continue
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("record %s is no JPEG: %v", rec.Type, err)
		}
	}
	// Only the PDF when only the PDF was asked for.
	cr = a.getCase("/cases/YR9W91GEZK24?includeResultPdf=true")
	for _, rec := range append(cr.PrimaryIdent.Records, cr.PrimaryIdent.IdentificationDocument.Records...) {
		if (rec.DocumentData != "") != (rec.Type == connector.RecordResultPDF) {
			t.Errorf("record %s: documentData present=%v", rec.Type, rec.DocumentData != "")
		}
	}
}

// guide761ArchiveAnswer: "The response of the PI System contains a list
// of status objects, one for each updated case" (7.6.1), of type CaseStatus
// (8.3: status, archived, validUntil, created, modified) - no caseId. The
// connector's client reads that shape (and the one with caseId, which
// Config.ArchiveCaseID keeps for tests of tolerance).
func guide761ArchiveAnswer(t *testing.T) {
	for _, withID := range []bool{false, true} {
		s, srv := newTestSim(t, Config{ArchiveCaseID: withID})
		a := newAPI(t, srv)
		closed := []string{mustCase(t, s, CaseSpec{}, true), mustCase(t, s, CaseSpec{Method: connector.MethodEID}, true)}
		open := mustCase(t, s, CaseSpec{}, false)
		s.Advance(time.Minute)
		r := a.do("PATCH", "/cases/archive", fmt.Sprintf(`["%s","%s","%s"]`, closed[0], open, closed[1]), nil)
		if r.code != 200 {
			t.Fatalf("archive: %d %s", r.code, r.body)
		}
		var raw []map[string]any
		r.json(t, &raw)
		if len(raw) != 2 {
			t.Fatalf("archive answer %s: want one status object per updated case", r.body)
		}
		want := []string{"archived", "created", "modified", "status", "validUntil"}
		if withID {
			want = []string{"archived", "caseId", "created", "modified", "status", "validUntil"}
		}
		for _, o := range raw {
			keys := make([]string, 0, len(o))
			for k := range o {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, want) {
				t.Errorf("ArchiveCaseID=%v: status object has %v, want %v (guide 7.6.1, 8.3)", withID, keys, want)
			}
			if o["status"] != connector.CaseClosed || o["archived"] != true {
				t.Errorf("status object %v", o)
			}
		}

		// The connector's client parses the answer.
		more := mustCase(t, s, CaseSpec{Method: connector.MethodBasic}, true)
		c, err := scr.New(scr.Config{BaseURL: srv.URL + strings.TrimSuffix(APIPrefix, "/"), ClientID: DefaultClientID,
			Username: DefaultUsername, Password: DefaultPassword})
		if err != nil {
			t.Fatal(err)
		}
		sts, err := c.Archive(testCtx(t), []string{more, open})
		c.Close()
		if err != nil || len(sts) != 1 || !sts[0].Archived || sts[0].Status != connector.CaseClosed || sts[0].Created.IsZero() {
			t.Errorf("ArchiveCaseID=%v: scr.Client.Archive = %+v, %v", withID, sts, err)
		}
		if (sts[0].CaseID != "") != withID {
			t.Errorf("ArchiveCaseID=%v: caseId %q", withID, sts[0].CaseID)
		}
	}
}

// guide85ChangeStatus: "change" means the provided data "is
// overwritten by the data from the identification document" (8.6.2; 8.5
// for contact data from the identification process in basic and video;
// 8.6.3 for the driving licence). A user who restarts after 'incomplete'
// "with another valid identification document" (chapter 4) brings a
// document the provided data does not describe; the person's names and
// birth date still match. Without a restart, provided data matches.
func guide85ChangeStatus(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	order := `{"contactDataProvided":{"firstName":"Erika","lastName":"Testfrau","email":"e@example.com",
		"address":{"streetAddress":"Altweg 1","postalCode":"11111","city":"Altstadt","country":"DEU"}},
		"identificationDocumentProvided":{"firstName":"Erika","lastName":"Testfrau","birthDate":"1980-01-01",
		"number":"OLD000001","dateOfExpiry":"2020-01-01","dateIssued":"2010-01-01","authority":"Stadt Alt",
		"address":{"streetAddress":"Altweg 1","postalCode":"11111","city":"Altstadt","country":"DEU"}},
		"drivingLicenceProvided":{"number":"DLOLD0001","dateOfExpiry":"2020-01-01"}}`
	start := func(method, class, scenario string) connector.CaseResult {
		t.Helper()
		r := a.do("POST", "/cases", order, map[string]string{"x-sim-method": method, "x-sim-class": class, "x-sim-scenario": scenario})
		if r.code != 200 {
			t.Fatalf("start: %d %s", r.code, r.body)
		}
		var sr startResponse
		r.json(t, &sr)
		if err := s.RunToEnd(sr.CaseID); err != nil {
			t.Fatal(err)
		}
		return a.getCase("/cases/" + sr.CaseID)
	}
	isChange := func(f *connector.Field, provided string) bool {
		return f != nil && f.Status == connector.FieldChange && string(f.Value) != provided && f.Value != ""
	}
	isMatch := func(f *connector.Field, provided string) bool {
		return f != nil && f.Status == connector.FieldMatch && string(f.Value) == provided
	}
	for _, m := range []string{"video", "basic", "autoid", "eid"} {
		restart := map[string]string{"video": "incomplete-then-success", "basic": "incomplete-then-success",
			"autoid": "incomplete-retry-success", "eid": "incomplete-then-success"}[m]
		cr := start(m, "GwG", restart)
		d := cr.PrimaryIdent.IdentificationDocument
		if !isChange(d.DateOfExpiry, "2020-01-01") || !isChange(d.Address.StreetAddress, "Altweg 1") || !isChange(d.Address.City, "Altstadt") {
			t.Errorf("%s %s: document not 'change': expiry %+v, street %+v", m, restart, d.DateOfExpiry, d.Address.StreetAddress)
		}
		if m != "eid" && (!isChange(d.Number, "OLD000001") || !isChange(d.DateIssued, "2010-01-01") || !isChange(d.Authority, "Stadt Alt")) {
			t.Errorf("%s %s: number/dateIssued/authority not 'change': %+v %+v %+v", m, restart, d.Number, d.DateIssued, d.Authority)
		}
		if !isMatch(d.FirstName, "Erika") || !isMatch(d.LastName, "Testfrau") || !isMatch(d.BirthDate, "1980-01-01") {
			t.Errorf("%s %s: the person changed: %+v %+v %+v", m, restart, d.FirstName, d.LastName, d.BirthDate)
		}
		addr := cr.ContactData.Address
		fromIdent := m == "video" || m == "basic"
		if got := isChange(addr.StreetAddress, "Altweg 1") && isChange(addr.PostalCode, "11111"); got != fromIdent {
			t.Errorf("%s %s: contact address 'change' = %v, want %v (8.5: from the identification process in basic and video)", m, restart, got, fromIdent)
		}
		if !isMatch(cr.ContactData.Email, "e@example.com") || !isMatch(cr.ContactData.FirstName, "Erika") {
			t.Errorf("%s: contact email/name %+v %+v", m, cr.ContactData.Email, cr.ContactData.FirstName)
		}

		cr = start(m, "GwG", "success")
		d = cr.PrimaryIdent.IdentificationDocument
		if !isMatch(d.DateOfExpiry, "2020-01-01") || !isMatch(d.Address.StreetAddress, "Altweg 1") || !isMatch(cr.ContactData.Address.City, "Altstadt") {
			t.Errorf("%s success: provided data not 'match': %+v %+v", m, d.DateOfExpiry, d.Address.StreetAddress)
		}
	}
	// 8.6.3: the driving licence of method photo (Mobility).
	cr := start("photo", "Mobility", "started,incomplete:32,review pending,success")
	if dl := cr.PrimaryIdent.DrivingLicence; dl == nil || !isChange(dl.Number, "DLOLD0001") || !isChange(dl.DateOfExpiry, "2020-01-01") {
		t.Errorf("photo restarted: driving licence %+v", cr.PrimaryIdent.DrivingLicence)
	}
	cr = start("photo", "Mobility", "started,review pending,success")
	if dl := cr.PrimaryIdent.DrivingLicence; dl == nil || !isMatch(dl.Number, "DLOLD0001") {
		t.Errorf("photo: driving licence %+v", cr.PrimaryIdent.DrivingLicence)
	}
}

// guide867ResultPDFTypes: the method-level file types of 8.6.7 are
// 'result', 'resultdata' and 'resultimages' (all PDF). Some cases carry the
// latter two, with file names "<caseid>_<type>_<method>.pdf" and, when
// includeResultPdf asks, the PDF bytes; every result still has 'result'.
func guide867ResultPDFTypes(t *testing.T) {
	s, srv := newTestSim(t, Config{Seed: 11})
	a := newAPI(t, srv)
	split, plain := 0, 0
	for i := range 40 {
		m := connector.Methods()[i%len(connector.Methods())]
		id := mustCase(t, s, CaseSpec{Method: m, Class: connector.ClassGwG}, true)
		recs := a.getCase("/cases/" + id + "?includeResultPdf=true").PrimaryIdent.Records
		types := recordTypes(recs)
		if len(types) == 0 || types[0] != connector.RecordResultPDF {
			t.Fatalf("%s %s: records %v do not start with 'result'", id, m, types)
		}
		if !slices.Contains(types, connector.RecordResultData) {
			plain++
			if slices.Contains(types, connector.RecordResultImages) {
				t.Errorf("%s: resultimages without resultdata", id)
			}
			continue
		}
		split++
		for _, r := range recs[1:3] {
			want := id + "_" + r.Type + "_" + string(m) + ".pdf"
			if r.BelongsTo != connector.BelongsToMethod || r.MimeType != "application/pdf" || r.FileName != want {
				t.Errorf("%s: record %+v, want fileName %s", id, r, want)
			}
			b, err := base64.StdEncoding.DecodeString(r.DocumentData)
			if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Errorf("%s: %s bytes are no PDF", id, r.Type)
			}
		}
		if types[1] != connector.RecordResultData || types[2] != connector.RecordResultImages {
			t.Errorf("%s: types %v", id, types)
		}
	}
	if split == 0 || plain == 0 {
		t.Errorf("split result PDFs in %d of %d cases; want some of each", split, split+plain)
	}
}
