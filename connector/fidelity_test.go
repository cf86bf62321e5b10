package connector_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/guidesample"
)

func decodeCase(t *testing.T, b []byte) connector.CaseResult {
	t.Helper()
	var c connector.CaseResult
	if err := connector.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c.Normalize()
	return c
}

// TestNormalizeGuide82Names: guide 8.2 lists the members of a CaseResult as
// contactDataResult and primaryIdentification, where the sample of 7.4.1 and
// the API write contactData and primaryIdent. Either name decodes to the
// same CaseResult; the sample's name wins when both are present; the 8.2
// names are never written back out. Failed before: both objects were
// dropped (Primary() == nil).
func TestNormalizeGuide82Names(t *testing.T) {
	raw := guidesample.Case()
	want := decodeCase(t, raw)
	guide := strings.Replace(strings.Replace(string(raw), `"contactData":`, `"contactDataResult":`, 1), `"primaryIdent":`, `"primaryIdentification":`, 1)
	got := decodeCase(t, []byte(guide))
	if got.Primary() == nil || got.ContactData == nil {
		t.Fatalf("the 8.2 names were not decoded: primary %v, contactData %v", got.Primary(), got.ContactData)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the 8.2 names decode differently:\n%+v\n%+v", got, want)
	}
	if got.UnmappedMembers() != nil {
		t.Errorf("the 8.2 names were reported unmapped: %v", got.UnmappedMembers())
	}
	again := got
	again.Normalize()
	if !reflect.DeepEqual(again, want) {
		t.Error("Normalize is not idempotent")
	}
	out, err := json.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("contactDataResult")) || bytes.Contains(out, []byte("primaryIdentification")) {
		t.Errorf("the 8.2 names were written back out")
	}

	both := decodeCase(t, []byte(`{"caseId":"A","caseStatus":{"status":"closed"},
		"primaryIdentification":{"identificationMethod":"eid","identificationStatus":{"status":"declined"}},
		"primaryIdent":{"identificationMethod":"video","identificationStatus":{"status":"success"}},
		"contactDataResult":{"email":{"value":"b@x","status":"new"}},
		"contactData":{"email":{"value":"a@x","status":"new"}}}`))
	if both.Primary().IdentificationMethod != connector.MethodVideo || both.ContactData.Email.Value != "a@x" {
		t.Errorf("with both names the sample's must win: %+v", both)
	}
}

// TestNormalizeAllocatesNothing: Normalize runs on every decoded case (the
// hot path); folding the other spellings must not allocate.
func TestNormalizeAllocatesNothing(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "case_full.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := decodeCase(t, raw)
	if n := testing.AllocsPerRun(100, func() {
		c.ContactDataResult, c.ContactData = c.ContactData, nil
		c.PrimaryIdentification, c.PrimaryIdent = c.PrimaryIdent, nil
		c.Normalize()
	}); n != 0 {
		t.Errorf("Normalize allocates %v times", n)
	}
}

