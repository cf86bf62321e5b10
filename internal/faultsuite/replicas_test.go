//go:build faults

package faultsuite

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReplicas: three processor processes (ROLES=processor) on one consumer
// group next to the connector's webhook, reconciler and archiver process,
// rolled one after the other while cases progress: mostly gracefully
// (SIGTERM, as a Deployment rollout does), every fourth roll with kill -9.
// The reconciler (every 3 s) notifies every case again all along. The
// table's same-id repeats column counts repeated results; the detail line
// also counts repeated status events.
func TestReplicas(t *testing.T) {
	start := time.Now()
	f := figures{Scenario: "replicas", Runs: 1}
	rng := rand.New(rand.NewPCG(seed, 400))
	e := newEnv(t, "replicas", opts{env: map[string]string{"ROLES": "webhook,reconciler,archiver", "SHUTDOWN_TIMEOUT": "15s"}}, 8*time.Minute)
	e.mustStart()
	e.col.begin()
	procs := make([]*replica, 3)
	for i := range procs {
		procs[i] = startReplica(t, e, i)
	}
	ids := e.createMixed(n(600), rng)
	done := e.drive(ids, 40*time.Second, rng)
	rolls, kills := 0, 0
	for !closed(done) {
		e.sleep(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
		i := rolls % len(procs)
		sig := syscall.SIGTERM
		if rolls%4 == 3 {
			sig = syscall.SIGKILL
			kills++
		}
		procs[i].stop(t, sig)
		procs[i] = startReplica(t, e, i)
		rolls++
	}
	e.verify(ids, &f, 150*time.Second)
	_, st := e.col.snapshot()
	statusEvents, statusRepeats := 0, 0
	for _, evs := range st {
		seen := map[string]bool{}
		for _, ev := range evs {
			statusEvents++
			if seen[ev.EventID] {
				statusRepeats++
			}
			seen[ev.EventID] = true
		}
	}
	for _, p := range procs {
		p.stop(t, syscall.SIGTERM)
	}
	f.Faults = rolls
	f.Detail = fmt.Sprintf("3 processor processes, %d rolls while cases progress (%d graceful SIGTERM, %d kill -9), reconciler re-notifying every 3 s; %d of %d status events repeated",
		rolls, rolls-kills, kills, statusRepeats, statusEvents)
	f.Took = time.Since(start)
	record(f)
	t.Logf("replicas: %s", f.Detail)
}

// replica is one processor process.
type replica struct {
	cmd  *exec.Cmd
	done chan struct{}
	logf string
}

func startReplica(t *testing.T, e *env, i int) *replica {
	t.Helper()
	admin := freeAddr(t)
	e.starts++
	logf := filepath.Join(e.dir, fmt.Sprintf("processor-%d-%03d.log", i, e.starts))
	out, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: exec.Command(binary, "run"), done: make(chan struct{}), logf: logf}
	r.cmd.Env = append(e.environ(), "ROLES=processor", "ADMIN_ADDR="+admin, "PROCESSOR_FOLLOW_STATE=true")
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = r.cmd.Wait()
		out.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-r.done:
			t.Fatalf("processor %d exited during start: %s", i, lastLines(logf, 3))
		default:
		}
		if resp, err := client.Get("http://" + admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("processor %d not ready in 90s: %s", i, lastLines(logf, 3))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *replica) stop(t *testing.T, sig syscall.Signal) {
	_ = r.cmd.Process.Signal(sig)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Errorf("processor did not stop in 30s after %v: %s", sig, strings.TrimSpace(lastLines(r.logf, 3)))
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
	}
}
