package sim

import (
	"fmt"
	"slices"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
)

// catalogStates lists every (method, status, subStatus, reason) of the
// chapter 4 catalog, with a state without codes for each status (level 2
// and 3 are optional, 8.6.1).
func catalogStates() []step {
	var out []step
	for _, info := range connector.Catalog() {
		out = append(out, step{method: info.Method, status: info.Status})
		for _, sub := range info.SubStatuses {
			out = append(out, step{method: info.Method, status: info.Status, sub: sub.Code})
			for _, r := range sub.Reasons {
				out = append(out, step{method: info.Method, status: info.Status, sub: sub.Code, reason: r.Code})
			}
		}
	}
	return out
}

// catalogEveryCodeReachable walks the whole catalog through the script syntax:
// each state is reached by "started,<state>" (or the state alone for
// started), served over HTTP with the catalog's texts, and recorded in
// Transitions.
func catalogEveryCodeReachable(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	states := catalogStates()
	if len(states) < 500 {
		t.Fatalf("catalog has only %d states", len(states))
	}
	for _, st := range states {
		script := "started," + st.String()
		if st.status == connector.StatusStarted {
			script = "started"
		}
		id, err := s.CreateCase(CaseSpec{Method: st.method, Scenario: script})
		if err != nil {
			t.Errorf("%s %q: %v", st.method, script, err)
			continue
		}
		if err := s.RunToEnd(id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		ts := s.Transitions(id)
		last := ts[len(ts)-1]
		var p connector.IdentificationStatus
		if st.status == connector.StatusCancelled || st.status == connector.StatusSuccess || st.status == connector.StatusDeclined {
			// The HTTP check for a sample of the closed ones is enough; the
			// states come from the same code path.
			p = last
		} else {
			p = a.getCase("/cases/" + id + "/status").PrimaryIdent.IdentificationStatus
		}
		if p.Status != st.status {
			t.Errorf("%s %q: status %q", st.method, script, p.Status)
			continue
		}
		if st.sub != 0 {
			text, _ := connector.SubStatusText(st.method, st.status, st.sub)
			if p.SubStatus == nil || int(p.SubStatus.Code) != st.sub || p.SubStatus.Description != text {
				t.Errorf("%s %q: subStatus %+v", st.method, script, p.SubStatus)
			}
		} else if p.SubStatus != nil {
			t.Errorf("%s %q: unexpected subStatus", st.method, script)
		}
		if st.reason != 0 {
			text, _ := connector.ReasonText(st.method, st.status, st.sub, st.reason)
			if p.SubStatusReason == nil || int(p.SubStatusReason.Code) != st.reason || p.SubStatusReason.Description != text {
				t.Errorf("%s %q: reason %+v", st.method, script, p.SubStatusReason)
			}
		} else if p.SubStatusReason != nil {
			t.Errorf("%s %q: unexpected reason", st.method, script)
		}
	}
	// Spot-check final states over HTTP too.
	for _, script := range []string{"started,declined:11:124", "started,cancelled:94:900", "started,declined:12"} {
		id := mustCase(t, s, CaseSpec{Method: "autoid", Scenario: script}, true)
		p := a.getCase("/cases/" + id).PrimaryIdent.IdentificationStatus
		if got := (step{status: p.Status, sub: int(p.SubStatus.Code), reason: codeOf(p.SubStatusReason)}).String(); "started,"+got != script {
			t.Errorf("HTTP %q: %s", script, got)
		}
	}
}

func codeOf(c *connector.Code) int {
	if c == nil {
		return 0
	}
	return int(c.Code)
}

// TestRandomScenarios: random lifecycles are valid for every method, differ
// between cases, are reproducible from the seed, and reach every status of
// the method over enough cases.
func TestRandomScenarios(t *testing.T) {
	run := func(seed int64) (map[string]bool, []string) {
		s, _ := newTestSim(t, Config{Seed: seed})
		seen := map[string]bool{}
		var sig []string
		for _, m := range connector.Methods() {
			for range 150 {
				id := mustCase(t, s, CaseSpec{Method: m, Scenario: ScenarioRandom}, true)
				got := statuses(s.Transitions(id))
				sig = append(sig, fmt.Sprint(got))
				for _, t := range s.Transitions(id) {
					seen[string(m)+"/"+t.Status] = true
				}
				cr, _ := s.Case(id, false)
				if cr.CaseStatus.Status != connector.CaseClosed {
					t.Errorf("%s random %v ended %s", m, got, cr.CaseStatus.Status)
				}
			}
		}
		return seen, sig
	}
	seen, sig1 := run(7)
	_, sig2 := run(7)
	if !slices.Equal(sig1, sig2) {
		t.Errorf("same seed, different scenarios")
	}
	for _, info := range connector.Catalog() {
		if !seen[string(info.Method)+"/"+info.Status] {
			t.Errorf("random never reached %s/%s", info.Method, info.Status)
		}
	}
}

// TestScenarioNames: every built-in scenario parses and validates; Scenarios
// lists "random" for every method.
func TestScenarioNames(t *testing.T) {
	for _, m := range connector.Methods() {
		names := Scenarios(m)
		if len(names) < 4 || names[len(names)-1] != ScenarioRandom {
			t.Errorf("%s: %v", m, names)
		}
		for _, n := range names {
			if n == ScenarioRandom {
				continue
			}
			steps, err := resolveScenario(n, m, nil, nil)
			if err != nil {
				t.Errorf("%s/%s: %v", m, n, err)
				continue
			}
			if _, err := validateSteps(steps, m, nil); err != nil {
				t.Errorf("%s/%s: %v", m, n, err)
			}
		}
	}
	if Scenarios("nope") != nil {
		t.Errorf("unknown method has scenarios")
	}
}
