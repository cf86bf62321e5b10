package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Notification is one accepted webhook call.
type Notification struct {
	// CaseID is the POSTIDENT case id, validated by ValidateCaseID.
	CaseID string
	// ReferenceID is the client's reference, if POSTIDENT is configured to
	// send it; empty otherwise. It may be a customer reference: treat it as
	// personal data (no logs, no span attributes, no metric labels).
	ReferenceID string
	// ReceivedAt is when the request arrived.
	ReceivedAt time.Time
	// RequestID is the caller's sane X-Request-Id or a generated one; it is
	// also in the response header and the handler's log lines.
	RequestID string
}

// Sink makes a notification durable. Accept returns nil only once the
// notification is acknowledged by Kafka (acks=all). ctx carries the request's
// span (for a traceparent header) and a deadline; Accept should give up when
// ctx is done. It is called concurrently and may see the same caseId twice
// (POSTIDENT retries, and may send several webhooks per case): duplicates are
// harmless because consumers fetch the current case state.
type Sink interface {
	Accept(ctx context.Context, n Notification) error
}

// SinkFunc adapts a function to Sink, e.g. to call connector.Ingest.Notify.
type SinkFunc func(ctx context.Context, n Notification) error

// Accept calls f.
func (f SinkFunc) Accept(ctx context.Context, n Notification) error { return f(ctx, n) }

// spanName is the name of the span started for every request on the path.
const spanName = "webhook.receive"

