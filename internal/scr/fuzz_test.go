package scr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
)

// Fuzz targets for every parser of outside input: the JSON of a case, of a
// list, and the JWE around them. Seeds: the guide samples here, plus the
// committed corpus in testdata/fuzz/.

// tolerantSeeds are the shapes of issue 13 parts 4 and 5 and issue 16:
// digits as JSON numbers, codes as strings, unknown enumerated values,
// unmapped members at every depth, the names of guide 8.2 and wrapped
// base64.
var tolerantSeeds = []string{
	`{"caseId":"A","caseStatus":{"status":"closed"},"primaryIdent":{"identificationMethod":"basic","identificationStatus":{"status":"success","subStatus":{"code":"11"}},` +
		`"additionalDataBasic":{"postOffice":227208750,"checkoutNote":850148693013,"couponDownloadCount":"2"},` +
		`"records":[{"recordId":63351998,"documentData":"JVBE\r\nRi0x\r\n LjQ"}]},"accountingData":{"accountingNumber":7777777173701}}`,
	`{"caseId":"A","new":{"deep":[1,{"x":null}]},"caseStatus":{"status":"on hold","n":1},"orderData":{"processData":{"callbackUrlSuccess":{"u":2}}},` +
		`"primaryIdent":{"identificationMethod":"teleport","identificationStatus":{"status":"x"},"records":[{"recordId":"1","z~/":true}]}}`,
	`{"caseId":"A","contactDataResult":{"email":{"value":1,"status":"maybe","q":[]}},"primaryIdentification":{"identificationMethod":"photo",` +
		`"identificationStatus":{"status":"review pending"},"identificationDocument":{"type":{"value":1,"status":"new"},"records":[{"recordId":"2","hash":"h"}]}}}`,
	`{"caseId":"A","identifications":[{"identificationMethod":"autoid","identificationStatus":{"status":"review pending"},"a":1},` +
		`{"identificationMethod":"autoid","identificationStatus":{"status":"incomplete","subStatusReason":{"code":-1}},"additionalDataVideo":{"tanChannel":"fax","b":2}}]}`,
	`{"caseId":"A","caseStatus":{"status":["closed"]}}`,
	`{"caseId":"A","primaryIdent":{"additionalDataBasic":{"postOffice":{"id":1}}}}`,
	`{"caseId":"A","primaryIdent":{"additionalDataBasic":{"x" : 1 ,"checkoutNote":[1,"a"],"postOfficeCity":true},` +
		`"additionalDataVideo":{"identificationAgentAlias":{"a":{}},"identificationServiceCenter":false}}}`,
}

func FuzzDecodeCase(f *testing.F) {
	f.Add(sampleFull())
	f.Add(sampleStatus())
	f.Add([]byte(`{"caseId":"A","primaryIdent":{"identificationStatus":{"created":"2016-07-05T18:24:18+02:00"}}}`))
	for _, s := range tolerantSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cr, err := decodeCase(b, "")
		if err == nil && cr.CaseID == "" {
			t.Fatal("decoded a case without caseId")
		}
		if err == nil {
			checkDecoded(t, cr)
		}
	})
}

// checkDecoded runs what the pipeline runs on every decoded case: none of
// it may panic, and the unmapped members must form valid JSON.
func checkDecoded(t *testing.T, cr *connector.CaseResult) {
	t.Helper()
	_ = cr.Primary()
	cr.UnknownValues(func(string) {})
	if u := cr.UnmappedJSON(); u != nil && !json.Valid(u) {
		t.Fatalf("unmappedJson is not JSON: %q", u)
	}
	_ = connector.NewCaseResultEvent("C", cr, connector.OriginWebhook, time.Time{})
	if p := cr.Primary(); p != nil {
		for _, r := range p.Records {
			_, _ = r.DocumentBytes()
		}
	}
}

func FuzzDecodeList(f *testing.F) {
	f.Add(listOf(sampleFull(), sampleStatus()))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"caseId":"A","identifications":[{"identificationStatus":{"status":"success"}},{}]}]`))
	f.Add([]byte("[" + strings.Join(tolerantSeeds[:4], ",") + "]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cases, bad, err := decodeList(b)
		if err != nil {
			return
		}
		for i := range cases {
			if cases[i].CaseID == "" {
				t.Fatal("decoded a list entry without caseId")
			}
			checkDecoded(t, &cases[i])
		}
		if bad != nil {
			for _, id := range bad.CaseIDs {
				if checkCaseID(id) != nil {
					t.Fatalf("an unreadable entry reported with a malformed caseId %q", id)
				}
			}
			if len(bad.CaseIDs) == 0 && bad.Unidentified == 0 {
				t.Fatal("an unreadable-entries error without entries")
			}
		}
	})
}

// FuzzDecrypt feeds mutated JWEs: none may panic, and none may decrypt with
// a key it was not made for.
func FuzzDecrypt(f *testing.F) {
	good := encryptFor(f, &key2048().PublicKey, jose.A256GCM, sampleStatus())
	f.Add(good)
	f.Add(encryptFor(f, &key2048().PublicKey, jose.A128CBC_HS256, []byte(`[]`)))
	f.Add(tamper(good, 3))
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0....")
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := decryptJWE(key2048Other(), []byte(s)); err == nil {
			t.Fatal("decrypted with the wrong key")
		} else if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error %v is not ErrDecrypt", err)
		}
		_, _ = decryptJWE(key2048(), []byte(s)) // must not panic
	})
}
