package sim

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// statuses renders transitions as "status[:sub[:reason]]".
func statuses(ts []connector.IdentificationStatus) []string {
	var out []string
	for _, t := range ts {
		s := t.Status
		if t.SubStatus != nil {
			s += ":" + strconv.Itoa(int(t.SubStatus.Code))
		}
		if t.SubStatusReason != nil {
			s += ":" + strconv.Itoa(int(t.SubStatusReason.Code))
		}
		out = append(out, s)
	}
	return out
}

// TestLifecycles runs every built-in scenario of every method and checks
// the transitions, the final case status and what the API shows.
func TestLifecycles(t *testing.T) {
	tests := []struct {
		method   connector.Method
		scenario string
		want     []string // transitions
		closed   bool
		final    string // primary identification status at the end ("" none)
	}{
		{"video", "success", []string{"started", "review pending", "success"}, true, "success"},
		{"video", "incomplete-then-success", []string{"started", "incomplete:52:520", "review pending", "success"}, true, "success"},
		{"video", "declined-fraud", []string{"started", "review pending:11", "declined:11:110"}, true, "declined"},
		{"video", "declined-abuse", []string{"started", "review pending:15", "declined:15"}, true, "declined"},
		{"video", "declined-other", []string{"started", "review pending", "declined:19"}, true, "declined"},
		{"video", "declined-recording", []string{"started", "review pending", "declined:12:120"}, true, "declined"},
		{"video", "expired", []string{"started", "declined:12"}, true, "declined"},
		{"video", "expired-new", nil, true, ""},
		{"autoid", "success", []string{"started", "review pending", "success"}, true, "success"},
		{"autoid", "incomplete-retry-success", []string{"started", "incomplete:81:807", "review pending", "success"}, true, "success"},
		{"autoid", "declined-fraud", []string{"started", "review pending", "declined:11:124"}, true, "declined"},
		{"autoid", "declined-abuse", []string{"started", "review pending", "declined:15:815"}, true, "declined"},
		{"autoid", "declined-other", []string{"started", "incomplete:83:825", "declined:84:814"}, true, "declined"},
		{"autoid", "cancelled", []string{"started", "incomplete:97:800", "cancelled:94:900"}, true, "cancelled"},
		{"autoid", "cancelled-switch", []string{"started", "incomplete:97:800", "cancelled:94:900", "started", "review pending", "success"}, true, "success"},
		{"autoid", "expired", []string{"started", "declined:12"}, true, "declined"},
		{"basic", "success", []string{"started", "coupon requested", "review pending", "success"}, true, "success"},
		{"basic", "incomplete-then-success", []string{"started", "coupon requested", "incomplete:53", "review pending", "success"}, true, "success"},
		{"basic", "declined-fraud", []string{"started", "coupon requested", "review pending", "declined:11:116"}, true, "declined"},
		{"basic", "declined-abnormal", []string{"started", "coupon requested", "review pending", "declined:16:114"}, true, "declined"},
		{"basic", "declined-data", []string{"started", "coupon requested", "review pending", "declined:17:118"}, true, "declined"},
		{"basic", "expired", []string{"started", "coupon requested", "declined:12"}, true, "declined"},
		{"eid", "success", []string{"started", "success"}, true, "success"},
		{"eid", "incomplete-then-success", []string{"started", "incomplete:61:613", "success"}, true, "success"},
		{"eid", "declined-blocked", []string{"started", "declined:11:122"}, true, "declined"},
		{"eid", "expired", []string{"started", "incomplete:97:975", "declined:12"}, true, "declined"},
		{"photo", "success", []string{"started", "review pending", "success"}, true, "success"},
		{"photo", "incomplete-then-success", []string{"started", "review pending", "incomplete:34", "review pending", "success"}, true, "success"},
		{"photo", "declined-fraud", []string{"started", "review pending", "declined:11"}, true, "declined"},
		{"photo", "declined-abuse", []string{"started", "review pending", "declined:15"}, true, "declined"},
		{"photo", "expired", []string{"started", "declined:12"}, true, "declined"},
	}
	covered := map[string]bool{}
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	for _, tc := range tests {
		covered[string(tc.method)+"/"+tc.scenario] = true
		t.Run(string(tc.method)+"/"+tc.scenario, func(t *testing.T) {
			id := mustCase(t, s, CaseSpec{Method: tc.method, Scenario: tc.scenario}, false)
			if cr := a.getCase("/cases/" + id); cr.CaseStatus.Status != connector.CaseNew || cr.PrimaryIdent != nil {
				t.Fatalf("fresh case: %s", cr.CaseStatus.Status)
			}
			steps := 0
			for {
				s.Advance(time.Minute)
				done, err := s.Step(id)
				if err != nil {
					t.Fatal(err)
				}
				steps++
				cr := a.getCase("/cases/" + id)
				if !done && cr.CaseStatus.Status != connector.CaseInProgress {
					t.Errorf("after step %d: case %s, want in progress", steps, cr.CaseStatus.Status)
				}
				if done {
					break
				}
			}
			if got := statuses(s.Transitions(id)); !slices.Equal(got, tc.want) {
				t.Errorf("transitions %v, want %v", got, tc.want)
			}
			cr := a.getCase("/cases/" + id)
			if (cr.CaseStatus.Status == connector.CaseClosed) != tc.closed {
				t.Errorf("case status %s", cr.CaseStatus.Status)
			}
			got := ""
			if cr.PrimaryIdent != nil {
				got = cr.PrimaryIdent.IdentificationStatus.Status
			}
			if got != tc.final {
				t.Errorf("primary %q, want %q", got, tc.final)
			}
			if done, _ := s.Step(id); !done {
				t.Errorf("step after the end is not done")
			}
			// Times: created <= modified of every transition, monotonic.
			ts := s.Transitions(id)
			for i := 1; i < len(ts); i++ {
				if ts[i].Modified.Before(ts[i-1].Modified.Time) {
					t.Errorf("transition %d goes back in time", i)
				}
			}
		})
	}
	for _, m := range connector.Methods() {
		for _, name := range Scenarios(m) {
			if name != ScenarioRandom && !covered[string(m)+"/"+name] {
				t.Errorf("scenario %s/%s has no lifecycle test", m, name)
			}
		}
	}
}

