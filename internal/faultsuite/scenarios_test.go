//go:build faults

package faultsuite

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/internal/sim"
)

func n(base int) int { return max(10, int(float64(base)*scale)) }

// TestKill: kill -9 of the connector at random points while cases progress,
// started again each time; sometimes it stays down long enough for
// POSTIDENT to give up on its webhooks, so the reconciler has to find the
// cases. Repeated over fresh runs.
func TestKill(t *testing.T) {
	start := time.Now()
	runs := 2
	if s := os.Getenv("FAULTS_KILL_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	f := figures{Scenario: "kill -9", Runs: runs}
	var downs []string
	for run := range runs {
		t.Run(fmt.Sprint("run", run+1), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(100+run)))
			e := newEnv(t, "kill", opts{}, 6*time.Minute)
			e.mustStart()
			e.col.begin()
			t0 := time.Now()
			ids := e.createMixed(n(1500), rng)
			t.Logf("%d cases created in %s", len(ids), time.Since(t0).Round(time.Millisecond))
			t0 = time.Now()
			done := e.drive(ids, 40*time.Second, rng)
			down := time.Duration(0)
			for !closed(done) {
				e.sleep(time.Duration(1500+rng.IntN(4500)) * time.Millisecond)
				e.kill()
				if rng.IntN(2) == 0 {
					d := time.Duration(rng.IntN(4000)) * time.Millisecond
					down += d
					e.sleep(d)
				}
				e.mustStart()
			}
			t.Logf("cases driven to their end in %s", time.Since(t0).Round(100*time.Millisecond))
			// Once more while it catches up on what the kills left behind.
			e.sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
			e.kill()
			e.mustStart()
			e.verify(ids, &f, 150*time.Second)
			f.Faults += e.kills
			downs = append(downs, fmt.Sprintf("run %d: %d kills, %d starts, %s extra downtime", run+1, e.kills, e.starts, down.Round(100*time.Millisecond)))
		})
	}
	f.Detail = "kill -9 of the connector subprocess at random moments (1.5-6 s apart) while cases progress; " + strings.Join(downs, "; ")
	f.Took = time.Since(start)
	record(f)
}

// TestBrokerRestart stops the Kafka broker gracefully and later kills it
// (-9), each time starting it again on the same data, while cases progress.
// kfake keeps no data across a restart, so this runs against a private Apache
// Kafka started by deploy/kafka/kafka-local.sh on its own ports and
// directory.
func TestBrokerRestart(t *testing.T) {
	start := time.Now()
	k := startLocalKafka(t)
	f := figures{Scenario: "broker", Runs: 1}
	rng := rand.New(rand.NewPCG(seed, 200))
	e := newEnv(t, "broker", opts{brokers: k.brokers}, 8*time.Minute)
	e.mustStart()
	e.col.begin()
	ids := e.createMixed(n(700), rng)
	done := e.drive(ids, 60*time.Second, rng)
	var notes []string
	e.sleep(time.Duration(5000+rng.IntN(5000)) * time.Millisecond)
	t0 := time.Now()
	k.run("stop")
	e.sleep(3 * time.Second)
	k.run("start")
	notes = append(notes, fmt.Sprintf("graceful stop, down %s", time.Since(t0).Round(100*time.Millisecond)))
	e.sleep(time.Duration(5000+rng.IntN(5000)) * time.Millisecond)
	t0 = time.Now()
	k.kill9()
	e.sleep(2 * time.Second)
	k.run("start")
	notes = append(notes, fmt.Sprintf("kill -9, down %s", time.Since(t0).Round(100*time.Millisecond)))
	for !closed(done) {
		e.sleep(200 * time.Millisecond)
	}
	e.verify(ids, &f, 180*time.Second)
	f.Faults = 2
	f.Detail = "Apache Kafka " + strings.Join(notes, ", then ") + fmt.Sprintf("; connector exits the suite did not cause: %d %v", e.unexpected, e.exitNotes)
	f.Took = time.Since(start)
	record(f)
}

