package webhook

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAccepted(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)

	resp := e.do(ctx, t, call{body: validBody, header: http.Header{"X-Request-Id": {"req-123"}}})
	if resp.status != http.StatusOK || resp.body != "accepted\n" {
		t.Fatalf("got %d %q, want 200 accepted", resp.status, resp.body)
	}
	if got := resp.header.Get("X-Request-Id"); got != "req-123" {
		t.Errorf("X-Request-Id = %q, want the caller's req-123", got)
	}
	got := sink.next(ctx, t)
	if got.n.CaseID != "YR9W91GEZK24" || got.n.ReferenceID != "order-4711" || got.n.RequestID != "req-123" {
		t.Errorf("notification = %+v", got.n)
	}
	if got.n.ReceivedAt.IsZero() {
		t.Error("ReceivedAt is zero")
	}
	if !got.hasDeadline {
		t.Error("sink context has no deadline")
	}
	if !got.span.IsValid() {
		t.Error("sink context carries no span")
	}
}

// TestVariantsAccepted covers bodies and headers that look unusual but are
// valid POSTIDENT calls.
func TestVariantsAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		c           call
		wantCase    string
		wantRef     string
		wantOwnID   bool // the handler generated the request id
		wantIDEqual string
	}{
		{name: "charset parameter", c: call{contentType: "application/json; charset=UTF-8", body: validBody}, wantCase: "YR9W91GEZK24", wantRef: "order-4711"},
		{name: "media type in capitals", c: call{contentType: "Application/JSON", body: validBody}, wantCase: "YR9W91GEZK24", wantRef: "order-4711"},
		{name: "malformed parameter tolerated", c: call{contentType: "application/json; charset", body: validBody}, wantCase: "YR9W91GEZK24", wantRef: "order-4711"},
		{name: "no referenceId", c: call{body: `{"caseId":"KRZ1A8M4UBZZ"}`}, wantCase: "KRZ1A8M4UBZZ"},
		{name: "null referenceId", c: call{body: `{"caseId":"KRZ1A8M4UBZZ","referenceId":null}`}, wantCase: "KRZ1A8M4UBZZ"},
		{name: "unknown fields", c: call{body: `{"status":{"a":[1,2,{}]},"caseId":"KRZ1A8M4UBZZ","x":null}`}, wantCase: "KRZ1A8M4UBZZ"},
		{name: "whitespace around", c: call{body: "\n\t {\"caseId\" : \"KRZ1A8M4UBZZ\"} \r\n"}, wantCase: "KRZ1A8M4UBZZ"},
		{name: "escaped key and value", c: call{body: `{"case\u0049d":"KRZ1A8M4UBZ\u005a"}`}, wantCase: "KRZ1A8M4UBZZ"},
		{name: "64 character caseId", c: call{body: `{"caseId":"` + strings.Repeat("A1", 32) + `"}`}, wantCase: strings.Repeat("A1", 32)},
		{name: "unicode referenceId", c: call{body: `{"caseId":"KRZ1A8M4UBZZ","referenceId":"Kunde Müller-Lüdenscheidt"}`}, wantCase: "KRZ1A8M4UBZZ", wantRef: "Kunde Müller-Lüdenscheidt"},
		{name: "256 character referenceId", c: call{body: `{"caseId":"KRZ1A8M4UBZZ","referenceId":"` + strings.Repeat("ä", 256) + `"}`}, wantCase: "KRZ1A8M4UBZZ", wantRef: strings.Repeat("ä", 256)},
		{name: "chunked body", c: call{body: validBody, chunked: true}, wantCase: "YR9W91GEZK24", wantRef: "order-4711"},
		{name: "query ignored", c: call{path: DefaultPath + "?x=1", body: validBody}, wantCase: "YR9W91GEZK24", wantRef: "order-4711"},
		{name: "insane request id replaced", c: call{body: validBody, header: http.Header{"X-Request-Id": {"<script>"}}}, wantCase: "YR9W91GEZK24", wantRef: "order-4711", wantOwnID: true},
		{name: "over-long request id replaced", c: call{body: validBody, header: http.Header{"X-Request-Id": {strings.Repeat("a", 129)}}}, wantCase: "YR9W91GEZK24", wantRef: "order-4711", wantOwnID: true},
		{name: "no request id", c: call{body: validBody}, wantCase: "YR9W91GEZK24", wantRef: "order-4711", wantOwnID: true},
		{name: "sane request id kept", c: call{body: validBody, header: http.Header{"X-Request-Id": {"0af7651916cd43dd:8448eb211c80319c"}}}, wantCase: "YR9W91GEZK24", wantRef: "order-4711", wantIDEqual: "0af7651916cd43dd:8448eb211c80319c"},
	}
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			resp := e.do(ctx, t, tt.c)
			if resp.status != http.StatusOK {
				t.Fatalf("status %d %q, want 200", resp.status, resp.body)
			}
			got := sink.next(ctx, t)
			if got.n.CaseID != tt.wantCase || got.n.ReferenceID != tt.wantRef {
				t.Errorf("caseId %q referenceId %q, want %q %q", got.n.CaseID, got.n.ReferenceID, tt.wantCase, tt.wantRef)
			}
			rid := resp.header.Get("X-Request-Id")
			if rid != got.n.RequestID {
				t.Errorf("response X-Request-Id %q differs from notification's %q", rid, got.n.RequestID)
			}
			if tt.wantOwnID && (len(rid) != 32 || !saneRequestID(rid)) {
				t.Errorf("generated request id %q, want 32 hex digits", rid)
			}
			if tt.wantIDEqual != "" && rid != tt.wantIDEqual {
				t.Errorf("request id %q, want %q", rid, tt.wantIDEqual)
			}
		})
	}
}

