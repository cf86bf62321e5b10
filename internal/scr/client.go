package scr

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Response caps, one per kind of answer (issue 13). An answer over its cap
// is refused as malformed (errDecode: this one case or page is unreadable,
// the caller parks it) and the rest of it is not read: a Content-Length
// over the cap is refused before the body is read, and a body without one
// is read only up to the cap. The guide gives no sizes, so the caps are set
// from its samples and limits, far above what a genuine answer needs and
// far below what would hurt the process (one 256 MiB cap for everything
// peaked at 612 MB RSS in a single fetch). JWE adds a third (base64url).
const (
	// maxCaseBody is one case without binary data, /full and the status
	// calls included. The guide's complete sample (7.4.1, every section
	// filled) is 7.3 KB of JSON, 10 KB as JWE: 2 MiB is 200 times that,
	// room for many identifications and the metadata of their records.
	maxCaseBody = 2 << 20
	// maxListBody is one page of a list call: at most 1000 cases, never
	// with binary data (guide 7.5.1), so 32 KiB per case, three times the
	// complete sample encrypted.
	maxListBody = 32 << 20
	// maxBinaryBody is one case fetched with includeBinaryData or
	// includeResultPdf: base64 images and PDFs inside JSON inside a JWE
	// (about 1.8 times the files' size). 64 MiB leaves about 36 MB for the
	// files of one case, several times the handful of document images,
	// signature, face image and result PDFs a GwG case has (guide 8.6.7;
	// video recordings are not delivered by this API). Each file must also
	// fit one Kafka record (KAFKA_MAX_MESSAGE_BYTES, 1 MiB by default), so
	// a larger answer could not be published anyway.
	maxBinaryBody = 64 << 20
	// maxArchiveBody is the archive answer: one short CaseStatus per
	// archived case, at most 10000 per call (guide 7.6).
	maxArchiveBody = 16 << 20
)

// Client calls the SCR-Ident result API. It is safe for concurrent use.
// Close releases idle connections of the built-in HTTP client.
type Client struct {
	cfg       Config
	prefix    string // BaseURL + "/" + ClientID, no trailing slash
	http      *http.Client
	ownClient bool

	// Precomputed once: the key headers do not change for the client's life.
	keyHeader, keyHashHeader string

	// sleep waits between attempts; tests replace it to observe the waits.
	sleep func(ctx context.Context, d time.Duration) error
	// bodyLimit overrides the per-call body limits when > 0 (tests).
	bodyLimit int64
	// metrics of every attempt, from the meter provider current at New.
	metrics callMetrics
	// plainStatusWarned makes the warning about plain status answers a
	// one-time log line.
	plainStatusWarned sync.Once
}

// New validates cfg, applies defaults and returns a Client. It makes no
// network calls.
func New(cfg Config) (*Client, error) {
	cfg, base, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		prefix: base.String() + "/" + cfg.ClientID,
		http:   cfg.HTTPClient,
		sleep:  sleepCtx,
	}
	if c.http == nil {
		c.http = newHTTPClient(cfg.MaxConns)
		c.ownClient = true
	} else {
		// A copy, so the caller's client keeps its own policy elsewhere.
		hc := *c.http
		hc.CheckRedirect = refuseRedirect
		c.http = &hc
	}
	if cfg.PrivateKey != nil {
		c.keyHeader, c.keyHashHeader, err = KeyHeaders(&cfg.PrivateKey.PublicKey, cfg.DataPassword)
		if err != nil {
			return nil, err
		}
	}
	c.metrics = newCallMetrics()
	return c, nil
}

// Close closes idle connections of the built-in HTTP client; a client given
// in Config.HTTPClient is left alone. The Client must not be used afterwards.
// Safe to call twice.
func (c *Client) Close() {
	if c.ownClient {
		c.http.CloseIdleConnections()
	}
}

// newHTTPClient builds a client with a bounded connection pool. Timeouts
// come from the per-attempt request context, so http.Client.Timeout is 0.
func newHTTPClient(maxConns int) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		CheckRedirect: refuseRedirect,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxConnsPerHost:       maxConns,
			MaxIdleConnsPerHost:   maxConns,
			MaxIdleConns:          maxConns,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		},
	}
}

// refuseRedirect makes http.Client return a 3xx answer as it is, which
// attemptOnce turns into ErrRedirect. Following a redirect would send the
// Basic credentials (net/http keeps Authorization when only the port or
// scheme changes) and x-scr-key/x-scr-keyhash (always kept) to the target,
// and accept whatever it answers as POSTIDENT's word.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// call is one logical API call; do turns it into one or more attempts.
type call struct {
	op       string // "get case"
	method   string
	endpoint string // "GET /cases/{caseId}"
	caseID   string
	path     string // after the clientId, e.g. "/cases/YR9W91GEZK24/full"
	query    url.Values
	body     []byte // request body (PATCH); nil for GET
	encrypt  bool   // send the key headers
	limit    int64  // body read limit
	// statusOnly marks the status endpoints (guide 7.4.2, 7.5.2), whose
	// plain JSON answers are accepted even with RequireEncryption.
	statusOnly bool
}

