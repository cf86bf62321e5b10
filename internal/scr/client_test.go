package scr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
)

// routeGuide answers like POSTIDENT for every documented endpoint, with the
// guide's sample bodies.
func routeGuide(t testing.TB) func(w http.ResponseWriter, r *http.Request, n int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		p := strings.TrimPrefix(r.URL.Path, "/api/scr/v1/"+testClientID)
		switch {
		case r.Method == http.MethodPatch && p == "/cases/archive":
			var ids []string
			if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			writeStatuses(w, ids)
		case r.Method != http.MethodGet:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case p == "/cases" || p == "/cases/full":
			reply(t, w, r, jose.A256GCM, listOf(sampleFull()))
		case p == "/cases/status" || p == "/cases/status/full":
			reply(t, w, r, jose.A256GCM, listOf(sampleStatus()))
		case p == "/cases/"+testCaseID || p == "/cases/"+testCaseID+"/full":
			reply(t, w, r, jose.A256GCM, sampleFull())
		case p == "/cases/"+testCaseID+"/status" || p == "/cases/"+testCaseID+"/status/full":
			reply(t, w, r, jose.A256GCM, sampleStatus())
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}
}

func listOf(items ...[]byte) []byte {
	return []byte("[" + string(joinBytes(items)) + "]")
}

func joinBytes(items [][]byte) []byte {
	var out []byte
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	return out
}

func writeStatuses(w http.ResponseWriter, ids []string) {
	out := make([]connector.CaseStatus, len(ids))
	for i, id := range ids {
		out[i] = connector.CaseStatus{CaseID: id, Status: connector.CaseClosed, Archived: true}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func TestEndpoints(t *testing.T) {
	tests := []struct {
		name      string
		call      func(ctx context.Context, c *Client) error
		method    string
		path      string // after /api/scr/v1/1234ABCD
		query     string
		encrypted bool
	}{
		{"case", func(ctx context.Context, c *Client) error {
			_, err := c.GetCase(ctx, testCaseID, GetOptions{})
			return err
		}, "GET", "/cases/YR9W91GEZK24", "", true},
		{"case full", func(ctx context.Context, c *Client) error {
			_, err := c.GetCase(ctx, testCaseID, GetOptions{Full: true})
			return err
		}, "GET", "/cases/YR9W91GEZK24/full", "", true},
		{"case with pdf and binary data", func(ctx context.Context, c *Client) error {
			_, err := c.GetCase(ctx, testCaseID, GetOptions{IncludeResultPDF: true, IncludeBinaryData: true})
			return err
		}, "GET", "/cases/YR9W91GEZK24", "includeBinaryData=true&includeResultPdf=true", true},
		{"case full with pdf", func(ctx context.Context, c *Client) error {
			_, err := c.GetCase(ctx, testCaseID, GetOptions{Full: true, IncludeResultPDF: true})
			return err
		}, "GET", "/cases/YR9W91GEZK24/full", "includeResultPdf=true", true},
		{"case status", func(ctx context.Context, c *Client) error {
			_, err := c.GetCaseStatus(ctx, testCaseID, false)
			return err
		}, "GET", "/cases/YR9W91GEZK24/status", "", true},
		{"case status full", func(ctx context.Context, c *Client) error {
			_, err := c.GetCaseStatus(ctx, testCaseID, true)
			return err
		}, "GET", "/cases/YR9W91GEZK24/status/full", "", true},
		{"list", func(ctx context.Context, c *Client) error {
			_, err := c.ListCases(ctx, ListFilter{}, false)
			return err
		}, "GET", "/cases", "", true},
		{"list full", func(ctx context.Context, c *Client) error {
			_, err := c.ListCases(ctx, ListFilter{}, true)
			return err
		}, "GET", "/cases/full", "", true},
		{"status list", func(ctx context.Context, c *Client) error {
			_, err := c.ListCaseStatus(ctx, ListFilter{}, false)
			return err
		}, "GET", "/cases/status", "", true},
		{"status list full", func(ctx context.Context, c *Client) error {
			_, err := c.ListCaseStatus(ctx, ListFilter{}, true)
			return err
		}, "GET", "/cases/status/full", "", true},
		{"archive", func(ctx context.Context, c *Client) error {
			st, err := c.Archive(ctx, []string{"KRZ1A8M4UBZZ"})
			if err == nil && (len(st) != 1 || st[0].CaseID != "KRZ1A8M4UBZZ" || !st[0].Archived) {
				return fmt.Errorf("statuses %+v", st)
			}
			return err
		}, "PATCH", "/cases/archive", "", false},
	}
	wantKey, wantHash := hdrsFor(t, &key2048().PublicKey, testDataPassword)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, routeGuide(t))
			c := newTestClient(t, f, key2048(), func(c *Config) { c.UserAgent = "scr-test/1" })
			if err := tt.call(testCtx(t), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.Path != "/api/scr/v1/1234ABCD"+tt.path || r.RawQuery != tt.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.Path, r.RawQuery, tt.method, tt.path, tt.query)
			}
			for h, want := range map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "scr-test/1"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			k, kh, alg := r.Header.Get("x-scr-key"), r.Header.Get("x-scr-keyhash"), r.Header.Get("x-scr-alg")
			if tt.encrypted {
				if k != wantKey || kh != wantHash || alg != "RSA-OAEP-256" {
					t.Errorf("encryption headers wrong: key ok=%v hash ok=%v alg=%q", k == wantKey, kh == wantHash, alg)
				}
			} else if k != "" || kh != "" || alg != "" {
				t.Error("encryption headers sent on a call that returns no result data")
			}
			if tt.method == "PATCH" && string(r.Body) != `["KRZ1A8M4UBZZ"]` {
				t.Errorf("archive body %s", r.Body)
			}
		})
	}
}

