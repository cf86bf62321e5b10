package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestRawPathMatched (issue 13, part 6): the path is matched as sent, not
// after percent-decoding, so an encoded slash or letter is another path (a
// proxy or WAF in front routes and filters on the raw path, and must see
// the same path the handler serves).
func TestRawPathMatched(t *testing.T) {
	t.Parallel()
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)
	for _, p := range []string{
		"/postident%2Fwebhook",
		"/postident%2fwebhook",
		"/postident/%77ebhook",
		"/%70ostident/webhook",
		"/postident/webhook%2F",
	} {
		ctx := testCtx(t)
		resp := e.do(ctx, t, call{path: p, body: validBody})
		if resp.status != http.StatusNotFound || resp.body != "not found\n" {
			t.Errorf("POST %s: got %d %q, want 404", p, resp.status, resp.body)
		}
	}
	if n := len(sink.ch); n != 0 {
		t.Fatalf("%d notifications accepted on encoded paths", n)
	}
	if resp := e.do(testCtx(t), t, call{body: validBody}); resp.status != http.StatusOK {
		t.Fatalf("the configured path answered %d", resp.status)
	}
}

// TestRawPathNonASCII: a configured path with characters that must be
// escaped on the wire is matched in its standard escaped form.
func TestRawPathNonASCII(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Path: "/hooks/pöstident"}, newChanSink())
	if resp := e.do(testCtx(t), t, call{path: "/hooks/p%C3%B6stident", body: validBody}); resp.status != http.StatusOK {
		t.Fatalf("escaped non-ASCII path answered %d", resp.status)
	}
}

// droppedRefs reads the dropped-referenceId counter by reason.
func (e *env) droppedRefs(ctx context.Context, t *testing.T) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "postident_webhook_reference_id_dropped_total" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				r, _ := dp.Attributes.Value("reason")
				out[r.AsString()] += dp.Value
			}
		}
	}
	return out
}

// TestUnusableReferenceIDDropped (issue 16). Guide chapter 5: the webhook
// carries "the case ID and reference ID if configured" and gives the
// referenceId no format. A referenceId the connector cannot pass on (over
// 256 characters, a control or invalid character, not a string) must not
// cost the notification: refusing it with 400 fails POSTIDENT's three
// retries alike and the case waits for the reconciler. The caseId is
// accepted, the referenceId dropped (not truncated: a cut reference could
// name another order), counted, and logged without its value.
func TestUnusableReferenceIDDropped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("r", 257)
	tests := []struct {
		name, body, reason string
	}{
		{"257 characters", `{"caseId":"YR9W91GEZK24","referenceId":"` + long + `"}`, "too_long"},
		{"NUL", `{"caseId":"YR9W91GEZK24","referenceId":"secret\u0000ref"}`, "not_printable"},
		{"newline", `{"caseId":"YR9W91GEZK24","referenceId":"secret\nref"}`, "not_printable"},
		{"bidi override", `{"caseId":"YR9W91GEZK24","referenceId":"secret\u202eref"}`, "not_printable"},
		{"invalid UTF-8", "{\"caseId\":\"YR9W91GEZK24\",\"referenceId\":\"secret\xffref\"}", "not_printable"},
		{"number", `{"caseId":"YR9W91GEZK24","referenceId":4711}`, "not_a_string"},
		{"object", `{"caseId":"YR9W91GEZK24","referenceId":{"secret":"ref"}}`, "not_a_string"},
		{"given twice", `{"caseId":"YR9W91GEZK24","referenceId":"secret-a","referenceId":"secret-b"}`, "duplicate"},
	}
	sink := newChanSink()
	e := newEnv(t, Config{}, sink)
	want := map[string]int64{}
	for _, tt := range tests {
		ctx := testCtx(t)
		resp := e.do(ctx, t, call{body: tt.body})
		if resp.status != http.StatusOK {
			t.Errorf("%s: got %d %q, want 200 (the caseId is good)", tt.name, resp.status, resp.body)
			continue
		}
		got := sink.next(ctx, t)
		if got.n.CaseID != "YR9W91GEZK24" || got.n.ReferenceID != "" {
			t.Errorf("%s: notification %+v, want the caseId without referenceId", tt.name, got.n)
		}
		want[tt.reason]++
	}
	// 256 characters is still a referenceId.
	ok := strings.Repeat("ä", MaxReferenceIDLen)
	if resp := e.do(testCtx(t), t, call{body: `{"caseId":"YR9W91GEZK24","referenceId":"` + ok + `"}`}); resp.status != http.StatusOK {
		t.Fatalf("256-character referenceId answered %d", resp.status)
	}
	if got := sink.next(testCtx(t), t); got.n.ReferenceID != ok {
		t.Errorf("256-character referenceId not passed on")
	}
	if got := e.droppedRefs(testCtx(t), t); len(got) != len(want) || got["too_long"] != want["too_long"] ||
		got["not_printable"] != want["not_printable"] || got["not_a_string"] != want["not_a_string"] || got["duplicate"] != want["duplicate"] {
		t.Errorf("dropped referenceIds counted %v, want %v", got, want)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "referenceId dropped"); n != len(tests) {
		t.Errorf("%d log lines about dropped referenceIds, want %d:\n%s", n, len(tests), logs)
	}
	if strings.Contains(logs, "secret") || strings.Contains(logs, long) {
		t.Errorf("a log line contains the dropped referenceId:\n%s", logs)
	}
}
