package connector

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
)

func TestNextCreatedFrom(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	at := func(secs ...int) []CaseResult {
		out := make([]CaseResult, len(secs))
		for i, s := range secs {
			out[i].CaseStatus.Created = NewTime(t0.Add(time.Duration(s) * time.Second))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		cases  []CaseResult
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

func TestCut(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	hs := func(secs ...int) []hint {
		out := make([]hint, len(secs))
		for i, s := range secs {
			out[i] = hint{id: fmt.Sprint(i), closed: t0.Add(time.Duration(s) * time.Second)}
		}
		return out
	}
	span := func(first, _, h hint) bool { return h.closed.Sub(first.closed) > 10*time.Second }
	for _, tc := range []struct {
		name  string
		hints []hint
		least int
		want  []int // cluster sizes
	}{
		{"one cluster", hs(0, 1, 2, 10), 2, []int{4}},
		{"split by span", hs(0, 1, 11, 12, 13), 2, []int{2, 3}},
		{"small clusters dropped", hs(0, 20, 21, 22), 2, []int{3}},
		{"nothing", nil, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cut(tc.hints, tc.least, span)
			var sizes []int
			for _, c := range got {
				sizes = append(sizes, len(c))
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.want) {
				t.Errorf("cluster sizes %v, want %v", sizes, tc.want)
			}
		})
	}
}

func TestHintOf(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	created := t0.Add(-time.Hour)
	for _, tc := range []struct {
		name    string
		note    Notification
		ok      bool
		closed  time.Time
		created time.Time
	}{
		{"webhook: its arrival", Notification{ReceivedAt: t0}, true, t0, time.Time{}},
		{"closed snapshot: modified and created", Notification{ReceivedAt: t0.Add(time.Hour),
			Snapshot: &StatusSnapshot{CaseStatus: CaseClosed, Modified: &t0, Created: &created}}, true, t0, created},
		{"closed snapshot of an older release: no created", Notification{ReceivedAt: t0.Add(time.Hour),
			Snapshot: &StatusSnapshot{CaseStatus: CaseClosed, Modified: &t0}}, true, t0, time.Time{}},
		{"archived snapshot: none", Notification{Snapshot: &StatusSnapshot{CaseStatus: CaseClosed, Archived: true, Modified: &t0}}, false, time.Time{}, time.Time{}},
		{"open snapshot: none", Notification{Snapshot: &StatusSnapshot{CaseStatus: CaseInProgress, Modified: &t0}}, false, time.Time{}, time.Time{}},
		{"closed without identification: none", Notification{Snapshot: &StatusSnapshot{CaseStatus: CaseClosed}}, false, time.Time{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.note
			h, ok := hintOf(&caseWork{caseID: "C", notes: []*Notification{&n}})
			if ok != tc.ok || !h.closed.Equal(tc.closed) || !h.created.Equal(tc.created) {
				t.Errorf("hintOf = %+v, %v; want closed %s, created %s, %v", h, ok, tc.closed, tc.created, tc.ok)
			}
		})
	}
}

// TestCoalesceCacheBounded: the cache keeps at most Cache cases, drops the
// oldest first, and hands each case out once.
func TestCoalesceCacheBounded(t *testing.T) {
	c := newCoalescer(CoalesceConfig{Enabled: true, Cache: 3}, nil, time.Now, slog.Default(), otel.Tracer("test"), nil)
	r := &round{c: c, pre: map[string]*CaseResult{}, waiting: map[string]bool{"W": true}, seen: map[string]bool{}}
	var page []CaseResult
	for _, id := range []string{"A", "B", "W", "C", "D", "E"} {
		page = append(page, CaseResult{CaseID: id, CaseStatus: CaseStatus{Status: CaseClosed}})
	}
	page = append(page, CaseResult{CaseID: "OPEN", CaseStatus: CaseStatus{Status: CaseInProgress}}, page[0])
	if served := r.absorb(page); served != 1 || r.pre["W"] == nil {
		t.Fatalf("served %d, pre %v; want W", served, r.pre)
	}
	if len(c.cache) != 3 || c.cache["C"] == nil || c.cache["D"] == nil || c.cache["E"] == nil {
		t.Fatalf("cache holds %d cases, want C, D, E", len(c.cache))
	}
	pre := c.prefetch(t.Context(), []hint{{id: "D"}})
	if pre["D"] == nil || pre["D"].CaseID != "D" {
		t.Fatalf("D not served from the cache: %v", pre)
	}
	if _, ok := c.cache["D"]; ok {
		t.Error("D still cached after it was handed out")
	}
}