func TestListFilterQuery(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	nst := time.FixedZone("NST", -(3*3600 + 30*60))
	tests := []struct {
		name   string
		f      ListFilter
		status bool
		want   string            // raw query as the server sees it
		times  map[string]string // decoded parameter -> instant it must parse to (RFC 3339)
	}{
		{name: "defaults", want: ""},
		{name: "flags", f: ListFilter{New: new(true), InProgress: new(true), Closed: new(false), Archived: new(true)},
			want: "archived=true&closed=false&inProgress=true&new=true"},
		{name: "flags false", f: ListFilter{New: new(false), Archived: new(false)}, want: "archived=false&new=false"},
		{name: "created +02:00", f: ListFilter{CreatedFrom: time.Date(2016, 12, 26, 0, 0, 0, 0, cest), CreatedUntil: time.Date(2016, 12, 28, 0, 0, 0, 0, cest)},
			want:  "createdFrom=2016-12-26T00%3A00%3A00%2B02%3A00&createdUntil=2016-12-28T00%3A00%3A00%2B02%3A00",
			times: map[string]string{"createdFrom": "2016-12-26T00:00:00+02:00", "createdUntil": "2016-12-28T00:00:00+02:00"}},
		{name: "closed negative offset", f: ListFilter{ClosedFrom: time.Date(2017, 6, 25, 13, 30, 1, 0, nst), ClosedUntil: time.Date(2017, 6, 25, 13, 40, 1, 0, nst)},
			want:  "closedFrom=2017-06-25T13%3A30%3A01-03%3A30&closedUntil=2017-06-25T13%3A40%3A01-03%3A30",
			times: map[string]string{"closedFrom": "2017-06-25T13:30:01-03:30", "closedUntil": "2017-06-25T13:40:01-03:30"}},
		{name: "utc as +00:00, fraction dropped", f: ListFilter{CreatedFrom: time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)},
			want:  "createdFrom=2024-01-02T03%3A04%3A05%2B00%3A00",
			times: map[string]string{"createdFrom": "2024-01-02T03:04:05Z"}},
		{name: "max results on status list", status: true, f: ListFilter{MaxResults: 100, Closed: new(true)}, want: "closed=true&maxResults=100"},
		{name: "everything", status: true, f: ListFilter{New: new(true), ClosedFrom: time.Date(2016, 7, 5, 0, 0, 0, 0, cest), ClosedUntil: time.Date(2016, 7, 6, 0, 0, 0, 0, cest), MaxResults: 5},
			want: "closedFrom=2016-07-05T00%3A00%3A00%2B02%3A00&closedUntil=2016-07-06T00%3A00%3A00%2B02%3A00&maxResults=5&new=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(t, w, r, jose.A128GCM, []byte("[]"))
			})
			c := newTestClient(t, f, nil, nil)
			var (
				l   *List
				err error
			)
			if tt.status {
				l, err = c.ListCaseStatus(testCtx(t), tt.f, false)
			} else {
				l, err = c.ListCases(testCtx(t), tt.f, false)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Cases) != 0 || l.Partial {
				t.Errorf("list %+v", l)
			}
			raw := f.requests()[0].RawQuery
			if raw != tt.want {
				t.Errorf("raw query\n got %s\nwant %s", raw, tt.want)
			}
			if strings.Contains(raw, "+") {
				t.Error("raw query contains an unescaped '+' (the server would read a space)")
			}
			q, _ := url.ParseQuery(raw)
			for name, want := range tt.times {
				got, err := time.Parse(time.RFC3339, q.Get(name))
				w, _ := time.Parse(time.RFC3339, want)
				if err != nil || !got.Equal(w) {
					t.Errorf("%s decodes to %q (%v), want instant %s", name, q.Get(name), err, want)
				}
			}
		})
	}

	t.Run("negative max results", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
		c := newTestClient(t, f, nil, nil)
		_, err := c.ListCaseStatus(testCtx(t), ListFilter{MaxResults: -1}, false)
		if !errors.Is(err, ErrBadRequest) || len(f.requests()) != 0 {
			t.Fatalf("err %v after %d requests, want ErrBadRequest before any request", err, len(f.requests()))
		}
	})
}

