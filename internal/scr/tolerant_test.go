package scr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/postident-connector/postident-connector/connector"
)

// basicCase is a closed basic (post office) case whose additionalDataBasic
// carries postOffice and checkoutNote as bare JSON numbers, as the guide
// prints them in 8.6.8 (227208750; "85014869 3013" without its space, which
// a JSON number cannot hold): the input of issue 13 that stalled the
// pipeline. extra is spliced into additionalDataBasic.
func basicCase(id, extra string) string {
	return `{"caseId":"` + id + `",
 "caseStatus":{"status":"closed","archived":false,"created":"2016-07-05T18:23:15+02:00","modified":"2016-07-05T18:29:00+02:00"},
 "primaryIdent":{"identificationMethod":"basic",
  "identificationStatus":{"status":"success","created":"2016-07-05T18:24:18+02:00","modified":"2016-07-05T18:28:50+02:00","identificationTime":"2016-07-05T18:27:25+02:00"},
  "additionalDataBasic":{` + extra + `"couponDownloadCount":2,"couponDownloadLastTimestamp":"2016-01-28T23:59:59+01:00",
   "postOffice":227208750,"postOfficeStreetAddress":"Musterstr. 1","postOfficeCity":"12345 Musterstadt","checkoutNote":850148693013},
  "records":[{"recordId":63351998,"belongsTo":"method","type":"result","mimeType":"application/pdf","fileName":"` + id + `_result_basic.pdf"}]},
 "accountingData":{"accountingNumber":7777777173701,"accountingProduct":"Postident Basic"}}`
}

// TestIssue13NumbersAsText is the regression test of issue 13 part 4 (guide
// 8.6.8, 8.6.7, 8.7): a single case and a list page with three such cases
// among normal ones decode over HTTP, and the digits reach the CaseResult
// event as the same text. Failed before: "field primaryIdent.
// additionalDataBasic.postOffice: a JSON number cannot be decoded into
// string".
func TestIssue13NumbersAsText(t *testing.T) {
	check := func(t *testing.T, c *connector.CaseResult) {
		t.Helper()
		ev := connector.NewCaseResultEvent(testClientID, c, connector.OriginWebhook, c.CaseStatus.Modified.Time)
		b := ev.PrimaryIdentification.AdditionalDataBasic
		for name, got := range map[string]*string{
			"postOffice":       b.PostOffice,
			"checkoutNote":     b.CheckoutNote,
			"recordId":         &ev.PrimaryIdentification.Records[0].RecordID,
			"accountingNumber": ev.AccountingData.AccountingNumber,
		} {
			want := map[string]string{"postOffice": "227208750", "checkoutNote": "850148693013",
				"recordId": "63351998", "accountingNumber": "7777777173701"}[name]
			if got == nil || *got != want {
				t.Errorf("%s = %v, want %q", name, got, want)
			}
		}
		if b.PostOfficeCity == nil || *b.PostOfficeCity != "12345 Musterstadt" || *b.CouponDownloadCount != 2 {
			t.Errorf("the other fields: %+v", b)
		}
	}
	t.Run("single", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			reply(t, w, r, jose.A256GCM, []byte(basicCase(testCaseID, "")))
		})
		c := newTestClient(t, f, key2048(), func(c *Config) { c.RequireEncryption = true })
		cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, cr)
	})
	t.Run("list", func(t *testing.T) {
		var items [][]byte
		for i := range 10 {
			if i%4 == 1 {
				items = append(items, []byte(basicCase(fmt.Sprintf("BASIC%07d", i), "")))
				continue
			}
			items = append(items, []byte(strings.Replace(string(sampleFull()), testCaseID, fmt.Sprintf("NORMAL%06d", i), 1)))
		}
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			reply(t, w, r, jose.A256GCM, listOf(items...))
		})
		c := newTestClient(t, f, key2048(), nil)
		l, err := c.ListCases(testCtx(t), ListFilter{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Cases) != 10 {
			t.Fatalf("%d cases", len(l.Cases))
		}
		basics := 0
		for i := range l.Cases {
			if strings.HasPrefix(l.Cases[i].CaseID, "BASIC") {
				basics++
				check(t, &l.Cases[i])
			}
		}
		if basics != 3 {
			t.Fatalf("%d basic cases", basics)
		}
	})
}

