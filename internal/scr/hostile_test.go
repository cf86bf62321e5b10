package scr

import (
	"github.com/postident-connector/postident-connector/connector"

	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// Hostile-upstream tests (issue 13, part 6): what the client does when the
// other end of BaseURL misbehaves on purpose or by accident. Every server
// here is a real loopback HTTP server.

// recorder is a second server that must never be reached: it records what
// arrives and answers with a forged, correctly encrypted case for whatever
// key the request carries, as an attacker holding the redirect target would.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []http.Header
}

func newRecorder(t *testing.T) *recorder {
	rc := &recorder{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.hits = append(rc.hits, r.Header.Clone())
		rc.mu.Unlock()
		forged := []byte(`{"caseId":"` + testCaseID + `","caseStatus":{"status":"closed"}}`)
		der, err := base64.StdEncoding.DecodeString(r.Header.Get("x-scr-key"))
		if err != nil || len(der) == 0 {
			_, _ = w.Write(forged)
			return
		}
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			_, _ = w.Write(forged)
			return
		}
		_, _ = io.WriteString(w, encryptFor(t, pub.(*rsa.PublicKey), jose.A256GCM, forged))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *recorder) seen() []http.Header {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]http.Header(nil), rc.hits...)
}

// TestNoRedirectFollowed: a 3xx from the API is an error, not an
// invitation. Following it sent the Basic credentials (same host name,
// other port or scheme) or the x-scr-key/x-scr-keyhash headers (other
// host) to the target, and the target's forged JWE was accepted.
func TestNoRedirectFollowed(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		host   func(rc *recorder) string // the redirect target's base
	}{
		{"same host other port 302", http.StatusFound, func(rc *recorder) string { return rc.srv.URL }},
		{"other host 307", http.StatusTemporaryRedirect, func(rc *recorder) string {
			return strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1)
		}},
		{"permanent 308", http.StatusPermanentRedirect, func(rc *recorder) string { return rc.srv.URL }},
		{"301", http.StatusMovedPermanently, func(rc *recorder) string { return rc.srv.URL }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evil := newRecorder(t)
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				http.Redirect(w, r, tt.host(evil)+r.URL.RequestURI(), tt.status)
			})
			c := newTestClient(t, f, key2048(), func(cfg *Config) { cfg.RequireEncryption = true })
			cr, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
			if hits := evil.seen(); len(hits) > 0 {
				h := hits[0]
				t.Fatalf("redirect followed: the target got %d requests (Authorization sent: %v, x-scr-key sent: %v), case accepted: %v",
					len(hits), h.Get("Authorization") != "", h.Get("x-scr-key") != "", cr != nil)
			}
			if err == nil {
				t.Fatal("a redirect answer was accepted")
			}
			if !errors.Is(err, ErrRedirect) || StatusCodeOf(err) != tt.status || IsRetryable(err) {
				t.Fatalf("err %v (status %d, retryable %v), want ErrRedirect with status %d, not retryable",
					err, StatusCodeOf(err), IsRetryable(err), tt.status)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests to the API, want 1 (a redirect is not retried)", n)
			}
			if !strings.Contains(err.Error(), "BaseURL") {
				t.Errorf("error %q does not tell the operator what to check", err)
			}
		})
	}
	t.Run("own http client's redirect policy is overridden", func(t *testing.T) {
		evil := newRecorder(t)
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			http.Redirect(w, r, evil.srv.URL+r.URL.RequestURI(), http.StatusFound)
		})
		c := newTestClient(t, f, nil, func(cfg *Config) { cfg.HTTPClient = &http.Client{} })
		_, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
		if len(evil.seen()) != 0 || !errors.Is(err, ErrRedirect) {
			t.Fatalf("err %v, %d requests reached the redirect target", err, len(evil.seen()))
		}
	})
}

// endless streams a JSON-looking body that never ends (spaces after an
// opening bracket), until the client hangs up.
func endless(open string) func(w http.ResponseWriter, r *http.Request, n int) {
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	return func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.WriteString(w, open)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// allocated returns the bytes the process allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// capCalls is one call of every endpoint family with the cap that applies.
var capCalls = []struct {
	name string
	cap  int64
	open string
	call func(c *Client, t *testing.T) error
}{
	{"case without binaries", 2 << 20, "{", func(c *Client, t *testing.T) error {
		_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{Full: true})
		return err
	}},
	{"case status", 2 << 20, "{", func(c *Client, t *testing.T) error {
		_, err := c.GetCaseStatus(testCtx(t), testCaseID, true)
		return err
	}},
	{"list page", 32 << 20, "[", func(c *Client, t *testing.T) error {
		_, err := c.ListCases(testCtx(t), ListFilter{}, true)
		return err
	}},
	{"status list page", 32 << 20, "[", func(c *Client, t *testing.T) error {
		_, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
		return err
	}},
	{"case with binaries", 64 << 20, "{", func(c *Client, t *testing.T) error {
		_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{IncludeBinaryData: true})
		return err
	}},
	{"case with result pdf", 64 << 20, "{", func(c *Client, t *testing.T) error {
		_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{IncludeResultPDF: true})
		return err
	}},
}