// TestValidUntilExpiry lets the clock pass validUntil: open identifications
// become declined 12, the case closes, no result data.
func TestValidUntilExpiry(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)
	open := mustCase(t, s, CaseSpec{Method: "video", Scenario: "started,incomplete:52:520,review pending,success"}, false)
	for range 2 {
		if _, err := s.Step(open); err != nil {
			t.Fatal(err)
		}
	}
	fresh := mustCase(t, s, CaseSpec{}, false)
	done := mustCase(t, s, CaseSpec{}, true)
	cr := a.getCase("/cases/" + open)
	validUntil := cr.CaseStatus.ValidUntil.Time
	if want := t0.Add(DefaultCaseValidity); !validUntil.Equal(want) {
		t.Fatalf("validUntil %s, want %s", validUntil, want)
	}
	s.Advance(DefaultCaseValidity - time.Second)
	if cr := a.getCase("/cases/" + open); cr.CaseStatus.Status != connector.CaseInProgress {
		t.Fatalf("before validUntil: %s", cr.CaseStatus.Status)
	}
	s.Advance(time.Second)
	cr = a.getCase("/cases/" + open)
	p := cr.PrimaryIdent
	if cr.CaseStatus.Status != connector.CaseClosed || p.IdentificationStatus.Status != connector.StatusDeclined ||
		p.IdentificationStatus.SubStatus == nil || p.IdentificationStatus.SubStatus.Code != 12 {
		t.Fatalf("after validUntil: case %s, ident %+v", cr.CaseStatus.Status, p.IdentificationStatus)
	}
	if p.IdentificationDocument != nil || cr.ContactData != nil || len(p.Records) != 0 || !p.IdentificationStatus.IdentificationTime.IsZero() {
		t.Errorf("declined 12 carries result data")
	}
	if !cr.CaseStatus.Modified.Equal(validUntil) || !p.IdentificationStatus.Modified.Equal(validUntil) {
		t.Errorf("expiry time %s / %s, want validUntil %s", cr.CaseStatus.Modified, p.IdentificationStatus.Modified, validUntil)
	}
	if d, _ := s.Step(open); !d {
		t.Errorf("expired case still steps")
	}
	// A case nobody started closes without an identification.
	if cr := a.getCase("/cases/" + fresh); cr.CaseStatus.Status != connector.CaseClosed || cr.PrimaryIdent != nil {
		t.Errorf("expired new case: %s, ident %v", cr.CaseStatus.Status, cr.PrimaryIdent != nil)
	}
	// A finished case keeps its result.
	if cr := a.getCase("/cases/" + done); cr.PrimaryIdent.IdentificationStatus.Status != connector.StatusSuccess {
		t.Errorf("closed case changed on expiry")
	}
	// The closedFrom filter sees the expiry time.
	if list, _ := a.getList("/cases/status?closedFrom=" + strings.ReplaceAll(validUntil.Format(connector.TimeLayout), "+", "%2B")); len(list) != 2 {
		t.Errorf("closed at validUntil: %d cases, want 2", len(list))
	}
}