// TestTolerantScalars: every scalar the guide shows as digits or a code
// (chapter 8) takes a JSON string or number, and keeps a number's literal
// text; a code takes a JSON number or a string of digits (8.6.1).
func TestTolerantScalars(t *testing.T) {
	marker := `"primaryIdent": {`
	doc := strings.Replace(string(sampleFull()), marker, marker+`
		"additionalDataBasic":{"postOffice":-1.50e3,"postOfficeStreetAddress":1,"postOfficeCity":12345,"checkoutNote":null,
			"couponByPiAppRequestCount":"3","couponByEmailRequestCount":null,
			"idCardReaderCheck":{"checkedCategories":[{"name":"x","failedChecksOfIdCardReader":[{"additionalInformation":[{"key":"k","value":42}]}]}]}},
		"additionalDataEid":{"dkk":1234},
		"additionalDataVideo":{"identificationServiceCenter":1,"identificationAgentAlias":7},`, 1)
	doc = strings.Replace(doc, `"value": "1",`, `"value": 1,`, 1)                                               // identificationDocument.type: "as number" (8.6.2)
	doc = strings.Replace(doc, `"value": "51147",`, `"value": 51147,`, 1)                                       // address postalCode (8.6.5)
	doc = strings.Replace(doc, `"recordId": "63351999"`, `"recordId": 63351999`, 1)                             // 8.6.7
	doc = strings.Replace(doc, `"accountingNumber": "11235813523701"`, `"accountingNumber": 11235813523701`, 1) // 8.7
	doc = strings.Replace(doc, `"status": "success",`, `"status": "declined","subStatus":{"code":"11"},"subStatusReason":{"code":110,"description":"d"},`, 1)
	c, err := decodeCase([]byte(doc), testCaseID)
	if err != nil {
		t.Fatal(err)
	}
	id := c.Primary()
	b := id.AdditionalDataBasic
	got := map[string]any{
		"postOffice":                  b.PostOffice,
		"postOfficeStreetAddress":     b.PostOfficeStreetAddress,
		"postOfficeCity":              b.PostOfficeCity,
		"checkoutNote":                b.CheckoutNote,
		"couponByPiAppRequestCount":   *b.CouponByPiAppRequestCount,
		"couponByEmailRequestCount":   b.CouponByEmailRequestCount == nil,
		"additionalInformation.value": b.IDCardReaderCheck.CheckedCategories[0].FailedChecksOfIDCardReader[0].AdditionalInformation[0].Value,
		"dkk":                         id.AdditionalDataEid.DKK,
		"identificationServiceCenter": id.AdditionalDataVideo.IdentificationServiceCenter,
		"identificationAgentAlias":    id.AdditionalDataVideo.IdentificationAgentAlias,
		"document.type":               id.IdentificationDocument.Type.Value,
		"contact postalCode":          c.ContactData.Address.PostalCode.Value,
		"recordId":                    id.Records[1].RecordID,
		"accountingNumber":            c.AccountingData.AccountingNumber,
		"subStatus.code":              id.IdentificationStatus.SubStatus.Code,
		"subStatusReason.code":        id.IdentificationStatus.SubStatusReason.Code,
	}
	want := map[string]any{
		"postOffice":                  connector.Note("-1.50e3"),
		"postOfficeStreetAddress":     connector.Note("1"),
		"postOfficeCity":              connector.Note("12345"),
		"checkoutNote":                connector.Note(""),
		"couponByPiAppRequestCount":   connector.Int(3),
		"couponByEmailRequestCount":   true,
		"additionalInformation.value": connector.Note("42"),
		"dkk":                         connector.Text("1234"),
		"identificationServiceCenter": connector.Note("1"),
		"identificationAgentAlias":    connector.Note("7"),
		"document.type":               connector.Text("1"),
		"contact postalCode":          connector.Text("51147"),
		"recordId":                    connector.Text("63351999"),
		"accountingNumber":            connector.Text("11235813523701"),
		"subStatus.code":              connector.Int(11),
		"subStatusReason.code":        connector.Int(110),
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
}

// TestStrictFields: the fields the pipeline's logic depends on keep their
// JSON type, and a tolerant field refuses what it cannot hold as text. Each
// error names the field path, never the value. (A JSON array in
// caseStatus.status is the "wrong type" poison case of issue 13.)
func TestStrictFields(t *testing.T) {
	const secret = "Geheim-4711"
	tests := []struct {
		name, old, new, field, kind string
	}{
		{"caseStatus.status array", `"status": "closed"`, `"status": ["` + secret + `"]`, "caseStatus.status", "array"},
		{"caseId number", `"caseId": "YR9W91GEZK24"`, `"caseId": 4711`, "caseId", "number"},
		{"identificationMethod number", `"identificationMethod": "video"`, `"identificationMethod": 4711`, "identificationMethod", "number"},
		{"identificationStatus.status object", `"status": "success"`, `"status": {"x":"` + secret + `"}`, "identificationStatus.status", "object"},
		{"caseStatus.archived string", `"archived": false`, `"archived": "` + secret + `"`, "archived", "string"},
		{"created number", `"created": "2016-07-05T18:23:15+02:00"`, `"created": 4711`, "created", "number"},
		{"recordId object", `"recordId": "63351998"`, `"recordId": {"v":"` + secret + `"}`, "recordId", "object"},
		{"value/status value array", `"value": "Erika"`, `"value": ["` + secret + `"]`, "value", "array"},
		{"accountingNumber true", `"accountingNumber": "11235813523701"`, `"accountingNumber": true`, "accountingNumber", "boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(string(sampleFull()), tt.old, tt.new, 1)
			if doc == string(sampleFull()) {
				t.Fatal("the sample changed")
			}
			_, err := decodeCase([]byte(doc), "")
			if err == nil {
				t.Fatal("decoded")
			}
			if !strings.Contains(err.Error(), tt.field) || !strings.Contains(err.Error(), "a JSON "+tt.kind+" cannot be decoded") ||
				strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "4711") {
				t.Errorf("error %q: want the field %s and no value", err, tt.field)
			}
		})
	}
	for _, code := range []string{`"x11"`, `1.5`, `2147483648`, `true`, `{}`} {
		doc := strings.Replace(string(sampleFull()), `"status": "success",`, `"status": "declined","subStatus":{"code":`+code+`},`, 1)
		if _, err := decodeCase([]byte(doc), ""); err == nil || !strings.Contains(err.Error(), "subStatus") {
			t.Errorf("subStatus.code %s: %v", code, err)
		}
	}
}