// TestRejections checks every rejection: its status, its exact plain-text
// reason (which never echoes the body), its headers, its metric reason, and
// that the sink never saw it.
func TestRejections(t *testing.T) {
	t.Parallel()
	big := `{"caseId":"YR9W91GEZK24","pad":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name       string
		c          call
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		wantReason string // metric label; "" for uncounted (404)
	}{
		{"other path", call{path: "/postident/webhook2", body: validBody}, 404, "not found", nil, ""},
		{"root path", call{path: "/", body: validBody}, 404, "not found", nil, ""},
		{"trailing slash", call{path: DefaultPath + "/", body: validBody}, 404, "not found", nil, ""},
		{"GET", call{method: "GET"}, 405, "method not allowed", map[string]string{"Allow": "POST"}, "method"},
		{"PUT", call{method: "PUT", body: validBody}, 405, "method not allowed", map[string]string{"Allow": "POST"}, "method"},
		{"OPTIONS", call{method: "OPTIONS"}, 405, "method not allowed", map[string]string{"Allow": "POST"}, "method"},
		{"no content type", call{contentType: "-", body: validBody}, 415, "unsupported content type: want application/json", nil, "content_type"},
		{"text/plain", call{contentType: "text/plain", body: validBody}, 415, "unsupported content type: want application/json", nil, "content_type"},
		{"form", call{contentType: "application/x-www-form-urlencoded", body: "caseId=YR9W91GEZK24"}, 415, "unsupported content type: want application/json", nil, "content_type"},
		{"json suffix type", call{contentType: "application/problem+json", body: validBody}, 415, "unsupported content type: want application/json", nil, "content_type"},
		{"too large, with length", call{body: big}, 413, "request body too large", nil, "too_large"},
		{"too large, chunked", call{body: big, chunked: true}, 413, "request body too large", nil, "too_large"},
		{"empty body", call{body: ""}, 400, "invalid JSON", nil, "bad_json"},
		{"not JSON", call{body: "caseId=YR9W91GEZK24"}, 400, "invalid JSON", nil, "bad_json"},
		{"truncated", call{body: `{"caseId":"YR9W91GEZK24"`}, 400, "invalid JSON", nil, "bad_json"},
		{"array", call{body: `[{"caseId":"YR9W91GEZK24"}]`}, 400, "body must be a single JSON object", nil, "bad_json"},
		{"string", call{body: `"YR9W91GEZK24"`}, 400, "body must be a single JSON object", nil, "bad_json"},
		{"null", call{body: `null`}, 400, "body must be a single JSON object", nil, "bad_json"},
		{"trailing garbage", call{body: validBody + "x"}, 400, "unexpected data after the JSON object", nil, "bad_json"},
		{"two objects", call{body: validBody + validBody}, 400, "unexpected data after the JSON object", nil, "bad_json"},
		{"invalid unknown field", call{body: `{"caseId":"YR9W91GEZK24","x":tru}`}, 400, "invalid JSON", nil, "bad_json"},
		{"duplicate caseId", call{body: `{"caseId":"YR9W91GEZK24","caseId":"KRZ1A8M4UBZZ"}`}, 400, "duplicate field", nil, "bad_json"},
		{"missing caseId", call{body: `{"referenceId":"order-4711"}`}, 400, "missing caseId", nil, "bad_case_id"},
		{"caseId in other case", call{body: `{"caseid":"YR9W91GEZK24"}`}, 400, "missing caseId", nil, "bad_case_id"},
		{"null caseId", call{body: `{"caseId":null}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"numeric caseId", call{body: `{"caseId":12345}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"object caseId", call{body: `{"caseId":{"id":"YR9W91GEZK24"}}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"empty caseId", call{body: `{"caseId":""}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"lowercase caseId", call{body: `{"caseId":"yr9w91gezk24"}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"caseId with path", call{body: `{"caseId":"../../ADMIN"}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"caseId with space", call{body: `{"caseId":"YR9W 91GEZK24"}`}, 400, "invalid caseId", nil, "bad_case_id"},
		{"65 character caseId", call{body: `{"caseId":"` + strings.Repeat("A", 65) + `"}`}, 400, "invalid caseId", nil, "bad_case_id"},
	}
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)
	want := map[string]int64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			resp := e.do(ctx, t, tt.c)
			if resp.status != tt.wantStatus || resp.body != tt.wantBody+"\n" {
				t.Errorf("got %d %q, want %d %q", resp.status, resp.body, tt.wantStatus, tt.wantBody+"\n")
			}
			if ct := resp.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
			for k, v := range tt.wantHeader {
				if got := resp.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tt.wantStatus != 404 && resp.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if n := len(sink.ch); n != 0 {
				t.Fatalf("sink received %d notifications for a rejected call", n)
			}
			if tt.wantReason != "" {
				want["rejected/"+tt.wantReason]++
			}
		})
	}
	got, _ := e.counts(testCtx(t), t)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("metric %s = %d, want %d", k, got[k], v)
		}
	}
	if got["accepted/"] != 0 || len(got) != len(want) {
		t.Errorf("metrics %v, want exactly %v", got, want)
	}
	if strings.Contains(e.logs.String(), "order-4711") {
		t.Error("a log line contains the referenceId")
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		c          call
		wantStatus int
	}{
		{"correct", call{user: "postident", pass: "s3cr3t-Pa55", body: validBody}, 200},
		{"wrong password", call{user: "postident", pass: "s3cr3t-Pa56", body: validBody}, 401},
		{"password prefix", call{user: "postident", pass: "s3cr3t", body: validBody}, 401},
		{"wrong user", call{user: "postidenT", pass: "s3cr3t-Pa55", body: validBody}, 401},
		{"swapped", call{user: "s3cr3t-Pa55", pass: "postident", body: validBody}, 401},
		{"empty credentials", call{header: http.Header{"Authorization": {"Basic Og=="}}, body: validBody}, 401},
		{"missing", call{body: validBody}, 401},
		{"bearer", call{header: http.Header{"Authorization": {"Bearer s3cr3t-Pa55"}}, body: validBody}, 401},
		{"not base64", call{header: http.Header{"Authorization": {"Basic %%%"}}, body: validBody}, 401},
		{"GET without credentials: auth before method", call{method: "GET"}, 401},
		{"GET with credentials", call{method: "GET", user: "postident", pass: "s3cr3t-Pa55"}, 405},
	}
	sink := newChanSink()
	e := newEnv(t, Config{Username: "postident", Password: "s3cr3t-Pa55"}, sink)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			resp := e.do(ctx, t, tt.c)
			if resp.status != tt.wantStatus {
				t.Fatalf("status %d %q, want %d", resp.status, resp.body, tt.wantStatus)
			}
			switch tt.wantStatus {
			case 401:
				if resp.body != "unauthorized\n" {
					t.Errorf("body %q", resp.body)
				}
				if got := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="postident-webhook"`) {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			case 200:
				sink.next(ctx, t)
			}
		})
	}
	if strings.Contains(e.logs.String(), "s3cr3t") {
		t.Error("a log line contains the password")
	}
}

