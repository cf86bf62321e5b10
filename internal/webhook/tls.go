package webhook

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// certCheckInterval is how often GetCertificate looks at the files at most.
const certCheckInterval = time.Second

// CertReloader serves the TLS certificate in WEBHOOK_TLS_CERT_FILE /
// WEBHOOK_TLS_KEY_FILE and picks up new files without a restart (cert-manager,
// certbot and Kubernetes secret mounts replace them in place). Use
// GetCertificate as tls.Config.GetCertificate. It is safe for concurrent use.
//
// At most once a second a handshake stats both files (following symlinks, as
// Kubernetes mounts use them); when size or modification time changed, the
// pair is loaded again. A pair that does not load, for example because only
// one of the two files has been rewritten so far, is logged and the previous
// certificate stays in use; the next change is tried again.
type CertReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time // replaced in tests

	cert      atomic.Pointer[tls.Certificate]
	nextCheck atomic.Int64 // unix nanoseconds

	mu             sync.Mutex // serialises checks and reloads
	certSt, keySt  fileStamp  // of the pair last tried
	lastLoadFailed bool
}

type fileStamp struct {
	size    int64
	modTime int64 // unix nanoseconds, so stamps compare with ==
}

// NewCertReloader loads the pair once and fails if it does not load.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	c := &CertReloader{certFile: certFile, keyFile: keyFile, log: slog.Default(), now: time.Now}
	cs, ks, err := c.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("webhook: load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	c.cert.Store(&cert)
	c.certSt, c.keySt = cs, ks
	c.nextCheck.Store(c.now().Add(certCheckInterval).UnixNano())
	return c, nil
}

// GetCertificate returns the current certificate, reloading it first if the
// files changed. It never fails once NewCertReloader succeeded.
func (c *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	now := c.now()
	if next := c.nextCheck.Load(); now.UnixNano() >= next && c.nextCheck.CompareAndSwap(next, now.Add(certCheckInterval).UnixNano()) {
		c.maybeReload()
	}
	return c.cert.Load(), nil
}

func (c *CertReloader) maybeReload() {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ks, err := c.stat()
	if err != nil {
		if !c.lastLoadFailed {
			c.log.Warn("webhook TLS certificate files unreadable; keeping the current certificate", "error", err.Error())
		}
		c.lastLoadFailed = true
		return
	}
	if cs == c.certSt && ks == c.keySt {
		return
	}
	c.certSt, c.keySt = cs, ks
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.lastLoadFailed = true
		c.log.Warn("webhook TLS certificate changed but does not load; keeping the current one until the files change again",
			"cert_file", c.certFile, "key_file", c.keyFile, "error", err.Error())
		return
	}
	c.lastLoadFailed = false
	c.cert.Store(&cert)
	attrs := []any{"cert_file", c.certFile}
	if cert.Leaf != nil {
		attrs = append(attrs, "not_after", cert.Leaf.NotAfter)
	}
	c.log.Info("webhook TLS certificate reloaded", attrs...)
}

func (c *CertReloader) stat() (cert, key fileStamp, err error) {
	cfi, err1 := os.Stat(c.certFile)
	kfi, err2 := os.Stat(c.keyFile)
	if err := errors.Join(err1, err2); err != nil {
		return fileStamp{}, fileStamp{}, fmt.Errorf("webhook: stat TLS files: %w", err)
	}
	return fileStamp{cfi.Size(), cfi.ModTime().UnixNano()}, fileStamp{kfi.Size(), kfi.ModTime().UnixNano()}, nil
}
