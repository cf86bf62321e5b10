package scr

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
)

// TestGoldenCaseFull decodes the guide's sample of 7.4.1 (transcribed into
// testdata with the PDF extraction's lost braces and commas restored),
// fetched and decrypted over HTTP.
func TestGoldenCaseFull(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(t, w, r, jose.A256GCM, sampleFull()) })
	c := newTestClient(t, f, key2048(), func(c *Config) { c.RequireEncryption = true })
	cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cest := time.FixedZone("", 2*3600)
	check := func(name string, got, want any) {
		t.Helper()
		switch s := got.(type) {
		case connector.Text:
			got = string(s)
		case connector.Note:
			got = string(s)
		}
		if !reflect.DeepEqual(got, want) { // the model's structs hold slices: not comparable with ==
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("caseId", cr.CaseID, "YR9W91GEZK24")
	check("caseStatus.status", cr.CaseStatus.Status, connector.CaseClosed)
	check("caseStatus.archived", cr.CaseStatus.Archived, false)
	check("caseStatus.created", cr.CaseStatus.Created.Equal(time.Date(2016, 7, 5, 18, 23, 15, 0, cest)), true)
	check("caseStatus.validUntil", cr.CaseStatus.ValidUntil.Equal(time.Date(2016, 10, 3, 18, 24, 2, 0, cest)), true)

	if cr.OrderData == nil || cr.OrderData.ProcessData == nil || cr.OrderData.IdentificationDocumentProvided == nil {
		t.Fatal("orderData incomplete")
	}
	check("customData.custom1", cr.OrderData.CustomData["custom1"], "REF_101485489")
	check("processData.referenceId", cr.OrderData.ProcessData.ReferenceID, "YR9W91GEZK24")
	check("callbackUrlDeclined", cr.OrderData.ProcessData.CallbackURLDeclined.WebURL, "https://musterbank.eu/picallback/declined.html")
	check("identificationDocumentProvided.authority", cr.OrderData.IdentificationDocumentProvided.Authority, "Stadt Köln")

	cd := cr.ContactData
	if cd == nil || cd.Address == nil {
		t.Fatal("contactData missing")
	}
	check("contactData.firstName", *cd.FirstName, connector.Field{Value: "Erika", Status: connector.FieldMatch})
	check("contactData.email.status", cd.Email.Status, connector.FieldNew)
	check("contactData.title (empty object)", *cd.Title, connector.Field{})
	check("contactData.address.city", cd.Address.City.Value, "Köln")

	p := cr.Primary()
	if p == nil || p != cr.PrimaryIdent {
		t.Fatal("Primary() is not primaryIdent")
	}
	check("method", p.IdentificationMethod, connector.MethodVideo)
	check("status", p.IdentificationStatus.Status, connector.StatusSuccess)
	check("identificationTime", p.IdentificationStatus.IdentificationTime.Equal(time.Date(2016, 7, 5, 18, 27, 25, 0, cest)), true)
	check("subStatus", p.IdentificationStatus.SubStatus == nil, true)
	check("method records", len(p.Records), 2)
	check("records[0].type", p.Records[0].Type, connector.RecordResultPDF)
	check("records[1].fileName", p.Records[1].FileName, "YR9W91GEZK24_userface.jpg")

	doc := p.IdentificationDocument
	if doc == nil || doc.Address == nil {
		t.Fatal("identificationDocument missing")
	}
	check("doc.type", doc.Type.Value, "1")
	check("doc.number", *doc.Number, connector.Field{Value: "T01012148", Status: connector.FieldMatch})
	check("doc.birthName", doc.BirthName.Value, "Gabler")
	check("doc.birthDate", doc.BirthDate.Value, "1964-08-12")
	check("doc.nationality", doc.Nationality.Value, "DEU")
	check("doc.dateOfExpiry", doc.DateOfExpiry.Value, "2020-10-31")
	check("doc.placeOfIssue", *doc.PlaceOfIssue, connector.Field{Value: "", Status: connector.FieldMatch})
	check("doc.authority", doc.Authority.Value, "Stadt Köln")
	check("doc.address.postalCode", doc.Address.PostalCode.Value, "51147")
	check("doc.address.addressMatch", doc.Address.AddressMatch == nil, true)
	check("doc records", len(doc.Records), 3)
	check("doc.records[2].type", doc.Records[2].Type, connector.RecordIDSignature)
	check("drivingLicence", p.DrivingLicence == nil, true)

	if cr.AccountingData == nil {
		t.Fatal("accountingData missing")
	}
	check("accountingNumber", cr.AccountingData.AccountingNumber, "11235813523701")
	check("accountingProduct", cr.AccountingData.AccountingProduct, "Postident Video")
}

// TestGoldenCaseStatus decodes the guide's sample of 7.4.2, which carries
// an identifications array instead of primaryIdent.
func TestGoldenCaseStatus(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(t, w, r, jose.A128CBC_HS256, sampleStatus())
	})
	c := newTestClient(t, f, key2048(), nil)
	cr, err := c.GetCaseStatus(testCtx(t), testCaseID, false)
	if err != nil {
		t.Fatal(err)
	}
	if cr.CaseID != testCaseID || cr.CaseStatus.Status != connector.CaseClosed || cr.PrimaryIdent != nil || len(cr.Identifications) != 1 {
		t.Fatalf("decoded %+v", cr)
	}
	p := cr.Primary()
	if p == nil || p.IdentificationMethod != connector.MethodVideo || p.IdentificationStatus.Status != connector.StatusSuccess {
		t.Fatalf("Primary() = %+v", p)
	}
	if cr.OrderData == nil || cr.OrderData.CustomData["custom2"] != "Kampagne A357" || cr.OrderData.ProcessData != nil {
		t.Errorf("orderData %+v", cr.OrderData)
	}
	if cr.AccountingData == nil || cr.AccountingData.AccountingNumber != "11235813523701" {
		t.Errorf("accountingData %+v", cr.AccountingData)
	}
	if cr.ContactData != nil || p.IdentificationDocument != nil || len(p.Records) != 0 {
		t.Error("status response decoded result data it does not contain")
	}
}
