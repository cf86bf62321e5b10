package main

import (
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// TestEndToEndCoalescedBurst: an account without webhooks has a burst of
// closed cases; the connector (PROCESSOR_COALESCE on by default) starts,
// its reconciler lists them, and the processor fetches them with list
// calls. Every case gets exactly one CaseResult equal to the simulator's
// case, and the metrics show cases served from lists.
func TestEndToEndCoalescedBurst(t *testing.T) {
	tel, _ := telemetry.SetupForTest()
	defer func() { _ = tel.Shutdown(t.Context()) }()
	e := newE2E(t, envOpts{tel: tel, noWebhook: true, noStart: true})
	const n = 80
	// Created first, then closed: the simulated clock runs 3600 times
	// faster than real time, and creating them together keeps their
	// creation times close, as in a real burst.
	ids := make([]string, n)
	for i := range ids {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Scenario: "success", ReferenceID: "REF-burst"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	for _, id := range ids {
		if err := e.sim.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
	}
	e.start() // the reconciler runs once at start
	col := e.collect()
	col.waitResults(t, 90*time.Second, ids)

	_, rs := col.snapshot()
	for _, id := range ids {
		if len(rs[id]) != 1 {
			t.Errorf("case %s: %d results, want 1", id, len(rs[id]))
			continue
		}
		if want := expectResult(t, e.sim, id, rs[id][0]); !reflect.DeepEqual(rs[id][0], want) {
			t.Errorf("case %s: result differs from the simulator's case", id)
		}
	}

	resp, err := http.Get(e.adminURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	metrics := string(b)
	listed := labelledSum(metrics, "postident_processor_fetches_total", `outcome="list"`)
	single := labelledSum(metrics, "postident_processor_fetches_total", `outcome="ok"`)
	calls := labelledSum(metrics, "postident_processor_list_calls_total", `list="data"`)
	t.Logf("%v cases from %v data list calls, %v single GETs", listed, calls, single)
	if listed == 0 || calls == 0 {
		t.Errorf("no case came from a list call (%v cases, %v data lists, %v single GETs)", listed, calls, single)
	}
	if listed+single < n {
		t.Errorf("%v listed + %v single fetches for %d cases", listed, single, n)
	}
}

// labelledSum adds the samples of metric name whose labels contain label.
func labelledSum(exposition, name, label string) float64 {
	sum := 0.0
	for _, l := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(l, name+"{") || !strings.Contains(l, label) {
			continue
		}
		f := strings.Fields(l)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