// Handler is the http.Handler receiving POSTIDENT webhooks on Config.Path. It
// is safe for concurrent use. Every other path is answered 404.
//
// A request is checked in this order, cheapest and least revealing first:
// capacity (503), source address (403), rate (429), Basic auth (401), method
// (405), Content-Type (415), body size (413), body (400). Only then is the
// notification handed to the sink, and the answer is 200 only if the sink
// acknowledged it before the deadline, 503 otherwise.
type Handler struct {
	cfg     Config
	sink    Sink
	log     *slog.Logger
	tel     *telemetry
	auth    bool
	user    [sha256.Size]byte
	pass    [sha256.Size]byte
	limiter *tokenBucket
	// rawPath is Config.Path as it appears on the wire (percent-encoded
	// where it must be), matched against the request's raw path.
	rawPath string

	mu       sync.Mutex
	inflight int
	draining bool
	idle     chan struct{} // closed once draining and nothing in flight
	idleDone bool
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler passing accepted notifications to sink. It
// applies the defaults and checks cfg as Validate does, except for the auth
// policy, which needs the dev-mode flag: call cfg.Validate(devMode) first.
// Metrics and spans go to the global OpenTelemetry providers.
func NewHandler(cfg Config, sink Sink) (*Handler, error) {
	return newHandler(cfg, sink, nil, nil)
}

// newHandler lets tests pass their own telemetry providers; nil means global.
func newHandler(cfg Config, sink Sink, mp metric.MeterProvider, tp trace.TracerProvider) (*Handler, error) {
	if sink == nil {
		return nil, errors.New("webhook: sink is nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tel, err := newTelemetry(mp, tp)
	if err != nil {
		return nil, fmt.Errorf("webhook: create instruments: %w", err)
	}
	h := &Handler{
		cfg:  cfg,
		sink: sink,
		log:  cfg.Logger,
		tel:  tel,
		idle: make(chan struct{}),
	}
	h.rawPath = (&url.URL{Path: cfg.Path}).EscapedPath()
	if cfg.Username != "" {
		h.auth = true
		h.user = sha256.Sum256([]byte(cfg.Username))
		h.pass = sha256.Sum256([]byte(cfg.Password))
	}
	if cfg.RatePerSecond > 0 {
		h.limiter = newTokenBucket(cfg.RatePerSecond, cfg.Burst, time.Now())
	}
	return h, nil
}

// result is the outcome of one request, as answered, counted and logged.
type result struct {
	status       int
	reason       reason
	text         string // the plain-text body; never derived from the request
	retryAfter   int    // seconds; 0 for none
	allow        bool   // add Allow: POST
	authenticate bool   // add WWW-Authenticate
	closeConn    bool
	caseID       string // set only once validated
	refDropped   refDrop
	source       netip.Addr
	err          error // sink failure, for the log line
}

func reject(status int, r reason, text string) result {
	return result{status: status, reason: r, text: text}
}

// ServeHTTP answers one webhook call. See Handler for the order of checks.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.EscapedPath() != h.rawPath {
		// Matched as sent, not after percent-decoding: /postident%2Fwebhook
		// is another path, as it is for a proxy or WAF routing and filtering
		// in front of the connector on the raw path.
		// Not counted or traced: the internet's scanners are not webhook calls.
		writeText(w, http.StatusNotFound, "not found")
		return
	}
	start := time.Now()
	rid := requestID(r)
	w.Header().Set("X-Request-Id", rid)
	ctx, span := h.tel.tracer.Start(r.Context(), spanName,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(methodAttr(r.Method), attrRoute.String(h.cfg.Path), attrRequestID.String(rid)))
	defer span.End() // in case handle panics; ending twice is harmless

	// The in-flight slot is held until the answer is written, so Drain
	// returns only after the last caller got its answer.
	s, draining := h.acquire()
	if s != nil {
		defer s.release()
	}
	res := h.handle(ctx, w, r, s, draining, rid, start)
	// Record before answering: once the caller has its answer, the metric,
	// the log line and the span are complete (tests and dashboards rely on it).
	h.observe(ctx, span, rid, start, res)
	span.End()
	h.respond(w, res)
}

func (h *Handler) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, s *slot, draining bool, rid string, start time.Time) result {
	if s == nil {
		res := reject(http.StatusServiceUnavailable, reasonOverloaded, "overloaded")
		if draining {
			res.text, res.closeConn = "shutting down", true
		}
		res.retryAfter = 1
		return res
	}

	var buf [2]netip.Addr
	srcs := sourceAddrs(r, h.cfg.TrustedProxies, buf[:0])
	source := srcs[0]
	if len(h.cfg.AllowedCIDRs) > 0 {
		for _, a := range srcs {
			if !a.IsValid() || !containsAddr(h.cfg.AllowedCIDRs, a) {
				res := reject(http.StatusForbidden, reasonForbidden, "source address not allowed")
				res.source = a
				return res
			}
		}
	}
	n, res := h.check(w, r, start)
	res.source = source
	if res.status != 0 {
		return res
	}
	n.ReceivedAt, n.RequestID = start, rid
	return h.deliver(ctx, s, n, res, start)
}

// check runs the rate, auth, method, content-type and body checks. It returns
// the parsed notification and a zero result, or a rejection.
func (h *Handler) check(w http.ResponseWriter, r *http.Request, start time.Time) (Notification, result) {
	if h.limiter != nil {
		if ok, wait := h.limiter.take(start); !ok {
			res := reject(http.StatusTooManyRequests, reasonRateLimited, "rate limited")
			res.retryAfter = wait
			return Notification{}, res
		}
	}
	if h.auth && !h.authorized(r) {
		res := reject(http.StatusUnauthorized, reasonUnauthorized, "unauthorized")
		res.authenticate = true
		return Notification{}, res
	}
	if r.Method != http.MethodPost {
		res := reject(http.StatusMethodNotAllowed, reasonMethod, "method not allowed")
		res.allow = true
		return Notification{}, res
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return Notification{}, reject(http.StatusUnsupportedMediaType, reasonContentType, "unsupported content type: want application/json")
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		res := reject(http.StatusRequestEntityTooLarge, reasonTooLarge, "request body too large")
		res.closeConn = true // the unread body would otherwise have to be drained
		return Notification{}, res
	}
	// Bound a slow body by the same deadline as the whole call. Not every
	// ResponseWriter supports it (httptest.ResponseRecorder does not).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(start.Add(h.cfg.Deadline))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return Notification{}, reject(http.StatusRequestEntityTooLarge, reasonTooLarge, "request body too large")
		}
		// Close: net/http would otherwise try to drain the rest of the body
		// before answering.
		res := reject(http.StatusBadRequest, reasonBadJSON, "unreadable request body")
		res.closeConn = true
		return Notification{}, res
	}
	// Clear the deadline again: net/http keeps reading in the background to
	// notice a client hanging up, and a deadline passing there would cancel
	// the request's context (and the sink's) as if the client had gone.
	_ = rc.SetReadDeadline(time.Time{})
	caseID, ref, dropped, err := parseBody(body)
	if err != nil {
		be, _ := errors.AsType[*bodyError](err)
		return Notification{}, reject(http.StatusBadRequest, be.reason, be.text)
	}
	return Notification{CaseID: caseID, ReferenceID: ref}, result{caseID: caseID, refDropped: dropped}
}

