package scr

import (
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// jweServer answers every GET with the JWE that makeJWE builds for the
// request, after checking the key headers independently of the client.
func jweServer(t *testing.T, makeJWE func(pub *rsa.PublicKey) string) *fake {
	return newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		wantKey, wantHash := hdrsFor(t, &key2048().PublicKey, testDataPassword)
		if r.Header.Get("x-scr-key") != wantKey || r.Header.Get("x-scr-keyhash") != wantHash {
			t.Errorf("request %d: key headers differ from the independent computation", n)
		}
		w.Header().Set("Content-Type", "application/jose")
		_, _ = io.WriteString(w, makeJWE(&key2048().PublicKey))
	})
}

func TestEachContentEncryptionDecrypts(t *testing.T) {
	for _, enc := range []jose.ContentEncryption{
		jose.A128GCM, jose.A192GCM, jose.A256GCM,
		jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512,
	} {
		t.Run(string(enc), func(t *testing.T) {
			f := jweServer(t, func(pub *rsa.PublicKey) string { return encryptFor(t, pub, enc, sampleFull()) })
			c := newTestClient(t, f, key2048(), func(c *Config) { c.RequireEncryption = true })
			cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
			if err != nil {
				t.Fatalf("GetCase: %v", err)
			}
			if cr.CaseID != testCaseID || cr.Primary() == nil || cr.Primary().IdentificationStatus.Status != "success" {
				t.Errorf("decrypted case %+v", cr)
			}
		})
	}
}

func TestEncryptedList(t *testing.T) {
	f := jweServer(t, func(pub *rsa.PublicKey) string {
		return encryptFor(t, pub, jose.A256CBC_HS512, listOf(sampleFull(), sampleFull(), sampleFull()))
	})
	c := newTestClient(t, f, key2048(), func(c *Config) { c.RequireEncryption = true })
	l, err := c.ListCases(testCtx(t), ListFilter{}, true)
	if err != nil || len(l.Cases) != 3 {
		t.Fatalf("list: %v", err)
	}
}

func TestRSA3072(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		wantKey, wantHash := hdrsFor(t, &key3072().PublicKey, testDataPassword)
		if r.Header.Get("x-scr-key") != wantKey || r.Header.Get("x-scr-keyhash") != wantHash {
			t.Error("key headers differ from the independent computation")
		}
		reply(t, w, r, jose.A256GCM, sampleFull())
	})
	c := newTestClient(t, f, key3072(), func(c *Config) { c.RequireEncryption = true })
	cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{Full: true})
	if err != nil || cr.AccountingData == nil {
		t.Fatalf("GetCase: %v", err)
	}
}

// tamper changes one character of part i (0-based) of a compact JWE to
// another valid base64url character.
func tamper(jwe string, part int) string {
	parts := strings.Split(jwe, ".")
	p := []byte(parts[part])
	mid := len(p) / 2
	if p[mid] == 'A' {
		p[mid] = 'B'
	} else {
		p[mid] = 'A'
	}
	parts[part] = string(p)
	return strings.Join(parts, ".")
}

func TestDecryptFailures(t *testing.T) {
	tests := []struct {
		name    string
		body    func(pub *rsa.PublicKey) string
		require bool
		wantErr error
	}{
		{"wrong key", func(*rsa.PublicKey) string {
			return encryptFor(t, &key2048Other().PublicKey, jose.A256GCM, sampleFull())
		}, false, ErrDecrypt},
		{"tampered ciphertext", func(pub *rsa.PublicKey) string { return tamper(encryptFor(t, pub, jose.A256GCM, sampleFull()), 3) }, false, ErrDecrypt},
		{"tampered ciphertext cbc", func(pub *rsa.PublicKey) string {
			return tamper(encryptFor(t, pub, jose.A128CBC_HS256, sampleFull()), 3)
		}, false, ErrDecrypt},
		{"tampered tag", func(pub *rsa.PublicKey) string { return tamper(encryptFor(t, pub, jose.A256GCM, sampleFull()), 4) }, false, ErrDecrypt},
		{"tampered iv", func(pub *rsa.PublicKey) string { return tamper(encryptFor(t, pub, jose.A256GCM, sampleFull()), 2) }, false, ErrDecrypt},
		{"tampered encrypted key", func(pub *rsa.PublicKey) string { return tamper(encryptFor(t, pub, jose.A256GCM, sampleFull()), 1) }, false, ErrDecrypt},
		{"truncated", func(pub *rsa.PublicKey) string {
			s := encryptFor(t, pub, jose.A256GCM, sampleFull())
			return s[:strings.LastIndex(s, ".")]
		}, false, ErrDecrypt},
		{"disallowed alg RSA1_5", func(pub *rsa.PublicKey) string {
			e, err := jose.NewEncrypter(jose.A128GCM, jose.Recipient{Algorithm: jose.RSA1_5, Key: pub}, nil)
			if err != nil {
				t.Fatal(err)
			}
			obj, _ := e.Encrypt(sampleFull())
			s, _ := obj.CompactSerialize()
			return s
		}, false, ErrDecrypt},
		{"garbage", func(*rsa.PublicKey) string { return "eyJhbGciOi.not.a.jwe.really" }, false, ErrDecrypt},
		{"plain json when required", func(*rsa.PublicKey) string { return string(sampleFull()) }, true, ErrNotEncrypted},
		{"plain json list when required", func(*rsa.PublicKey) string { return " \n[" + string(sampleFull()) + "]" }, true, ErrNotEncrypted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := jweServer(t, tt.body)
			c := newTestClient(t, f, key2048(), func(c *Config) { c.RequireEncryption = tt.require })
			_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if IsRetryable(err) || len(f.requests()) != 1 {
				t.Errorf("retried: %d calls", len(f.requests()))
			}
			if msg := err.Error(); strings.Contains(msg, "Erika") || !strings.Contains(msg, "GET /cases/{caseId}") {
				t.Errorf("error %q", msg)
			}
		})
	}
}

func TestPlainJSONAcceptedUnlessRequired(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write(sampleFull()) })
	c := newTestClient(t, f, key2048(), nil) // integration environment: encryption optional
	cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
	if err != nil || cr.CaseID != testCaseID {
		t.Fatalf("GetCase: %v", err)
	}
	if f.requests()[0].Header.Get("x-scr-key") == "" {
		t.Error("key headers not sent although a key is configured")
	}
}

func TestNoKeyConfigured(t *testing.T) {
	t.Run("no headers, plain JSON", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(t, w, r, jose.A256GCM, sampleFull()) })
		c := newTestClient(t, f, nil, nil)
		if _, err := c.GetCase(testCtx(t), testCaseID, GetOptions{}); err != nil {
			t.Fatal(err)
		}
		h := f.requests()[0].Header
		if h.Get("x-scr-key") != "" || h.Get("x-scr-keyhash") != "" || h.Get("x-scr-alg") != "" {
			t.Error("encryption headers sent without a key")
		}
	})
	t.Run("encrypted answer without key", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			_, _ = io.WriteString(w, encryptFor(t, &key2048().PublicKey, jose.A256GCM, sampleFull()))
		})
		c := newTestClient(t, f, nil, nil)
		_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
		if !errors.Is(err, ErrDecrypt) || !strings.Contains(err.Error(), "no private key is configured") {
			t.Fatalf("err %v", err)
		}
	})
}
