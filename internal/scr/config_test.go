package scr

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	valid := func() Config {
		return Config{BaseURL: "https://postident.deutschepost.de/api/scr/v1", ClientID: testClientID, Username: testUser, Password: testPass}
	}
	small := genKey(1024)
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // substrings of the error; none: valid
	}{
		{"valid", func(*Config) {}, nil},
		{"valid trailing slash", func(c *Config) { c.BaseURL += "/" }, nil},
		{"valid http simulator", func(c *Config) { c.BaseURL = "http://localhost:8090/api/scr/v1" }, nil},
		{"valid with key", func(c *Config) { c.PrivateKey = key2048(); c.DataPassword = "x"; c.RequireEncryption = true }, nil},
		{"empty base url", func(c *Config) { c.BaseURL = "" }, []string{"BaseURL is required"}},
		{"relative base url", func(c *Config) { c.BaseURL = "/api/scr/v1" }, []string{"absolute http(s) URL"}},
		{"ftp base url", func(c *Config) { c.BaseURL = "ftp://host/api/scr/v1" }, []string{"absolute http(s) URL"}},
		{"base url with credentials", func(c *Config) { c.BaseURL = "https://u:hunter2@host/api/scr/v1" }, []string{"must not contain credentials"}},
		{"base url with query", func(c *Config) { c.BaseURL += "?x=1" }, []string{"query"}},
		{"base url with client id", func(c *Config) { c.BaseURL += "/1234ABCD" }, []string{"without the clientId"}},
		{"base url with cases", func(c *Config) { c.BaseURL += "/1234ABCD/cases" }, []string{"without /{clientId}/cases"}},
		{"missing client id", func(c *Config) { c.ClientID = "" }, []string{"ClientID is required"}},
		{"lowercase client id", func(c *Config) { c.ClientID = "1234abcd" }, []string{"uppercase letters and digits"}},
		{"client id with slash", func(c *Config) { c.ClientID = "12/AB" }, []string{"uppercase letters and digits"}},
		{"missing credentials", func(c *Config) { c.Username, c.Password = "", "" }, []string{"Username is required", "Password is required"}},
		{"small key", func(c *Config) { c.PrivateKey = small; c.DataPassword = "x" }, []string{"1024 bits", "at least 2048"}},
		{"key without data password", func(c *Config) { c.PrivateKey = key2048() }, []string{"DataPassword is required"}},
		{"require encryption without key", func(c *Config) { c.RequireEncryption = true }, []string{"RequireEncryption needs a PrivateKey"}},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"Timeout must not be negative"}},
		{"negative max conns", func(c *Config) { c.MaxConns = -1 }, []string{"MaxConns"}},
		{"negative attempts", func(c *Config) { c.Retry.MaxAttempts = -1 }, []string{"Retry.MaxAttempts"}},
		{"max below base delay", func(c *Config) { c.Retry.BaseDelay = time.Second; c.Retry.MaxDelay = time.Millisecond }, []string{"Retry.MaxDelay"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			c, err := New(cfg)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				c.Close()
				return
			}
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, secret := range []string{testPass, "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "https://postident.deutschepost.de/api/scr/v1/", ClientID: testClientID, Username: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseDelay: DefaultBaseDelay, MaxDelay: DefaultMaxDelay}
	if c.cfg.Retry != want || c.cfg.Timeout != DefaultTimeout || c.cfg.MaxConns != DefaultMaxConns || c.cfg.UserAgent != DefaultUserAgent {
		t.Errorf("defaults: %+v", c.cfg)
	}
	if c.prefix != "https://postident.deutschepost.de/api/scr/v1/1234ABCD" {
		t.Errorf("prefix %q", c.prefix)
	}
	if c.keyHeader != "" {
		t.Error("key header computed without a key")
	}
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestLoadPrivateKey(t *testing.T) {
	k := key2048()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ec)
	small := genKey(1024)
	cert := pemOf("CERTIFICATE", []byte("not parsed"))

	tests := []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"pkcs1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), ""},
		{"pkcs8", pemOf("PRIVATE KEY", pkcs8), ""},
		{"pkcs8 after a certificate", append(cert, pemOf("PRIVATE KEY", pkcs8)...), ""},
		{"1024 bits", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), "1024 bits"},
		{"ec pkcs8", pemOf("PRIVATE KEY", ecPKCS8), "not RSA"},
		{"ec sec1", pemOf("EC PRIVATE KEY", []byte{1}), "not supported"},
		{"encrypted pkcs8", pemOf("ENCRYPTED PRIVATE KEY", []byte{1}), "password-protected"},
		{"garbage der", pemOf("PRIVATE KEY", []byte("garbage")), "parse PKCS#8"},
		{"no pem", []byte("hello"), "no RSA private key PEM block"},
		{"public key only", pemOf("PUBLIC KEY", []byte{1}), "no RSA private key PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadPrivateKey(tt.pem)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadPrivateKey: %v", err)
				}
				if !got.Equal(k) {
					t.Error("loaded a different key")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestKeyHeaders(t *testing.T) {
	for _, k := range []*rsa.PrivateKey{key2048(), key3072()} {
		key, hash, err := KeyHeaders(&k.PublicKey, testDataPassword)
		if err != nil {
			t.Fatal(err)
		}
		wantKey, wantHash := hdrsFor(t, &k.PublicKey, testDataPassword)
		if key != wantKey || hash != wantHash {
			t.Errorf("%d bits: headers differ from the independent computation", k.N.BitLen())
		}
		if strings.ContainsAny(key+hash, "\n\r-_") {
			t.Error("headers must be standard Base64 without line breaks")
		}
	}
	if _, _, err := KeyHeaders(&key2048().PublicKey, ""); err == nil {
		t.Error("empty data password accepted")
	}
	if _, _, err := KeyHeaders(nil, "x"); err == nil {
		t.Error("nil key accepted")
	}
}

// TestKeyHeadersOpenSSL runs the shell recipe of ENCRYPTION.md, when
// openssl is installed, and compares.
func TestKeyHeadersOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ctx := testCtx(t)
	dir := t.TempDir()
	k := key2048()
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	priv := filepath.Join(dir, "private.pem")
	if err := os.WriteFile(priv, pemOf("PRIVATE KEY", pkcs8), 0o600); err != nil {
		t.Fatal(err)
	}
	der, err := exec.CommandContext(ctx, openssl, "pkey", "-in", priv, "-pubout", "-outform", "DER").Output()
	if err != nil {
		t.Fatalf("openssl pkey: %v", err)
	}
	cmd := exec.CommandContext(ctx, openssl, "dgst", "-sha256", "-hmac", testDataPassword, "-binary")
	cmd.Stdin = bytes.NewReader(der)
	mac, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl dgst: %v", err)
	}
	key, hash, err := KeyHeaders(&k.PublicKey, testDataPassword)
	if err != nil {
		t.Fatal(err)
	}
	if want := b64(der); key != want {
		t.Errorf("x-scr-key differs from openssl")
	}
	if want := b64(mac); hash != want {
		t.Errorf("x-scr-keyhash differs from openssl")
	}
}