// TestSourceAllowList drives the allow-list through real connections from
// 127.0.0.1, with and without a trusted proxy in front.
func TestSourceAllowList(t *testing.T) {
	t.Parallel()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		allowed []netip.Prefix
		trusted []netip.Prefix
		header  http.Header
		want    int
	}{
		{"no allow-list admits any source", nil, nil, nil, 200},
		{"peer allowed", loopback, nil, nil, 200},
		{"peer not allowed", PostidentSourceCIDRs, nil, nil, 403},
		{"X-Forwarded-For from an untrusted peer is ignored (spoofing)", PostidentSourceCIDRs, nil,
			http.Header{"X-Forwarded-For": {"165.72.200.13"}}, 403},
		{"Forwarded from an untrusted peer is ignored (spoofing)", PostidentSourceCIDRs, nil,
			http.Header{"Forwarded": {"for=165.72.200.13"}}, 403},
		{"trusted proxy forwards POSTIDENT", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"165.72.200.13"}}, 200},
		{"trusted proxy forwards a stranger", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"203.0.113.7"}}, 403},
		{"spoofed left entry behind trusted proxy", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"165.72.200.13, 203.0.113.7"}}, 403},
		{"chain of trusted proxies", PostidentSourceCIDRs, proxies,
			http.Header{"X-Forwarded-For": {"203.0.113.7, 199.40.127.49, 10.1.2.3"}}, 200},
		{"several header lines form one list", PostidentSourceCIDRs, proxies,
			http.Header{"X-Forwarded-For": {"165.72.200.13", "10.1.2.3"}}, 200},
		{"several header lines, spoofed first line", PostidentSourceCIDRs, proxies,
			http.Header{"X-Forwarded-For": {"165.72.200.13", "203.0.113.7"}}, 403},
		{"entry with port", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"156.137.9.65:51234"}}, 200},
		{"IPv4-mapped IPv6 entry", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"::ffff:165.72.200.13"}}, 200},
		{"unparsable entry", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"unknown"}}, 403},
		{"empty header", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {""}}, 403},
		{"Forwarded from trusted proxy", PostidentSourceCIDRs, loopback,
			http.Header{"Forwarded": {"for=199.40.127.49;proto=https;by=10.0.0.1"}}, 200},
		{"Forwarded quoted IPv6 with port", []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}, loopback,
			http.Header{"Forwarded": {`for="[2001:db8:cafe::17]:4711"`}}, 200},
		{"Forwarded obfuscated node", PostidentSourceCIDRs, loopback,
			http.Header{"Forwarded": {"for=_hidden"}}, 403},
		{"Forwarded quoted comma cannot inject an element", PostidentSourceCIDRs, loopback,
			http.Header{"Forwarded": {`for="203.0.113.7, for=165.72.200.13"`}}, 403},
		{"both headers, one forged", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"203.0.113.7"}, "Forwarded": {"for=165.72.200.13"}}, 403},
		{"both headers agree", PostidentSourceCIDRs, loopback,
			http.Header{"X-Forwarded-For": {"165.72.200.13"}, "Forwarded": {"for=165.72.200.13"}}, 200},
		{"trusted proxy without header is the source", PostidentSourceCIDRs, loopback, nil, 403},
		{"trusted and allowed proxy without header", loopback, loopback, nil, 200},
		{"over-long chain", PostidentSourceCIDRs, proxies,
			http.Header{"X-Forwarded-For": {"165.72.200.13" + strings.Repeat(", 10.0.0.1", maxForwardedHops)}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			sink := newChanSink()
			e := newEnv(t, Config{AllowedCIDRs: tt.allowed, TrustedProxies: tt.trusted}, sink)
			resp := e.do(ctx, t, call{body: validBody, header: tt.header})
			if resp.status != tt.want {
				t.Fatalf("status %d %q, want %d", resp.status, resp.body, tt.want)
			}
			if tt.want == 403 {
				if resp.body != "source address not allowed\n" {
					t.Errorf("body %q", resp.body)
				}
				if len(sink.ch) != 0 {
					t.Error("sink received a rejected call")
				}
			}
		})
	}
}

