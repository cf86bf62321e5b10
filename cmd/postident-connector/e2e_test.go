package main

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// expectResult is what the result event of a case must be: the simulator's
// case mapped by the same function the processor uses, which has its own
// field-by-field tests against the guide's sample.
func expectResult(t *testing.T, s *sim.Sim, caseID string, got connector.CaseResultEvent) connector.CaseResultEvent {
	t.Helper()
	c, ok := s.Case(caseID, false)
	if !ok {
		t.Fatalf("case %s unknown to the simulator", caseID)
	}
	want := connector.NewCaseResultEvent(e2eClient, c, connector.Origin(got.Origin), got.ObservedAt)
	// Archiving happens after the result: the flag (and the modification
	// time it brings) differ by design.
	want.CaseStatus.Archived, want.CaseStatus.Modified = got.CaseStatus.Archived, got.CaseStatus.Modified
	return *want
}

// TestEndToEndMethodsAndClasses drives a case of every method and regulatory
// class through its lifecycle, step by step, and checks that every status
// transition appears as one CaseStatusChanged and the final result as one
// CaseResult equal, field by field, to what the simulator holds.
func TestEndToEndMethodsAndClasses(t *testing.T) {
	e := newE2E(t, envOpts{})
	col := e.collect()

	type run struct {
		method   connector.Method
		class    connector.Class
		scenario string
		id       string
	}
	var runs []*run
	for i, m := range connector.Methods() {
		scen := sim.Scenarios(m)
		for j, c := range connector.Classes() {
			// Walk the method's scenarios across the classes so that each
			// is exercised.
			runs = append(runs, &run{method: m, class: c, scenario: scen[(i+j)%len(scen)]})
		}
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: r.method, Class: r.class, Scenario: r.scenario, ReferenceID: "REF-" + string(r.method)})
		if err != nil {
			t.Fatalf("%s/%s/%s: %v", r.method, r.class, r.scenario, err)
		}
		r.id = id
		wg.Add(1)
		go func() {
			defer wg.Done()
			for step := 0; step < 50; step++ {
				done, err := e.sim.Step(r.id)
				if err != nil {
					t.Errorf("%s: step: %v", r.id, err)
					return
				}
				trans := e.sim.Transitions(r.id)
				want := len(trans)
				// POSTIDENT sends no webhook for states without a status
				// type (started, most incomplete states): the reconciler
				// is what sees them.
				if want > 0 && connector.StatusTypeOf(r.method, trans[want-1].Status) == connector.StatusTypeNone {
					e.reconcile()
				}
				deadline := time.Now().Add(30 * time.Second)
				for col.statusCount(r.id) < want && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if col.statusCount(r.id) < want {
					t.Logf("%s (%s/%s/%s): %d status events after 30s for %d transitions (last %+v)", r.id, r.method, r.class, r.scenario, col.statusCount(r.id), want, trans[want-1])
				}
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Results of closed cases may trail the last status event slightly.
	eventually(t, 30*time.Second, "results of closed cases", func() (bool, string) {
		_, results := col.snapshot()
		for _, r := range runs {
			c, _ := e.sim.Case(r.id, false)
			if c.CaseStatus.Status == connector.CaseClosed && len(results[r.id]) == 0 {
				tr := e.sim.Transitions(r.id)
				return false, fmt.Sprintf("no result yet for %s (%s/%s/%s): %d transitions (last %q), %d status events", r.id, r.method, r.class, r.scenario, len(tr), tr[len(tr)-1].Status, col.statusCount(r.id))
			}
		}
		return true, ""
	})
	statuses, results := col.snapshot()
	seenIDs := map[string]string{}
	for _, r := range runs {
		name := fmt.Sprintf("%s/%s/%s %s", r.method, r.class, r.scenario, r.id)
		trans := e.sim.Transitions(r.id)
		evs := statuses[r.id]
		if c, _ := e.sim.Case(r.id, false); len(trans) == 0 && c.CaseStatus.Status == connector.CaseClosed {
			// Expired before any identification started: the one
			// transition is the case's own, new to closed.
			if len(evs) != 1 || evs[0].Status != nil || evs[0].CaseStatus != connector.CaseClosed {
				t.Errorf("%s: closed without identification, want one case-level event, got %+v", name, evs)
			}
			evs = evs[1:]
		}
		if len(evs) != len(trans) {
			t.Errorf("%s: %d status events for %d transitions", name, len(evs), len(trans))
			continue
		}
		for i, tr := range trans {
			ev := evs[i]
			if ev.Status == nil || *ev.Status != tr.Status {
				t.Errorf("%s: event %d status %v, simulator %q", name, i, ptrStr(ev.Status), tr.Status)
			}
			if !sameCode(ev.SubStatusCode, tr.SubStatus) || !sameCode(ev.SubStatusReasonCode, tr.SubStatusReason) {
				t.Errorf("%s: event %d codes %v/%v, simulator %v/%v", name, i, ptrI(ev.SubStatusCode), ptrI(ev.SubStatusReasonCode), tr.SubStatus, tr.SubStatusReason)
			}
			if want := string(connector.StatusTypeOf(r.method, tr.Status)); ev.StatusType != want && ev.Method != nil && *ev.Method == string(r.method) {
				t.Errorf("%s: event %d status type %q, catalog %q", name, i, ev.StatusType, want)
			}
			if prev, dup := seenIDs[ev.EventID]; dup {
				t.Errorf("%s: event id %s repeats (also %s)", name, ev.EventID, prev)
			}
			seenIDs[ev.EventID] = name
			if i > 0 && (ev.Previous == nil || ptrStr(ev.Previous.Status) != ptrStr(evs[i-1].Status)) {
				t.Errorf("%s: event %d previous state does not name the event before it", name, i)
			}
			if ev.ReferenceID == nil || *ev.ReferenceID != "REF-"+string(r.method) {
				t.Errorf("%s: event %d referenceId %v", name, i, ptrStr(ev.ReferenceID))
			}
		}
		c, _ := e.sim.Case(r.id, false)
		got := results[r.id]
		if c.CaseStatus.Status != connector.CaseClosed {
			if len(got) != 0 {
				t.Errorf("%s: result for a case that is %q", name, c.CaseStatus.Status)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s: %d results, want 1", name, len(got))
			continue
		}
		want := expectResult(t, e.sim, r.id, got[0])
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("%s: result differs from the simulator's case:\n got %+v\nwant %+v", name, got[0], want)
		}
	}
}

func sameCode(got *int32, want *connector.Code) bool {
	if want == nil {
		return got == nil
	}
	return got != nil && int(*got) == int(want.Code)
}

func ptrStr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func ptrI(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}
