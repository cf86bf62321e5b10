package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// received is one webhook call as the receiver saw it.
type received struct {
	body        map[string]any
	user, pass  string
	auth        bool
	contentType string
}

// receiver is a real HTTP webhook endpoint; status decides the answer to
// the n-th call (from 1).
type receiver struct {
	mu     sync.Mutex
	calls  []received
	status func(n int) int
	srv    *httptest.Server
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		u, p, ok := r.BasicAuth()
		rc.mu.Lock()
		rc.calls = append(rc.calls, received{body: body, user: u, pass: p, auth: ok, contentType: r.Header.Get("Content-Type")})
		n := len(rc.calls)
		rc.mu.Unlock()
		code := 200
		if rc.status != nil {
			code = rc.status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.calls...)
}

func always(code int) func(int) int { return func(int) int { return code } }

func waitIdle(t *testing.T, s *Sim) {
	t.Helper()
	if err := s.WaitIdle(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookDelivery(t *testing.T) {
	rc := newReceiver(t, nil)
	partner := newReceiver(t, nil)
	s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL + "/hook", WebhookUsername: "pi", WebhookPassword: "hook-pw", WebhookReferenceID: true})
	id := mustCase(t, s, CaseSpec{Method: "video", ReferenceID: "REF-42", WebhookURLPartner: partner.srv.URL}, true)
	waitIdle(t, s)
	// started has no status type; review pending (preliminary) and success
	// (final) notify.
	calls := rc.got()
	if len(calls) != 2 {
		t.Fatalf("%d webhooks, want 2", len(calls))
	}
	for _, c := range calls {
		if !c.auth || c.user != "pi" || c.pass != "hook-pw" {
			t.Errorf("basic auth %v %q", c.auth, c.user)
		}
		if c.contentType != "application/json" {
			t.Errorf("content type %q", c.contentType)
		}
		if c.body["caseId"] != id || c.body["referenceId"] != "REF-42" || len(c.body) != 2 {
			t.Errorf("body %v", c.body)
		}
	}
	if n := len(partner.got()); n != 2 {
		t.Errorf("partner got %d webhooks, want 2", n)
	}
	log := s.Webhooks()
	if len(log) != 4 {
		t.Fatalf("log has %d entries", len(log))
	}
	for _, d := range log {
		if !d.OK() || d.Attempt != 1 || !d.Final || d.CaseID != id {
			t.Errorf("log entry %+v", d)
		}
	}

	// Without WebhookReferenceID the body is the caseId alone.
	rc2 := newReceiver(t, nil)
	s2, _ := newTestSim(t, Config{WebhookURL: rc2.srv.URL})
	mustCase(t, s2, CaseSpec{Method: "eid", ReferenceID: "REF"}, true)
	waitIdle(t, s2)
	if c := rc2.got(); len(c) != 1 || len(c[0].body) != 1 || c[0].auth {
		t.Errorf("plain webhook %+v", c)
	}
}

// TestWebhookTypes: only states whose status type is configured notify.
func TestWebhookTypes(t *testing.T) {
	tests := []struct {
		types    []connector.StatusType
		method   connector.Method
		scenario string
		want     int
	}{
		{nil, "basic", "incomplete-then-success", 3}, // coupon requested, review pending, success; incomplete has none
		{nil, "autoid", "cancelled", 2},              // incomplete (notification), cancelled
		{nil, "photo", "incomplete-then-success", 4}, // review pending, incomplete, review pending, success
		{nil, "video", "expired", 1},                 // declined 12 on expiry
		{[]connector.StatusType{connector.StatusTypeFinal}, "basic", "success", 1},
		{[]connector.StatusType{connector.StatusTypeCancelled}, "autoid", "cancelled", 1},
		{[]connector.StatusType{connector.StatusTypeNotification}, "autoid", "incomplete-retry-success", 2},
		{[]connector.StatusType{}, "video", "success", 0},
	}
	for _, tc := range tests {
		rc := newReceiver(t, nil)
		s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL, WebhookTypes: tc.types})
		mustCase(t, s, CaseSpec{Method: tc.method, Scenario: tc.scenario}, true)
		waitIdle(t, s)
		if n := len(rc.got()); n != tc.want {
			t.Errorf("%v %s/%s: %d webhooks, want %d", tc.types, tc.method, tc.scenario, n, tc.want)
		}
	}
}