func TestParseNode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{" 192.0.2.1 ", "192.0.2.1"},
		{"192.0.2.1:443", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"[192.0.2.1]", "invalid IP"},
		{"fe80::1%eth0", "invalid IP"},
		{"unknown", "invalid IP"},
		{"_hidden", "invalid IP"},
		{"", "invalid IP"},
		{"192.0.2.1:99999", "invalid IP"},
	}
	for _, tt := range tests {
		if got := parseNode(tt.in).String(); got != tt.want {
			t.Errorf("parseNode(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestDeadline checks that the handler answers 503 when the sink has not
// acknowledged in time, without waiting for the sink: the blocking sink is
// only released after the answer arrived.
func TestDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sink func() (Sink, func())
	}{
		{"sink ignores its context", func() (Sink, func()) { s := newBlockingSink(); return s, s.unblock }},
		{"sink honours its context", func() (Sink, func()) { return ctxSink{}, func() {} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			sink, unblock := tt.sink()
			e := newEnv(t, Config{Deadline: 50 * time.Millisecond}, sink)
			resp := e.do(ctx, t, call{body: validBody})
			if bs, ok := sink.(*blockingSink); ok {
				select {
				case <-bs.returned:
					t.Fatal("the sink returned before the answer: the handler waited for it")
				default:
				}
			}
			unblock()
			if resp.status != 503 || resp.body != "not acknowledged in time\n" || resp.header.Get("Retry-After") != "1" {
				t.Fatalf("got %d %q Retry-After %q, want 503 with Retry-After: 1", resp.status, resp.body, resp.header.Get("Retry-After"))
			}
			if err := e.h.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ := e.counts(ctx, t)
			if got["rejected/timeout"] != 1 {
				t.Errorf("metrics %v, want one timeout", got)
			}
		})
	}
}

func TestSinkError(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newEnv(t, Config{}, failSink{})
	resp := e.do(ctx, t, call{body: validBody})
	if resp.status != 503 || resp.body != "not acknowledged\n" || resp.header.Get("Retry-After") != "1" {
		t.Fatalf("got %d %q Retry-After %q, want 503 not acknowledged, Retry-After: 1", resp.status, resp.body, resp.header.Get("Retry-After"))
	}
	if strings.Contains(resp.body, "kafka") {
		t.Error("the answer leaks the sink error")
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "broker not available") || !strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("the sink error is not logged at warn: %s", logs)
	}
	got, _ := e.counts(ctx, t)
	if got["rejected/sink_error"] != 1 {
		t.Errorf("metrics %v, want one sink_error", got)
	}
}

