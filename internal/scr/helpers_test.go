package scr

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/internal/guidesample"
)

// Test fixtures shared by all tests of this binary. RSA keys are generated
// once, at first use: 2048 bits for speed, one 3072-bit key as POSTIDENT's
// reference client recommends.
const (
	testClientID     = "1234ABCD"
	testUser         = "GK42.SCR"
	testPass         = "pJsen75hwn!t"
	testDataPassword = "data-pass-Ölkännchen"
	testCaseID       = "YR9W91GEZK24"
)

var (
	key2048      = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
	key2048Other = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
	key3072      = sync.OnceValue(func() *rsa.PrivateKey { return genKey(3072) })

	sampleFull   = sync.OnceValue(guidesample.Case)
	sampleStatus = sync.OnceValue(func() []byte { return mustRead("testdata/case_status_sample.json") })
)

func genKey(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

// testCtx bounds every test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// encryptFor encrypts plaintext for pub the way POSTIDENT does: compact JWE,
// alg RSA-OAEP-256, the given enc.
func encryptFor(t testing.TB, pub *rsa.PublicKey, enc jose.ContentEncryption, plaintext []byte) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub}, nil)
	if err != nil {
		t.Fatalf("new encrypter: %v", err)
	}
	obj, err := e.Encrypt(plaintext)
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return s
}

// hdrsFor computes x-scr-key and x-scr-keyhash independently of KeyHeaders,
// straight from ENCRYPTION.md.
func hdrsFor(t testing.TB, pub *rsa.PublicKey, dataPassword string) (string, string) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte(dataPassword))
	m.Write(der)
	return base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// seen is one request as the fake server received it.
type seen struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fake is a POSTIDENT stand-in on a real loopback HTTP server. It checks
// Basic auth like POSTIDENT (401 otherwise), records every request, and
// hands the rest to handle with the 1-based request number.
type fake struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []seen
	handle func(w http.ResponseWriter, r *http.Request, n int)
}

func newFake(t testing.TB, handle func(w http.ResponseWriter, r *http.Request, n int)) *fake {
	f := &fake{t: t, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body)) // handlers may read it again
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		n := len(f.reqs)
		f.mu.Unlock()
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.handle(w, r, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fake) baseURL() string { return f.srv.URL + "/api/scr/v1" }

// reply writes body as POSTIDENT would: a JWE for the key in x-scr-key when
// the request carries one with a valid x-scr-keyhash, else plain JSON.
func reply(t testing.TB, w http.ResponseWriter, r *http.Request, enc jose.ContentEncryption, body []byte) {
	k := r.Header.Get("x-scr-key")
	if k == "" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	}
	der, err := base64.StdEncoding.DecodeString(k)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	m := hmac.New(sha256.New, []byte(testDataPassword))
	m.Write(der)
	if r.Header.Get("x-scr-keyhash") != base64.StdEncoding.EncodeToString(m.Sum(nil)) || r.Header.Get("x-scr-alg") != "RSA-OAEP-256" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	_, _ = io.WriteString(w, encryptFor(t, pub.(*rsa.PublicKey), enc, body))
}

// newTestClient returns a client for f with fast retries and key (may be nil).
func newTestClient(t testing.TB, f *fake, key *rsa.PrivateKey, mutate func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL: f.baseURL(), ClientID: testClientID, Username: testUser, Password: testPass,
		PrivateKey: key, DataPassword: testDataPassword,
		Timeout: 10 * time.Second,
		Retry:   RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// sleepRecorder replaces Client.sleep: it records the waits and returns at
// once, so retry tests need no wall-clock timing.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
