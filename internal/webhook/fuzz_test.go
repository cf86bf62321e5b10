package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// lastSink acknowledges everything and remembers the last notification; fuzz
// inputs run one after another within a worker.
type lastSink struct{ last Notification }

func (s *lastSink) Accept(_ context.Context, n Notification) error {
	s.last = n
	return nil
}

// knownAnswers is every body the handler may send; anything else would be
// text derived from the request.
var knownAnswers = map[string]bool{}

func init() {
	for _, s := range []string{
		"accepted", "not found", "method not allowed", "unauthorized", "source address not allowed",
		"rate limited", "overloaded", "shutting down", "unsupported content type: want application/json",
		"request body too large", "unreadable request body", "not acknowledged", "not acknowledged in time",
	} {
		knownAnswers[s+"\n"] = true
	}
	for _, e := range []*bodyError{errBadJSON, errNotObject, errTrailing, errDuplicateField, errMissingCaseID, errBadCaseID} {
		knownAnswers[e.text+"\n"] = true
	}
}

// FuzzWebhookBody sends arbitrary bodies and Content-Types: the handler must
// not panic, must not answer 5xx (the sink never fails here), must answer
// only its fixed texts, and must accept only what encoding/json reads the
// same way with a valid caseId.
func FuzzWebhookBody(f *testing.F) {
	for _, seed := range []struct {
		ct   string
		body string
	}{
		{"application/json", validBody},
		{"application/json; charset=UTF-8", `{"caseId":"KRZ1A8M4UBZZ"}`},
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ","referenceId":null,"extra":[1,{"a":"b"}]}`},
		{"application/json", `{"caseId":"a"}`},
		{"application/json", `[]`},
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ"} {}`},
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ","caseId":"YR9W91GEZK24"}`},
		{"text/plain", validBody},
		{"", ""},
		{"application/json;;;", "\xff\xfe"},
		// Unusable referenceIds: dropped, the caseId accepted (issue 16).
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ","referenceId":"` + strings.Repeat("r", 257) + `"}`},
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ","referenceId":"a\u0000b"}`},
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ","referenceId":4711}`},
		{"application/json", `{"caseId":"KRZ1A8M4UBZZ","referenceId":"a","referenceId":"b"}`},
		{"application/json", "{\"caseId\":\"KRZ1A8M4UBZZ\",\"referenceId\":\"a\xffb\"}"},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	sink := &lastSink{}
	h, err := newHandler(Config{Logger: discardLogger()}, sink, metricnoop.NewMeterProvider(), tracenoop.NewTracerProvider())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		sink.last = Notification{}
		req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("status %d %q for Content-Type %q body %q", rec.Code, rec.Body.String(), contentType, body)
		}
		if !knownAnswers[rec.Body.String()] {
			t.Fatalf("answer %q is not one of the fixed texts", rec.Body.String())
		}
		if rec.Code != http.StatusOK {
			if sink.last.CaseID != "" {
				t.Fatal("a rejected call reached the sink")
			}
			return
		}
		if err := ValidateCaseID(sink.last.CaseID); err != nil {
			t.Fatalf("accepted caseId %q: %v", sink.last.CaseID, err)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("accepted a body encoding/json refuses: %v", err)
		}
		if m["caseId"] != sink.last.CaseID {
			t.Fatalf("caseId %q, encoding/json reads %v", sink.last.CaseID, m["caseId"])
		}
		// The referenceId is passed on exactly as encoding/json reads it
		// when it is usable, and dropped otherwise (issue 16): never
		// altered, never refused.
		ref, isString := m["referenceId"].(string)
		usable := isString && checkReferenceID(ref) == refKept && topLevelKeys(body)["referenceId"] <= 1
		switch {
		case usable && ref != sink.last.ReferenceID:
			t.Fatalf("referenceId differs from encoding/json's reading")
		case !usable && sink.last.ReferenceID != "":
			t.Fatalf("an unusable referenceId was passed on")
		case sink.last.ReferenceID != "" && checkReferenceID(sink.last.ReferenceID) != refKept:
			t.Fatalf("passed on a referenceId that is not usable")
		}
	})
}

// topLevelKeys counts the member names of a JSON object as encoding/json
// decodes them (escapes resolved), for the duplicate oracle.
func topLevelKeys(body []byte) map[string]int {
	out := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return out
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out
		}
		k, _ := t.(string)
		out[k]++
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return out
		}
	}
	return out
}

var caseIDPattern = regexp.MustCompile(`^[A-Z0-9]{1,64}$`)

// FuzzValidateCaseID checks ValidateCaseID against the documented pattern.
func FuzzValidateCaseID(f *testing.F) {
	for _, s := range []string{"YR9W91GEZK24", "KRZ1A8M4UBZZ", "", "yr9w", "A\x00", "Ä", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateCaseID(s)
		if want := caseIDPattern.MatchString(s); (err == nil) != want {
			t.Fatalf("ValidateCaseID(%q) = %v, pattern match %v", s, err, want)
		}
	})
}