// waitLog polls the delivery log until it has n entries.
func waitLog(t *testing.T, ctx context.Context, s *Sim, n int) []WebhookDelivery {
	t.Helper()
	for {
		if log := s.Webhooks(); len(log) >= n {
			return log
		}
		select {
		case <-ctx.Done():
			t.Fatalf("log has %d entries, want %d", len(s.Webhooks()), n)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// TestWebhookRetrySchedule: a failing receiver gets the first try, a retry
// right away, one 900 s later and one 3600 s after that (guide 5), in
// simulated time that only Advance moves here.
func TestWebhookRetrySchedule(t *testing.T) {
	rc := newReceiver(t, always(500))
	s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL})
	ctx := testCtx(t)
	mustCase(t, s, CaseSpec{Method: "eid", Scenario: "started,success"}, true)
	start := s.Now()
	waitIdle(t, s)
	if n := len(s.Webhooks()); n != 2 {
		t.Fatalf("%d attempts before any time passed, want 2", n)
	}
	s.Advance(899 * time.Second)
	waitIdle(t, s)
	if n := len(s.Webhooks()); n != 2 {
		t.Fatalf("%d attempts at +899 s, want 2", n)
	}
	s.Advance(time.Second)
	waitLog(t, ctx, s, 3)
	waitIdle(t, s)
	s.Advance(3600 * time.Second)
	waitLog(t, ctx, s, 4)
	waitIdle(t, s)
	s.Advance(30 * 24 * time.Hour)
	waitIdle(t, s)
	log := s.Webhooks()
	want := []time.Duration{0, 0, 900 * time.Second, 4500 * time.Second}
	if len(log) != len(want) || len(rc.got()) != len(want) {
		t.Fatalf("%d attempts logged, %d received, want 4", len(log), len(rc.got()))
	}
	for i, d := range log {
		if d.Attempt != i+1 || !d.Time.Equal(start.Add(want[i])) || d.HTTPStatus != 500 || d.OK() {
			t.Errorf("attempt %d: %+v, want at +%s", i+1, d, want[i])
		}
		if d.Final != (i == 3) {
			t.Errorf("attempt %d final = %v", i+1, d.Final)
		}
	}

	// A receiver that recovers before the third attempt gets no fourth.
	rc2 := newReceiver(t, func(n int) int {
		if n <= 2 {
			return 503
		}
		return 200
	})
	s2, _ := newTestSim(t, Config{WebhookURL: rc2.srv.URL})
	mustCase(t, s2, CaseSpec{Method: "eid", Scenario: "started,success"}, true)
	waitIdle(t, s2)
	s2.Advance(2 * time.Hour)
	waitLog(t, ctx, s2, 3)
	waitIdle(t, s2)
	s2.Advance(2 * time.Hour)
	waitIdle(t, s2)
	if log := s2.Webhooks(); len(log) != 3 || !log[2].OK() || !log[2].Final || log[2].Attempt != 3 {
		t.Errorf("recovering receiver: %+v", log)
	}
}

// TestWebhookRetryTimeScale: with a running clock and TimeScale 90000, the
// 900 s and 3600 s retries come after 10 ms and 40 ms of real time; the
// attempts still carry the exact simulated times of the schedule.
func TestWebhookRetryTimeScale(t *testing.T) {
	rc := newReceiver(t, always(502))
	s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL, TimeScale: 90000, Now: time.Now})
	mustCase(t, s, CaseSpec{Method: "eid", Scenario: "started,success"}, true)
	log := waitLog(t, testCtx(t), s, 4)
	a1 := log[0].Time
	want := []time.Duration{0, 0, 900 * time.Second, 4500 * time.Second}
	for i, d := range log[:4] {
		if d.Attempt != i+1 || !d.Time.Equal(a1.Add(want[i])) {
			t.Errorf("attempt %d at %s, want +%s", d.Attempt, d.Time.Sub(a1), want[i])
		}
	}
}

// TestWebhookOnly200: POSTIDENT expects 200; a 204 or a slow answer counts
// as a failure and is retried.
func TestWebhookOnly200(t *testing.T) {
	rc := newReceiver(t, always(http.StatusNoContent))
	s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL})
	mustCase(t, s, CaseSpec{Method: "eid", Scenario: "started,success"}, true)
	waitIdle(t, s)
	if log := s.Webhooks(); len(log) != 2 || log[0].OK() || log[0].HTTPStatus != 204 {
		t.Errorf("204: %+v", log)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.ReadAll(r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	s2, _ := newTestSim(t, Config{WebhookURL: slow.URL})
	s2.hooks.timeout = 20 * time.Millisecond // the 2 s of guide 5, shortened
	mustCase(t, s2, CaseSpec{Method: "eid", Scenario: "started,success"}, true)
	waitIdle(t, s2)
	if log := s2.Webhooks(); len(log) != 2 || log[0].Err != "no answer within 2 s" {
		t.Errorf("timeout: %+v", log)
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		rc := newReceiver(t, nil)
		s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL})
		s.SetFaults(Faults{DropWebhookRate: 1})
		mustCase(t, s, CaseSpec{Method: "video"}, true)
		waitIdle(t, s)
		s.Advance(2 * time.Hour)
		waitIdle(t, s)
		log := s.Webhooks()
		if len(rc.got()) != 0 || len(log) != 2 || !log[0].Dropped || !log[1].Dropped {
			t.Errorf("received %d, log %+v", len(rc.got()), log)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		rc := newReceiver(t, nil)
		s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL})
		s.SetFaults(Faults{DuplicateWebhookRate: 1})
		id := mustCase(t, s, CaseSpec{Method: "video"}, true)
		waitIdle(t, s)
		calls := rc.got()
		if len(calls) != 4 {
			t.Fatalf("received %d, want 4", len(calls))
		}
		dups := 0
		for _, d := range s.Webhooks() {
			if d.Duplicate {
				dups++
			}
			if d.CaseID != id {
				t.Errorf("case %s", d.CaseID)
			}
		}
		if dups != 2 {
			t.Errorf("%d duplicates logged", dups)
		}
	})
	t.Run("delay and reorder", func(t *testing.T) {
		rc := newReceiver(t, nil)
		s, _ := newTestSim(t, Config{WebhookURL: rc.srv.URL})
		s.SetFaults(Faults{ReorderWebhooks: true, WebhookDelay: 5 * time.Millisecond})
		for range 5 {
			mustCase(t, s, CaseSpec{Method: "video"}, true)
		}
		waitIdle(t, s)
		if n := len(rc.got()); n != 10 {
			t.Errorf("received %d, want 10", n)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		s, _ := newTestSim(t, Config{})
		s.SetFaults(Faults{DropWebhookRate: 2})
		if s.CurrentFaults().DropWebhookRate != 0 {
			t.Errorf("invalid faults accepted")
		}
	})
}