// TestCancellation: an autoid cancellation closes the case when no method
// remains; with another configured method the case stays in progress and
// the primary identification is the most progressed one.
func TestCancellation(t *testing.T) {
	s, srv := newTestSim(t, Config{})
	a := newAPI(t, srv)

	alone := mustCase(t, s, CaseSpec{Method: "autoid", Scenario: "cancelled"}, true)
	cr := a.getCase("/cases/" + alone)
	if cr.CaseStatus.Status != connector.CaseClosed || cr.PrimaryIdent.IdentificationStatus.Status != connector.StatusCancelled {
		t.Errorf("cancelled alone: %s / %s", cr.CaseStatus.Status, cr.PrimaryIdent.IdentificationStatus.Status)
	}
	if sub := cr.PrimaryIdent.IdentificationStatus.SubStatus; sub == nil || sub.Code != 94 || sub.Description != "Cancellation by this ident" {
		t.Errorf("subStatus %+v", sub)
	}

	sw := mustCase(t, s, CaseSpec{Method: "autoid", Scenario: "cancelled-switch", ExtraMethods: []connector.Method{"eid"}}, false)
	for range 3 { // started, incomplete, cancelled
		s.Advance(time.Minute)
		if _, err := s.Step(sw); err != nil {
			t.Fatal(err)
		}
	}
	cr = a.getCase("/cases/" + sw)
	if cr.CaseStatus.Status != connector.CaseInProgress || cr.PrimaryIdent.IdentificationMethod != "autoid" {
		t.Fatalf("after cancel with eid left: %s, primary %s", cr.CaseStatus.Status, cr.PrimaryIdent.IdentificationMethod)
	}
	s.Advance(time.Minute)
	if _, err := s.Step(sw); err != nil { // eid started
		t.Fatal(err)
	}
	cr = a.getCase("/cases/" + sw)
	if cr.PrimaryIdent.IdentificationMethod != "eid" || cr.PrimaryIdent.IdentificationStatus.Status != connector.StatusStarted {
		t.Errorf("primary after switch: %s %s, want eid started", cr.PrimaryIdent.IdentificationMethod, cr.PrimaryIdent.IdentificationStatus.Status)
	}
	full := a.getCase("/cases/" + sw + "/full")
	if len(full.Identifications) != 2 {
		t.Errorf("full: %d identifications", len(full.Identifications))
	}
	if err := s.RunToEnd(sw); err != nil {
		t.Fatal(err)
	}
	if cr = a.getCase("/cases/" + sw); cr.CaseStatus.Status != connector.CaseClosed || cr.PrimaryIdent.IdentificationStatus.Status != connector.StatusSuccess {
		t.Errorf("switch end: %s %s", cr.CaseStatus.Status, cr.PrimaryIdent.IdentificationStatus.Status)
	}

	// Scripted: both methods cancelled... only autoid can be cancelled, so
	// a script naming video keeps the case open after the autoid cancel.
	sc := mustCase(t, s, CaseSpec{Method: "autoid", Scenario: "started,video/started,autoid/cancelled:94:900"}, true)
	cr = a.getCase("/cases/" + sc)
	if cr.CaseStatus.Status != connector.CaseInProgress || cr.PrimaryIdent.IdentificationMethod != "video" {
		t.Errorf("scripted: %s, primary %s", cr.CaseStatus.Status, cr.PrimaryIdent.IdentificationMethod)
	}
	// Equal progress: the most recently modified wins.
	eq := mustCase(t, s, CaseSpec{Method: "video", Scenario: "started,eid/started"}, false)
	s.Step(eq)
	s.Advance(time.Second)
	s.Step(eq)
	if cr = a.getCase("/cases/" + eq); cr.PrimaryIdent.IdentificationMethod != "eid" {
		t.Errorf("equal progress: primary %s, want the later eid", cr.PrimaryIdent.IdentificationMethod)
	}
}

// TestScriptErrors: scripts are validated against the catalog and the
// lifecycle rules.
func TestScriptErrors(t *testing.T) {
	s, _ := newTestSim(t, Config{})
	bad := []struct {
		method connector.Method
		script string
	}{
		{"video", "started,flying"},
		{"video", "started,cancelled:94:900"}, // only autoid has cancelled
		{"video", "started,incomplete:99999"},
		{"video", "started,incomplete:52:99999"},
		{"video", "started,declined:11:815"}, // reason of another subStatus
		{"video", "started,success,started"},
		{"video", "success,review pending"},
		{"video", "expire,started"},
		{"video", "started,,success"},
		{"video", "started,incomplete::520"},
		{"video", "started,incomplete:x"},
		{"video", "started,incomplete:52:520:1"},
		{"video", "telepathy/started"},
		{"video", "expire:12"},
		{"eid", "started,review pending"}, // eID has no review pending
		{"basic", "started,cancelled"},
		{"autoid", "started,cancelled:94:900,started"},
		{"photo", "started,incomplete:52"},
	}
	for _, b := range bad {
		if _, err := s.CreateCase(CaseSpec{Method: b.method, Scenario: b.script}); err == nil {
			t.Errorf("%s %q: no error", b.method, b.script)
		}
	}
	for _, spec := range []CaseSpec{{Method: "nope"}, {Class: "nope"}, {ExtraMethods: []connector.Method{"nope"}}, {WebhookURLPartner: "https://p.example/?a=b"}} {
		if _, err := s.CreateCase(spec); err == nil {
			t.Errorf("%+v: no error", spec)
		}
	}
	if _, err := s.Step("NOSUCHCASE01"); !errors.Is(err, ErrNotFound) {
		t.Errorf("step unknown: %v", err)
	}
}
