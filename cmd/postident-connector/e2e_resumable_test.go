package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// TestCancelledAutoIDResumableGuide4_1 drives guide 4.1 end to end: an
// AutoID identification cancelled while another configured method remains
// leaves the case in progress, and the status event on Kafka says the user
// can go on (resumable); without another method the case closes and it is
// not resumable.
func TestCancelledAutoIDResumableGuide4_1(t *testing.T) {
	e := newE2E(t, envOpts{})
	col := e.collect()
	open, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodAutoID, Class: connector.ClassGwG,
		Scenario: "started,cancelled:94:900", ExtraMethods: []connector.Method{connector.MethodVideo}})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodAutoID, Class: connector.ClassGwG, Scenario: "started,cancelled:94:900"})
	if err != nil {
		t.Fatal(err)
	}
	runAll(t, e.sim, []string{open, closed})
	e.reconcile()
	want := map[string]struct {
		caseStatus string
		resumable  bool
	}{open: {connector.CaseInProgress, true}, closed: {connector.CaseClosed, false}}
	eventually(t, 60*time.Second, "the cancelled states on Kafka", func() (bool, string) {
		st, _ := col.snapshot()
		for id, w := range want {
			evs := st[id]
			if len(evs) == 0 || evs[len(evs)-1].Status == nil || *evs[len(evs)-1].Status != connector.StatusCancelled {
				return false, fmt.Sprintf("case %s: %d events, not yet cancelled", id, len(evs))
			}
			last := evs[len(evs)-1]
			if last.CaseStatus != w.caseStatus {
				return false, fmt.Sprintf("case %s: case status %s, want %s", id, last.CaseStatus, w.caseStatus)
			}
			if last.Resumable != w.resumable {
				t.Fatalf("case %s (%s) cancelled: resumable = %v, want %v (guide 4.1)", id, last.CaseStatus, last.Resumable, w.resumable)
			}
		}
		return true, ""
	})
}