// TestNoteDegrades: a free-text field of the post-office or video data
// (8.6.8, 8.6.10) that arrives as neither text nor a number does not fail
// the case: the field is empty, its value travels verbatim in unmappedJson
// under the field's own path, and the decoder counts it by field name. The
// other fields are untouched. Failed before: the whole case failed to
// decode ("a JSON object cannot be decoded into string").
func TestNoteDegrades(t *testing.T) {
	reader := withMeter(t)
	doc := strings.Replace(basicCase(testCaseID, `"newMember":1,`), `"postOffice":227208750`, `"postOffice":{"id":227208750,"kind":"filiale"}`, 1)
	doc = strings.Replace(doc, `"checkoutNote":850148693013`, `"checkoutNote":[85014869, 3013]`, 1)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(t, w, r, jose.A256GCM, []byte(doc)) })
	c := newTestClient(t, f, key2048(), nil)
	cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := connector.NewCaseResultEvent(testClientID, cr, connector.OriginWebhook, cr.CaseStatus.Modified.Time)
	b := ev.PrimaryIdentification.AdditionalDataBasic
	if b.PostOffice != nil || b.CheckoutNote != nil {
		t.Errorf("degraded fields not empty: %v %v", b.PostOffice, b.CheckoutNote)
	}
	if b.PostOfficeCity == nil || *b.PostOfficeCity != "12345 Musterstadt" || *b.CouponDownloadCount != 2 ||
		ev.AccountingData == nil || *ev.AccountingData.AccountingNumber != "7777777173701" {
		t.Errorf("other fields changed: %+v", b)
	}
	const want = `{"/primaryIdent/additionalDataBasic/newMember":1,` +
		`"/primaryIdent/additionalDataBasic/postOffice":{"id":227208750,"kind":"filiale"},` +
		`"/primaryIdent/additionalDataBasic/checkoutNote":[85014869,3013]}`
	if ev.UnmappedJSON == nil || *ev.UnmappedJSON != want {
		t.Errorf("unmappedJson = %v, want %s", ev.UnmappedJSON, want)
	}
	got := counts(t, reader, "postident_scr_degraded_values_total")
	if w := map[string]int64{"field=additionalDataBasic.checkoutNote": 1, "field=additionalDataBasic.postOffice": 1}; fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("counter = %v, want %v", got, w)
	}
}

// withMeter installs a manual metric reader as the global meter provider
// for the clients the test makes, and restores the old one afterwards.
func withMeter(t *testing.T) *sdkmetric.ManualReader {
	r := sdkmetric.NewManualReader()
	old := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)))
	t.Cleanup(func() { otel.SetMeterProvider(old) })
	return r
}

// counts returns the data points of the counter name by their attribute set.
func counts(t *testing.T, r *sdkmetric.ManualReader, name string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				out[dp.Attributes.Encoded(attribute.DefaultEncoder())] += dp.Value
			}
		}
	}
	return out
}