// response is a successful (2xx) answer with its body read completely.
type response struct {
	header   http.Header
	body     []byte
	attempts int // requests it took, for errors found after the fact
}

func (c *Client) fail(cl *call, attempts int, err error) *Error {
	return &Error{Op: cl.op, Endpoint: cl.endpoint, CaseID: cl.caseID, Attempts: attempts, Err: err}
}

// do runs cl under the retry policy: the one place where retries happen.
// Retryable failures (5xx, 429, timeouts, connection errors) are retried
// with capped exponential backoff and full jitter, or after the server's
// Retry-After; everything else is returned at once.
func (c *Client) do(ctx context.Context, cl *call) (*response, error) {
	pol := c.cfg.Retry
	var last *Error
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, cl)
		if err == nil {
			resp.attempts = attempt
			return resp, nil
		}
		err.Attempts = attempt
		if cerr := ctx.Err(); cerr != nil {
			// The caller gave up; report that, keeping the last cause.
			if !errors.Is(err.Err, cerr) {
				err.Err = fmt.Errorf("%w (last cause: %w)", cerr, err.Err)
			}
			return nil, err
		}
		if !IsRetryable(err) || attempt >= pol.MaxAttempts {
			return nil, err
		}
		last = err
		wait := backoff(pol, attempt)
		if err.RetryAfter > 0 {
			wait = min(err.RetryAfter, pol.MaxDelay)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// The caller's deadline would expire while waiting: fail now
			// with the real cause rather than a bare deadline error.
			return nil, last
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			last.Err = fmt.Errorf("%w (last cause: %w)", serr, last.Err)
			return nil, last
		}
	}
}

// backoff returns the full-jitter wait before retry number n (1-based).
func backoff(p RetryPolicy, n int) time.Duration {
	ceiling := p.MaxDelay
	if n-1 < 62 {
		if d := p.BaseDelay << (n - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt makes one HTTP request under the per-attempt timeout and reads the
// whole body within it.
func (c *Client) attempt(ctx context.Context, cl *call) (resp *response, e *Error) {
	start := time.Now()
	defer func() { c.metrics.observe(ctx, cl.endpoint, start, e) }()
	return c.attemptOnce(ctx, cl)
}

func (c *Client) attemptOnce(ctx context.Context, cl *call) (*response, *Error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	u := c.prefix + cl.path
	if len(cl.query) > 0 {
		// Encode escapes ':' and '+' (%3A, %2B): an unescaped '+' in an
		// offset would reach the server as a space (guide 7.5.1 note).
		u += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u, body)
	if err != nil {
		return nil, c.fail(cl, 1, fmt.Errorf("build request: %w", err))
	}
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if cl.encrypt && c.keyHeader != "" {
		req.Header.Set("x-scr-key", c.keyHeader)
		req.Header.Set("x-scr-keyhash", c.keyHashHeader)
		req.Header.Set("x-scr-alg", "RSA-OAEP-256")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.fail(cl, 1, c.transportErr(ctx, actx, "send request", err))
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused; never keep it.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		e := c.fail(cl, 1, statusError(resp.StatusCode))
		e.StatusCode = resp.StatusCode
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			e.Err = fmt.Errorf("%w (Location: %s)", e.Err, locationHint(req.URL, resp.Header.Get("Location")))
		}
		return nil, e
	}

	limit := cl.limit
	if c.bodyLimit > 0 {
		limit = c.bodyLimit
	}
	if resp.ContentLength > limit {
		// Closing the body unread drops the connection: nothing more of
		// it is read.
		return nil, c.fail(cl, 1, fmt.Errorf("%w: response body exceeds %d bytes (Content-Length %d)", errDecode, limit, resp.ContentLength))
	}
	b, err := readBody(resp.Body, resp.ContentLength, limit)
	if err != nil {
		return nil, c.fail(cl, 1, c.transportErr(ctx, actx, "read response body", err))
	}
	if int64(len(b)) > limit {
		return nil, c.fail(cl, 1, fmt.Errorf("%w: response body exceeds %d bytes", errDecode, limit))
	}
	return &response{header: resp.Header, body: b}, nil
}

// readBody reads a body of known length (at most limit, checked by the
// caller) into one buffer of that size, and a body of unknown length up to
// limit+1 bytes, so the caller can tell "over the limit" without reading
// further.
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	if length >= 0 {
		b := make([]byte, length)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(r, limit+1))
}

// locationHint shows where a redirect pointed, for the operator fixing
// BaseURL: scheme, host and path, resolved against the request, without
// credentials, query or fragment, and bounded in length (the header comes
// from whoever answered).
func locationHint(base *url.URL, loc string) string {
	if loc == "" {
		return "none"
	}
	u, err := base.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "not an http(s) URL"
	}
	s := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// transportErr names a failed send or read, telling a per-attempt timeout
// (retryable) from the caller's cancellation (not).
func (c *Client) transportErr(ctx, actx context.Context, what string, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w after %s", what, errTimeout, c.cfg.Timeout)
	}
	// url.Error repeats the full URL, which may carry filter values; keep
	// only its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// parseRetryAfter reads delay-seconds or an HTTP date (RFC 9110 10.2.3).
// Unparseable or past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