func TestPartialDelivery(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   bool
	}{{"true", true}, {"TRUE", true}, {"", false}, {"false", false}} {
		t.Run("header="+tt.header, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.header != "" {
					w.Header().Set("X-PARTIAL-DELIVERY", tt.header)
				}
				reply(t, w, r, jose.A256GCM, listOf(sampleStatus(), sampleStatus()))
			})
			c := newTestClient(t, f, key2048(), nil)
			l, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if l.Partial != tt.want || len(l.Cases) != 2 {
				t.Errorf("partial %v with %d cases, want %v with 2", l.Partial, len(l.Cases), tt.want)
			}
		})
	}
}

// archiveServer enforces a server-side id limit like POSTIDENT (400 above it).
func archiveServer(t *testing.T, limit int) *fake {
	f := newFake(t, nil)
	f.handle = func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method != http.MethodPatch || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ids []string
		if err := json.Unmarshal(f.requests()[n-1].Body, &ids); err != nil || len(ids) > limit {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		writeStatuses(w, ids)
	}
	return f
}

func TestArchiveSplits(t *testing.T) {
	f := archiveServer(t, MaxArchiveIDs)
	c := newTestClient(t, f, key2048(), nil)
	ids := make([]string, 25001)
	for i := range ids {
		ids[i] = fmt.Sprintf("C%011d", i)
	}
	st, err := c.Archive(testCtx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d calls, want 3", len(reqs))
	}
	for i, want := range []int{10000, 10000, 5001} {
		var got []string
		if err := json.Unmarshal(reqs[i].Body, &got); err != nil || len(got) != want {
			t.Errorf("call %d: %d ids (%v), want %d", i+1, len(got), err, want)
		}
		if reqs[i].Header.Get("x-scr-key") != "" {
			t.Errorf("call %d: archive sent x-scr-key", i+1)
		}
	}
	if len(st) != len(ids) {
		t.Fatalf("%d statuses, want %d", len(st), len(ids))
	}
	for i := range st {
		if st[i].CaseID != ids[i] {
			t.Fatalf("status %d is for %s, want %s (order lost)", i, st[i].CaseID, ids[i])
		}
	}
}