// TestPostidentFaults: the simulator answers 5xx, answers slower than the
// webhook budget, answers slower than POSTIDENT_TIMEOUT (timeouts), drops,
// duplicates, delays and reorders webhooks, and delivers lists partially, in
// phases and then all at once. The connector logs at debug level throughout;
// afterwards no personal data of the cases may be in its output.
func TestPostidentFaults(t *testing.T) {
	start := time.Now()
	f := figures{Scenario: "postident", Runs: 1}
	rng := rand.New(rand.NewPCG(seed, 300))
	e := newEnv(t, "postident", opts{env: map[string]string{"POSTIDENT_TIMEOUT": "2500ms", "RECONCILE_INTERVAL": "2s", "LOG_LEVEL": "debug"}}, 6*time.Minute)
	e.mustStart()
	e.col.begin()
	ids := e.createMixed(n(800), rng)
	done := e.drive(ids, 50*time.Second, rng)
	phases := []struct {
		name string
		f    sim.Faults
		d    time.Duration
	}{
		{"5xx 30%", sim.Faults{ErrorRate: 0.3}, 8 * time.Second},
		{"slow 1.8s (webhook budget 1.5s)", sim.Faults{Latency: 1800 * time.Millisecond}, 6 * time.Second},
		{"timeouts (4s > POSTIDENT_TIMEOUT 2.5s)", sim.Faults{Latency: 4 * time.Second}, 6 * time.Second},
		{"webhooks dropped 30%, duplicated 30%, reordered", sim.Faults{DropWebhookRate: 0.3, DuplicateWebhookRate: 0.3, ReorderWebhooks: true, WebhookDelay: 30 * time.Millisecond}, 10 * time.Second},
		{"partial deliveries (7 per page), webhooks dropped 50%, 5xx 10%", sim.Faults{PartialPageSize: 7, DropWebhookRate: 0.5, ErrorRate: 0.1}, 10 * time.Second},
		{"all at once", sim.Faults{ErrorRate: 0.2, Latency: 300 * time.Millisecond, DropWebhookRate: 0.2, DuplicateWebhookRate: 0.2, ReorderWebhooks: true, PartialPageSize: 50}, 0},
	}
	var names []string
	for _, p := range phases {
		e.sim.SetFaults(p.f)
		names = append(names, p.name)
		if p.d == 0 {
			for !closed(done) {
				e.sleep(200 * time.Millisecond)
			}
			e.sleep(4 * time.Second) // reconcile runs under the faults, too
			break
		}
		e.sleep(p.d)
	}
	e.sim.SetFaults(sim.Faults{})
	for !closed(done) {
		e.sleep(200 * time.Millisecond)
	}
	e.verify(ids, &f, 150*time.Second)
	st := e.sim.Stats()
	f.Faults = int(e.front.errors5xx.Load() + e.front.timeouts.Load() + e.front.slow.Load() + e.front.partial.Load() + st.Webhooks.Dropped + st.Webhooks.Duplicated)
	f.Detail = fmt.Sprintf("%d SCR calls: %d answered 5xx, %d timed out at the connector, %d slower than the webhook budget, %d partial deliveries; webhooks: %d dropped, %d duplicated, reordered in 3 phases (phases: %s)",
		e.front.requests.Load(), e.front.errors5xx.Load(), e.front.timeouts.Load(), e.front.slow.Load(), e.front.partial.Load(), st.Webhooks.Dropped, st.Webhooks.Duplicated, strings.Join(names, "; "))
	for _, what := range []struct {
		name string
		n    int64
	}{{"5xx answers", e.front.errors5xx.Load()}, {"timeouts", e.front.timeouts.Load()}, {"slow answers", e.front.slow.Load()},
		{"partial deliveries", e.front.partial.Load()}, {"dropped webhooks", st.Webhooks.Dropped}, {"duplicated webhooks", st.Webhooks.Duplicated}} {
		if what.n == 0 {
			t.Errorf("no %s were injected: the scenario did not test them", what.name)
		}
	}
	// Personal data: the connector logged at debug level through all of it.
	values := e.sim.PersonalValues(ids)
	hits, lines := e.grepLogs(values)
	if len(values) < 100 {
		t.Errorf("only %d personal values to look for", len(values))
	}
	if len(hits) > 0 {
		t.Errorf("personal data in the connector's output: %d lines, e.g. %s", len(hits), hits[0])
	}
	t.Logf("personal data: %d values of %d cases searched in %d log lines: %d hits", len(values), len(ids), lines, len(hits))
	f.Took = time.Since(start)
	record(f)
}

