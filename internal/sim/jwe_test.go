package sim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testKey is one real RSA key for the package's tests (2048 bits keeps key
// generation short under -race).
func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

// scrHeaders computes x-scr-key and x-scr-keyhash as ENCRYPTION.md says.
func scrHeaders(t *testing.T, pub any, dataPassword string) map[string]string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(dataPassword))
	mac.Write(der)
	return map[string]string{
		HeaderKey:     base64.StdEncoding.EncodeToString(der),
		HeaderKeyHash: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		HeaderAlg:     "RSA-OAEP-256",
	}
}

// decrypt opens a compact JWE with the test key, accepting every content
// encryption (the client must read enc from the header).
func decrypt(t *testing.T, key *rsa.PrivateKey, body []byte) ([]byte, jose.Header) {
	t.Helper()
	obj, err := jose.ParseEncryptedCompact(string(body), []jose.KeyAlgorithm{jose.RSA_OAEP_256}, supportedEnc)
	if err != nil {
		t.Fatalf("parse JWE: %v (%.80s)", err, body)
	}
	plain, err := obj.Decrypt(key)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	return plain, obj.Header
}

func TestJWERoundTrip(t *testing.T) {
	key := testKey(t)
	for _, enc := range []string{"", "A128CBC-HS256", "A128GCM"} {
		t.Run("enc="+enc, func(t *testing.T) {
			s, srv := newTestSim(t, Config{Enc: enc})
			id := mustCase(t, s, CaseSpec{Method: "video", Class: "GwG"}, true)
			a := newAPI(t, srv)
			hdr := scrHeaders(t, &key.PublicKey, DefaultDataPassword)
			for _, p := range []string{"/cases/" + id + "?includeBinaryData=true&includeResultPdf=true", "/cases/" + id + "/status", "/cases", "/cases/status/full"} {
				plain := a.get(p)
				r := a.do("GET", p, "", hdr)
				if r.code != 200 {
					t.Fatalf("GET %s: %d %s", p, r.code, r.body)
				}
				if ct := r.header.Get("Content-Type"); ct != JOSEContentType {
					t.Errorf("content type %q", ct)
				}
				if strings.Count(string(r.body), ".") != 4 {
					t.Fatalf("not a compact JWE: %.60s", r.body)
				}
				got, h := decrypt(t, key, r.body)
				if !bytes.Equal(got, plain.body) {
					t.Errorf("GET %s: decrypted body differs from the plain one", p)
				}
				wantEnc := enc
				if wantEnc == "" {
					wantEnc = "A256GCM"
				}
				if h.Algorithm != "RSA-OAEP-256" || h.ExtraHeaders["enc"] != wantEnc {
					t.Errorf("JWE header alg %s enc %v", h.Algorithm, h.ExtraHeaders["enc"])
				}
			}
		})
	}
}

func TestJWEErrors(t *testing.T) {
	key := testKey(t)
	s, srv := newTestSim(t, Config{})
	id := mustCase(t, s, CaseSpec{}, true)
	a := newAPI(t, srv)
	good := scrHeaders(t, &key.PublicKey, DefaultDataPassword)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name string
		hdr  map[string]string
	}{
		{"wrong data password", scrHeaders(t, &key.PublicKey, "other-password")},
		{"key only", map[string]string{HeaderKey: good[HeaderKey]}},
		{"hash only", map[string]string{HeaderKeyHash: good[HeaderKeyHash]}},
		{"key not base64", map[string]string{HeaderKey: "***", HeaderKeyHash: good[HeaderKeyHash]}},
		{"hash not base64", map[string]string{HeaderKey: good[HeaderKey], HeaderKeyHash: "***"}},
		{"other alg", map[string]string{HeaderKey: good[HeaderKey], HeaderKeyHash: good[HeaderKeyHash], HeaderAlg: "RSA1_5"}},
		{"1024-bit key", scrHeaders(t, &small.PublicKey, DefaultDataPassword)},
		{"EC key", scrHeaders(t, &ec.PublicKey, DefaultDataPassword)},
	}
	for _, tc := range tests {
		if r := a.do("GET", "/cases/"+id, "", tc.hdr); r.code != 400 {
			t.Errorf("%s: %d, want 400", tc.name, r.code)
		}
	}
	if r := a.do("GET", "/cases/"+id, "", good); r.code != 200 {
		t.Errorf("good key: %d", r.code)
	}
}

// TestRequireEncryption: production behaviour, plain requests are refused
// with 400; the archive call (a PATCH) needs no key.
func TestRequireEncryption(t *testing.T) {
	key := testKey(t)
	s, srv := newTestSim(t, Config{RequireEncryption: true})
	id := mustCase(t, s, CaseSpec{}, true)
	a := newAPI(t, srv)
	for _, p := range []string{"/cases/" + id, "/cases/" + id + "/status", "/cases", "/cases/status"} {
		if r := a.get(p); r.code != 400 || !strings.Contains(string(r.body), "x-scr-key") {
			t.Errorf("plain GET %s: %d %s", p, r.code, r.body)
		}
		r := a.do("GET", p, "", scrHeaders(t, &key.PublicKey, DefaultDataPassword))
		if r.code != 200 {
			t.Errorf("encrypted GET %s: %d", p, r.code)
		}
		decrypt(t, key, r.body)
	}
	if r := a.do("PATCH", "/cases/archive", `["`+id+`"]`, nil); r.code != 200 {
		t.Errorf("archive without key: %d", r.code)
	}
}
