package scr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors, usable with errors.Is on any error this package returns.
var (
	// ErrUnauthorized: POSTIDENT answered 401 (or 403): wrong or missing
	// username or password, or the clientId is unknown or not enabled for
	// the SCR-Ident API (guide 7.7). Never retried.
	ErrUnauthorized = errors.New("unauthorized: check username, password and clientId")
	// ErrNotFound: POSTIDENT answered 404, usually an unknown caseId (guide
	// 7.7); cases are deleted after the account's retention time. Never
	// retried.
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: POSTIDENT answered 400 (for example more than 10000
	// ids in one archive call), or the client refused to send a request it
	// knows to be invalid. Never retried.
	ErrBadRequest = errors.New("bad request")
	// ErrNotEncrypted: a private key is configured with RequireEncryption
	// and POSTIDENT answered with plain JSON. Never retried.
	ErrNotEncrypted = errors.New("response is not encrypted although encryption is required")
	// ErrRedirect: POSTIDENT (or whatever answers at BaseURL) answered with
	// a redirect (3xx). The client follows none: following one sent the
	// Basic credentials and the key headers to the redirect target and
	// accepted its answer. The usual cause is a BaseURL with the wrong
	// scheme, host or path. Never retried.
	ErrRedirect = errors.New("redirect refused: the client follows no redirect; check BaseURL (scheme, host and path must be POSTIDENT's own, e.g. https://postident.deutschepost.de/api/scr/v1)")
	// ErrDecrypt: the response could not be decrypted: not a compact JWE,
	// an algorithm other than RSA-OAEP-256, encrypted for another key, or
	// tampered with. Never retried.
	ErrDecrypt = errors.New("cannot decrypt response")
)

// Unexported causes for retryable statuses; callers classify them with
// IsRetryable and StatusCodeOf rather than by identity.
var (
	errServer      = errors.New("server error")
	errRateLimited = errors.New("rate limited")
	errTimeout     = errors.New("attempt timed out")
)

// Error describes a failed call. It never holds a response body or any
// personal data: only the operation, the endpoint template, the caseId, the
// HTTP status and the cause.
type Error struct {
	// Op is what the caller asked for, e.g. "get case", "list cases",
	// "archive".
	Op string
	// Endpoint is the method and path template, e.g. "GET /cases/{caseId}".
	Endpoint string
	// CaseID is the case the call was about; empty for list and archive
	// calls.
	CaseID string
	// StatusCode is the HTTP status of an unsuccessful response; 0 when the
	// failure was not an HTTP status (transport error, timeout, decryption,
	// decoding).
	StatusCode int
	// Attempts is how many HTTP requests were made.
	Attempts int
	// RetryAfter is the server's Retry-After of the last response, if any.
	RetryAfter time.Duration
	// Err is the cause: one of the sentinels, a context error, a transport
	// error or a decoding error.
	Err error

	// answer is the raw compact JWE of a single-case answer that arrived
	// but could not be decrypted or decoded: kept for the dead-letter
	// record (only the private key's holder can read it), never part of
	// Error(). Never set for plain JSON, which would be personal data.
	answer []byte
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scr: ")
	b.WriteString(e.Op)
	b.WriteString(" (")
	b.WriteString(e.Endpoint)
	if e.CaseID != "" {
		b.WriteString(" caseId=")
		b.WriteString(e.CaseID)
	}
	b.WriteString(")")
	if e.Attempts > 1 {
		b.WriteString(" failed after ")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts")
	}
	b.WriteString(": ")
	if e.StatusCode != 0 {
		b.WriteString("http ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("unknown error")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err is transient: a 5xx or 429 answer, a
// timeout, or a connection error. 400, 401, 403, 404, decryption and
// decoding errors, redirects, and a cancelled context are not (even when a
// 5xx preceded the cancellation). The client already
// retried retryable errors up to RetryPolicy.MaxAttempts; this tells the
// caller whether trying again later (e.g. by redelivering a message) may
// help.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		// A cancelled call was abandoned by the caller, whatever its cause.
		return false
	}
	if code := StatusCodeOf(err); code != 0 {
		return retryableStatus(code)
	}
	switch {
	case errors.Is(err, errServer), errors.Is(err, errRateLimited), errors.Is(err, errTimeout):
		return true
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNotFound), errors.Is(err, ErrBadRequest),
		errors.Is(err, ErrNotEncrypted), errors.Is(err, ErrDecrypt), errors.Is(err, errDecode),
		errors.Is(err, ErrRedirect):
		return false
	case errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return retryableTransport(err)
}

// StatusCodeOf returns the HTTP status of the unsuccessful response behind
// err, or 0 if err is not about an HTTP status.
func StatusCodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// statusError maps a non-2xx status to its cause.
func statusError(code int) error {
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return ErrUnauthorized
	case code == http.StatusNotFound:
		return ErrNotFound
	case code == http.StatusBadRequest:
		return ErrBadRequest
	case code == http.StatusTooManyRequests:
		return errRateLimited
	case code >= 300 && code < 400:
		return ErrRedirect
	case code >= 500:
		return errServer
	}
	return errors.New("unexpected status " + strconv.Itoa(code) + " " + http.StatusText(code))
}

// retryableTransport classifies an error from sending a request or reading
// its body: connection errors and timeouts are transient; certificate
// problems and malformed URLs are configuration errors that retrying cannot
// fix.
func retryableTransport(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
		recordHeader     tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verification), errors.As(err, &recordHeader):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}