type panicSink struct{}

func (panicSink) Accept(context.Context, Notification) error { panic("boom") }

func TestSinkPanic(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newEnv(t, Config{}, panicSink{})
	if resp := e.do(ctx, t, call{body: validBody}); resp.status != 503 {
		t.Fatalf("status %d, want 503", resp.status)
	}
}

// TestOverload fills MaxInFlight with a blocked call; the next call is shed at
// once, also while a sink call outlives its timed-out request.
func TestOverload(t *testing.T) {
	t.Parallel()
	t.Run("request in flight", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		sink := newBlockingSink()
		defer sink.unblock()
		e := newEnv(t, Config{MaxInFlight: 1, Deadline: 1900 * time.Millisecond}, sink)
		first := make(chan response, 1)
		go func() { first <- e.do(ctx, t, call{body: validBody}) }()
		sink.waitEntered(ctx, t)

		resp := e.do(ctx, t, call{body: validBody})
		if resp.status != 503 || resp.body != "overloaded\n" || resp.header.Get("Retry-After") != "1" {
			t.Fatalf("got %d %q Retry-After %q, want 503 overloaded", resp.status, resp.body, resp.header.Get("Retry-After"))
		}
		sink.unblock()
		if r := <-first; r.status != 200 {
			t.Errorf("first call %d %q, want 200", r.status, r.body)
		}
		got, _ := e.counts(ctx, t)
		if got["rejected/overloaded"] != 1 || got["accepted/"] != 1 {
			t.Errorf("metrics %v", got)
		}
	})
	t.Run("stuck sink keeps its slot", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t)
		sink := newBlockingSink()
		defer sink.unblock()
		e := newEnv(t, Config{MaxInFlight: 1, Deadline: 20 * time.Millisecond}, sink)
		if r := e.do(ctx, t, call{body: validBody}); r.status != 503 || r.body != "not acknowledged in time\n" {
			t.Fatalf("first call %d %q, want a timeout", r.status, r.body)
		}
		if r := e.do(ctx, t, call{body: validBody}); r.status != 503 || r.body != "overloaded\n" {
			t.Fatalf("second call %d %q, want overloaded while the sink is stuck", r.status, r.body)
		}
		sink.unblock()
		<-sink.returned
		if err := e.h.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newChanSink()
	// One token per 1000 s: the second call cannot get one in any test run.
	e := newEnv(t, Config{RatePerSecond: 0.001, Burst: 1}, sink)
	if r := e.do(ctx, t, call{body: validBody}); r.status != 200 {
		t.Fatalf("first call %d %q", r.status, r.body)
	}
	r := e.do(ctx, t, call{body: validBody})
	if r.status != 429 || r.body != "rate limited\n" {
		t.Fatalf("second call %d %q, want 429", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
		t.Errorf("Retry-After %q, want whole seconds in 1..3600", r.header.Get("Retry-After"))
	}
	got, _ := e.counts(ctx, t)
	if got["rejected/rate_limited"] != 1 {
		t.Errorf("metrics %v", got)
	}
}

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	t0 := testEpoch
	b := newTokenBucket(2, 3, t0)
	for i := range 3 {
		if ok, _ := b.take(t0); !ok {
			t.Fatalf("take %d of the burst refused", i+1)
		}
	}
	if ok, wait := b.take(t0); ok || wait != 1 {
		t.Fatalf("take past the burst = %v, %d; want refused, 1 s", ok, wait)
	}
	if ok, _ := b.take(t0.Add(500 * time.Millisecond)); !ok {
		t.Fatal("a token after 0.5 s at 2/s was refused")
	}
	if ok, _ := b.take(t0.Add(10 * time.Second)); !ok {
		t.Fatal("refill refused")
	}
	b2 := newTokenBucket(0.1, 1, t0)
	b2.take(t0)
	if _, wait := b2.take(t0); wait != 10 {
		t.Errorf("wait at 0.1/s = %d, want 10", wait)
	}
}

