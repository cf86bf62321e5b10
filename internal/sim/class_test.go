package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
)

// presentFields returns the JSON member names of an object value.
func presentFields(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func recordTypes(recs []connector.RecordResult) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}

// TestClassRules checks, for every class and method, which result fields
// and records a successful identification carries (guide 8.6.x, 8.6.7) and
// which record bytes are delivered.
func TestClassRules(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	for _, class := range connector.Classes() {
		for _, m := range connector.Methods() {
			t.Run(fmt.Sprintf("%s/%s", class, m), func(t *testing.T) {
				id := mustCase(t, s, CaseSpec{Method: m, Class: class}, true)
				cr := a.getCase("/cases/" + id + "?includeBinaryData=true&includeResultPdf=true")
				p := cr.PrimaryIdent
				gwg, tkg := class == connector.ClassGwG, class == connector.ClassTKG

				// Identification document (8.6.2).
				want := []string{"address", "birthDate", "countryOfDocument", "dateOfExpiry", "firstName", "lastName", "records", "type"}
				if (gwg || tkg) && m != connector.MethodEID {
					want = append(want, "number", "dateIssued", "authority")
				}
				if !tkg {
					want = append(want, "birthName", "nationality")
				}
				if gwg {
					want = append(want, "birthPlace")
					if m != connector.MethodEID {
						want = append(want, "placeOfIssue")
					}
				}
				if m == connector.MethodEID && !gwg {
					want = slices.DeleteFunc(want, func(s string) bool { return s == "records" })
				}
				slices.Sort(want)
				if got := presentFields(t, p.IdentificationDocument); !slices.Equal(got, want) {
					t.Errorf("identificationDocument fields\n got %v\nwant %v", got, want)
				}

				// Driving licence: photo, Mobility only.
				if (p.DrivingLicence != nil) != (m == connector.MethodPhoto && class == connector.ClassMobility) {
					t.Errorf("drivingLicence present = %v", p.DrivingLicence != nil)
				}

				// Method specific data.
				if (p.AdditionalDataVideo != nil) != (m == connector.MethodVideo) ||
					(p.AdditionalDataBasic != nil) != (m == connector.MethodBasic) ||
					(p.AdditionalDataEid != nil) != (m == connector.MethodEID) {
					t.Errorf("additional data objects wrong")
				}
				if v := p.AdditionalDataVideo; v != nil {
					if (v.IdentificationServiceCenter != "") != (gwg || tkg) || (v.IdentificationServiceCenterVideo != "") != (gwg || tkg) {
						t.Errorf("identificationServiceCenter(Video) presence wrong")
					}
					if (v.IdentificationAgentAlias != "") != tkg || (len(v.IdentReviews) > 0) != tkg {
						t.Errorf("identificationAgentAlias / identReviews presence wrong")
					}
					if (v.TanChannel != "") != gwg || v.VideoRecordingAccepted.IsZero() == gwg {
						t.Errorf("tanChannel / videoRecordingAccepted presence wrong")
					}
					if v.VideoRecordingDeliveryShaft == nil || *v.VideoRecordingDeliveryShaft != gwg {
						t.Errorf("videoRecordingDeliveryShaft wrong")
					}
				}
				if b := p.AdditionalDataBasic; b != nil {
					if (b.PostOffice != "") == (gwg || class == connector.ClassStandard) {
						t.Errorf("postOffice presence wrong")
					}
					if b.CouponDownloadCount == nil && b.CouponByEmailRequestCount == nil && b.CouponByPiAppRequestCount == nil {
						t.Errorf("no coupon counter")
					}
				}
				if e := p.AdditionalDataEid; e != nil && len(e.DKK) != 64 {
					t.Errorf("dkk %q", e.DKK)
				}
				if (cr.ContactData.MobilePhone != nil) != (gwg && m == connector.MethodVideo) {
					t.Errorf("contactData.mobilePhone presence wrong")
				}

				// Records (metadata always as stored, 8.6.7).
				wantMethod := map[connector.Method][]string{
					"video":  {"result", "userface"},
					"basic":  {"result", "usersignature"},
					"autoid": {"result"},
					"eid":    {"result"},
					"photo":  {"result", "userface"},
				}[m]
				if m == connector.MethodVideo && tkg {
					wantMethod = []string{"result"}
				}
				wantDoc := map[connector.Method][]string{
					"video":  {"idfrontside", "idbackside", "idsignature"},
					"basic":  {"idfrontside", "idbackside"},
					"autoid": {"idfrontside", "idbackside"},
					"eid":    nil,
					"photo":  {"idfrontside", "idbackside"},
				}[m]
				if m == connector.MethodEID && gwg {
					wantDoc = []string{"idfrontside", "idbackside"}
				}
				// The split result PDFs of 8.6.7 come with some cases,
				// right after 'result'.
				if got := recordTypes(p.Records); len(got) > 1 && got[1] == connector.RecordResultData {
					wantMethod = slices.Insert(slices.Clone(wantMethod), 1, connector.RecordResultData, connector.RecordResultImages)
				}
				if got := recordTypes(p.Records); !slices.Equal(got, wantMethod) {
					t.Errorf("method records %v, want %v", got, wantMethod)
				}
				if got := recordTypes(p.IdentificationDocument.Records); !slices.Equal(got, wantDoc) {
					t.Errorf("document records %v, want %v", got, wantDoc)
				}
				all := append(append([]connector.RecordResult(nil), p.Records...), p.IdentificationDocument.Records...)
				if dl := p.DrivingLicence; dl != nil {
					if got := recordTypes(dl.Records); !slices.Equal(got, []string{"dlfrontside", "dlbackside"}) {
						t.Errorf("driving licence records %v", got)
					}
					all = append(all, dl.Records...)
				}
				ids := map[string]bool{}
				for _, r := range all {
					if ids[string(r.RecordID)] {
						t.Errorf("duplicate recordId %s", r.RecordID)
					}
					ids[string(r.RecordID)] = true
					if want := connector.BinaryDelivered(class, m, r.Type); (r.DocumentData != "") != want {
						t.Errorf("record %s: documentData present %v, want %v", r.Type, r.DocumentData != "", want)
					}
					pdf := r.Type == connector.RecordResultPDF || r.Type == connector.RecordResultData || r.Type == connector.RecordResultImages
					if (r.ValidationStatus != "") != (m == connector.MethodPhoto && !pdf) {
						t.Errorf("record %s: validationStatus %q", r.Type, r.ValidationStatus)
					}
					if r.ValidationStatus != "" && !pdf && r.ValidationStatus != "valid" {
						t.Errorf("record %s of a success: %s", r.Type, r.ValidationStatus)
					}
				}
				// Without the parameters no bytes at all; lists never carry bytes.
				plain := a.getCase("/cases/" + id)
				for _, r := range append(plain.PrimaryIdent.Records, plain.PrimaryIdent.IdentificationDocument.Records...) {
					if r.DocumentData != "" {
						t.Errorf("documentData without includeBinaryData")
					}
				}
			})
		}
	}
	// The photo result PDF record carries no validation status.
	id := mustCase(t, s, CaseSpec{Method: "photo"}, true)
	for _, r := range a.getCase("/cases/" + id).PrimaryIdent.Records {
		if r.Type == connector.RecordResultPDF && r.ValidationStatus != "" {
			t.Errorf("result PDF has validationStatus %q", r.ValidationStatus)
		}
	}
}