// deliver hands the notification to the sink and waits for its answer until
// the deadline. The sink runs in its own goroutine so a sink that ignores ctx
// cannot hold the answer past the deadline; the goroutine keeps its in-flight
// slot until it returns, so a stuck sink still counts against MaxInFlight and
// Drain.
func (h *Handler) deliver(ctx context.Context, s *slot, n Notification, res result, start time.Time) result {
	trace.SpanFromContext(ctx).SetAttributes(attrCaseID.String(n.CaseID))

	sctx, cancel := context.WithDeadline(ctx, start.Add(h.cfg.Deadline))
	defer cancel()
	done := make(chan error, 1)
	s.hold()
	go func() {
		defer s.release()
		done <- h.accept(sctx, n)
	}()

	var err error
	select {
	case err = <-done:
	case <-sctx.Done():
		select { // an acknowledgement racing the deadline still counts
		case err = <-done:
		default:
			err = sctx.Err()
		}
	}
	switch {
	case err == nil:
		res.status, res.text = http.StatusOK, "accepted"
	case errors.Is(sctx.Err(), context.DeadlineExceeded):
		res.status, res.reason, res.text, res.err = http.StatusServiceUnavailable, reasonTimeout, "not acknowledged in time", err
		res.retryAfter = 1
	default:
		res.status, res.reason, res.text, res.err = http.StatusServiceUnavailable, reasonSinkError, "not acknowledged", err
		res.retryAfter = 1
	}
	return res
}

// accept calls the sink, turning a panic into an error: the sink runs on a
// goroutine of its own, where net/http's recovery does not reach.
func (h *Handler) accept(ctx context.Context, n Notification) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("webhook: sink panicked: %v", p)
		}
	}()
	return h.sink.Accept(ctx, n)
}

// authorized compares the Basic credentials in constant time. Hashing first
// makes the comparison independent of both lengths; both comparisons always
// run.
func (h *Handler) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	return subtle.ConstantTimeCompare(uh[:], h.user[:])&subtle.ConstantTimeCompare(ph[:], h.pass[:]) == 1
}

// isJSON accepts application/json with any parameters (charset=UTF-8 is
// common), case-insensitively.
func isJSON(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	// ErrInvalidMediaParameter still yields the media type: tolerate a
	// malformed parameter rather than refuse a real POSTIDENT call.
	return (err == nil || errors.Is(err, mime.ErrInvalidMediaParameter)) && mt == "application/json"
}

func (h *Handler) respond(w http.ResponseWriter, res result) {
	hdr := w.Header()
	if res.allow {
		hdr.Set("Allow", http.MethodPost)
	}
	if res.authenticate {
		hdr.Set("WWW-Authenticate", `Basic realm="postident-webhook", charset="UTF-8"`)
	}
	if res.retryAfter > 0 {
		hdr.Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	if res.closeConn {
		hdr.Set("Connection", "close")
	}
	writeText(w, res.status, res.text)
}

func writeText(w http.ResponseWriter, status int, text string) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}

