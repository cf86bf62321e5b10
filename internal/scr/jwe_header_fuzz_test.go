package scr

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzJWEHeader feeds arbitrary protected headers to checkJWEHeader, the
// guard that refuses compressed JWEs before decrypting: it must not panic,
// must report only errDecode, and must refuse every header that
// encoding/json reads as an object with a non-empty "zip" member (in any
// letter case).
func FuzzJWEHeader(f *testing.F) {
	for _, h := range []string{
		`{"alg":"RSA-OAEP-256","enc":"A256GCM"}`,
		`{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}`,
		`{"alg":"RSA-OAEP-256","enc":"A256GCM","ZIP":"DEF"}`,
		`{"zip":null}`, `{"zip":""}`, `{"zip":"","zip":"DEF"}`, `{"zip":"DEF","zip":""}`,
		`{"zi\u0070":"DEF"}`, `{"zip":{"a":1}}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(h), "x.y.z.w")
	}
	f.Add([]byte(nil), strings.Repeat("e", 10))
	f.Fuzz(func(t *testing.T, header []byte, rest string) {
		body := []byte(base64.RawURLEncoding.EncodeToString(header) + "." + rest)
		err := checkJWEHeader(body)
		if err != nil && !errors.Is(err, errDecode) {
			t.Fatalf("error %v is not errDecode", err)
		}
		var m map[string]any
		if len(body) > maxJWEHeader || json.Unmarshal(header, &m) != nil {
			return
		}
		for k, v := range m {
			if strings.EqualFold(k, "zip") && v != nil && v != "" && err == nil {
				t.Fatalf("header %s asks for compression (%v) and passed", header, v)
			}
		}
	})
}

// TestJWEHeaderAsGoJoseWritesIt: the guard sees the zip header exactly as
// go-jose (and so any JOSE library) writes it.
func TestJWEHeaderAsGoJoseWritesIt(t *testing.T) {
	if err := checkJWEHeader([]byte(encryptZip(t, &key2048().PublicKey, []byte("{}")))); !errors.Is(err, errDecode) {
		t.Fatalf("compressed JWE passed: %v", err)
	}
	if err := checkJWEHeader([]byte(" " + encryptFor(t, &key2048().PublicKey, jose.A128GCM, []byte("{}")) + "\n")); err != nil {
		t.Fatalf("uncompressed JWE refused: %v", err)
	}
}
