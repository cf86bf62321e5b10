package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/sim"
)

func TestSummary(t *testing.T) {
	var l Latencies
	for i := 100; i >= 1; i-- {
		l.Add(time.Duration(i) * time.Millisecond)
	}
	s := l.Summary()
	for _, tc := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, 50 * time.Millisecond},
		{"p90", s.P90, 90 * time.Millisecond},
		{"p99", s.P99, 99 * time.Millisecond},
		{"max", s.Max, 100 * time.Millisecond},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if (&Latencies{}).Summary().N != 0 {
		t.Error("empty summary has samples")
	}
}

func TestNextCreatedFrom(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	at := func(secs ...int) []connector.CaseResult {
		out := make([]connector.CaseResult, len(secs))
		for i, s := range secs {
			out[i].CaseStatus.Created = connector.NewTime(t0.Add(time.Duration(s) * time.Second))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		cases  []connector.CaseResult
		want   time.Time
		wantOK bool
	}{
		{"ordered page continues at its last second", at(0, 1, 1, 5), t0.Add(5 * time.Second), true},
		{"unordered page stops", at(0, 5, 1), time.Time{}, false},
		{"a page within one second makes no progress", at(0, 0, 0), t0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := nextCreatedFrom(tc.cases, t0)
			if ok != tc.wantOK || (ok && !got.Equal(tc.want)) {
				t.Errorf("nextCreatedFrom = %s, %v; want %s, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestCoalescerServesFromLists drives the Coalescer against the simulator
// with encryption required: a round of concurrent fetches for closed cases
// is served by list calls, every fetch gets its own case, and a case still
// open is fetched singly.
func TestCoalescerServesFromLists(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := sim.New(sim.Config{ClientID: simClientID, Username: simUser, Password: simPassword, DataPassword: simDataPassword, RequireEncryption: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	client, err := scr.New(scr.Config{BaseURL: srv.URL + "/api/scr/v1", ClientID: simClientID, Username: simUser, Password: simPassword,
		PrivateKey: key, DataPassword: simDataPassword, RequireEncryption: true})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	const closed = 40
	hints := NewHints()
	var ids []string
	for range closed {
		id, err := s.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
		hints.set(id, time.Now())
		ids = append(ids, id)
	}
	open, err := s.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Scenario: "success"})
	if err != nil {
		t.Fatal(err)
	}
	hints.set(open, time.Now())
	ids = append(ids, open)

	counter := &sourceCounter{src: scr.NewSource(client)}
	c := NewCoalescer(ctx, counter, CoalesceConfig{Linger: 20 * time.Millisecond}, counter, hints)
	var wg sync.WaitGroup
	got := make([]*connector.CaseResult, len(ids))
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = c.Fetch(ctx, id, connector.FetchOptions{})
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("fetch %s: %v", id, errs[i])
		}
		if got[i].CaseID != id {
			t.Errorf("fetch %s returned case %s", id, got[i].CaseID)
		}
	}
	n := counter.snapshot()
	if n.Lists == 0 || n.CacheHits < closed {
		t.Errorf("want the %d closed cases served from lists; got %+v", closed, n)
	}
	if n.Fetches != 1 {
		t.Errorf("want one single fetch (the open case); got %d", n.Fetches)
	}
}