func TestArchiveEdgeCases(t *testing.T) {
	t.Run("server limit gives ErrBadRequest without retry", func(t *testing.T) {
		f := archiveServer(t, 100)
		c := newTestClient(t, f, nil, nil)
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = fmt.Sprintf("C%011d", i)
		}
		_, err := c.Archive(testCtx(t), ids)
		if !errors.Is(err, ErrBadRequest) || StatusCodeOf(err) != 400 || IsRetryable(err) {
			t.Fatalf("err %v, want a non-retryable ErrBadRequest with status 400", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})
	t.Run("empty list makes no call", func(t *testing.T) {
		f := archiveServer(t, MaxArchiveIDs)
		c := newTestClient(t, f, nil, nil)
		st, err := c.Archive(testCtx(t), nil)
		if err != nil || st != nil || len(f.requests()) != 0 {
			t.Fatalf("statuses %v, err %v, %d calls", st, err, len(f.requests()))
		}
	})
	t.Run("invalid id refused before any call", func(t *testing.T) {
		f := archiveServer(t, MaxArchiveIDs)
		c := newTestClient(t, f, nil, nil)
		_, err := c.Archive(testCtx(t), []string{"OK1", "../x"})
		if !errors.Is(err, ErrBadRequest) || len(f.requests()) != 0 {
			t.Fatalf("err %v after %d calls", err, len(f.requests()))
		}
	})
	t.Run("second batch fails after retries: first batch statuses kept", func(t *testing.T) {
		f := newFake(t, nil)
		f.handle = func(w http.ResponseWriter, r *http.Request, n int) {
			if n > 1 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			var ids []string
			_ = json.Unmarshal(f.requests()[n-1].Body, &ids)
			writeStatuses(w, ids)
		}
		c := newTestClient(t, f, nil, nil)
		ids := make([]string, MaxArchiveIDs+1)
		for i := range ids {
			ids[i] = fmt.Sprintf("C%011d", i)
		}
		st, err := c.Archive(testCtx(t), ids)
		if StatusCodeOf(err) != 502 || len(st) != MaxArchiveIDs || !strings.Contains(err.Error(), "archive batch 2 of 2") {
			t.Fatalf("%d statuses, err %v", len(st), err)
		}
		if n := len(f.requests()); n != 1+5 {
			t.Errorf("%d calls, want 1 + 5 attempts", n)
		}
	})
	t.Run("archive is retried", func(t *testing.T) {
		f := newFake(t, nil)
		f.handle = func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			var ids []string
			_ = json.Unmarshal(f.requests()[n-1].Body, &ids)
			writeStatuses(w, ids)
		}
		c := newTestClient(t, f, nil, nil)
		st, err := c.Archive(testCtx(t), []string{"KRZ1A8M4UBZZ"})
		if err != nil || len(st) != 1 {
			t.Fatalf("statuses %v, err %v", st, err)
		}
		reqs := f.requests()
		if len(reqs) != 2 || string(reqs[1].Body) != `["KRZ1A8M4UBZZ"]` {
			t.Errorf("retry did not resend the body: %d calls", len(reqs))
		}
	})
}

// personal is a marker that error bodies carry; it must never reach an error.
const personal = "Erika Mustermann 1964-08-12"

