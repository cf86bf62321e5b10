package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// deadLetters reads the dead-letter topic to its end: every record per case
// (tombstones as nil) in topic order.
func (e *e2eEnv) deadLetters() map[string][]*connector.DeadLetter {
	e.t.Helper()
	var mu sync.Mutex
	out := map[string][]*connector.DeadLetter{}
	err := kafka.ReadAll(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_DEAD_LETTER"], func(m connector.Message) error {
		var d *connector.DeadLetter
		if m.Value != nil {
			d = &connector.DeadLetter{}
			if err := e.codec.Decode(e.ctx, m.Value, d); err != nil {
				return err
			}
		}
		mu.Lock()
		out[string(m.Key)] = append(out[string(m.Key)], d)
		mu.Unlock()
		return nil
	})
	if err != nil {
		e.t.Fatalf("read dead-letter topic: %v", err)
	}
	return out
}

// running fails the test if the App returned (the process would have exited).
func (e *e2eEnv) running() {
	e.t.Helper()
	e.mu.Lock()
	done := e.done
	e.mu.Unlock()
	select {
	case err := <-done:
		e.t.Fatalf("the connector stopped: %v", err)
	default:
	}
}

// createClosing creates n cases that end closed with a successful
// identification.
func createClosing(t *testing.T, s *sim.Sim, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		id, err := s.CreateCase(sim.CaseSpec{Method: connector.MethodVideo, Class: connector.ClassGwG, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestEndToEndPoison: for each kind of poisoned answer, one case among 300
// normal ones answers badly. Every normal result arrives; the poisoned case
// is on the dead-letter topic once per version (even after a reconcile
// notifies it again), gets no result and is not archived; the process keeps running.
// A poisoned list entry alone (PoisonList, PoisonStatusList) is no reason to park: its single
// GET is correct, and the case gets its result like the others.
func TestEndToEndPoison(t *testing.T) {
	wantClass := map[sim.Poison]string{
		sim.PoisonMistyped: connector.ClassUnreadable, sim.PoisonMalformed: connector.ClassUnreadable,
		sim.PoisonOversized: connector.ClassUnreadable, sim.PoisonOtherCase: connector.ClassUnreadable,
		sim.PoisonUndecryptable: connector.ClassUndecryptable, sim.PoisonLargeUndecryptable: connector.ClassUndecryptable,
		sim.PoisonUnavailable: connector.ClassTransient,
		sim.PoisonList:        "", sim.PoisonStatusList: "",
	}
	for _, kind := range sim.Poisons() {
		t.Run(string(kind), func(t *testing.T) {
			// The reconciler runs often: it is the safety net for webhooks
			// the loaded test machine fails to acknowledge in time, and it
			// notifies the parked case again and again.
			env := map[string]string{"PROCESSOR_RETRY_BUDGET": "3s", "RECONCILE_INTERVAL": "2s"}
			if kind == sim.PoisonUnavailable {
				// The default budget: the batch holding the case waits 5s
				// for it, then parks it and goes on (before: a minute).
				delete(env, "PROCESSOR_RETRY_BUDGET")
			}
			if kind == sim.PoisonOversized || kind == sim.PoisonUndecryptable || kind == sim.PoisonLargeUndecryptable || kind == sim.PoisonUnavailable {
				// Single-case poisons (a list is one body and one JWE):
				// without coalescing every case is fetched singly.
				env["PROCESSOR_COALESCE"] = "false"
			}
			// A list poison is served only in a list: the cases close
			// before the connector starts, and its first reconcile run
			// notifies them all at once, a burst the processor fetches
			// with coalesced lists. No webhooks: a late one would have the
			// case fetched alone first. (The other kinds run while the
			// cases close, webhook by webhook.)
			listKind := kind == sim.PoisonList || kind == sim.PoisonStatusList
			e := newE2E(t, envOpts{env: env, noStart: listKind, noWebhook: listKind})
			normal := createMixed(t, e.sim, 300, 13)
			// The poisoned case closes with seven others, within
			// milliseconds (seconds of simulated time): a cluster large
			// enough for a coalesced list whatever the batch it falls in.
			closing := createClosing(t, e.sim, 8)
			bad := closing[3]
			if err := e.sim.SetPoison(bad, kind); err != nil {
				t.Fatal(err)
			}
			runAll(t, e.sim, append(append([]string(nil), normal...), closing...))
			normal = append(normal, closing[:3]...)
			normal = append(normal, closing[4:]...)
			if listKind {
				e.start()
			}
			col := e.collect()
			closed := closedOf(e.sim, normal)
			col.waitResults(t, 90*time.Second, closed)
			class := wantClass[kind]
			if class == "" {
				col.waitResults(t, 30*time.Second, []string{bad})
			} else {
				eventually(t, 30*time.Second, "the poisoned case on the dead-letter topic", func() (bool, string) {
					return len(e.deadLetters()[bad]) > 0, "not yet"
				})
			}
			// A reconcile run notifies every case again (snapshots): a
			// parked case stays parked, with no second record.
			e.reconcile()
			time.Sleep(2 * time.Second)
			e.running()

			// The poison was in play: the simulator served it (a list poison
			// is served only if the connector asked for a list).
			if n := e.sim.PoisonServed(kind); n == 0 {
				t.Errorf("the simulator never served the %s poison", kind)
			}
			dl := e.deadLetters()
			for id, recs := range dl {
				if id != bad {
					t.Errorf("%s: a normal case is on the dead-letter topic (%d records)", id, len(recs))
				}
			}
			statuses, results := col.snapshot()
			if class != "" {
				recs := dl[bad]
				// One record per poisoned version of the case: a reconcile
				// run that caught the case before it closed (the test
				// machine is loaded) parks the intermediate version, and
				// the closed one gets a record of its own. Never two for
				// the same version (the final reconcile above notified the
				// closed one again).
				if len(recs) == 0 {
					t.Fatal("poisoned case: no dead-letter record")
				}
				seen := map[string]bool{}
				for i, r := range recs {
					if r == nil {
						t.Fatalf("poisoned case: record %d of %d is a tombstone", i+1, len(recs))
					}
					v := r.ErrorClass + "@"
					if r.CaseModified != nil {
						v += r.CaseModified.UTC().Format(time.RFC3339Nano)
					}
					if seen[v] {
						t.Fatalf("poisoned case: %d dead-letter records, two for the version %s", len(recs), v)
					}
					seen[v] = true
				}
				if len(recs) > 1 {
					t.Logf("poisoned case parked in %d versions: %v", len(recs), seen)
				}
				d := recs[len(recs)-1]
				if d.ErrorClass != class || d.CaseID != bad || d.Attempts < 1 || d.ConnectorVersion == "" ||
					d.Endpoint == nil || *d.Endpoint != "GET /cases/{caseId}" || d.FirstFailureAt.IsZero() || d.LastFailureAt.Before(d.FirstFailureAt) {
					t.Errorf("dead-letter record: %+v", d)
				}
				if !strings.Contains(d.Message, bad) || strings.Contains(d.Message, "padding") {
					t.Errorf("dead-letter message %q", d.Message)
				}
				if kind == sim.PoisonUndecryptable {
					if d.EncryptedAnswer == nil || !strings.HasPrefix(*d.EncryptedAnswer, "ey") || strings.Count(*d.EncryptedAnswer, ".") != 4 {
						t.Errorf("undecryptable answer not kept as a compact JWE")
					}
				}
				if kind == sim.PoisonLargeUndecryptable {
					// Larger than a record (KAFKA_MAX_MESSAGE_BYTES, 1 MiB):
					// parked without it, and saying so. Before: the record
					// failed with [10] Message Size Too Large and the batch
					// was retried for good (20 of 300 results in 90 s).
					if d.EncryptedAnswer != nil || !strings.Contains(d.Message, "is not kept") {
						t.Errorf("a large answer: kept %v, message %q", d.EncryptedAnswer != nil, d.Message)
					}
				}
				if len(results[bad]) != 0 {
					t.Errorf("a result for the poisoned case")
				}
				if e.sim.IsArchived(bad) {
					t.Errorf("the poisoned case was archived without a result on Kafka")
				}
			}
			ids := normal
			if class == "" {
				ids = append(ids, bad)
			}
			if got := checkOneResultPerClosedCase(t, e, ids, statuses, results); got == 0 {
				t.Error("no closed case checked")
			}
			// Nothing is archived at POSTIDENT that has no result on Kafka.
			for _, id := range append(append([]string(nil), normal...), bad) {
				if e.sim.IsArchived(id) && len(results[id]) == 0 {
					t.Errorf("%s archived without a result", id)
				}
			}
		})
	}
}

// TestEndToEndCredentialsFailure: POSTIDENT refuses the connector's
// password. The processor stops for an operator, not the process: /readyz
// names the processor and why, the webhook keeps answering 200 and the
// notifications wait on Kafka. After a restart with the right password,
// every waiting case gets its result, with the id it would have had.
func TestEndToEndCredentialsFailure(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true})
	e.cfgEnv["POSTIDENT_PASSWORD"] = "not-the-password"
	e.start()
	col := e.collect()
	ids := createMixed(t, e.sim, 40, 5)
	runAll(t, e.sim, ids)
	eventually(t, 30*time.Second, "the processor not ready, for an operator", func() (bool, string) {
		code, body := getAdmin(t, e.adminURL()+"/readyz")
		return code == 503 && strings.Contains(body, "processor: stopped for an operator: POSTIDENT refused the credentials") &&
			strings.Contains(body, "POSTIDENT_PASSWORD"), body
	})
	if code, body := getAdmin(t, e.adminURL()+"/readyz?exclude=processor"); code != 200 {
		t.Errorf("/readyz?exclude=processor = %d %s", code, body)
	}
	// New cases keep being accepted by the webhook.
	more := createMixed(t, e.sim, 10, 6)
	runAll(t, e.sim, more)
	time.Sleep(time.Second)
	e.running()
	// Every case notified after the stop had its webhooks accepted (200);
	// on a loaded machine one call may time out and be retried.
	accepted := map[string]bool{}
	for _, d := range e.sim.Webhooks() {
		if d.HTTPStatus == 200 {
			accepted[d.CaseID] = true
		}
	}
	for _, id := range more {
		if !accepted[id] {
			t.Errorf("%s: no webhook accepted while the processor was stopped", id)
		}
	}
	if _, results := col.snapshot(); len(results) != 0 {
		t.Fatalf("%d results with refused credentials", len(results))
	}
	e.stop()
	e.cfgEnv["POSTIDENT_PASSWORD"] = e2ePassword
	e.start()
	all := append(append([]string(nil), ids...), more...)
	col.waitResults(t, 90*time.Second, closedOf(e.sim, all))
	time.Sleep(500 * time.Millisecond)
	statuses, results := col.snapshot()
	if got := checkOneResultPerClosedCase(t, e, all, statuses, results); got == 0 {
		t.Error("no closed case checked")
	}
}

// TestEndToEndDeadLetterRetry: cases parked because POSTIDENT's answers did
// not decode are listed by `dead-letter list`; once the answers are fixed
// (the simulator stops poisoning), `dead-letter retry --all` emits each
// case's result once, with the id it would have had, and empties the
// dead-letter topic; the archiver archives them as usual.
func TestEndToEndDeadLetterRetry(t *testing.T) {
	e := newE2E(t, envOpts{})
	col := e.collect()
	normal := createMixed(t, e.sim, 30, 9)
	bad := createClosing(t, e.sim, 3)
	for i, k := range []sim.Poison{sim.PoisonMalformed, sim.PoisonMistyped, sim.PoisonOtherCase} {
		if err := e.sim.SetPoison(bad[i], k); err != nil {
			t.Fatal(err)
		}
	}
	runAll(t, e.sim, append(append([]string(nil), normal...), bad...))
	col.waitResults(t, 60*time.Second, closedOf(e.sim, normal))
	eventually(t, 30*time.Second, "three cases parked", func() (bool, string) {
		return len(e.deadLetters()) == 3, "not yet"
	})
	out, err := e.cli("dead-letter", "list")
	if err != nil {
		t.Fatalf("dead-letter list: %v\n%s", err, out)
	}
	for _, id := range bad {
		if !strings.Contains(out, id+"  ") || !strings.Contains(out, "unreadable") {
			t.Errorf("dead-letter list does not show %s:\n%s", id, out)
		}
	}
	if !strings.Contains(out, "3 parked") {
		t.Errorf("dead-letter list:\n%s", out)
	}
	// Without a retry request, a new notification leaves them parked.
	e.sim.CurePoison()
	e.reconcile()
	time.Sleep(2 * time.Second)
	if _, results := col.snapshot(); len(results[bad[0]]) != 0 {
		t.Fatal("a parked case was fetched again without a retry request")
	}
	if out, err := e.cli("dead-letter", "retry", "--all"); err != nil {
		t.Fatalf("dead-letter retry: %v\n%s", err, out)
	}
	col.waitResults(t, 60*time.Second, bad)
	eventually(t, 30*time.Second, "dead-letter entries tombstoned", func() (bool, string) {
		out, err := e.cli("dead-letter", "list")
		return err == nil && strings.Contains(out, "0 parked"), out
	})
	eventually(t, 30*time.Second, "the retried cases archived", func() (bool, string) {
		for _, id := range bad {
			if !e.sim.IsArchived(id) {
				return false, id + " not archived"
			}
		}
		return true, ""
	})
	time.Sleep(500 * time.Millisecond)
	statuses, results := col.snapshot()
	checkOneResultPerClosedCase(t, e, append(normal, bad...), statuses, results)
	e.running()
}

// TestDeadLetterHelp: the subcommand explains itself and exits 0.
func TestDeadLetterHelp(t *testing.T) {
	for _, args := range [][]string{{"dead-letter", "--help"}, {"dead-letter", "retry", "--help"}, {"dead-letter", "list", "-h"}} {
		var out, errOut strings.Builder
		if err := run(context.Background(), args, &out, &errOut); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"dead-letter", "retry"}, &out, &errOut); err == nil {
		t.Error("dead-letter retry without ids or --all accepted")
	}
}

// getAdmin GETs an admin URL and returns status and body.
func getAdmin(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
