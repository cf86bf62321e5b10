package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// TestForgetSticks: after `forget`, nothing writes the case's result again:
// not a restart, not a webhook (POSTIDENT's retry), not a reconcile
// snapshot, not a backfill over its creation date. The result topic, read to
// its end, holds no value for the case after the forget tombstone, while a
// case that was not forgotten is re-emitted by the same backfill.
func TestForgetSticks(t *testing.T) {
	tel, _ := telemetry.SetupForTest()
	defer func() { _ = tel.Shutdown(t.Context()) }()
	e := newE2E(t, envOpts{tel: tel})
	col := e.collect()
	var ids []string
	for range 3 {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodVideo, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		e.sim.Advance(2 * time.Second)
	}
	runAll(t, e.sim, ids)
	col.waitResults(t, 60*time.Second, ids)
	gone, kept := ids[0], ids[1]

	out, err := e.cli("forget", gone)
	if err != nil || !strings.Contains(out, gone+"\ttombstoned on "+e.cfgEnv["TOPIC_RESULT"]+" and "+e.cfgEnv["TOPIC_DEAD_LETTER"]+", forget marker on "+e.cfgEnv["TOPIC_STATE"]) {
		t.Fatalf("forget: %v: %q", err, out)
	}

	// Restart: the new processor loads the marker with the state.
	e.stop()
	e.start()
	skipped := func() float64 { return forgottenSkips(t, e.adminURL()) }
	before := skipped()

	// POSTIDENT notifies the case again (a retry), and a reconcile run
	// snapshots every case, the forgotten one included.
	for _, id := range []string{gone, kept} {
		postWebhook(t, e.hookURL, id)
	}
	e.reconcile()
	// Wait until the processor skipped both notifications of the forgotten
	// case, or (the failure the checks below report) wrote it again.
	eventually(t, 60*time.Second, "the forgotten case's notifications handled", func() (bool, string) {
		n := skipped()
		_, rs := col.snapshot()
		return n >= before+2 || len(rs[gone]) > 1, fmt.Sprintf("postident_processor_skipped_total{reason=forgotten} %v -> %v", before, n)
	})

	// A backfill over the cases' creation dates, into the connector's own
	// topics, skips the forgotten case and re-emits the others.
	c0, _ := e.sim.Case(ids[0], false)
	c2, _ := e.sim.Case(ids[len(ids)-1], false)
	from, until := c0.CaseStatus.Created.Add(-5*time.Second).Format(time.RFC3339), c2.CaseStatus.Created.Add(5*time.Second).Format(time.RFC3339)
	out, err = e.cli("backfill", "--created-from", from, "--created-until", until, "--include-archived", "--checkpoint", "")
	if err != nil {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
	if !strings.Contains(out, "1 forgotten cases skipped") {
		t.Errorf("backfill output: %q", out)
	}

	// Read the result topic to its end: after the forget tombstone, no
	// value for the forgotten case; the kept case was backfilled again.
	var (
		tombstoned     bool
		valuesAfter    int
		keptBackfilled bool
	)
	if err := kafka.ReadAll(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_RESULT"], func(m connector.Message) error {
		switch string(m.Key) {
		case gone:
			if m.Value == nil {
				tombstoned = true
			} else if tombstoned {
				valuesAfter++
			}
		case kept:
			if string(m.Header("postident-origin")) == string(connector.OriginBackfill) {
				keptBackfilled = true
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !tombstoned {
		t.Fatal("no forget tombstone on the result topic")
	}
	if valuesAfter != 0 {
		t.Errorf("%d result values for the forgotten case after its tombstone", valuesAfter)
	}
	if !keptBackfilled {
		t.Error("the backfill did not re-emit the case that was not forgotten: the check above proves nothing")
	}
	// The state keeps the marker, and nothing but the marker, as the
	// case's latest record.
	st := connector.NewState()
	if _, err := app.ReadState(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_STATE"], e.codec, st, slog.Default()); err != nil {
		t.Fatal(err)
	}
	if !st.Forgotten(gone) || st.Forgotten(kept) {
		t.Errorf("state: forgotten(%s)=%v, forgotten(%s)=%v", gone, st.Forgotten(gone), kept, st.Forgotten(kept))
	}
}

// postWebhook notifies caseID as POSTIDENT does.
func postWebhook(t *testing.T, url, caseID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(`{"caseId":"`+caseID+`"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e2eHookUser, e2eHookPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

// forgottenSkips scrapes postident_processor_skipped_total{reason="forgotten"}.
func forgottenSkips(t *testing.T, adminURL string) float64 {
	t.Helper()
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `reason="forgotten"`) {
			lines = append(lines, l)
		}
	}
	return counterSum(strings.Join(lines, "\n"), "postident_processor_skipped_total")
}

// TestForgetParkedCase: a parked case's dead-letter record holds its
// answer (encrypted); `forget` tombstones it with the result, so the
// compacted topic drops it and `dead-letter list` no longer shows it.
// Before, the record stayed for good: the processor skips forgotten cases,
// so no tombstone ever followed.
func TestForgetParkedCase(t *testing.T) {
	e := newE2E(t, envOpts{})
	bad := createClosing(t, e.sim, 1)[0]
	if err := e.sim.SetPoison(bad, sim.PoisonMistyped); err != nil {
		t.Fatal(err)
	}
	runAll(t, e.sim, []string{bad})
	eventually(t, 60*time.Second, "the case parked", func() (bool, string) {
		return len(e.deadLetters()[bad]) == 1, "not yet"
	})
	if out, err := e.cli("forget", bad); err != nil {
		t.Fatalf("forget: %v: %q", err, out)
	}
	recs := e.deadLetters()[bad]
	if len(recs) != 2 || recs[1] != nil {
		t.Fatalf("dead-letter records of the forgotten case: %v, want the record and a tombstone", recs)
	}
	out, err := e.cli("dead-letter", "list")
	if err != nil || strings.Contains(out, bad) || !strings.Contains(out, "0 parked") {
		t.Errorf("dead-letter list after forget: %v\n%s", err, out)
	}
}
