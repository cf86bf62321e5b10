package connector_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
)

// TestNormalizeEidSpellings: the guide's table in 8.6 spells the eID object
// "additionaDataEid", its samples "additionalDataEid". Decoding plus
// Normalize must give the same CaseResult for either spelling, in a single
// case and in a list, in primaryIdent and in identifications, and must never
// write the misspelling back out.
func TestNormalizeEidSpellings(t *testing.T) {
	// ident renders one identification with the given eID members.
	ident := func(members string) string {
		return `{"identificationMethod":"eid","identificationStatus":{"status":"success"}` + members + `}`
	}
	caseJSON := func(members string) string {
		return `{"caseId":"A1","caseStatus":{"status":"closed"},"primaryIdent":` + ident(members) +
			`,"identifications":[` + ident(members) + `,` + ident("") + `]}`
	}
	eid := func(dkk string) *connector.AdditionalDataEid {
		return &connector.AdditionalDataEid{DKK: connector.Text(dkk)}
	}
	tests := []struct {
		name    string
		members string
		want    *connector.AdditionalDataEid
	}{
		{"neither", ``, nil},
		{"correct", `,"additionalDataEid":{"dkk":"C1"}`, eid("C1")},
		{"misspelled", `,"additionaDataEid":{"dkk":"C1"}`, eid("C1")},
		{"both, correct first", `,"additionalDataEid":{"dkk":"C1"},"additionaDataEid":{"dkk":"M1"}`, eid("C1")},
		{"both, misspelled first", `,"additionaDataEid":{"dkk":"M1"},"additionalDataEid":{"dkk":"C1"}`, eid("C1")},
		{"correct null", `,"additionalDataEid":null,"additionaDataEid":{"dkk":"M1"}`, eid("M1")},
		{"misspelled null", `,"additionaDataEid":null`, nil},
		{"misspelled empty", `,"additionaDataEid":{}`, eid("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := connector.CaseResult{
				CaseID:     "A1",
				CaseStatus: connector.CaseStatus{Status: connector.CaseClosed},
			}
			id := func(e *connector.AdditionalDataEid) connector.IdentificationResult {
				return connector.IdentificationResult{
					IdentificationMethod: connector.MethodEID,
					IdentificationStatus: connector.IdentificationStatus{Status: connector.StatusSuccess},
					AdditionalDataEid:    e,
				}
			}
			p := id(tt.want)
			want.PrimaryIdent = &p
			want.Identifications = []connector.IdentificationResult{id(tt.want), id(nil)}

			var single connector.CaseResult
			if err := connector.Unmarshal([]byte(caseJSON(tt.members)), &single); err != nil {
				t.Fatal(err)
			}
			single.Normalize()
			if !reflect.DeepEqual(single, want) {
				t.Errorf("single: got %+v, want %+v", single, want)
			}

			var list []connector.CaseResult
			if err := connector.Unmarshal([]byte(`[`+caseJSON(tt.members)+`,`+caseJSON(tt.members)+`]`), &list); err != nil {
				t.Fatal(err)
			}
			connector.NormalizeCases(list)
			if len(list) != 2 || !reflect.DeepEqual(list[0], want) || !reflect.DeepEqual(list[1], want) {
				t.Errorf("list: got %+v, want twice %+v", list, want)
			}

			again := single
			again.Normalize()
			if !reflect.DeepEqual(again, want) {
				t.Errorf("Normalize is not idempotent: %+v", again)
			}

			out, err := json.Marshal(&single)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(out, []byte("additionaDataEid")) {
				t.Errorf("the misspelling was written back out: %s", out)
			}
		})
	}
}

// TestNormalizeSpellingsEqual decodes the events test case with its eID
// object under each spelling: the results must be identical.
func TestNormalizeSpellingsEqual(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "case_full.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"additionalDataEid"`)) {
		t.Fatal("the test case has no additionalDataEid")
	}
	misspelled := []byte(strings.ReplaceAll(string(raw), `"additionalDataEid"`, `"additionaDataEid"`))
	decode := func(b []byte) connector.CaseResult {
		t.Helper()
		var c connector.CaseResult
		if err := connector.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		c.Normalize()
		return c
	}
	a, b := decode(raw), decode(misspelled)
	if p := a.Primary(); p == nil || p.AdditionalDataEid == nil {
		t.Fatal("the correct spelling did not fill AdditionalDataEid")
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the spellings decode differently:\n%+v\n%+v", a, b)
	}
}
