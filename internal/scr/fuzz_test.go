package scr

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// Fuzz targets for every parser of outside input: the JSON of a case, of a
// list, and the JWE around them. Seeds: the guide samples here, plus the
// committed corpus in testdata/fuzz/.

func FuzzDecodeCase(f *testing.F) {
	f.Add(sampleFull())
	f.Add(sampleStatus())
	f.Add([]byte(`{"caseId":"A","primaryIdent":{"identificationStatus":{"created":"2016-07-05T18:24:18+02:00"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cr, err := decodeCase(b, "")
		if err == nil && cr.CaseID == "" {
			t.Fatal("decoded a case without caseId")
		}
		if err == nil {
			_ = cr.Primary()
		}
	})
}

func FuzzDecodeList(f *testing.F) {
	f.Add(listOf(sampleFull(), sampleStatus()))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"caseId":"A","identifications":[{"identificationStatus":{"status":"success"}},{}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cases, err := decodeList(b)
		if err != nil {
			return
		}
		for i := range cases {
			if cases[i].CaseID == "" {
				t.Fatal("decoded a list entry without caseId")
			}
			_ = cases[i].Primary()
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