func TestDuplicatesAccepted(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)
	for i := range 2 {
		if r := e.do(ctx, t, call{body: validBody}); r.status != 200 {
			t.Fatalf("call %d: %d %q", i+1, r.status, r.body)
		}
	}
	a, b := sink.next(ctx, t), sink.next(ctx, t)
	if a.n.CaseID != b.n.CaseID || a.n.RequestID == b.n.RequestID {
		t.Errorf("got %+v and %+v: want the same caseId under two request ids", a.n, b.n)
	}
}

func TestDrain(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newBlockingSink()
	defer sink.unblock()
	e := newEnv(t, Config{Deadline: 1900 * time.Millisecond}, sink)

	first := make(chan response, 1)
	go func() { first <- e.do(ctx, t, call{body: validBody}) }()
	sink.waitEntered(ctx, t)

	expired, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.h.Drain(expired); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 requests still in flight") {
		t.Fatalf("Drain with a done context = %v, want the in-flight count and context.Canceled", err)
	}

	drained := make(chan error, 1)
	go func() { drained <- e.h.Drain(ctx) }()

	r := e.do(ctx, t, call{body: validBody})
	if r.status != 503 || r.body != "shutting down\n" || r.header.Get("Retry-After") != "1" {
		t.Fatalf("call while draining: %d %q, want 503 shutting down", r.status, r.body)
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned %v while a call was in flight", err)
	default:
	}
	sink.unblock()
	if r := <-first; r.status != 200 {
		t.Errorf("in-flight call: %d %q, want 200", r.status, r.body)
	}
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if err := e.h.Drain(ctx); err != nil {
		t.Fatalf("second Drain: %v", err)
	}
}

func TestNewHandlerErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewHandler(Config{}, nil); err == nil {
		t.Error("nil sink accepted")
	}
	if _, err := NewHandler(Config{Path: "postident"}, newChanSink()); err == nil {
		t.Error("relative path accepted")
	}
	h, err := NewHandler(Config{}, newChanSink())
	if err != nil {
		t.Fatal(err)
	}
	if h.cfg.Path != DefaultPath || h.cfg.MaxBodyBytes != DefaultMaxBodyBytes || h.cfg.Deadline != DefaultDeadline || h.cfg.MaxInFlight != DefaultMaxInFlight {
		t.Errorf("defaults not applied: %+v", h.cfg)
	}
}

// TestSlowBody sends a body that never completes: the read is bounded by the
// deadline and answered 400, over a raw connection so nothing else can end it.
func TestSlowBody(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newChanSink()
	e := newEnv(t, Config{Deadline: 50 * time.Millisecond}, sink)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	_, err = io.WriteString(conn, "POST "+DefaultPath+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"caseId\":")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || string(body) != "unreadable request body\n" {
		t.Fatalf("got %d %q, want 400 unreadable request body", resp.StatusCode, body)
	}
	if len(sink.ch) != 0 {
		t.Error("sink received a partial body")
	}
}