func TestStatusErrorsAndRetries(t *testing.T) {
	type step struct {
		status     int
		retryAfter string
	}
	inTwoSeconds := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		steps      []step // the last repeats
		wantErr    error  // nil: success
		wantStatus int
		wantCalls  int
		wantWaits  []time.Duration // exact waits (Retry-After); nil: jittered, checked against the ceiling
		retryable  bool
	}{
		{name: "401", steps: []step{{status: 401}}, wantErr: ErrUnauthorized, wantStatus: 401, wantCalls: 1},
		{name: "403", steps: []step{{status: 403}}, wantErr: ErrUnauthorized, wantStatus: 403, wantCalls: 1},
		{name: "404", steps: []step{{status: 404}}, wantErr: ErrNotFound, wantStatus: 404, wantCalls: 1},
		{name: "400", steps: []step{{status: 400}}, wantErr: ErrBadRequest, wantStatus: 400, wantCalls: 1},
		{name: "500 then 200", steps: []step{{status: 500}, {status: 200}}, wantCalls: 2},
		{name: "429 then 200", steps: []step{{status: 429}, {status: 200}}, wantCalls: 2},
		{name: "502 503 504 then 200", steps: []step{{status: 502}, {status: 503}, {status: 504}, {status: 200}}, wantCalls: 4},
		{name: "503 retry-after seconds", steps: []step{{503, "3"}, {status: 200}}, wantCalls: 2, wantWaits: []time.Duration{3 * time.Second}},
		{name: "503 retry-after capped at max delay", steps: []step{{503, "120"}, {status: 200}}, wantCalls: 2, wantWaits: []time.Duration{5 * time.Second}},
		{name: "429 retry-after http date", steps: []step{{429, inTwoSeconds}, {status: 200}}, wantCalls: 2},
		{name: "retries exhausted", steps: []step{{503, "1"}}, wantStatus: 503, wantCalls: 5, retryable: true,
			wantWaits: []time.Duration{time.Second, time.Second, time.Second, time.Second}},
		{name: "500 exhausted with jitter", steps: []step{{status: 500}}, wantStatus: 500, wantCalls: 5, retryable: true},
		{name: "418 not retried", steps: []step{{status: 418}}, wantStatus: 418, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				s := tt.steps[min(n, len(tt.steps))-1]
				if s.status == 200 {
					reply(t, w, r, jose.A256GCM, sampleStatus())
					return
				}
				if s.retryAfter != "" {
					w.Header().Set("Retry-After", s.retryAfter)
				}
				w.WriteHeader(s.status)
				_, _ = w.Write([]byte(`{"message":"` + personal + `"}`))
			})
			var rec sleepRecorder
			c := newTestClient(t, f, key2048(), func(c *Config) {
				c.Retry = RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second}
			})
			c.sleep = rec.sleep
			cr, err := c.GetCaseStatus(testCtx(t), testCaseID, false)

			if calls := len(f.requests()); calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			waits := rec.recorded()
			if len(waits) != tt.wantCalls-1 {
				t.Errorf("%d waits for %d calls", len(waits), tt.wantCalls)
			}
			for i, w := range waits {
				switch {
				case tt.wantWaits != nil:
					if w != tt.wantWaits[i] {
						t.Errorf("wait %d: %s, want %s", i, w, tt.wantWaits[i])
					}
				case tt.steps[min(i, len(tt.steps)-1)].retryAfter != "":
					if w <= 0 || w > 2*time.Second {
						t.Errorf("wait %d: %s, want the Retry-After date (within 2s)", i, w)
					}
				default:
					if ceil := min(5*time.Second, 100*time.Millisecond<<i); w < 0 || w > ceil {
						t.Errorf("wait %d: %s outside full-jitter range [0, %s]", i, w, ceil)
					}
				}
			}

			if tt.wantErr == nil && tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("GetCaseStatus: %v", err)
				}
				if cr.CaseID != testCaseID {
					t.Errorf("caseId %q", cr.CaseID)
				}
				return
			}
			if err == nil {
				t.Fatal("GetCaseStatus succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if StatusCodeOf(err) != tt.wantStatus {
				t.Errorf("StatusCodeOf = %d, want %d", StatusCodeOf(err), tt.wantStatus)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", IsRetryable(err), tt.retryable)
			}
			var e *Error
			if !errors.As(err, &e) || e.Attempts != tt.wantCalls || e.Endpoint != "GET /cases/{caseId}/status" || e.CaseID != testCaseID {
				t.Errorf("error fields %+v", e)
			}
			msg := err.Error()
			if !strings.Contains(msg, "GET /cases/{caseId}/status") || !strings.Contains(msg, testCaseID) {
				t.Errorf("error %q does not name the call", msg)
			}
			if strings.Contains(msg, "Erika") || strings.Contains(msg, "1964") {
				t.Errorf("error %q leaks the response body", msg)
			}
			if tt.name == "retries exhausted" && (e.RetryAfter != time.Second || !strings.Contains(msg, "after 5 attempts")) {
				t.Errorf("exhausted error: RetryAfter %s, message %q", e.RetryAfter, msg)
			}
		})
	}
}

func TestTimeoutThenSuccess(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			// Hang until the client gives up on this attempt.
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		reply(t, w, r, jose.A256GCM, sampleStatus())
	})
	c := newTestClient(t, f, key2048(), func(c *Config) { c.Timeout = 300 * time.Millisecond })
	cr, err := c.GetCaseStatus(testCtx(t), testCaseID, false)
	if err != nil {
		t.Fatalf("GetCaseStatus: %v", err)
	}
	if cr.CaseID != testCaseID || len(f.requests()) != 2 {
		t.Errorf("caseId %q after %d calls, want 2 calls", cr.CaseID, len(f.requests()))
	}
}

func TestTimeoutsExhausted(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	c := newTestClient(t, f, nil, func(c *Config) {
		c.Timeout = 100 * time.Millisecond
		c.Retry.MaxAttempts = 2
	})
	_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
	if !IsRetryable(err) || StatusCodeOf(err) != 0 || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err %v, want a retryable timeout", err)
	}
}