// FuzzSourceAddrs feeds arbitrary X-Forwarded-For and Forwarded headers
// through a trusted peer: no panic, exactly one source per header, and every
// valid source normalised (no zone, IPv4 unmapped).
func FuzzSourceAddrs(f *testing.F) {
	f.Add("165.72.200.13, 10.0.0.1", `for=199.40.127.49;proto=https`)
	f.Add("", `for="[2001:db8::1]:80", for=unknown`)
	f.Add("[::1]:8080,,", `for="\"x\\";by=a`)
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = "127.0.0.1:4711"
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("Forwarded", fwd)
		got := sourceAddrs(r, trusted, nil)
		if len(got) != 2 {
			t.Fatalf("%d addresses for two headers", len(got))
		}
		for _, a := range got {
			if a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
				t.Fatalf("address %v not normalised", a)
			}
		}
	})
}

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// FuzzWebhookRequest fuzzes what a caller controls besides the body's
// syntax: Authorization, X-Request-Id, the request path as sent, and a
// body. The handler must not panic or answer 5xx, must answer anything but
// the configured path, exactly as sent, with 404 (no percent-decoded
// variant), must accept a call only with exactly the configured credentials
// (as net/http reads the header), must echo the caller's request id only
// when it is sane, otherwise answer with a fresh random one, because the id
// lands in logs and response headers verbatim, and must never refuse a call
// for its referenceId alone (issue 16).
func FuzzWebhookRequest(f *testing.F) {
	const user, pass = "postident", "webhook-secret"
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	for _, seed := range []struct{ auth, rid string }{
		{good, "abc-123"},
		{good, ""},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass+"x")), "x"},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte(user+"\x00:"+pass)), "\r\nSet-Cookie: a=b"},
		{"basic " + good[len("Basic "):], "a b"},
		{"Basic " + good[len("Basic "):] + "=", "ä"},
		{"Bearer token", string(make([]byte, 200))},
		{"Basic", "id:with.dots_and-dashes"},
		{"", "0123456789abcdef0123456789abcdef"},
	} {
		f.Add(seed.auth, seed.rid, DefaultPath, []byte(validBody))
	}
	for _, path := range []string{
		"/postident%2Fwebhook", "/postident%2fwebhook", "/postident/%77ebhook", "/%70ostident/webhook",
		"/postident/webhook/", "/postident/webhook?x=1", "/postident/./webhook", "//postident/webhook",
		"/postident/webhook%00", "/POSTIDENT/webhook",
	} {
		f.Add(good, "raw-path", path, []byte(validBody))
	}
	for _, body := range []string{
		`{"caseId":"YR9W91GEZK24","referenceId":"` + strings.Repeat("r", 300) + `"}`,
		`{"caseId":"YR9W91GEZK24","referenceId":"a\u0007b"}`,
		`{"caseId":"YR9W91GEZK24","referenceId":"a\u202eb"}`,
		`{"caseId":"YR9W91GEZK24","referenceId":[1]}`,
		`{"caseId":"YR9W91GEZK24","referenceId":"a","referenc\u0065Id":"b"}`,
	} {
		f.Add(good, "ref", DefaultPath, []byte(body))
	}
	sink := &lastSink{}
	h, err := newHandler(Config{Logger: discardLogger(), Username: user, Password: pass}, sink, metricnoop.NewMeterProvider(), tracenoop.NewTracerProvider())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, auth, rid, path string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			return // not an origin-form request target
		}
		u, err := url.ParseRequestURI(path)
		if err != nil {
			return // net/http answers 400 before any handler runs
		}
		sink.last = Notification{}
		req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		req.URL, req.RequestURI = u, path
		req.Header.Set("Content-Type", "application/json")
		req.Header["Authorization"] = []string{auth}
		req.Header["X-Request-Id"] = []string{rid}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("status %d %q", rec.Code, rec.Body.String())
		}
		if !knownAnswers[rec.Body.String()] {
			t.Fatalf("answer %q is not one of the fixed texts", rec.Body.String())
		}
		if sent, _, _ := strings.Cut(path, "?"); sent != DefaultPath {
			if rec.Code != http.StatusNotFound || sink.last.CaseID != "" {
				t.Fatalf("path %q (not the configured one as sent) answered %d", path, rec.Code)
			}
			return
		}
		u2, p2, ok := req.BasicAuth()
		authorized := ok && u2 == user && p2 == pass
		if !authorized && rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d for credentials that are not the configured ones", rec.Code)
		}
		if !authorized && sink.last.CaseID != "" {
			t.Fatal("an unauthorized call reached the sink")
		}
		if authorized && rec.Code == http.StatusUnauthorized {
			t.Fatal("the configured credentials were refused")
		}
		got := rec.Header().Get("X-Request-Id")
		switch {
		case saneRequestID(rid) && got != rid:
			t.Fatalf("sane request id %q answered as %q", rid, got)
		case !saneRequestID(rid) && !generatedRequestID.MatchString(got):
			t.Fatalf("request id %q answered as %q, want a fresh random id", rid, got)
		}
		if authorized && rec.Code == http.StatusOK && sink.last.RequestID != got {
			t.Fatalf("the notification carries request id %q, the answer %q", sink.last.RequestID, got)
		}
		if authorized && rec.Code == http.StatusBadRequest && json.Valid(body) {
			// A 400 must be about the caseId or the JSON, never about the
			// referenceId alone.
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) == nil && topLevelKeys(body)["caseId"] == 1 && ValidateCaseID(jsonString(m["caseId"])) == nil {
				t.Fatalf("refused %q although it is one JSON object with one valid caseId", body)
			}
		}
	})
}

// jsonString decodes a JSON string, or returns "" for anything else.
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