// TestPhotoRecordStatus walks the record statuses of 4.4.1.
func TestPhotoRecordStatus(t *testing.T) {
	s, srv := newTestSim(t, Config{Seed: 3})
	a := newAPI(t, srv)
	seen := map[string]bool{}
	for i := range 60 {
		for _, script := range []string{"started,review pending", "started,incomplete:31", "started,incomplete:32", "started,incomplete:33",
			"started,incomplete:34", "started,declined:11", "started,declined:15", "started,success"} {
			class := connector.ClassStandard
			if i%2 == 0 {
				class = connector.ClassMobility
			}
			id := mustCase(t, s, CaseSpec{Method: "photo", Class: class, Scenario: script}, true)
			p := a.getCase("/cases/" + id).PrimaryIdent
			recs := append(append([]connector.RecordResult(nil), p.Records...), p.IdentificationDocument.Records...)
			if p.DrivingLicence != nil {
				recs = append(recs, p.DrivingLicence.Records...)
			}
			invalid := 0
			for _, r := range recs {
				if r.Type == connector.RecordResultPDF {
					continue
				}
				seen[r.ValidationStatus+"/"+r.ValidationSubStatus] = true
				switch {
				case r.ValidationStatus == "invalid":
					invalid++
					if r.ValidationSubStatus == "" {
						t.Errorf("%s: invalid without sub status", script)
					}
				case r.ValidationSubStatus != "" || r.ValidationRemark != "":
					t.Errorf("%s: %s with sub status/remark", script, r.ValidationStatus)
				}
			}
			if (invalid > 0) != (script != "started,review pending" && script != "started,success") {
				t.Errorf("%s: %d invalid records", script, invalid)
			}
		}
	}
	for _, v := range connector.ValidationStatuses {
		if v != "invalid" && !seen[v+"/"] {
			t.Errorf("validationStatus %s never seen", v)
		}
	}
	for _, sub := range connector.PhotoValidationSubStatuses() {
		if !seen["invalid/"+sub] {
			t.Errorf("validationSubStatus %q never seen", sub)
		}
	}
}
