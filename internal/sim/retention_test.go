package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// TestRetention: a case exists until Retention after its creation, archived
// or not; then it is gone (404, not listed, not archivable).
func TestRetention(t *testing.T) {
	s, srv := newTestSim(t, Config{Retention: 10 * 24 * time.Hour})
	a := newAPI(t, srv)
	old := mustCase(t, s, CaseSpec{}, true)
	oldArchived := mustCase(t, s, CaseSpec{}, true)
	a.do("PATCH", "/cases/archive", `["`+oldArchived+`"]`, nil)
	s.Advance(5 * 24 * time.Hour)
	young := mustCase(t, s, CaseSpec{}, true)

	s.Advance(5*24*time.Hour - time.Second)
	if r := a.get("/cases/" + old); r.code != 200 {
		t.Fatalf("before retention: %d", r.code)
	}
	s.Advance(time.Second)
	for _, id := range []string{old, oldArchived} {
		for _, p := range []string{"", "/full", "/status", "/status/full"} {
			if r := a.get("/cases/" + id + p); r.code != 404 {
				t.Errorf("GET %s%s after retention: %d", id, p, r.code)
			}
		}
	}
	if got := s.CaseIDs(); !slices.Equal(got, []string{young}) {
		t.Errorf("case ids %v, want only the young one", got)
	}
	if list, _ := a.getList("/cases?archived=true"); len(list) != 1 || list[0].CaseID != young {
		t.Errorf("list after retention: %d cases", len(list))
	}
	if r := a.do("PATCH", "/cases/archive", `["`+old+`"]`, nil); r.code != 200 || string(r.body) != "[]" {
		t.Errorf("archive deleted case: %d %s", r.code, r.body)
	}
	if st := s.Stats(); st.Deleted != 2 || st.Cases != 1 || s.ArchivedCount() != 0 {
		t.Errorf("stats %+v", st)
	}
	s.Advance(5 * 24 * time.Hour)
	if len(s.CaseIDs()) != 0 {
		t.Errorf("young case survived its retention")
	}
	if _, ok := s.Case(young, false); ok {
		t.Errorf("Case() finds a deleted case")
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []Config{
		{Retention: MaxRetention + time.Second},
		{Retention: -time.Second},
		{ClientID: "lower"},
		{Enc: "ROT13"},
		{WebhookURL: "https://example.com/hook?ref=1"},
		{WebhookURL: "ftp://example.com/hook"},
		{WebhookTypes: []connector.StatusType{"none"}},
		{TimeScale: -1},
		{PartnerUsername: "p"},
		{PartnerUsername: DefaultUsername, PartnerPassword: "x"},
		{DefaultMethod: "nope"},
		{DefaultClass: "nope"},
	}
	for _, cfg := range bad {
		if s, err := New(cfg); err == nil {
			s.Close()
			t.Errorf("%+v: no error", cfg)
		}
	}
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close() // twice is fine
	if _, err := s.CreateCase(CaseSpec{}); err == nil {
		t.Errorf("create on a closed sim")
	}
}

// TestGolden pins the generated data of one case per method (GwG): names,
// fields, records and times must not change by accident, because connector
// tests compare against them. Run with SIM_UPDATE_GOLDEN=1 to rewrite.
func TestGolden(t *testing.T) {
	s, _ := newTestSim(t, Config{Seed: 42})
	for _, m := range connector.Methods() {
		id := mustCase(t, s, CaseSpec{Method: m, ReferenceID: "GOLDEN", CustomData: map[string]string{"custom1": "golden"}}, false)
		for {
			s.Advance(90 * time.Second)
			done, err := s.Step(id)
			if err != nil {
				t.Fatal(err)
			}
			if done {
				break
			}
		}
		cr, _ := s.Case(id, true)
		got, err := json.MarshalIndent(cr, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden_"+string(m)+"_gwg_success.json")
		if os.Getenv("SIM_UPDATE_GOLDEN") != "" {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with SIM_UPDATE_GOLDEN=1 to create)", err)
		}
		if string(want) != string(got) {
			t.Errorf("%s differs from the golden file; got:\n%s", path, got)
		}
	}
}