// TestUnknownEnumValuesPassThrough: values the guide does not list (8.3,
// 8.5, 8.6.7, 8.6.10, chapter 4) decode, reach the events as text, and are
// counted by field name only. Failed before: no counter existed.
func TestUnknownEnumValuesPassThrough(t *testing.T) {
	reader := withMeter(t)
	doc := string(sampleFull())
	for _, r := range [][2]string{
		{`"status": "closed"`, `"status": "on hold"`},
		{`"status": "success"`, `"status": "success","subStatus":{"code":4711,"description":"New detail"}`},
		{`"type": "userface"`, `"type": "hologram"`},
		{`"belongsTo": "method"`, `"belongsTo": "case"`},
		{`"status": "match"`, `"status": "corrected"`}, // contactData.firstName
		{`"primaryIdent": {`, `"primaryIdent": {"additionalDataVideo":{"tanChannel":"carrier pigeon"},`},
	} {
		if !strings.Contains(doc, r[0]) {
			t.Fatalf("the sample has no %s", r[0])
		}
		doc = strings.Replace(doc, r[0], r[1], 1)
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(t, w, r, jose.A256GCM, []byte(doc)) })
	c := newTestClient(t, f, key2048(), nil)
	cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := connector.NewCaseResultEvent(testClientID, cr, connector.OriginWebhook, cr.CaseStatus.Modified.Time)
	if ev.CaseStatus.Status != "on hold" || *ev.PrimaryIdentification.IdentificationStatus.SubStatusCode != 4711 ||
		*ev.PrimaryIdentification.IdentificationStatus.SubStatusText != "New detail" ||
		*ev.PrimaryIdentification.AdditionalDataVideo.TanChannel != "carrier pigeon" ||
		ev.ContactData.FirstName.Status != "corrected" {
		t.Errorf("values did not pass through: %+v", ev)
	}
	got := counts(t, reader, "postident_scr_unknown_values_total")
	want := map[string]int64{
		"field=" + connector.EnumCaseStatus:      1,
		"field=" + connector.EnumSubStatus:       1,
		"field=" + connector.EnumRecordType:      1,
		"field=" + connector.EnumRecordBelongsTo: 1,
		"field=" + connector.EnumFieldStatus:     1,
		"field=" + connector.EnumTanChannel:      1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counter = %v, want %v", got, want)
	}
}

// TestUnmappedGuideSample is issue 13 part 5 with the golden sample of guide
// 7.4.1 and two invented members, one at top level and one nested (guide
// 8.1: "new fields will be added to the data model"): both reach the
// CaseResult event's unmappedJson with their paths and values, and are
// counted. Failed before: encoding/json dropped them.
func TestUnmappedGuideSample(t *testing.T) {
	reader := withMeter(t)
	doc := strings.Replace(string(sampleFull()), `"caseId": "YR9W91GEZK24",`,
		`"caseId": "YR9W91GEZK24", "riskScore": {"level": "low", "points": [1, 2.50]},`, 1)
	doc = strings.Replace(doc, `"fileName": "YR9W91GEZK24_userface.jpg"`,
		`"fileName": "YR9W91GEZK24_userface.jpg", "sha256~/x": "9f86d08"`, 1)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(t, w, r, jose.A256GCM, []byte(doc)) })
	c := newTestClient(t, f, key2048(), nil)
	cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := connector.NewCaseResultEvent(testClientID, cr, connector.OriginWebhook, cr.CaseStatus.Modified.Time)
	const want = `{"/riskScore":{"level":"low","points":[1,2.50]},"/primaryIdent/records/1/sha256~0~1x":"9f86d08"}`
	if ev.UnmappedJSON == nil || *ev.UnmappedJSON != want {
		t.Fatalf("unmappedJson = %v, want %s", ev.UnmappedJSON, want)
	}
	if !json.Valid([]byte(*ev.UnmappedJSON)) {
		t.Fatal("unmappedJson is not JSON")
	}
	if got := counts(t, reader, "postident_scr_unmapped_members_total"); got[""] != 2 {
		t.Errorf("counter = %v, want 2", got)
	}
	// The mapped fields are what they are without the invented members.
	plain, err := decodeCase(sampleFull(), testCaseID)
	if err != nil {
		t.Fatal(err)
	}
	ev0 := connector.NewCaseResultEvent(testClientID, plain, connector.OriginWebhook, cr.CaseStatus.Modified.Time)
	ev0.UnmappedJSON = ev.UnmappedJSON
	a, _ := json.Marshal(ev0)
	b, _ := json.Marshal(ev)
	if string(a) != string(b) {
		t.Errorf("the invented members changed mapped fields:\n%s\n%s", a, b)
	}
	if ev0.EventID != ev.EventID {
		t.Error("the invented members changed the event id")
	}
}
