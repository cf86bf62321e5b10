package main

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// createMixed creates n cases across methods and classes with the methods'
// scenarios, advancing the simulated clock between them so that they have
// distinct creation times (as real traffic does).
func createMixed(t *testing.T, s *sim.Sim, n int, seed uint64) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	methods, classes := connector.Methods(), connector.Classes()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		m := methods[rng.IntN(len(methods))]
		scen := sim.Scenarios(m)
		id, err := s.CreateCase(sim.CaseSpec{Method: m, Class: classes[rng.IntN(len(classes))], Scenario: scen[rng.IntN(len(scen))]})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		s.Advance(2 * time.Second)
	}
	return ids
}

// checkOneResultPerClosedCase holds the result topic to exactly one logical
// result per closed case, with the id the case's final state determines,
// and the status topic to one event per id.
func checkOneResultPerClosedCase(t *testing.T, e *e2eEnv, ids []string, statuses map[string][]connector.CaseStatusChanged, results map[string][]connector.CaseResultEvent) (closed int) {
	t.Helper()
	for _, id := range ids {
		c, ok := e.sim.Case(id, false)
		if !ok {
			t.Errorf("%s: unknown to the simulator", id)
			continue
		}
		seen := map[string]bool{}
		for _, ev := range statuses[id] {
			if seen[ev.EventID] {
				t.Errorf("%s: status event %s emitted twice", id, ev.EventID)
			}
			seen[ev.EventID] = true
		}
		if c.CaseStatus.Status != connector.CaseClosed {
			if len(results[id]) != 0 {
				t.Errorf("%s: result for a case that is %s", id, c.CaseStatus.Status)
			}
			continue
		}
		closed++
		want := connector.ResultEventID(e2eClient, id, connector.IdentKeyOf(c))
		got := results[id]
		if len(got) == 0 {
			t.Errorf("%s: closed case without a result", id)
			continue
		}
		for _, r := range got {
			if r.EventID != want {
				t.Errorf("%s: result id %s, want %s", id, r.EventID, want)
			}
		}
		if len(got) > 1 {
			t.Errorf("%s: %d result records (same id, but re-emitted)", id, len(got))
		}
	}
	return closed
}

// TestEndToEndWebhookFaults: webhooks dropped, duplicated, delayed and
// reordered, and POSTIDENT answering 5xx now and then; the reconciler is the
// safety net. The result topic ends with exactly one result per closed case,
// with the deterministic id.
func TestEndToEndWebhookFaults(t *testing.T) {
	e := newE2E(t, envOpts{env: map[string]string{"RECONCILE_INTERVAL": "2s"}})
	col := e.collect()
	e.sim.SetFaults(sim.Faults{DropWebhookRate: 0.3, DuplicateWebhookRate: 0.3, ReorderWebhooks: true, WebhookDelay: 20 * time.Millisecond, ErrorRate: 0.1})
	ids := createMixed(t, e.sim, 60, 7)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.sim.RunToEnd(id); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	closed := len(closedOf(e.sim, ids))
	col.waitResults(t, 90*time.Second, closedOf(e.sim, ids))
	time.Sleep(500 * time.Millisecond) // let stragglers (duplicates) arrive before counting
	statuses, results := col.snapshot()
	if got := checkOneResultPerClosedCase(t, e, ids, statuses, results); got != closed || closed == 0 {
		t.Errorf("checked %d closed cases, expected %d (> 0)", got, closed)
	}
	dropped := 0
	for _, d := range e.sim.Webhooks() {
		if d.Dropped {
			dropped++
		}
	}
	t.Logf("%d cases, %d closed, %d webhook deliveries logged, %d dropped", len(ids), closed, len(e.sim.Webhooks()), dropped)
}

// TestEndToEndReconcileBeyondOnePage: an account without webhooks and more
// than 1000 closed and 1000 in-progress cases. With archiving off, only the
// window splitting can get past POSTIDENT's 1000-case pages; one reconcile
// pass must see every case.
func TestEndToEndReconcileBeyondOnePage(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 2200 cases")
	}
	e := newE2E(t, envOpts{noWebhook: true, env: map[string]string{"ARCHIVE_ENABLED": "false", "ROLES": "processor,reconciler"}})
	col := e.collect()
	closedIDs := make([]string, 0, 1100)
	openIDs := make([]string, 0, 1100)
	for i := 0; i < 2200; i++ {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodVideo, Class: connector.ClassStandard, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := e.sim.RunToEnd(id); err != nil {
				t.Fatal(err)
			}
			closedIDs = append(closedIDs, id)
		} else {
			if _, err := e.sim.Step(id); err != nil {
				t.Fatal(err)
			}
			openIDs = append(openIDs, id)
		}
		e.sim.Advance(time.Second)
	}
	e.reconcile()
	eventually(t, 120*time.Second, "every case reconciled", func() (bool, string) {
		statuses, results := col.snapshot()
		missing := 0
		for _, id := range openIDs {
			if len(statuses[id]) == 0 {
				missing++
			}
		}
		for _, id := range closedIDs {
			if len(results[id]) == 0 {
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d of 2200 cases not seen", missing)
	})
	statuses, results := col.snapshot()
	checkOneResultPerClosedCase(t, e, append(closedIDs, openIDs...), statuses, results)
}

// TestEndToEndRestartsKeepIDs stops the connector at random points while
// cases progress, starts it again each time, and checks that no result is
// lost and none is emitted with a second id.
func TestEndToEndRestartsKeepIDs(t *testing.T) {
	e := newE2E(t, envOpts{env: map[string]string{"RECONCILE_INTERVAL": "1s"}})
	col := e.collect()
	ids := createMixed(t, e.sim, 40, 11)
	rng := rand.New(rand.NewPCG(3, 3))
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					fin, err := e.sim.Step(id)
					if err != nil || fin {
						return
					}
					time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond)
				}
			}()
		}
		wg.Wait()
	}()
	restarts := 0
	for {
		select {
		case <-done:
		default:
			time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
			e.stop()
			e.start()
			restarts++
			continue
		}
		break
	}
	closed := len(closedOf(e.sim, ids))
	col.waitResults(t, 90*time.Second, closedOf(e.sim, ids))
	statuses, results := col.snapshot()
	// A stop between publishing and committing may repeat a result record,
	// with the same id; what must never happen is a lost result or a
	// second id.
	for _, id := range ids {
		if len(results[id]) > 1 {
			t.Logf("%s: result record repeated %d times (same id) across restarts", id, len(results[id]))
			results[id] = results[id][:1]
		}
		statuses[id] = dedupeByID(statuses[id])
	}
	checkOneResultPerClosedCase(t, e, ids, statuses, results)
	t.Logf("%d restarts, %d cases, %d closed", restarts, len(ids), closed)
}

func dedupeByID(evs []connector.CaseStatusChanged) []connector.CaseStatusChanged {
	seen := map[string]bool{}
	out := evs[:0:0]
	for _, ev := range evs {
		if !seen[ev.EventID] {
			seen[ev.EventID] = true
			out = append(out, ev)
		}
	}
	return out
}