// TestDocumentBytesLineBreaks: documentData is "base64 binary document
// data" (8.6.7), with no word on wrapping: MIME-style lines (CRLF, or folded
// with a space or tab) and missing padding decode to the same bytes.
// Failed before for the folded and unpadded forms: "illegal base64 data".
func TestDocumentBytesLineBreaks(t *testing.T) {
	data := bytes.Repeat([]byte("%PDF-1.4 POSTIDENT\x00\xff"), 20)
	enc := base64.StdEncoding.EncodeToString(data)
	wrap := func(sep string) string {
		var b strings.Builder
		for i := 0; i < len(enc); i += 76 {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(enc[min(i, len(enc)):min(i+76, len(enc))])
		}
		return b.String()
	}
	for name, s := range map[string]string{
		"plain":      enc,
		"LF":         wrap("\n"),
		"CRLF":       wrap("\r\n") + "\r\n",
		"folded":     wrap("\r\n "),
		"tab folded": wrap("\n\t"),
		"unpadded":   strings.TrimRight(enc, "="),
	} {
		r := connector.RecordResult{DocumentData: s}
		got, err := r.DocumentBytes()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"QUJD*REVG", "QUJDR", "QUJD-_"} {
		r := connector.RecordResult{DocumentData: bad}
		if _, err := r.DocumentBytes(); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// identJSON is one identification of method m in status, last modified at
// minute min of the same hour.
func identJSON(m, status, min string) string {
	return `{"identificationMethod":"` + m + `","identificationStatus":{"status":"` + status +
		`","created":"2024-04-02T10:00:00+02:00","modified":"2024-04-02T10:` + min + `:00+02:00"}}`
}

// TestPrimaryGuide26Order: without primaryIdent, the primary identification
// is the most progressed (7.3) by the per-method order of the summary
// tables of guide 2.6; on equal rank the most recently modified. For AutoID
// and photo, review pending comes before incomplete; for basic, eID and
// video, incomplete comes before review pending. Failed before for the
// AutoID/photo rows: one order for every method put review pending above
// incomplete.
func TestPrimaryGuide26Order(t *testing.T) {
	tests := []struct {
		name   string
		idents []string
		want   int
	}{
		{"autoid: incomplete after review pending (2.6 AutoID/Photo)",
			[]string{identJSON("autoid", "review pending", "05"), identJSON("autoid", "incomplete", "01")}, 1},
		{"photo: incomplete after review pending (2.6 AutoID/Photo)",
			[]string{identJSON("photo", "incomplete", "01"), identJSON("photo", "review pending", "05")}, 0},
		{"video: review pending after incomplete (2.6 Basic/eID/Video)",
			[]string{identJSON("video", "incomplete", "05"), identJSON("video", "review pending", "01")}, 1},
		{"basic: review pending after coupon requested",
			[]string{identJSON("basic", "review pending", "01"), identJSON("basic", "coupon requested", "05")}, 0},
		{"eid incomplete over autoid review pending",
			[]string{identJSON("autoid", "review pending", "05"), identJSON("eid", "incomplete", "01")}, 1},
		{"final over everything",
			[]string{identJSON("video", "review pending", "09"), identJSON("photo", "declined", "01")}, 1},
		{"cancelled below started: the method the user switched to (4.1)",
			[]string{identJSON("autoid", "cancelled", "09"), identJSON("video", "started", "01")}, 1},
		{"equal rank: most recently modified",
			[]string{identJSON("eid", "incomplete", "02"), identJSON("video", "incomplete", "07")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeCase(t, []byte(`{"caseId":"A","caseStatus":{"status":"in progress"},"identifications":[`+strings.Join(tt.idents, ",")+`]}`))
			if got := c.Primary(); got != &c.Identifications[tt.want] {
				t.Errorf("primary %+v, want identification %d", got.IdentificationStatus, tt.want)
			}
		})
	}
}

// TestTextAndInt: the tolerant scalars keep a number's literal text and
// refuse what cannot be text (or a 32-bit integer) without altering it.
func TestTextAndInt(t *testing.T) {
	for in, want := range map[string]connector.Text{
		`"227208750"`: "227208750", `227208750`: "227208750", `85014869`: "85014869", `-1.50e+3`: "-1.50e+3",
		`0`: "0", `null`: "", `""`: "", `"K\u00f6ln \"1\""`: `Köln "1"`, `"Köln"`: "Köln",
	} {
		var got connector.Text
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Text %s = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`true`, `false`, `{}`, `[]`, `["1"]`} {
		var got connector.Text
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Text %s decoded to %q", in, got)
		}
	}
	for in, want := range map[string]connector.Int{`11`: 11, `"11"`: 11, `-3`: -3, `"2147483647"`: 2147483647, `null`: 0} {
		var got connector.Int
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Int %s = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{`1.5`, `1e3`, `"1.0"`, `" 11"`, `""`, `2147483648`, `"x"`, `true`, `[]`, `{}`} {
		var got connector.Int
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Int %s decoded to %d", in, got)
		}
	}
	b, err := json.Marshal(struct{ T connector.Text }{"227208750"})
	if err != nil || string(b) != `{"T":"227208750"}` {
		t.Errorf("Text marshals as %s, %v", b, err)
	}
}

// TestUnmappedPaths: members the model has no field for are reported with
// their JSON Pointer, in the parts the CaseResult event carries, including
// a primary identification taken from an identifications array; members of
// the other identifications are not (the event has no place for them).
func TestUnmappedPaths(t *testing.T) {
	c := decodeCase(t, []byte(`{"caseId":"A","x/y":1,"caseStatus":{"status":"closed","reason":"r"},
		"orderData":{"processData":{"callbackUrlSuccess":{"webUrl":"u","deepLink":"d"}},"contactDataProvided":{"address":{"geo":[1,2]}}},
		"contactData":{"email":{"value":"e","status":"new","verified":true},"address":{"city":{"value":"c","status":"new"},"addressMatch":{"undeliverable":false,"since":"2020"}}},
		"identifications":[
			{"identificationMethod":"eid","identificationStatus":{"status":"started"},"other":1},
			{"identificationMethod":"video","identificationStatus":{"status":"success","subStatus":{"code":1,"group":"g"}},
			 "identificationDocument":{"firstName":{"value":"f","status":"new","conf":0.9},"records":[{"recordId":"1"},{"recordId":"2","hash":"h"}]},
			 "drivingLicence":{"drivingLicenceClasses":[{"className":{"value":"B","status":"new"},"code":"B"}]},
			 "additionalDataBasic":{"idCardReaderCheck":{"checkedCategories":[{"failedChecksOfIdCardReader":[{"additionalInformation":[{"key":"k","value":"v","unit":"mm"}]}]}]}},
			 "additionalDataVideo":{"agentLanguage":"de"}}],
		"accountingData":{"costCenter":"7"}}`))
	got := map[string]string{}
	for _, m := range c.UnmappedMembers() {
		got[m.Path] = string(m.Value)
	}
	want := map[string]string{
		"/x~1y":              `1`,
		"/caseStatus/reason": `"r"`,
		"/orderData/processData/callbackUrlSuccess/deepLink":             `"d"`,
		"/orderData/contactDataProvided/address/geo":                     `[1,2]`,
		"/contactData/email/verified":                                    `true`,
		"/contactData/address/addressMatch/since":                        `"2020"`,
		"/identifications/1/identificationStatus/subStatus/group":        `"g"`,
		"/identifications/1/identificationDocument/firstName/conf":       `0.9`,
		"/identifications/1/identificationDocument/records/1/hash":       `"h"`,
		"/identifications/1/drivingLicence/drivingLicenceClasses/0/code": `"B"`,
		"/identifications/1/additionalDataBasic/idCardReaderCheck/checkedCategories/0/failedChecksOfIdCardReader/0/additionalInformation/0/unit": `"mm"`,
		"/identifications/1/additionalDataVideo/agentLanguage": `"de"`,
		"/accountingData/costCenter":                           `"7"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unmapped members:\n got %v\nwant %v", got, want)
	}
	if !json.Valid(c.UnmappedJSON()) {
		t.Errorf("UnmappedJSON is not JSON: %s", c.UnmappedJSON())
	}
}

// TestUnmappedNoneAllocatesNothing: a case without unmapped members (the
// usual one) costs the walk only, no allocation.
func TestUnmappedNoneAllocatesNothing(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "case_full.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := decodeCase(t, raw)
	if c.UnmappedJSON() != nil {
		t.Fatalf("case_full.json has unmapped members: %s", c.UnmappedJSON())
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.UnmappedMembers() }); n != 0 {
		t.Errorf("UnmappedMembers allocates %v times", n)
	}
	// case_full.json's records carry made-up validation sub-statuses.
	var unknown []string
	c.UnknownValues(func(f string) { unknown = append(unknown, f) })
	if want := []string{connector.EnumValidationSubStatus, connector.EnumValidationSubStatus}; !reflect.DeepEqual(unknown, want) {
		t.Errorf("unknown values %v, want %v", unknown, want)
	}
	n := 0
	count := func(string) { n++ }
	if a := testing.AllocsPerRun(100, func() { c.UnknownValues(count) }); a != 0 {
		t.Errorf("UnknownValues allocates %v times", a)
	}
}

// TestNoteMovesToUnmapped: a Note (free text of 8.6.8 and 8.6.10) holding
// neither text nor a number is moved by Normalize, verbatim, beside the
// object's other unmapped members; the field is empty, Degraded names it,
// and a second Normalize changes nothing. Without Normalize, the event
// mapping never shows the raw value.
func TestNoteMovesToUnmapped(t *testing.T) {
	raw := []byte(`{"caseId":"A","caseStatus":{"status":"closed"},"primaryIdent":{"identificationMethod":"video",
		"identificationStatus":{"status":"success"},
		"additionalDataVideo":{"tanChannel":"sms","identificationAgentAlias":{"id":7},"extra" : [1] ,"identificationServiceCenter":"1 DP"},
		"additionalDataBasic":{"postOfficeCity":true,
			"idCardReaderCheck":{"checkedCategories":[{"failedChecksOfIdCardReader":[{"additionalInformation":[{"key":"k","value":{"mm":3}}]}]}]}}}}`)
	var c connector.CaseResult
	if err := connector.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	ev := connector.NewCaseResultEvent("C", &c, connector.OriginWebhook, time.Time{})
	if a := ev.PrimaryIdentification.AdditionalDataVideo.IdentificationAgentAlias; a != nil {
		t.Errorf("before Normalize the raw value reached the event: %q", *a)
	}
	c.Normalize()
	v := c.PrimaryIdent.AdditionalDataVideo
	if v.IdentificationAgentAlias != "" || v.IdentificationServiceCenter != "1 DP" || c.PrimaryIdent.AdditionalDataBasic.PostOfficeCity != "" {
		t.Errorf("fields after Normalize: %+v", v)
	}
	wantDegraded := []string{"additionalDataBasic.postOfficeCity", "additionalDataBasic.idCardReaderCheck.additionalInformation.value", "additionalDataVideo.identificationAgentAlias"}
	if !reflect.DeepEqual(c.Degraded(), wantDegraded) {
		t.Errorf("Degraded() = %v, want %v", c.Degraded(), wantDegraded)
	}
	got := map[string]string{}
	for _, m := range c.UnmappedMembers() {
		got[m.Path] = string(m.Value)
	}
	want := map[string]string{
		"/primaryIdent/additionalDataBasic/postOfficeCity": `true`,
		"/primaryIdent/additionalDataBasic/idCardReaderCheck/checkedCategories/0/failedChecksOfIdCardReader/0/additionalInformation/0/value": `{"mm":3}`,
		"/primaryIdent/additionalDataVideo/extra":                    `[1]`,
		"/primaryIdent/additionalDataVideo/identificationAgentAlias": `{"id":7}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unmapped:\n got %v\nwant %v", got, want)
	}
	before := c.UnmappedJSON()
	c.Normalize()
	if !bytes.Equal(before, c.UnmappedJSON()) || len(c.Degraded()) != 3 {
		t.Error("a second Normalize changed the case")
	}
}