// TestFlood sends webhooks far beyond the connector's capacity
// (WEBHOOK_MAX_IN_FLIGHT=8, WEBHOOK_RATE_LIMIT=40) on top of the
// simulator's own: it must shed load with 503 and 429, answer 200 again
// once the flood ends, and every result must still arrive.
func TestFlood(t *testing.T) {
	start := time.Now()
	f := figures{Scenario: "flood", Runs: 1}
	rng := rand.New(rand.NewPCG(seed, 400))
	e := newEnv(t, "flood", opts{env: map[string]string{"WEBHOOK_MAX_IN_FLIGHT": "8", "WEBHOOK_RATE_LIMIT": "40", "RECONCILE_INTERVAL": "2s"}}, 6*time.Minute)
	e.mustStart()
	e.col.begin()
	ids := e.createMixed(n(500), rng)
	done := e.drive(ids, 25*time.Second, rng)
	e.sleep(3 * time.Second)

	// The flood: bounded in time and count, loopback only.
	const workers, maxRequests, floodFor = 48, 400000, 15 * time.Second
	var sent atomic.Int64
	var codes sync.Map // status -> *atomic.Int64
	count := func(code int) {
		v, _ := codes.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	fctx, cancel := context.WithTimeout(e.ctx, floodFor)
	var wg sync.WaitGroup
	for w := range workers {
		r := rand.New(rand.NewPCG(seed, uint64(500+w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fctx.Err() == nil && sent.Add(1) <= maxRequests {
				code := postHook(fctx, client, e.hookURL, ids[r.IntN(len(ids))])
				if code != 0 {
					count(code)
				}
			}
		}()
	}
	// Keep supervising while the flood runs.
	e.sleep(floodFor)
	cancel()
	wg.Wait()
	get := func(code int) int64 {
		if v, ok := codes.Load(code); ok {
			return v.(*atomic.Int64).Load()
		}
		return 0
	}
	var other []string
	codes.Range(func(k, v any) bool {
		if c := k.(int); c != 200 && c != 429 && c != 503 {
			other = append(other, fmt.Sprintf("%d×%d", v.(*atomic.Int64).Load(), c))
		}
		return true
	})
	if get(429) == 0 || get(503) == 0 {
		t.Errorf("flood not shed: %d × 429, %d × 503", get(429), get(503))
	}
	if len(other) > 0 {
		t.Errorf("unexpected answers during the flood: %v", other)
	}
	// Recovery: a single webhook is accepted again within seconds.
	recovered := time.Duration(-1)
	t0 := time.Now()
	for time.Since(t0) < 15*time.Second {
		if postHook(e.ctx, client, e.hookURL, ids[0]) == http.StatusOK {
			recovered = time.Since(t0)
			break
		}
		e.sleep(100 * time.Millisecond)
	}
	if recovered < 0 {
		t.Error("the webhook does not answer 200 again within 15 s after the flood")
	}
	for !closed(done) {
		e.sleep(200 * time.Millisecond)
	}
	e.verify(ids, &f, 150*time.Second)
	st := e.sim.Stats()
	f.Faults = int(get(429) + get(503))
	f.Detail = fmt.Sprintf("%d flood requests in %s from %d workers: %d × 200, %d × 429, %d × 503; simulator webhooks %d attempts, %d failed, %d gave up; 200 again %s after the flood",
		get(200)+get(429)+get(503), floodFor, workers, get(200), get(429), get(503), st.Webhooks.Attempts, st.Webhooks.Failed, st.Webhooks.GaveUp, recovered.Round(time.Millisecond))
	f.Took = time.Since(start)
	record(f)
}

func postHook(ctx context.Context, client *http.Client, url, caseID string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(`{"caseId":"`+caseID+`"}`)))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(hookUser, hookPass)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// --- a private Apache Kafka -----------------------------------------------

// localKafka is a single-node Apache Kafka run by deploy/kafka/kafka-local.sh
// on free ports and a private directory, so the shared broker of CI is
// never touched. Its data survive stop and start (KEEP_DATA=1); the cleanup
// stops it and removes them.
type localKafka struct {
	t       *testing.T
	script  string
	env     []string
	home    string
	port    string
	brokers []string
}

func startLocalKafka(t *testing.T) *localKafka {
	t.Helper()
	if os.Getenv("FAULTS_SKIP_BROKER") == "1" {
		t.Skip("FAULTS_SKIP_BROKER=1")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatal("the broker scenario needs Java 17+ for deploy/kafka/kafka-local.sh (or set FAULTS_SKIP_BROKER=1)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	port := strings.Split(freeAddr(t), ":")[1]
	cport := strings.Split(freeAddr(t), ":")[1]
	home := t.TempDir()
	// The jars are shared with the default broker's cache: resolving them
	// again from Maven Central would take minutes.
	cacheHome := os.Getenv("HOME")
	if cacheHome == "" {
		cacheHome = "/tmp"
	}
	lib := filepath.Join(cacheHome, ".cache", "postident-kafka", "lib")
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	k := &localKafka{t: t, script: filepath.Join(root, "deploy", "kafka", "kafka-local.sh"), home: home, port: port,
		env: append(os.Environ(), "KAFKA_PORT="+port, "KAFKA_CONTROLLER_PORT="+cport, "KAFKA_LOCAL_HOME="+home,
			"KAFKA_LIB_DIR="+lib, "KEEP_DATA=1", "KAFKA_START_TIMEOUT=120", "KAFKA_STOP_TIMEOUT=30")}
	t.Cleanup(func() {
		cmd := exec.Command(k.script, "stop")
		cmd.Env = append(slicesWithout(k.env, "KEEP_DATA=1"), "KEEP_DATA=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("kafka-local.sh stop: %v\n%s", err, out)
		}
	})
	out := k.run("start")
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "KAFKA_BROKERS="); ok {
			k.brokers = strings.Split(v, ",")
		}
	}
	if len(k.brokers) == 0 {
		t.Fatalf("kafka-local.sh start printed no KAFKA_BROKERS: %s", out)
	}
	return k
}

func slicesWithout(list []string, drop string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// run runs kafka-local.sh with cmd and returns its standard output.
func (k *localKafka) run(cmd string) string {
	k.t.Helper()
	c := exec.Command(k.script, cmd)
	c.Env = k.env
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := c.Run(); err != nil {
		k.t.Fatalf("kafka-local.sh %s: %v\n%s%s", cmd, err, stdout.String(), stderr.String())
	}
	k.t.Logf("kafka-local.sh %s: %s", cmd, time.Since(t0).Round(100*time.Millisecond))
	return stdout.String()
}

// kill9 kills the broker's JVM with SIGKILL (our own broker: its pid file is
// in our private directory).
func (k *localKafka) kill9() {
	k.t.Helper()
	b, err := os.ReadFile(filepath.Join(k.home, "kafka-"+k.port+".pid"))
	if err != nil {
		k.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		k.t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		k.t.Fatal(err)
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
}
