package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/jpeg"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// guideNow lies shortly after the sample case of 7.4.1 was closed, so that
// retention (150 days) and validUntil keep it.
func guideNow() time.Time { return time.Date(2016, 7, 6, 12, 0, 0, 0, berlin) }

func loadGuideCase(t *testing.T, s *Sim) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/guide_7_4_1.json")
	if err != nil {
		t.Fatal(err)
	}
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

// TestGuideSample741 loads the case of the guide's sample 7.4.1 and checks
// that GET /cases/YR9W91GEZK24 returns it field for field (with and without
// the trailing slash the guide writes).
func TestGuideSample741(t *testing.T) {
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

// TestGuideSample742 checks the status shape of 7.4.2: the sample response
// (identifications array) with StatusIdentificationsArray, and the shape
// the text describes (primaryIdent) by default.
func TestGuideSample742(t *testing.T) {
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

// TestGuideSampleBinary asks the sample case for its bytes: GwG delivers
// user face and document images and the result PDF.
func TestGuideSampleBinary(t *testing.T) {
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