// observe ends the request's telemetry: span attributes, the metric and one
// log line (debug when accepted, info when rejected, warn on 5xx). It never
// records the body or the referenceId.
func (h *Handler) observe(ctx context.Context, span trace.Span, rid string, start time.Time, res result) {
	elapsed := time.Since(start)
	span.SetAttributes(attrStatusCode.Int(res.status))
	if res.reason != reasonNone {
		span.SetAttributes(attrReasonSpan.String(res.reason.String()))
	}
	if res.status >= 500 {
		span.SetStatus(codes.Error, res.reason.String())
		if res.err != nil {
			span.RecordError(res.err)
		}
	}
	h.tel.record(ctx, res.reason, elapsed.Seconds())
	if res.refDropped != refKept {
		// The notification itself goes on; the referenceId did not. Its
		// value is never logged (it may be a customer reference).
		h.tel.refDropped(ctx, res.refDropped)
		h.log.LogAttrs(ctx, slog.LevelWarn, "webhook referenceId dropped, caseId accepted",
			slog.String("request_id", rid), slog.String("case_id", res.caseID), slog.String("reason", res.refDropped.String()))
	}

	level, msg := slog.LevelDebug, "webhook accepted"
	switch {
	case res.status >= 500:
		level, msg = slog.LevelWarn, "webhook not acknowledged"
	case res.status >= 400:
		level, msg = slog.LevelInfo, "webhook rejected"
	}
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("request_id", rid), slog.Int("status", res.status))
	if res.reason != reasonNone {
		attrs = append(attrs, slog.String("reason", res.reason.String()))
	}
	if res.caseID != "" {
		attrs = append(attrs, slog.String("case_id", res.caseID))
	}
	if res.source.IsValid() {
		attrs = append(attrs, slog.String("source", res.source.String()))
	}
	attrs = append(attrs, slog.Duration("duration", elapsed))
	if res.err != nil {
		attrs = append(attrs, slog.String("error", res.err.Error()))
	}
	// No trace_id here: the connector's logger (telemetry.NewContextHandler)
	// adds trace_id and span_id from ctx to every record, and a second key
	// would make the line ambiguous for log shippers.
	h.log.LogAttrs(ctx, level, msg, attrs...)
}

// slot is one request's claim on the in-flight budget. It is released when
// both the handler and (if started) the sink goroutine are done with it.
type slot struct {
	h    *Handler
	refs atomic.Int32
}

func (s *slot) hold() { s.refs.Add(1) }

func (s *slot) release() {
	if s.refs.Add(-1) == 0 {
		s.h.release()
	}
}

// acquire claims an in-flight slot; it returns nil when the handler is full
// or draining (draining reports which).
func (h *Handler) acquire() (s *slot, draining bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return nil, true
	}
	if h.inflight >= h.cfg.MaxInFlight {
		return nil, false
	}
	h.inflight++
	s = &slot{h: h}
	s.refs.Store(1)
	return s, false
}

func (h *Handler) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inflight--
	h.signalIdleLocked()
}

func (h *Handler) signalIdleLocked() {
	if h.draining && h.inflight == 0 && !h.idleDone {
		h.idleDone = true
		close(h.idle)
	}
}

// Drain stops the handler from taking new requests (they are answered 503
// with Retry-After: 1 and Connection: close, so POSTIDENT retries elsewhere
// or later) and waits until every request in flight, including sink calls
// that outlived their request, has finished, or ctx is done. Call it after
// http.Server.Shutdown, or alongside it. Drain may be called more than once;
// the handler does not take requests again afterwards.
func (h *Handler) Drain(ctx context.Context) error {
	h.mu.Lock()
	h.draining = true
	h.signalIdleLocked()
	h.mu.Unlock()
	select {
	case <-h.idle:
		return nil
	case <-ctx.Done():
		h.mu.Lock()
		n := h.inflight
		h.mu.Unlock()
		return fmt.Errorf("webhook: drain: %d requests still in flight: %w", n, ctx.Err())
	}
}
