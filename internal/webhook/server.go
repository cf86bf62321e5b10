package webhook

import (
	"net/http"
	"time"
)

// Limits of the http.Server NewServer returns. The webhook listener faces
// the internet (POSTIDENT calls from its own addresses, everyone else can
// try), so every phase of a connection is bounded.
const (
	// ServerReadHeaderTimeout bounds reading the request line and headers.
	ServerReadHeaderTimeout = 5 * time.Second
	// ServerReadTimeout bounds reading a whole request, body included; the
	// handler cuts the body off sooner, at Config.Deadline.
	ServerReadTimeout = 10 * time.Second
	// ServerWriteTimeout bounds writing the answer.
	ServerWriteTimeout = 10 * time.Second
	// ServerIdleTimeout closes a keep-alive connection idle this long.
	// POSTIDENT's calls come far apart (retries after 900 s and 3600 s), so
	// a longer wait only holds sockets for nobody.
	ServerIdleTimeout = 10 * time.Second
	// ServerMaxHeaderBytes bounds the request headers (net/http's default is
	// 1 MiB). POSTIDENT sends a handful of short headers (Authorization,
	// Content-Type, Content-Length); 16 KiB leaves room for what proxies add
	// (X-Forwarded-For, Forwarded, trace headers). Larger requests are
	// answered 431.
	ServerMaxHeaderBytes = 16 << 10
)

// NewServer returns an http.Server serving h with the limits above. The
// caller sets TLSConfig if it serves TLS, and calls Serve and Shutdown.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ServerReadHeaderTimeout,
		ReadTimeout:       ServerReadTimeout,
		WriteTimeout:      ServerWriteTimeout,
		IdleTimeout:       ServerIdleTimeout,
		MaxHeaderBytes:    ServerMaxHeaderBytes,
	}
}
