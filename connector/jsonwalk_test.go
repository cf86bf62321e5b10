package connector_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/guidesample"
)

func unmappedMap(c *connector.CaseResult) map[string]string {
	got := map[string]string{}
	for _, m := range c.UnmappedMembers() {
		got[m.Path] = string(m.Value)
	}
	return got
}

// TestUnmappedMatchesAsEncodingJSON: a member is unmapped exactly when
// encoding/json put it in no field. encoding/json matches names
// case-insensitively when no exact match exists, and unescapes them, so
// such members are fields, not unmapped; a name only close to a field's
// is unmapped.
func TestUnmappedMatchesAsEncodingJSON(t *testing.T) {
	var c connector.CaseResult
	err := connector.Unmarshal([]byte(`{"CASEID":"A","caseStatus":{"\u0073tatus":"closed","STATUS2":1},
		"accountingData":{"accountingproduct":"P","accounting\u005fnumber":"7","k\u212Aey":"kelvin"}}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.CaseID != "A" || c.CaseStatus.Status != "closed" || c.AccountingData.AccountingProduct != "P" {
		t.Fatalf("encoding/json did not match the names: %+v", c)
	}
	want := map[string]string{
		"/caseStatus/STATUS2":               `1`,
		"/accountingData/accounting_number": `"7"`,
		"/accountingData/k\u212Aey":         `"kelvin"`,
	}
	if got := unmappedMap(&c); !reflect.DeepEqual(got, want) {
		t.Errorf("unmapped:\n got %v\nwant %v", got, want)
	}
}

// TestMarshalWritesUnmappedBack: Marshal writes each unmapped member into
// the object it came from, so Unmarshal(Marshal(c)) has the same unmapped
// members (the simulator serves loaded cases this way), also for an object
// that has nothing but unmapped members; json.Marshal alone drops them.
func TestMarshalWritesUnmappedBack(t *testing.T) {
	doc := strings.Replace(string(guidesample.Case()), `"accountingProduct": "Postident Video"`,
		`"accountingProduct": "Postident Video", "probe": {"score": 2.50, "note": "Grüße"}`, 1)
	doc = strings.Replace(doc, `"caseId": `, `"topLevel": [1, {"a": null}], "caseId": `, 1)
	var c connector.CaseResult
	if err := connector.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	c.Normalize()
	c.OrderData.ProcessData.CallbackURLSuccess = &connector.CallbackURL{Unmapped: json.RawMessage(`{"only":true}`)}
	want := unmappedMap(&c)
	if len(want) != 3 {
		t.Fatalf("the probes were not kept: %v", want)
	}
	b, err := connector.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("Marshal wrote invalid JSON: %s", b)
	}
	var again connector.CaseResult
	if err := connector.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	again.Normalize()
	if got := unmappedMap(&again); !reflect.DeepEqual(got, want) {
		t.Errorf("after a round trip:\n got %v\nwant %v", got, want)
	}
	plain, _ := json.Marshal(&c)
	if strings.Contains(string(plain), "probe") {
		t.Error("json.Marshal wrote an Unmapped slot (it must ignore it)")
	}
}

// TestFindFieldError: encoding/json returns a type's own UnmarshalJSON
// error without a place; FindFieldError finds the value, with its path
// (array indexes included), JSON kind, Go type and offset.
func TestFindFieldError(t *testing.T) {
	doc := `{"caseId":"A","identifications":[{"identificationMethod":"eid"},
		{"identificationMethod":"video","identificationStatus":{"status":"declined","subStatus":{"code":1.5}}}]}`
	var c connector.CaseResult
	err := json.Unmarshal([]byte(doc), &c)
	if err == nil {
		t.Fatal("1.5 decoded as a code")
	}
	fe := connector.FindFieldError([]byte(doc), reflect.TypeOf(&c))
	if fe == nil {
		t.Fatal("not found")
	}
	if fe.Path != "identifications.1.identificationStatus.subStatus.code" || fe.Kind != "number" ||
		fe.Type != reflect.TypeFor[connector.Int]() || doc[fe.Offset:fe.Offset+3] != "1.5" || fe.Err == nil {
		t.Errorf("found %+v", fe)
	}
	if fe := connector.FindFieldError(guidesample.Case(), reflect.TypeOf(&c)); fe != nil {
		t.Errorf("the guide's sample has a refused value: %+v", fe)
	}
	for _, junk := range []string{``, `{`, `{"caseId":`, `[[[`, `{"identifications":[{"identificationStatus":{"subStatus":{"code":`, `"\`} {
		_ = connector.FindFieldError([]byte(junk), reflect.TypeOf(&c)) // must not panic
		connector.KeepUnmapped([]byte(junk), &c)
	}
}

// FuzzKeepUnmapped: for any JSON that decodes into a CaseResult, the walk
// neither panics nor disagrees with itself: the unmapped members survive
// Marshal and Unmarshal, and form valid JSON.
func FuzzKeepUnmapped(f *testing.F) {
	f.Add(guidesample.Case())
	f.Add([]byte(`{"caseId":"A","x":{"y":"\"}"},"caseStatus":{"status":"closed","q":[1,"]"]}}`))
	f.Add([]byte(`{"caseId":"A","identifications":[{"a":1},{"identificationDocument":{"records":[{"h":"\\"}]}}]}`))
	f.Add([]byte(`{"caseId":"A","primaryIdent":{"additionalDataBasic":{"postOfficeCity":true,"z":0}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c connector.CaseResult
		if connector.Unmarshal(b, &c) != nil {
			return
		}
		c.Normalize()
		u := c.UnmappedJSON()
		if u != nil && !json.Valid(u) {
			t.Fatalf("unmappedJson is not JSON: %q", u)
		}
		out, err := connector.Marshal(&c)
		if err != nil {
			return // a value json.Marshal refuses (e.g. invalid UTF-8 kept raw): not the walk's
		}
		var again connector.CaseResult
		if err := connector.Unmarshal(out, &again); err != nil {
			t.Fatalf("Marshal wrote what Unmarshal refuses: %v\n%s", err, out)
		}
		again.Normalize()
		if got := again.UnmappedJSON(); string(got) != string(u) {
			t.Fatalf("unmapped members changed in a round trip:\n%s\n%s", u, got)
		}
	})
}
