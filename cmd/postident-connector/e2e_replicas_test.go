package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// The replica tests run the connector as an operator does when scaling
// out: separate processes of the built binary on one consumer group, one
// process for webhook, reconciler and archiver, and several with
// ROLES=processor, against the simulator over HTTP and Kafka over TCP (kfake
// in this test process, or the broker in KAFKA_BROKERS).

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// connectorBinary builds the binary once per test run.
func connectorBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "postident-replicas-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "postident-connector")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is one connector process.
type proc struct {
	name  string
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
	admin string
	logf  string
}

// replicaSet starts and stops connector processes for one e2eEnv.
type replicaSet struct {
	t      *testing.T
	e      *e2eEnv
	bin    string
	dir    string
	starts int
	mu     sync.Mutex
	procs  []*proc
}

func newReplicaSet(t *testing.T, e *e2eEnv) *replicaSet {
	rs := &replicaSet{t: t, e: e, bin: connectorBinary(t), dir: t.TempDir()}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(rs.dir, "*.log"))
			for _, l := range logs {
				t.Logf("--- %s:\n%s", filepath.Base(l), tail(l, 25))
			}
		}
		rs.mu.Lock()
		defer rs.mu.Unlock()
		for _, p := range rs.procs {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	})
	return rs
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary with roles and waits until /readyz answers 200.
func (rs *replicaSet) start(name, roles string) *proc {
	rs.t.Helper()
	rs.starts++
	admin := freeAddr(rs.t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(), "OTEL_SDK_DISABLED=true"}
	for k, v := range rs.e.cfgEnv {
		env = append(env, k+"="+v)
	}
	env = append(env, "ROLES="+roles, "ADMIN_ADDR="+admin, "LOG_LEVEL=info", "PROCESSOR_FOLLOW_STATE=true")
	p := &proc{name: name, admin: "http://" + admin, done: make(chan struct{}),
		logf: filepath.Join(rs.dir, fmt.Sprintf("%02d-%s.log", rs.starts, name))}
	out, err := os.Create(p.logf)
	if err != nil {
		rs.t.Fatal(err)
	}
	p.cmd = exec.Command(rs.bin, "run")
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		rs.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		out.Close()
		close(p.done)
	}()
	rs.mu.Lock()
	rs.procs = append(rs.procs, p)
	rs.mu.Unlock()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-p.done:
			rs.t.Fatalf("%s exited during start (%v):\n%s", name, p.err, tail(p.logf, 20))
		default:
		}
		if resp, err := client.Get(p.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			rs.t.Fatalf("%s not ready in 90s:\n%s", name, tail(p.logf, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends p with sig (SIGTERM: graceful; SIGKILL: a crash) and waits for
// it to exit.
func (rs *replicaSet) stop(p *proc, sig syscall.Signal) {
	rs.t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		rs.t.Fatalf("%s did not exit in 60s after %v:\n%s", p.name, sig, tail(p.logf, 20))
	}
	if sig == syscall.SIGTERM && p.err != nil {
		rs.t.Errorf("%s exited with %v after SIGTERM:\n%s", p.name, p.err, tail(p.logf, 20))
	}
	rs.mu.Lock()
	for i, q := range rs.procs {
		if q == p {
			rs.procs = append(rs.procs[:i], rs.procs[i+1:]...)
			break
		}
	}
	rs.mu.Unlock()
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// renotify posts the webhook of every case again, as POSTIDENT's retries
// do.
func (e *e2eEnv) renotify(t *testing.T, ids []string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, id := range ids {
		body, _ := json.Marshal(map[string]string{"caseId": id})
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, e.hookURL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(e2eHookUser, e2eHookPass)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("re-notify: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("re-notify: status %d", resp.StatusCode)
		}
	}
}

// waitConsumed waits until the processor group has committed every
// notification written so far: nothing is left that could still emit.
func (e *e2eEnv) waitConsumed(t *testing.T, within time.Duration) {
	t.Helper()
	group := e.cfgEnv["KAFKA_GROUP_PREFIX"] + ".processor"
	topic := e.cfgEnv["TOPIC_NOTIFICATIONS"]
	c := &kafkago.Client{Addr: kafkago.TCP(e.brokers...), Timeout: 10 * time.Second}
	eventually(t, within, "every notification consumed", func() (bool, string) {
		md, err := c.Metadata(e.ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
		if err != nil || len(md.Topics) != 1 {
			return false, fmt.Sprintf("metadata: %v", err)
		}
		var parts []int
		var reqs []kafkago.OffsetRequest
		for _, p := range md.Topics[0].Partitions {
			parts = append(parts, p.ID)
			reqs = append(reqs, kafkago.LastOffsetOf(p.ID))
		}
		ends, err := c.ListOffsets(e.ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
		if err != nil {
			return false, fmt.Sprintf("list offsets: %v", err)
		}
		com, err := c.OffsetFetch(e.ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
		if err != nil {
			return false, fmt.Sprintf("offset fetch: %v", err)
		}
		committed := map[int]int64{}
		for _, p := range com.Topics[topic] {
			committed[p.Partition] = p.CommittedOffset
		}
		behind := int64(0)
		for _, p := range ends.Topics[topic] {
			behind += max(p.LastOffset-committed[p.Partition], 0)
		}
		return behind == 0, fmt.Sprintf("%d notifications not committed", behind)
	})
}

// replicaFigures counts what the topics hold against the simulator.
type replicaFigures struct {
	cases, closed                     int
	repeatedResults, repeatedStatuses int
	statusEvents                      int
	lostResults, lostStatuses, second int
}

func (f replicaFigures) String() string {
	return fmt.Sprintf("%d cases (%d closed): %d repeated results, %d of %d status events repeated, %d lost results, %d lost final statuses, %d second ids",
		f.cases, f.closed, f.repeatedResults, f.repeatedStatuses, f.statusEvents, f.lostResults, f.lostStatuses, f.second)
}

// countReplicaFigures compares the collected events with every case's
// current state in the simulator: the final status event and (for a closed
// case) the result must be there with the ids that state determines.
func countReplicaFigures(e *e2eEnv, col *collector, ids []string) replicaFigures {
	statuses, results := col.snapshot()
	f := replicaFigures{cases: len(ids)}
	for _, id := range ids {
		c, ok := e.sim.Case(id, false)
		if !ok {
			f.lostStatuses++
			continue
		}
		key := connector.IdentKeyOf(c)
		seen := map[string]bool{}
		for _, ev := range statuses[id] {
			f.statusEvents++
			if seen[ev.EventID] {
				f.repeatedStatuses++
			}
			seen[ev.EventID] = true
		}
		if !seen[connector.StatusEventID(e2eClient, id, key)] {
			f.lostStatuses++
		}
		if c.CaseStatus.Status != connector.CaseClosed {
			f.second += len(results[id])
			continue
		}
		f.closed++
		want := connector.ResultEventID(e2eClient, id, key)
		if len(results[id]) == 0 {
			f.lostResults++
		}
		if len(results[id]) > 1 {
			f.repeatedResults += len(results[id]) - 1
		}
		for _, r := range results[id] {
			if r.EventID != want {
				f.second++
			}
		}
	}
	return f
}

// rollProcessors runs 3 processor processes and one webhook, reconciler and
// archiver process, and replaces a processor rolls times with sig while
// the cases progress and are notified again after each roll. It returns the
// figures once every notification is consumed.
func rollProcessors(t *testing.T, sig syscall.Signal, rolls, cases int) replicaFigures {
	e := newE2E(t, envOpts{noStart: true, env: map[string]string{"KAFKA_TOPIC_PARTITIONS": "6", "SHUTDOWN_TIMEOUT": "15s"}})
	rs := newReplicaSet(t, e)
	hub := rs.start("hub", "webhook,reconciler,archiver")
	defer rs.stop(hub, syscall.SIGTERM)
	col := e.collect() // once the hub created the topics
	procs := make([]*proc, 3)
	for i := range procs {
		procs[i] = rs.start(fmt.Sprintf("processor-%d", i), "processor")
	}
	ids := createMixed(t, e.sim, cases, 23)
	open := append([]string(nil), ids...)
	for roll := range rolls {
		// Cases move on (webhooks go out now) while a replica stops.
		var still []string
		for _, id := range open {
			if fin, err := e.sim.Step(id); err == nil && !fin {
				still = append(still, id)
			}
		}
		open = still
		i := roll % len(procs)
		start := time.Now()
		rs.stop(procs[i], sig)
		procs[i] = rs.start(fmt.Sprintf("processor-%d", i), "processor")
		e.renotify(t, ids)
		if sig == syscall.SIGKILL {
			// A crash, not a crash loop: the replacement settles in (and
			// the killed member's session expires) before the next kill.
			// TestCrashStormRecovers kills in a row.
			e.waitConsumed(t, 90*time.Second)
		}
		t.Logf("roll %d (%v): processor-%d replaced in %s; %d cases still open", roll+1, sig, i, time.Since(start).Round(10*time.Millisecond), len(open))
	}
	for _, id := range open {
		if err := e.sim.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sim.WaitIdle(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.renotify(t, ids)
	e.waitConsumed(t, 90*time.Second)
	eventually(t, 60*time.Second, "every case's final status and result on Kafka", func() (bool, string) {
		f := countReplicaFigures(e, col, ids)
		return f.lostResults == 0 && f.lostStatuses == 0, f.String()
	})
	// The collector reads behind the producers; what was committed is
	// durable, so a last look after it caught up sees every repeat.
	time.Sleep(500 * time.Millisecond)
	for _, p := range procs {
		rs.stop(p, syscall.SIGTERM)
	}
	return countReplicaFigures(e, col, ids)
}

// TestReplicasRollingRestartNoRepeats is issue 14's acceptance test: three
// processor processes, six graceful rolling restarts (SIGTERM, as a
// Deployment rollout does) while cases progress and are re-notified after
// each roll. Nothing may be lost, nothing emitted under a second id, and
// nothing repeated: a partition moving to another replica is handled there
// with the state its previous owner wrote.
func TestReplicasRollingRestartNoRepeats(t *testing.T) {
	f := rollProcessors(t, syscall.SIGTERM, 6, 60)
	t.Logf("graceful: %s", f)
	if f.lostResults != 0 || f.lostStatuses != 0 || f.second != 0 {
		t.Errorf("lost or second ids: %s", f)
	}
	if f.repeatedResults != 0 || f.repeatedStatuses != 0 {
		t.Errorf("repeats after graceful rolling restarts: %s", f)
	}
}

// TestReplicasKilledLoseNothing: the same with kill -9. At-least-once is
// allowed here (a replica can die between publishing and committing), so
// repeats are counted and logged, not failed; nothing may be lost and no
// case may get a second id.
func TestReplicasKilledLoseNothing(t *testing.T) {
	f := rollProcessors(t, syscall.SIGKILL, 3, 60)
	t.Logf("kill -9: %s", f)
	if f.lostResults != 0 || f.lostStatuses != 0 || f.second != 0 {
		t.Errorf("lost or second ids after kill -9: %s", f)
	}
}

// crashStormBound is how long, after the last of ten kill -9 in a row, the
// restarted connector may take to run the reconciler again and to archive
// what it processed. It covers the dead members' session timeout (6s) plus
// a rebalance; the test waits at most this long and logs what it took.
const crashStormBound = 40 * time.Second

// TestCrashStormRecovers kills the connector (all roles) ten times in a row
// as soon as it is ready, then starts it once more: the reconciler lease is
// taken and a reconcile runs, and cases that close afterwards are
// processed and archived, each within crashStormBound.
func TestCrashStormRecovers(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true, env: map[string]string{"RECONCILE_INTERVAL": "1h"}})
	rs := newReplicaSet(t, e)
	const all = "webhook,processor,reconciler,archiver"
	for i := range 10 {
		rs.stop(rs.start(fmt.Sprintf("storm-%d", i), all), syscall.SIGKILL)
	}
	p := rs.start("survivor", all)
	t0 := time.Now()
	ids := createMixed(t, e.sim, 20, 31)
	for _, id := range ids {
		if err := e.sim.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
	}
	closed := closedOf(e.sim, ids)
	var reconciled, archived time.Duration
	eventually(t, crashStormBound, "a reconcile run and every closed case archived after the crash storm", func() (bool, string) {
		if reconciled == 0 && strings.Contains(tail(p.logf, 1000), `"reconcile done"`) {
			reconciled = time.Since(t0)
		}
		n := 0
		for _, id := range closed {
			if e.sim.IsArchived(id) {
				n++
			}
		}
		if archived == 0 && n == len(closed) {
			archived = time.Since(t0)
		}
		return reconciled > 0 && archived > 0, fmt.Sprintf("reconciled: %v, %d of %d closed cases archived", reconciled > 0, n, len(closed))
	})
	t.Logf("after 10 kill -9: reconcile ran %s and %d closed cases were archived %s after the restart (bound %s)",
		reconciled.Round(100*time.Millisecond), len(closed), archived.Round(100*time.Millisecond), crashStormBound)
	if os.Getenv("DEBUG_STORM") != "" { // to see where the time goes
		t.Logf("t0 %s\n%s", t0.UTC().Format(time.RFC3339Nano), tail(p.logf, 300))
	}
	rs.stop(p, syscall.SIGTERM)
}
