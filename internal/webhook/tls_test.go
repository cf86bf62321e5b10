package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// selfSigned returns a PEM certificate and key for webhook.test with the
// given serial number.
func selfSigned(t *testing.T, serial int64) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "webhook.test"},
		DNSNames:              []string{"webhook.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), cert
}

// writePair writes the pair and stamps both files with mtime, so the change
// is visible however coarse the file system's clock is.
func writePair(t *testing.T, certFile, keyFile string, certPEM, keyPEM []byte, mtime time.Time) {
	t.Helper()
	for _, f := range []struct {
		name string
		data []byte
	}{{certFile, certPEM}, {keyFile, keyPEM}} {
		if err := os.WriteFile(f.name, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f.name, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCertReloader(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	certA, keyA, a := selfSigned(t, 1001)
	certB, keyB, b := selfSigned(t, 2002)
	mtime := time.Now().Add(-time.Hour)
	writePair(t, certFile, keyFile, certA, keyA, mtime)

	r, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r.log = discardLogger()
	var clock atomic.Int64 // a fake clock, so the once-a-second check needs no sleeping
	clock.Store(time.Now().UnixNano())
	r.now = func() time.Time { return time.Unix(0, clock.Load()) }
	tick := func() { clock.Add(int64(2 * certCheckInterval)) }

	// A real HTTPS server whose certificate comes from the reloader.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Listener = tls.NewListener(srv.Listener, &tls.Config{GetCertificate: r.GetCertificate, MinVersion: tls.VersionTLS12})
	srv.Start()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(a)
	roots.AddCert(b)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: "webhook.test"},
		DisableKeepAlives: true, // a handshake per request
	}}
	served := func() int64 {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+srv.Listener.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("TLS request: %v", err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}

	if got := served(); got != 1001 {
		t.Fatalf("serial %d, want the initial 1001", got)
	}
	writePair(t, certFile, keyFile, certB, keyB, mtime.Add(time.Minute))
	if got := served(); got != 1001 {
		t.Fatalf("serial %d within the check interval, want 1001 (files are looked at once a second at most)", got)
	}
	tick()
	if got := served(); got != 2002 {
		t.Fatalf("serial %d after the rewrite, want 2002", got)
	}

	// Half-written rotation: a new cert with the old key does not load; the
	// current certificate stays until the pair fits again.
	writePair(t, certFile, keyFile, certA, keyB, mtime.Add(2*time.Minute))
	tick()
	if got := served(); got != 2002 {
		t.Fatalf("serial %d after a mismatched pair, want the previous 2002", got)
	}
	writePair(t, certFile, keyFile, certA, keyA, mtime.Add(3*time.Minute))
	tick()
	if got := served(); got != 1001 {
		t.Fatalf("serial %d after the pair was completed, want 1001", got)
	}

	// Files gone: keep serving.
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	tick()
	if got := served(); got != 1001 {
		t.Fatalf("serial %d with the files gone, want 1001", got)
	}
}

func TestNewCertReloaderErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certA, _, _ := selfSigned(t, 1)
	_, keyB, _ := selfSigned(t, 2)
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if _, err := NewCertReloader(certFile, keyFile); err == nil {
		t.Error("missing files accepted")
	}
	writePair(t, certFile, keyFile, certA, keyB, time.Now())
	if _, err := NewCertReloader(certFile, keyFile); err == nil {
		t.Error("mismatched pair accepted")
	}
}

// TestCertReloaderConcurrent hammers GetCertificate from many goroutines
// while the files change, for the race detector.
func TestCertReloaderConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	certA, keyA, _ := selfSigned(t, 1)
	writePair(t, certFile, keyFile, certA, keyA, time.Now().Add(-time.Hour))
	r, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r.log = discardLogger()
	var clock atomic.Int64 // every call advances it, so checks and reloads happen
	clock.Store(time.Now().UnixNano())
	r.now = func() time.Time { return time.Unix(0, clock.Add(int64(100*time.Millisecond))) }
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				if c, err := r.GetCertificate(&tls.ClientHelloInfo{}); c == nil || err != nil {
					t.Errorf("GetCertificate = %v, %v", c, err)
					return
				}
			}
		}()
	}
	certB, keyB, _ := selfSigned(t, 2)
	writePair(t, certFile, keyFile, certB, keyB, time.Now())
	for range 4 {
		<-done
	}
}
