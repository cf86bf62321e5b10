package main

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// startProcessorReplica runs a second App of e's configuration with the
// processor role only (a replica in the same consumer group), until the
// test ends.
func startProcessorReplica(t *testing.T, e *e2eEnv) *app.App {
	t.Helper()
	env := map[string]string{}
	for k, v := range e.cfgEnv {
		env[k] = v
	}
	env["ROLES"], env["ADMIN_ADDR"] = "processor", "127.0.0.1:0"
	cfg, err := app.LoadConfigFrom(e.ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testLogWriter(t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := app.New(cfg, log, nil, app.Options{PrivateKey: e2eKey(t), Version: version})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the replica did not stop in 30s")
		}
	})
	select {
	case <-a.Started():
	case err := <-done:
		t.Fatalf("replica stopped before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("replica not started in 60s")
	}
	return a
}

// TestParkedSetFollowsTheTopic: every processor replica follows the
// dead-letter topic, not only the one that parked a case: all of them hold
// a case parked by any, so the one its partition moves to leaves it alone
// (no second fetch, no second record), and all of them let it go once
// `dead-letter retry` resolved it, so no replica's postident_cases_parked
// keeps a resolved case. Before, the set was read once at start, and only
// the parking replica knew.
func TestParkedSetFollowsTheTopic(t *testing.T) {
	e := newE2E(t, envOpts{env: map[string]string{"PROCESSOR_FOLLOW_STATE": "true"}})
	replica := startProcessorReplica(t, e) // started before the case is parked
	col := e.collect()
	bad := createClosing(t, e.sim, 1)[0]
	if err := e.sim.SetPoison(bad, sim.PoisonMistyped); err != nil {
		t.Fatal(err)
	}
	runAll(t, e.sim, []string{bad})
	e.mu.Lock()
	first := e.app
	e.mu.Unlock()
	holds := func(a *app.App) bool { return slices.Contains(a.ParkedCases(), bad) }
	eventually(t, 60*time.Second, "the case parked, in both replicas' sets", func() (bool, string) {
		return len(e.deadLetters()[bad]) == 1 && holds(first) && holds(replica), "not yet"
	})

	e.sim.CurePoison()
	if out, err := e.cli("dead-letter", "retry", bad); err != nil {
		t.Fatalf("dead-letter retry: %v\n%s", err, out)
	}
	col.waitResults(t, 60*time.Second, []string{bad})
	eventually(t, 30*time.Second, "the case resolved, in both replicas' sets", func() (bool, string) {
		return !holds(first) && !holds(replica), "not yet"
	})
	if recs := e.deadLetters()[bad]; len(recs) != 2 || recs[1] != nil {
		t.Errorf("dead-letter records: %v, want one and its tombstone", recs)
	}
}
