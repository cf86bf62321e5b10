package connector_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// reconcileSim is a simulator served over loopback HTTP and the scr client
// that talks to it: the lists are real list responses, paged by the
// simulator as POSTIDENT pages them (1000 per response, X-PARTIAL-DELIVERY).
type reconcileSim struct {
	sim *sim.Sim
	src connector.Source
}

func newReconcileSim(t testing.TB, f sim.Faults) *reconcileSim {
	t.Helper()
	// A clock that only Advance moves, a third of a second past the full
	// second: the simulator compares filters with sub-second precision
	// and prints seconds, as POSTIDENT may.
	base := time.Date(2026, 11, 2, 9, 0, 0, 300_000_000, time.UTC)
	s, err := sim.New(sim.Config{Now: func() time.Time { return base }, WebhookTypes: []connector.StatusType{}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetFaults(f)
	srv := httptest.NewServer(s.Handler())
	c, err := scr.New(scr.Config{BaseURL: srv.URL + "/api/scr/v1", ClientID: sim.DefaultClientID,
		Username: sim.DefaultUsername, Password: sim.DefaultPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); srv.Close(); s.Close() })
	return &reconcileSim{sim: s, src: scr.NewSource(c)}
}

// create makes perSecond[i] cases in simulated second i (new cases: the
// reconciler lists new, in-progress and closed ones alike) and returns the
// caseIds by second.
func (r *reconcileSim) create(t testing.TB, perSecond ...int) [][]string {
	t.Helper()
	out := make([][]string, len(perSecond))
	for i, n := range perSecond {
		for range n {
			id, err := r.sim.CreateCase(sim.CaseSpec{})
			if err != nil {
				t.Fatal(err)
			}
			out[i] = append(out[i], id)
		}
		r.sim.Advance(time.Second)
	}
	return out
}

func repeat(n, perSecond int) []int {
	out := make([]int, 0, n/perSecond+1)
	for n > 0 {
		out = append(out, min(n, perSecond))
		n -= perSecond
	}
	return out
}

// listAll runs ListWindows over the reconciler's window (150 days back from
// the simulated now) and counts how often each caseId was handed over.
func (r *reconcileSim) listAll(t *testing.T) (map[string]int, connector.ReconcileStats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	until := r.sim.Now().Truncate(time.Second).Add(time.Second)
	q := connector.ListQuery{New: true, InProgress: true, Closed: true, StatusOnly: true}
	got := map[string]int{}
	var st connector.ReconcileStats
	err := connector.ListWindows(ctx, r.src, q, until.Add(-150*24*time.Hour), until, &st, func(cases []connector.CaseResult) error {
		if len(cases) == 0 {
			t.Error("fn called with no cases")
		}
		for _, c := range cases {
			got[c.CaseID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func checkOnce(t *testing.T, got map[string]int, ids [][]string) {
	t.Helper()
	missing, twice := 0, 0
	for _, sec := range ids {
		for _, id := range sec {
			switch got[id] {
			case 0:
				missing++
			case 1:
			default:
				twice++
			}
		}
	}
	if missing > 0 || twice > 0 {
		t.Errorf("%d cases missed, %d handed over more than once", missing, twice)
	}
}

func flat(ids [][]string) int {
	n := 0
	for _, s := range ids {
		n += len(s)
	}
	return n
}

// TestListWindowsContinues: a partial page ordered by creation is handed
// over and the next call starts at its last creation second, so 2,500 cases
// at 200 per second take three calls (1000, then 800 new each: the cases of
// the boundary second come twice and are dropped).
func TestListWindowsContinues(t *testing.T) {
	r := newReconcileSim(t, sim.Faults{})
	ids := r.create(t, repeat(2500, 200)...)
	got, st := r.listAll(t)
	checkOnce(t, got, ids)
	if len(got) != 2500 || st.Cases != 2500 {
		t.Errorf("%d distinct cases, st.Cases %d, want 2500", len(got), st.Cases)
	}
	if st.Calls != 3 || st.Incomplete != 0 {
		t.Errorf("stats %+v, want 3 calls, 0 incomplete", st)
	}
}

// TestListWindowsCallsAtBenchShape is the reconciliation benchmark's shape
// (10,000 cases at 200 per second, pages of 1000) scaled down by ten: pages
// of 100 (the simulator's partial-delivery fault) and 20 cases per second.
// Halving took 75 to 77 calls for the full-size run; continuing takes
// 1 + ceil(900/80) = 13 (each page brings page size minus one second's cases).
func TestListWindowsCallsAtBenchShape(t *testing.T) {
	r := newReconcileSim(t, sim.Faults{PartialPageSize: 100})
	ids := r.create(t, repeat(1000, 20)...)
	got, st := r.listAll(t)
	checkOnce(t, got, ids)
	if st.Cases != 1000 || st.Incomplete != 0 {
		t.Errorf("stats %+v, want 1000 cases, 0 incomplete", st)
	}
	if st.Calls != 13 {
		t.Errorf("%d list calls, want 13", st.Calls)
	}
}

// TestListWindowsBusySecond: more than a page created in one second. The
// page starting at that second makes no progress, so the second is split off
// as a window of its own: it is partial even there, so its first page is
// handed over and counted incomplete, and every case around it is listed.
func TestListWindowsBusySecond(t *testing.T) {
	r := newReconcileSim(t, sim.Faults{})
	ids := r.create(t, 50, 50, 50, 2300, 50, 50, 50)
	got, st := r.listAll(t)
	around := append(append([][]string{}, ids[:3]...), ids[4:]...)
	checkOnce(t, got, around)
	busy := 0
	for _, id := range ids[3] {
		busy += got[id]
	}
	if busy != 1000 {
		t.Errorf("%d cases of the busy second handed over, want one page (1000)", busy)
	}
	if len(got) != st.Cases || st.Cases != 1300 {
		t.Errorf("%d distinct, st.Cases %d, want 1300", len(got), st.Cases)
	}
	if st.Incomplete != 1 {
		t.Errorf("%d incomplete windows, want 1", st.Incomplete)
	}
	// The page into the busy second, the page at it, the second alone,
	// the rest.
	if st.Calls != 4 {
		t.Errorf("%d list calls, want 4", st.Calls)
	}
}

// TestListWindowsBusySecondsInARow: two busy seconds back to back, between
// quiet ones, with pages cut short by the partial-delivery fault.
func TestListWindowsBusySecondsInARow(t *testing.T) {
	r := newReconcileSim(t, sim.Faults{PartialPageSize: 40})
	ids := r.create(t, 10, 60, 70, 10, 10, 35, 5)
	got, st := r.listAll(t)
	quiet := [][]string{ids[0], ids[3], ids[4], ids[5], ids[6]}
	checkOnce(t, got, quiet)
	for _, i := range []int{1, 2} {
		n := 0
		for _, id := range ids[i] {
			n += got[id]
		}
		if n < 40 {
			t.Errorf("second %d: %d cases handed over, want at least a page (40)", i, n)
		}
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s handed over %d times", id, n)
		}
	}
	if st.Incomplete != 2 {
		t.Errorf("%d incomplete windows, want 2", st.Incomplete)
	}
}

// TestListWindowsUnordered: a POSTIDENT that pages in no particular order
// (the guide promises none) and, when more match, answers any 1000 of them.
// Continuing from such a page would miss cases; ListWindows sees the order
// is missing and halves instead, so every case comes exactly once.
func TestListWindowsUnordered(t *testing.T) {
	r := newReconcileSim(t, sim.Faults{UnorderedLists: true})
	ids := r.create(t, repeat(2500, 200)...)
	got, st := r.listAll(t)
	checkOnce(t, got, ids)
	if st.Cases != 2500 || st.Incomplete != 0 {
		t.Errorf("stats %+v, want 2500 cases, 0 incomplete", st)
	}
	t.Logf("unordered pages: %d list calls", st.Calls)
}

// TestListWindowsUnorderedSmallPages mixes both: unordered answers and short
// pages, with a busy second that no query can page through.
func TestListWindowsUnorderedSmallPages(t *testing.T) {
	r := newReconcileSim(t, sim.Faults{UnorderedLists: true, PartialPageSize: 30})
	ids := r.create(t, 20, 25, 80, 25, 20, 10)
	got, st := r.listAll(t)
	checkOnce(t, got, [][]string{ids[0], ids[1], ids[3], ids[4], ids[5]})
	n := 0
	for _, id := range ids[2] {
		n += got[id]
	}
	if n != 30 {
		t.Errorf("busy second: %d handed over, want one page (30)", n)
	}
	if st.Incomplete != 1 {
		t.Errorf("%d incomplete windows, want 1", st.Incomplete)
	}
}

// TestReconcilerRunOnce: a run publishes one snapshot notification per
// case, across partial pages.
func TestReconcilerRunOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := newReconcileSim(t, sim.Faults{PartialPageSize: 300})
	ids := r.create(t, repeat(1200, 100)...)
	codec, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	rec, err := connector.NewReconciler(connector.ReconcilerConfig{ClientID: sim.DefaultClientID, Now: r.sim.Now, PublishChunk: 250}, r.src, pub, codec)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rec.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := pub.Keys(connector.DefaultTopics().Notifications)
	checkOnce(t, keys, ids)
	if st.Cases != flat(ids) || len(keys) != flat(ids) {
		t.Errorf("stats %+v, %d keys published, want %d", st, len(keys), flat(ids))
	}
	// 300, then 200 new per page (a boundary second holds 100).
	if st.Calls != 6 {
		t.Errorf("%d list calls, want 6", st.Calls)
	}
}

// BenchmarkListWindows lists 3,000 cases (200 per second) through the
// simulator over loopback HTTP, plain JSON: the calls and entries the
// reconciler decodes per run.
func BenchmarkListWindows(b *testing.B) {
	for _, bc := range []struct {
		name   string
		faults sim.Faults
	}{{"ordered", sim.Faults{}}, {"unordered", sim.Faults{UnorderedLists: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			r := newReconcileSim(b, bc.faults)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			r.create(b, repeat(3000, 200)...)
			until := r.sim.Now().Truncate(time.Second).Add(time.Second)
			q := connector.ListQuery{New: true, InProgress: true, Closed: true, StatusOnly: true}
			var st connector.ReconcileStats
			entries := 0
			for b.Loop() {
				err := connector.ListWindows(ctx, r.src, q, until.Add(-150*24*time.Hour), until, &st, func(cases []connector.CaseResult) error {
					entries += len(cases)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Calls)/float64(b.N), "calls/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(entries), "ns/case")
		})
	}
}