func TestConnectionErrors(t *testing.T) {
	t.Run("reset then success", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST instead of FIN
				}
				_ = conn.Close()
				return
			}
			reply(t, w, r, jose.A256GCM, sampleStatus())
		})
		c := newTestClient(t, f, key2048(), nil)
		if _, err := c.GetCaseStatus(testCtx(t), testCaseID, false); err != nil {
			t.Fatalf("GetCaseStatus: %v", err)
		}
		if n := len(f.requests()); n < 2 {
			t.Errorf("%d calls, want a retry", n)
		}
	})
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		c, err := New(Config{BaseURL: "http://" + addr + "/api/scr/v1", ClientID: testClientID, Username: testUser, Password: testPass,
			Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.ListCases(testCtx(t), ListFilter{}, false)
		var e *Error
		if !IsRetryable(err) || !errors.As(err, &e) || e.Attempts != 3 || e.Endpoint != "GET /cases" {
			t.Fatalf("err %v, want a retryable connection error after 3 attempts", err)
		}
	})
}

func TestContextCancellation(t *testing.T) {
	t.Run("cancelled while waiting", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusServiceUnavailable) })
		c := newTestClient(t, f, nil, nil)
		ctx, cancel := context.WithCancel(testCtx(t))
		c.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
		_, err := c.GetCase(ctx, testCaseID, GetOptions{})
		if !errors.Is(err, context.Canceled) || IsRetryable(err) || len(f.requests()) != 1 {
			t.Fatalf("err %v after %d calls, want context.Canceled after 1", err, len(f.requests()))
		}
	})
	t.Run("deadline shorter than retry-after fails at once", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		var rec sleepRecorder
		c := newTestClient(t, f, nil, func(c *Config) { c.Retry.MaxDelay = 10 * time.Second })
		c.sleep = rec.sleep
		ctx, cancel := context.WithTimeout(testCtx(t), 2*time.Second)
		defer cancel()
		_, err := c.GetCase(ctx, testCaseID, GetOptions{})
		if StatusCodeOf(err) != 503 || len(rec.recorded()) != 0 || len(f.requests()) != 1 {
			t.Fatalf("err %v, %d waits, %d calls", err, len(rec.recorded()), len(f.requests()))
		}
	})
}