// TestResponseCapsPerEndpoint: an answer larger than its endpoint's cap is
// refused as malformed (errDecode, so the one case is parked and the batch
// goes on), is not retried, and is not read into memory beyond the cap.
func TestResponseCapsPerEndpoint(t *testing.T) {
	for _, tt := range capCalls {
		t.Run(tt.name+" streamed", func(t *testing.T) {
			f := newFake(t, endless(tt.open))
			c := newTestClient(t, f, nil, nil)
			var err error
			n := allocated(func() { err = tt.call(c, t) })
			if !errors.Is(err, errDecode) || IsRetryable(err) || !strings.Contains(err.Error(), "exceeds "+strconv.FormatInt(tt.cap, 10)+" bytes") {
				t.Fatalf("err %v, want errDecode naming the cap of %d bytes, not retryable", err, tt.cap)
			}
			if len(f.requests()) != 1 {
				t.Errorf("%d requests, want 1", len(f.requests()))
			}
			// Reading up to the cap may take twice the cap (a growing
			// buffer); anything near the old 256 MiB is the bug.
			if limit := uint64(3*tt.cap + 8<<20); n > limit && !raceEnabled {
				t.Errorf("allocated %d MiB for a capped fetch, want at most %d MiB", n>>20, limit>>20)
			}
		})
		t.Run(tt.name+" declared", func(t *testing.T) {
			// A Content-Length over the cap is refused before reading.
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Length", strconv.FormatInt(tt.cap+1, 10))
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, tt.open)
				w.(http.Flusher).Flush()
				<-r.Context().Done() // the rest never comes; the client must not wait for it
			})
			c := newTestClient(t, f, nil, func(cfg *Config) { cfg.Retry.MaxAttempts = 1 })
			err := tt.call(c, t)
			if !errors.Is(err, errDecode) || !strings.Contains(err.Error(), "exceeds "+strconv.FormatInt(tt.cap, 10)+" bytes") {
				t.Fatalf("err %v, want errDecode naming the cap of %d bytes", err, tt.cap)
			}
		})
	}
	t.Run("within the cap", func(t *testing.T) {
		// A status list of 1000 cases (guide 7.5.1's page size) passes.
		var b bytes.Buffer
		b.WriteString("[")
		for i := range 1000 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"caseId":"CASE%08d","caseStatus":{"status":"closed"}}`, i)
		}
		b.WriteString("]")
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write(b.Bytes()) })
		c := newTestClient(t, f, nil, nil)
		l, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
		if err != nil || len(l.Cases) != 1000 {
			t.Fatalf("err %v", err)
		}
	})
}

// encryptZip encrypts like POSTIDENT but with the JWE "zip":"DEF" header,
// which the guide never mentions.
func encryptZip(t testing.TB, pub *rsa.PublicKey, plaintext []byte) string {
	t.Helper()
	e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub},
		&jose.EncrypterOptions{Compression: jose.DEFLATE})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCompressedJWERefused: a JWE with "zip" is refused before it is
// decrypted or inflated, as a malformed answer for this one case
// (errDecode), not as a key problem (ErrDecrypt). A 1000:1 deflate bomb
// costs no more memory than its compressed size.
func TestCompressedJWERefused(t *testing.T) {
	bomb := append(append([]byte(`{"caseId":"`+testCaseID+`","pad":"`), bytes.Repeat([]byte("a"), 16<<20)...), `"}`...)
	for _, tt := range []struct {
		name  string
		plain []byte
	}{
		{"genuine case", sampleFull()},
		{"1000:1 deflate bomb", bomb},
	} {
		t.Run(tt.name, func(t *testing.T) {
			jwe := encryptZip(t, &key2048().PublicKey, tt.plain)
			if len(tt.plain)/len(jwe) < 500 && len(tt.plain) > 1<<20 {
				t.Fatalf("bomb ratio only %d:1", len(tt.plain)/len(jwe))
			}
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = io.WriteString(w, jwe) })
			c := newTestClient(t, f, key2048(), func(cfg *Config) { cfg.RequireEncryption = true })
			var (
				cr  any
				err error
			)
			n := allocated(func() { cr, err = c.GetCase(testCtx(t), testCaseID, GetOptions{}) })
			if err == nil {
				t.Fatalf("a compressed JWE was accepted (%T)", cr)
			}
			if !errors.Is(err, errDecode) || errors.Is(err, ErrDecrypt) || IsRetryable(err) || !strings.Contains(err.Error(), "zip") {
				t.Fatalf("err %v, want errDecode naming zip (not ErrDecrypt), not retryable", err)
			}
			if limit := uint64(4*len(jwe) + 4<<20); n > limit && !raceEnabled {
				t.Errorf("allocated %d KiB for a %d KiB answer, want at most %d KiB", n>>10, len(jwe)>>10, limit>>10)
			}
		})
	}
	t.Run("uncompressed still decrypts, wrong key still ErrDecrypt", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			_, _ = io.WriteString(w, encryptFor(t, &key2048Other().PublicKey, jose.A256GCM, sampleFull()))
		})
		c := newTestClient(t, f, key2048(), func(cfg *Config) { cfg.RequireEncryption = true })
		if _, err := c.GetCase(testCtx(t), testCaseID, GetOptions{}); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("err %v, want ErrDecrypt", err)
		}
	})
}

// TestRedirectStopsForAnOperator: through the pipeline's Source a redirect
// is a configuration error (every call gets one), not a case to park.
func TestRedirectStopsForAnOperator(t *testing.T) {
	evil := newRecorder(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, evil.srv.URL+r.URL.RequestURI(), http.StatusFound)
	})
	src := NewSource(newTestClient(t, f, key2048(), func(cfg *Config) { cfg.RequireEncryption = true }))
	_, err := src.Fetch(testCtx(t), testCaseID, connector.FetchOptions{})
	if !errors.Is(err, connector.ErrMisconfigured) || !connector.IsFatal(err) || errors.Is(err, connector.ErrCaseUnreadable) {
		t.Fatalf("err %v: want connector.ErrMisconfigured (operator-level), not a per-case unreadable answer", err)
	}
}
