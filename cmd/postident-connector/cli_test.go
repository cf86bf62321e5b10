package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// TestCaseGetAndCheck drives `case get` and `check` the way an operator
// would, against the simulator over HTTP with encryption on.
func TestCaseGetAndCheck(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true})
	id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodVideo, Class: connector.ClassGwG, Scenario: "success"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RunToEnd(id); err != nil {
		t.Fatal(err)
	}
	want, _ := e.sim.Case(id, false)

	out, err := e.cli("case", "get", id)
	if err != nil {
		t.Fatalf("case get: %v\n%s", err, out)
	}
	var got connector.CaseResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("case get printed no case JSON: %v\n%s", err, out)
	}
	if got.CaseID != id || got.Primary().IdentificationStatus.Status != connector.StatusSuccess ||
		got.Primary().IdentificationDocument == nil || got.ContactData == nil ||
		got.Primary().IdentificationDocument.LastName.Value != want.Primary().IdentificationDocument.LastName.Value {
		t.Errorf("case get: %+v", got)
	}
	out, err = e.cli("case", "get", "--status", id)
	if err != nil || strings.Contains(out, "identificationDocument") || !strings.Contains(out, `"success"`) {
		t.Errorf("case get --status: %v\n%s", err, out)
	}
	out, err = e.cli("case", "get", id, "--full")
	if err != nil || !strings.Contains(out, `"identifications"`) {
		t.Errorf("case get --full: %v\n%s", err, out)
	}
	out, err = e.cli("case", "get", "UNKNOWN00001")
	if err == nil || !strings.Contains(err.Error(), "retention") {
		t.Errorf("case get of an unknown case: %v %s", err, out)
	}

	out, err = e.cli("check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{"ok    configuration", "ok    kafka", "ok    credentials", "ok    encryption"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	// Wrong credentials and a wrong data password are named as such.
	e.cfgEnv["POSTIDENT_PASSWORD"] = "wrong"
	out, err = e.cli("check")
	if err == nil || !strings.Contains(out, "FAIL  credentials") || !strings.Contains(out, "POSTIDENT_PASSWORD") {
		t.Errorf("check with a wrong password: %v\n%s", err, out)
	}
	e.cfgEnv["POSTIDENT_PASSWORD"] = e2ePassword
	e.cfgEnv["POSTIDENT_DATA_PASSWORD"] = "wrong-data-password"
	out, err = e.cli("case", "get", id)
	if err == nil || !strings.Contains(err.Error(), "POSTIDENT_DATA_PASSWORD") {
		t.Errorf("case get with a wrong data password: %v\n%s", err, out)
	}
}

// TestWrongDataPasswordStopsProcessor: POSTIDENT refuses every request
// whose key hash does not match. Once several different cases were refused
// with nothing succeeding in between, the processor stops for an operator:
// /readyz names the processor and what to check; the process keeps running
// (no crash loop) and the webhook keeps accepting notifications.
func TestWrongDataPasswordStopsProcessor(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true, env: map[string]string{"POSTIDENT_DATA_PASSWORD": "wrong-data-password", "ROLES": "webhook,processor",
		"PROCESSOR_RETRY_BUDGET": "1s"}})
	e.start()
	for range connector.OperatorThreshold {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Class: connector.ClassGwG, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.sim.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 60*time.Second, "the processor stopped for an operator", func() (bool, string) {
		code, body := getAdmin(t, e.adminURL()+"/readyz")
		return code == 503 && strings.Contains(body, "processor: stopped for an operator") && strings.Contains(body, "POSTIDENT_DATA_PASSWORD"), body
	})
	e.running()
	if code, body := getAdmin(t, e.adminURL()+"/readyz?exclude=processor"); code != 200 {
		t.Errorf("the webhook role is not ready: %d %s", code, body)
	}
}