func TestInvalidCaseID(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	c := newTestClient(t, f, nil, nil)
	for _, id := range []string{"", "../../cases", "YR9W91GEZK24?x=1", "a b", strings.Repeat("A", 65)} {
		_, err := c.GetCase(testCtx(t), id, GetOptions{})
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("caseId %q: err %v, want ErrBadRequest", id, err)
		}
		if id != "" && strings.Contains(err.Error(), id) {
			t.Errorf("error %q echoes the invalid caseId", err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid caseIds", n)
	}
}

func TestWrongCredentials(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	c := newTestClient(t, f, nil, func(c *Config) { c.Password = "wrong-secret" })
	_, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("err %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"truncated", `{"caseId":"YR9W91GEZK24","contactData":{"firstName":{"value":"Erika"`, "invalid JSON at byte offset"},
		{"wrong type", `{"caseId":"YR9W91GEZK24","caseStatus":{"archived":19640812}}`, "field caseStatus.archived: a JSON number cannot be decoded into bool (at byte offset"},
		{"bad timestamp", `{"caseId":"YR9W91GEZK24","caseStatus":{"created":"1964-08-12 Erika"}}`, "timestamp"},
		{"no caseId", `{"caseStatus":{"status":"closed"}}`, "no caseId"},
		{"other case", `{"caseId":"OTHER0000001"}`, "for caseId OTHER0000001"},
		{"not json", `<html>Erika</html>`, "invalid JSON at byte offset 0 of 18"}, // the offset of the bad byte (encoding/json/v2)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write([]byte(tt.body)) })
			c := newTestClient(t, f, nil, nil)
			_, err := c.GetCase(testCtx(t), testCaseID, GetOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "GET /cases/{caseId}") {
				t.Errorf("error %q, want it to name the endpoint and mention %q", msg, tt.want)
			}
			if strings.Contains(msg, "Erika") || strings.Contains(msg, "19640812") || strings.Contains(msg, "1964") {
				t.Errorf("error %q leaks body content", msg)
			}
			if IsRetryable(err) || len(f.requests()) != 1 {
				t.Errorf("decode error retried (%d calls)", len(f.requests()))
			}
		})
	}
	t.Run("list entry without caseId", func(t *testing.T) {
		// The entry is left out and reported; the page's other entries stay.
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write([]byte(`[{"caseId":"A1"},{}]`)) })
		c := newTestClient(t, f, nil, nil)
		l, err := c.ListCases(testCtx(t), ListFilter{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Cases) != 1 || l.Cases[0].CaseID != "A1" || l.Unreadable == nil || l.Unreadable.Unidentified != 1 ||
			!strings.Contains(l.Unreadable.Error(), "list entry 1 has no caseId") {
			t.Fatalf("cases %d, unreadable %v", len(l.Cases), l.Unreadable)
		}
	})
	t.Run("list entries of the wrong shape", func(t *testing.T) {
		// Guide 7.5.1 pages of up to 1000 cases: two bad entries cost
		// themselves only, with their caseIds where those are readable.
		body := `[{"caseId":"GOOD00000001"},{"caseId":"BADC00000001","caseStatus":{"archived":19640812}},` +
			`{"caseId":"GOOD00000002","contactData":{"firstName":{"value":"Erika"}}},{"caseId":42,"x":"Erika"}]`
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write([]byte(body)) })
		c := newTestClient(t, f, nil, nil)
		l, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Cases) != 2 || l.Cases[0].CaseID != "GOOD00000001" || l.Cases[1].CaseID != "GOOD00000002" {
			t.Fatalf("cases %+v", l.Cases)
		}
		u := l.Unreadable
		if u == nil || len(u.CaseIDs) != 1 || u.CaseIDs[0] != "BADC00000001" || u.Unidentified != 1 {
			t.Fatalf("unreadable %+v", u)
		}
		msg := u.Error()
		if !strings.Contains(msg, "list entry 1: ") || !strings.Contains(msg, "caseStatus.archived") ||
			strings.Contains(msg, "19640812") || strings.Contains(msg, "Erika") {
			t.Errorf("error %q: want the entry and field named, no value", msg)
		}
		if !errors.Is(u, connector.ErrCaseUnreadable) {
			t.Errorf("error %v does not wrap ErrCaseUnreadable", u)
		}
	})
	t.Run("list that is not an array", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write([]byte(`{"caseId":"A1"}`)) })
		c := newTestClient(t, f, nil, nil)
		if _, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false); err == nil {
			t.Fatal("an object for a list: no error")
		}
	})
	t.Run("body over the limit", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write(listOf(sampleStatus())) })
		c := newTestClient(t, f, nil, nil)
		c.bodyLimit = 100
		_, err := c.ListCaseStatus(testCtx(t), ListFilter{}, false)
		if err == nil || !strings.Contains(err.Error(), "exceeds 100 bytes") || IsRetryable(err) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-5", 0}, {"7", 7 * time.Second}, {" 7 ", 7 * time.Second},
		{"999999999999", 24 * time.Hour}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 100, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second}
	for n := 1; n <= 80; n++ {
		ceil := p.MaxDelay
		if n < 20 {
			ceil = min(p.MaxDelay, p.BaseDelay<<(n-1))
		}
		for range 50 {
			if d := backoff(p, n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %s outside [0, %s]", n, d, ceil)
			}
		}
	}
}

func TestIsRetryable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"500", &Error{StatusCode: 500, Err: errServer}, true},
		{"429", &Error{StatusCode: 429, Err: errRateLimited}, true},
		{"404", &Error{StatusCode: 404, Err: ErrNotFound}, false},
		{"decrypt", &Error{Err: ErrDecrypt}, false},
		{"not encrypted", &Error{Err: ErrNotEncrypted}, false},
		{"decode", &Error{Err: errDecode}, false},
		{"canceled", &Error{StatusCode: 503, Err: fmt.Errorf("%w (last cause: %w)", context.Canceled, errServer)}, false},
		{"deadline", context.DeadlineExceeded, true},
		{"timeout", &Error{Err: errTimeout}, true},
		{"net op", &net.OpError{Op: "dial", Err: errors.New("x")}, true},
		{"unknown", errors.New("x"), false},
	} {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("%s: IsRetryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestConcurrentUseBoundedPool(t *testing.T) {
	var (
		mu            sync.Mutex
		inflight, top int
	)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		inflight++
		top = max(top, inflight)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // overlap the requests
		reply(t, w, r, jose.A128GCM, sampleStatus())
		mu.Lock()
		inflight--
		mu.Unlock()
	})
	c := newTestClient(t, f, key2048(), func(c *Config) { c.MaxConns = 2 })
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			if _, err := c.GetCaseStatus(ctx, testCaseID, false); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if top > 2 {
		t.Errorf("%d requests in flight at once, want at most MaxConns=2", top)
	}
}
