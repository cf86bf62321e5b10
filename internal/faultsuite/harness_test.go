//go:build faults

package faultsuite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// The account the simulator and the connector share. The secrets reach the
// connector as files (NAME_FILE), as they would from a secret mount.
const (
	clientID   = "FAULTSUITE1"
	apiUser    = "faults"
	apiPass    = "faults-api-password-3f9c"
	dataPass   = "faults-data-password-81d2"
	hookUser   = "postident"
	hookPass   = "faults-hook-password-c07e"
	hookPath   = "/postident/webhook"
	partitions = 3
	// timeScale runs the simulated clock 1200 times as fast as the real one:
	// POSTIDENT's webhook retries (at once, +900 s, +3600 s) take 0.75 s and
	// 3 s, so a connector that is down for longer loses webhooks and the
	// reconciler must find the cases. Starting 30 days back keeps every case
	// in the connector's past for 36 real minutes.
	timeScale = 1200
	simOffset = 30 * 24 * time.Hour
)

// opts adjust an environment.
type opts struct {
	env     map[string]string // connector configuration on top of the defaults
	brokers []string          // Kafka; default kfake (or KAFKA_BROKERS with FAULTS_KAFKA=real)
}

// env is one scenario run: a simulator behind a counting, archive-checking
// front, Kafka, and the connector binary as a subprocess.
type env struct {
	t       *testing.T
	ctx     context.Context
	name    string
	dir     string
	brokers []string
	sim     *sim.Sim
	front   *front
	srv     *httptest.Server
	cenv    map[string]string
	hookURL string
	admin   string
	codec   *avro.Codec
	col     *collector
	rng     *rand.Rand

	proc       *proc
	starts     int
	kills      int
	unexpected int // exits after the connector was ready, not caused by the suite
	// failedStarts are starts that ended before the connector was ready
	// (e.g. Kafka unreachable for 30 s).
	failedStarts int
	down         bool // the suite stopped the connector and wants it down
	exitNotes    []string
	lastTry      time.Time
}

// proc is one connector process.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	ended  atomic.Bool // the suite killed or stopped it
	logf   string
	output *os.File
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kafkaBrokers returns the brokers of a scenario that does not bring its own:
// the real cluster with FAULTS_KAFKA=real, else a fresh kfake on loopback.
func kafkaBrokers(t *testing.T) []string {
	if os.Getenv("FAULTS_KAFKA") == "real" {
		if b := kafkatest.External(); len(b) > 0 {
			return b
		}
		t.Fatal("FAULTS_KAFKA=real needs KAFKA_BROKERS")
	}
	addrs, closeFn, err := kafkatest.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return addrs
}

// freeAddr returns a free loopback address for a server that is started and
// stopped again and again. The port lies below the kernel's ephemeral range:
// a port from that range (what ":0" gives) is soon the local end of some
// outgoing connection, and the restarted server could no longer bind it.
func freeAddr(t *testing.T) string {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				low = v
			}
		}
	}
	const first = 20000
	if low <= first+1000 {
		t.Fatalf("ephemeral ports start at %d: no room for fixed test ports", low)
	}
	portMu.Lock()
	defer portMu.Unlock()
	for range 1000 {
		port := first + rand.IntN(low-first)
		if usedPorts[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		usedPorts[port] = true
		return fmt.Sprintf("127.0.0.1:%d", port)
	}
	t.Fatal("no free port")
	return ""
}

var (
	portMu    sync.Mutex
	usedPorts = map[int]bool{}
)

func newEnv(t *testing.T, name string, o opts, timeout time.Duration) *env {
	t.Helper()
	ctx := kafkatest.Context(t, timeout)
	dir := t.TempDir()
	if base := os.Getenv("FAULTS_LOGDIR"); base != "" {
		// Keep the connector's logs for a look afterwards.
		dir = filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "-")+"-"+time.Now().Format("150405"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, ctx: ctx, name: name, dir: dir, rng: rand.New(rand.NewPCG(seed, uint64(len(name))+uint64(time.Now().UnixNano()%1000)))}
	e.brokers = o.brokers
	if e.brokers == nil {
		e.brokers = kafkaBrokers(t)
	}
	hookAddr := freeAddr(t)
	e.hookURL = "http://" + hookAddr + hookPath
	adminAddr := freeAddr(t)
	e.admin = "http://" + adminAddr
	s, err := sim.New(sim.Config{ClientID: clientID, Username: apiUser, Password: apiPass, DataPassword: dataPass, RequireEncryption: true,
		WebhookURL: e.hookURL, WebhookUsername: hookUser, WebhookPassword: hookPass, WebhookReferenceID: true,
		TimeScale: timeScale, Seed: int64(seed % (1 << 62)),
		Now: func() time.Time { return time.Now().Add(-simOffset) }})
	if err != nil {
		t.Fatal(err)
	}
	e.sim = s
	codec, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.codec = codec
	e.cenv = map[string]string{
		"POSTIDENT_CLIENT_ID":           clientID,
		"POSTIDENT_USERNAME":            apiUser,
		"POSTIDENT_PASSWORD_FILE":       e.secretFile("api-password", apiPass),
		"POSTIDENT_DATA_PASSWORD_FILE":  e.secretFile("data-password", dataPass),
		"POSTIDENT_PRIVATE_KEY_FILE":    e.secretFile("key.pem", string(keyPEM)),
		"POSTIDENT_REQUIRE_ENCRYPTION":  "true",
		"POSTIDENT_TIMEOUT":             "3s",
		"KAFKA_BROKERS":                 strings.Join(e.brokers, ","),
		"KAFKA_REPLICATION_FACTOR":      "1",
		"KAFKA_TOPIC_PARTITIONS":        fmt.Sprint(partitions),
		"KAFKA_GROUP_PREFIX":            kafkatest.TopicName(t, "faults-"+name+"-group"),
		"TOPIC_STATUS":                  kafkatest.TopicName(t, "faults-"+name+"-status"),
		"TOPIC_RESULT":                  kafkatest.TopicName(t, "faults-"+name+"-result"),
		"TOPIC_NOTIFICATIONS":           kafkatest.TopicName(t, "faults-"+name+"-notifications"),
		"TOPIC_STATE":                   kafkatest.TopicName(t, "faults-"+name+"-state"),
		"TOPIC_LEASE":                   kafkatest.TopicName(t, "faults-"+name+"-lease"),
		"TOPIC_DEAD_LETTER":             kafkatest.TopicName(t, "faults-"+name+"-dead-letter"),
		"WEBHOOK_ADDR":                  hookAddr,
		"WEBHOOK_PATH":                  hookPath,
		"WEBHOOK_USERNAME":              hookUser,
		"WEBHOOK_PASSWORD_FILE":         e.secretFile("hook-password", hookPass),
		"ADMIN_ADDR":                    adminAddr,
		"RECONCILE_INTERVAL":            "3s",
		"ARCHIVE_LINGER":                "200ms",
		"SHUTDOWN_TIMEOUT":              "10s",
		"LOG_LEVEL":                     "info",
		"LOG_FORMAT":                    "json",
		"POSTIDENT_INCLUDE_BINARY_DATA": "false",
	}
	for k, v := range o.env {
		e.cenv[k] = v
	}
	e.col = newCollector(e)
	e.front = &front{sim: s.Handler(), col: e.col, hookBudget: 1500 * time.Millisecond}
	e.srv = httptest.NewServer(e.front)
	e.cenv["POSTIDENT_BASE_URL"] = e.srv.URL + "/api/scr/v1"
	t.Cleanup(func() {
		e.stop()
		e.col.close()
		e.srv.Close()
		s.Close()
	})
	return e
}

func (e *env) secretFile(name, value string) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) environ() []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(), "OTEL_SDK_DISABLED=true"}
	for k, v := range e.cenv {
		out = append(out, k+"="+v)
	}
	return out
}

// start runs the connector and waits until /readyz answers 200. An error
// means it exited or did not get ready in time.
func (e *env) start() error {
	e.down = false
	e.starts++
	e.lastTry = time.Now()
	logf := filepath.Join(e.dir, fmt.Sprintf("connector-%03d.log", e.starts))
	out, err := os.Create(logf)
	if err != nil {
		return err
	}
	cmd := exec.Command(binary, "run")
	cmd.Env = e.environ()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), logf: logf, output: out}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	e.proc = p
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if p.exited() {
			p.ended.Store(true)
			e.failedStarts++
			err := fmt.Errorf("connector exited during start (%v): %s", p.err, lastLines(logf, 2))
			e.exitNotes = append(e.exitNotes, err.Error())
			return err
		}
		if resp, err := client.Get(e.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || e.ctx.Err() != nil {
			return fmt.Errorf("connector not ready in 90s: %s", lastLines(logf, 3))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) mustStart() {
	e.t.Helper()
	if err := e.start(); err != nil {
		e.t.Fatal(err)
	}
}

// kill ends the connector with SIGKILL: no shutdown, no flush, no commit.
func (e *env) kill() {
	p := e.proc
	if p == nil || p.exited() {
		return
	}
	p.ended.Store(true)
	e.down = true
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	e.kills++
}

// stop ends the connector gracefully (SIGTERM), SIGKILL after 20 s.
func (e *env) stop() {
	p := e.proc
	if p == nil || p.exited() {
		return
	}
	p.ended.Store(true)
	e.down = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// supervise does what Kubernetes would: a connector that exited on its own is
// counted (with the reason from its log) and started again. One the suite
// killed stays down until the suite starts it.
func (e *env) supervise() {
	p := e.proc
	if p == nil || !p.exited() {
		return
	}
	if !p.ended.Load() {
		p.ended.Store(true)
		e.unexpected++
		note := fmt.Sprintf("%v: %s", p.err, lastLines(p.logf, 1))
		e.exitNotes = append(e.exitNotes, note)
		e.t.Logf("connector exited on its own: %s", note)
	}
	if e.down || time.Since(e.lastTry) < time.Second {
		return
	}
	if err := e.start(); err != nil {
		e.t.Logf("restart failed: %v", err)
	}
}

// sleep waits d, supervising the connector meanwhile.
func (e *env) sleep(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) && e.ctx.Err() == nil {
		e.supervise()
		time.Sleep(min(100*time.Millisecond, time.Until(end)))
	}
}

// lastLines returns the last n non-empty lines of a log file, shortened.
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	s := strings.Join(lines, " | ")
	if len(s) > 600 {
		s = s[len(s)-600:]
	}
	return s
}

// --- Kafka: following the topics ------------------------------------------

// collector follows the result and status topics from the start (no
// consumer group), decodes every record, and tracks how far it has read per
// partition, so the archive check can tell what was durable at a moment.
type collector struct {
	e           *env
	resultTopic string
	statusTopic string

	startOnce sync.Once
	cl        *kgo.Client
	cancel    context.CancelFunc
	done      chan struct{}

	mu       sync.Mutex
	results  map[string][]resultRec
	statuses map[string][]connector.CaseStatusChanged
	pos      map[string]map[int32]int64 // next offset per topic and partition
	errs     int
	lastErr  string
}

type resultRec struct {
	EventID   string
	Partition int32
	Offset    int64
}

func newCollector(e *env) *collector {
	return &collector{e: e, resultTopic: e.cenv["TOPIC_RESULT"], statusTopic: e.cenv["TOPIC_STATUS"],
		results: map[string][]resultRec{}, statuses: map[string][]connector.CaseStatusChanged{},
		pos: map[string]map[int32]int64{}, done: make(chan struct{})}
}

// begin starts following; call it once the connector created the topics.
func (c *collector) begin() {
	c.startOnce.Do(func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.e.brokers...), kgo.ConsumeTopics(c.resultTopic, c.statusTopic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond),
			kgo.MetadataMinAge(250*time.Millisecond), kgo.ClientID("faultsuite-collector"))
		if err != nil {
			c.e.t.Fatal(err)
		}
		c.cl = cl
		ctx, cancel := context.WithCancel(context.Background())
		c.cancel = cancel
		go c.run(ctx)
	})
}

func (c *collector) run(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil {
		fs := c.cl.PollFetches(ctx)
		fs.EachError(func(topic string, p int32, err error) {
			if ctx.Err() != nil {
				return
			}
			c.mu.Lock()
			c.lastErr = fmt.Sprintf("%s/%d: %v", topic, p, err)
			c.mu.Unlock()
		})
		c.mu.Lock()
		fs.EachRecord(func(r *kgo.Record) {
			pp := c.pos[r.Topic]
			if pp == nil {
				pp = map[int32]int64{}
				c.pos[r.Topic] = pp
			}
			pp[r.Partition] = r.Offset + 1
			if r.Value == nil {
				return
			}
			switch r.Topic {
			case c.resultTopic:
				var ev connector.CaseResultEvent
				if err := c.e.codec.Decode(ctx, r.Value, &ev); err != nil {
					c.errs++
					return
				}
				c.results[ev.CaseID] = append(c.results[ev.CaseID], resultRec{EventID: ev.EventID, Partition: r.Partition, Offset: r.Offset})
			case c.statusTopic:
				var ev connector.CaseStatusChanged
				if err := c.e.codec.Decode(ctx, r.Value, &ev); err != nil {
					c.errs++
					return
				}
				c.statuses[ev.CaseID] = append(c.statuses[ev.CaseID], ev)
			}
		})
		c.mu.Unlock()
	}
}

func (c *collector) close() {
	if c.cl == nil {
		return
	}
	c.cancel()
	<-c.done
	c.cl.Close()
}

func (c *collector) hasResult(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.results[id]) > 0
}

// caughtUp reports whether the collector has read topic up to end.
func (c *collector) caughtUp(topic string, end map[int32]int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, off := range end {
		if c.pos[topic][p] < off {
			return false
		}
	}
	return true
}

// endOffsets returns the high watermark of each partition of topic: what a
// consumer can read, i.e. what the brokers acknowledged.
func (c *collector) endOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := int32(0); p < partitions; p++ {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.CurrentLeaderEpoch = -1
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	out := map[int32]int64{}
	for _, sh := range c.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			return nil, sh.Err
		}
		for _, t := range sh.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return nil, err
				}
				out[p.Partition] = p.Offset
			}
		}
	}
	if len(out) != partitions {
		return nil, fmt.Errorf("list offsets: %d of %d partitions answered", len(out), partitions)
	}
	return out, nil
}

// snapshot copies what the collector has seen.
func (c *collector) snapshot() (map[string][]resultRec, map[string][]connector.CaseStatusChanged) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := make(map[string][]resultRec, len(c.results))
	for k, v := range c.results {
		rs[k] = slices.Clone(v)
	}
	st := make(map[string][]connector.CaseStatusChanged, len(c.statuses))
	for k, v := range c.statuses {
		st[k] = slices.Clone(v)
	}
	return rs, st
}

// --- POSTIDENT: the simulator behind a front ------------------------------

// front serves the simulator and counts what the faults did to the
// connector's calls. It also checks every archive call at the moment it
// arrives: the call is held until the collector has read the result topic up
// to its high watermark as of now, and then every case id in it must have a
// result. A case archived before its result was durable is counted early.
type front struct {
	sim        http.Handler
	col        *collector
	hookBudget time.Duration

	requests, errors5xx, timeouts, slow, partial atomic.Int64

	mu             sync.Mutex
	archiveCalls   int
	archiveChecked int
	early          []string
	unverified     int
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, sim.APIPrefix) {
		f.sim.ServeHTTP(w, r)
		return
	}
	f.requests.Add(1)
	if r.Method == http.MethodPatch && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/cases/archive") {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		var ids []string
		if json.Unmarshal(body, &ids) == nil {
			f.checkArchive(r.Context(), ids)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	f.sim.ServeHTTP(rec, r)
	took := time.Since(start)
	switch {
	case r.Context().Err() != nil:
		f.timeouts.Add(1) // the connector gave up waiting
	case took > f.hookBudget:
		f.slow.Add(1)
	}
	if rec.code >= 500 {
		f.errors5xx.Add(1)
	}
	if rec.Header().Get(sim.HeaderPartial) != "" {
		f.partial.Add(1)
	}
}

func (f *front) checkArchive(ctx context.Context, all []string) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c := f.col
	// What the collector has read was durable: consumers see only records
	// below the high watermark. Only the rest needs the offsets.
	var ids []string
	for _, id := range all {
		if !c.hasResult(id) {
			ids = append(ids, id)
		}
	}
	f.mu.Lock()
	f.archiveCalls++
	f.archiveChecked += len(all) - len(ids)
	f.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	var end map[int32]int64
	for {
		var err error
		if end, err = c.endOffsets(ctx, c.resultTopic); err == nil {
			break
		}
		if ctx.Err() != nil {
			f.mu.Lock()
			f.unverified += len(ids)
			f.mu.Unlock()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	caught := false
	for wait := time.Now().Add(15 * time.Second); time.Now().Before(wait) && ctx.Err() == nil; time.Sleep(10 * time.Millisecond) {
		if caught = c.caughtUp(c.resultTopic, end); caught {
			break
		}
	}
	var missing []string
	if caught {
		for _, id := range ids {
			if !c.hasResult(id) {
				missing = append(missing, id)
			}
		}
	} else {
		// The collector is behind (a compacted tail it cannot reach, or a
		// slow broker): read the topic as it is now instead. That is later
		// than the archive call, so it can only be more lenient.
		have := map[string]bool{}
		err := kafka.ReadAll(ctx, kafka.Config{Brokers: c.e.brokers, ClientID: "faultsuite-archive-check"}, c.resultTopic, func(m connector.Message) error {
			have[string(m.Key)] = true
			return nil
		})
		if err != nil {
			f.mu.Lock()
			f.unverified += len(ids)
			f.mu.Unlock()
			return
		}
		for _, id := range ids {
			if !have[id] {
				missing = append(missing, id)
			}
		}
	}
	f.mu.Lock()
	f.archiveChecked += len(ids)
	f.early = append(f.early, missing...)
	f.mu.Unlock()
}

// --- cases ----------------------------------------------------------------

// createMixed creates n cases across methods, classes and their scenarios,
// advancing the simulated clock between them so creation times differ as in
// real traffic.
func (e *env) createMixed(n int, rng *rand.Rand) []string {
	e.t.Helper()
	methods, classes := connector.Methods(), connector.Classes()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		m := methods[rng.IntN(len(methods))]
		scen := sim.Scenarios(m)
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: m, Class: classes[rng.IntN(len(classes))], Scenario: scen[rng.IntN(len(scen))],
			ReferenceID: fmt.Sprintf("ref-%d", i)})
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
		e.sim.Advance(2 * time.Second)
	}
	return ids
}

// drive steps every case through its scenario over about span of real time,
// each case starting at a random moment and pausing randomly between steps.
// The returned channel is closed when every case has finished.
func (e *env) drive(ids []string, span time.Duration, rng *rand.Rand) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, id := range ids {
		r := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			pause := func(d time.Duration) bool {
				select {
				case <-time.After(time.Duration(r.Int64N(int64(d) + 1))):
					return true
				case <-e.ctx.Done():
					return false
				}
			}
			if !pause(span / 2) {
				return
			}
			for {
				fin, err := e.sim.Step(id)
				if err != nil || fin {
					return
				}
				if !pause(span / 5) {
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// --- the checks -----------------------------------------------------------

// verify waits until the connector has caught up (every closed case has its
// result and final status, and is archived), then checks the topics and
// adds the figures to f. It reports failures on e.t.
func (e *env) verify(ids []string, f *figures, settle time.Duration) {
	t := e.t
	t.Helper()
	wctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	if err := e.sim.WaitIdle(wctx); err != nil {
		t.Logf("simulator webhooks not idle: %v", err)
	}
	cancel()

	type want struct {
		result, status string
	}
	wants := map[string]want{}
	for _, id := range ids {
		c, ok := e.sim.Case(id, false)
		if !ok {
			t.Errorf("%s: unknown to the simulator", id)
			continue
		}
		if c.CaseStatus.Status == connector.CaseClosed {
			k := connector.IdentKeyOf(c)
			wants[id] = want{result: connector.ResultEventID(clientID, id, k), status: connector.StatusEventID(clientID, id, k)}
		}
	}
	archiving := e.cenv["ARCHIVE_ENABLED"] != "false"
	settleStart := time.Now()
	deadline := settleStart.Add(settle)
	last, lastLog := "", time.Now()
	for {
		e.supervise()
		rs, st := e.col.snapshot()
		missing, noStatus, notArchived := 0, 0, 0
		for id, w := range wants {
			if len(rs[id]) == 0 {
				missing++
			}
			if !slices.ContainsFunc(st[id], func(ev connector.CaseStatusChanged) bool { return ev.EventID == w.status }) {
				noStatus++
			}
			if archiving && !e.sim.IsArchived(id) {
				notArchived++
			}
		}
		last = fmt.Sprintf("%d of %d closed cases without result, %d without final status, %d not archived", missing, len(wants), noStatus, notArchived)
		if missing == 0 && noStatus == 0 && notArchived == 0 {
			t.Logf("caught up %s after the last fault", time.Since(settleStart).Round(100*time.Millisecond))
			break
		}
		if time.Now().After(deadline) || e.ctx.Err() != nil {
			t.Logf("not settled after %s: %s", settle, last)
			break
		}
		if time.Since(lastLog) > 5*time.Second {
			lastLog = time.Now()
			t.Logf("settling: %s", last)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Stragglers (a repeat published just before a kill) get a moment.
	e.sleep(1500 * time.Millisecond)

	// What is on Kafka now, read independently of the collector.
	onKafka := map[string]bool{}
	kcfg := kafka.Config{Brokers: e.brokers, ClientID: "faultsuite-verify"}
	if err := kafka.ReadAll(e.ctx, kcfg, e.cenv["TOPIC_RESULT"], func(m connector.Message) error {
		if m.Value != nil {
			onKafka[string(m.Key)] = true
		}
		return nil
	}); err != nil {
		t.Errorf("read the result topic: %v", err)
	}
	rs, st := e.col.snapshot()
	var lost, second, unexpected, statusSecond, finalMissing []string
	repeats := 0
	for _, id := range ids {
		w, isClosed := wants[id]
		recs := rs[id]
		if !isClosed {
			if len(recs) > 0 {
				unexpected = append(unexpected, id)
			}
		} else {
			f.Closed++
			if len(recs) == 0 || !onKafka[id] {
				lost = append(lost, id)
			}
			perID := map[string]int{}
			for _, r := range recs {
				perID[r.EventID]++
			}
			for eid, n := range perID {
				if eid != w.result {
					second = append(second, fmt.Sprintf("%s (id %s, want %s)", id, eid, w.result))
				}
				repeats += n - 1
			}
			if !slices.ContainsFunc(st[id], func(ev connector.CaseStatusChanged) bool { return ev.EventID == w.status }) {
				finalMissing = append(finalMissing, id)
			}
			if archiving && e.sim.IsArchived(id) {
				f.Archived++
			}
		}
		// One id per transition: each event's id must be the one its
		// transition determines, whoever (webhook, reconciler, a restarted
		// connector) observed it.
		byKey := map[connector.IdentKey]map[string]bool{}
		for _, ev := range st[id] {
			k := keyOfStatus(&ev)
			if want := connector.StatusEventID(clientID, id, k); ev.EventID != want {
				statusSecond = append(statusSecond, fmt.Sprintf("%s (event %s, transition id %s)", id, ev.EventID, want))
			}
			if byKey[k] == nil {
				byKey[k] = map[string]bool{}
			}
			byKey[k][ev.EventID] = true
		}
		for k, evIDs := range byKey {
			if len(evIDs) > 1 {
				statusSecond = append(statusSecond, fmt.Sprintf("%s: transition %v under %d ids", id, k, len(evIDs)))
			}
		}
	}
	f.Cases += len(ids)
	f.Lost += len(lost)
	f.SecondID += len(second) + len(unexpected)
	f.Repeats += repeats
	f.StatusSecondID += len(statusSecond)
	f.FinalStatusMissing += len(finalMissing)
	e.front.mu.Lock()
	f.ArchivedEarly += len(e.front.early)
	f.ArchiveChecked += e.front.archiveChecked
	early, unverified := slices.Clone(e.front.early), e.front.unverified
	e.front.mu.Unlock()
	f.Unexpected += e.unexpected

	report := func(what string, list []string) {
		if len(list) == 0 {
			return
		}
		t.Errorf("%s: %d, e.g. %s", what, len(list), strings.Join(list[:min(len(list), 5)], "; "))
	}
	report("closed cases without a result on Kafka (lost)", lost)
	report("results under a second id", second)
	report("results for cases that are not closed", unexpected)
	report("status events under a second id", statusSecond)
	report("closed cases without their final status event", finalMissing)
	report("cases archived before their result was durable", early)
	if e.unexpected > 0 && os.Getenv("FAULTS_STRICT_EXITS") == "1" {
		t.Errorf("the connector exited on its own %d times: %v", e.unexpected, e.exitNotes)
	}
	if unverified > 0 {
		t.Logf("%d archived ids could not be checked (Kafka unreachable at that moment)", unverified)
	}
	c := e.col
	c.mu.Lock()
	if c.errs > 0 {
		t.Errorf("%d records on the result/status topics do not decode", c.errs)
	}
	c.mu.Unlock()
	t.Logf("%s: %d cases, %d closed, %d lost, %d second id, %d same-id repeats, %d archive calls checking %d ids, %d starts (%d failed), %d kills, %d unexpected exits %v",
		e.name, len(ids), len(wants), len(lost), len(second)+len(unexpected), repeats, e.front.archiveCalls, e.front.archiveChecked, e.starts, e.failedStarts, e.kills, e.unexpected, e.exitNotes)
}

// keyOfStatus is the transition a status event stands for.
func keyOfStatus(ev *connector.CaseStatusChanged) connector.IdentKey {
	k := connector.IdentKey{CaseStatus: ev.CaseStatus}
	if ev.Method != nil {
		k.Method = *ev.Method
	}
	if ev.Status != nil {
		k.Status = *ev.Status
	}
	if ev.SubStatusCode != nil {
		k.SubStatus = int(*ev.SubStatusCode)
	}
	if ev.SubStatusReasonCode != nil {
		k.Reason = int(*ev.SubStatusReasonCode)
	}
	if ev.IdentificationModified != nil {
		k.Modified = *ev.IdentificationModified
	}
	return k
}

// --- personal data --------------------------------------------------------

// piiKeys are the JSON fields of a case whose values are personal data that
// must never reach logs.
// grepLogs returns the lines of the connector's logs that contain any of
// values.
func (e *env) grepLogs(values []string) (hits []string, lines int) {
	files, _ := filepath.Glob(filepath.Join(e.dir, "connector-*.log"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines++
			line := sc.Text()
			for _, v := range values {
				if strings.Contains(line, v) {
					hits = append(hits, fmt.Sprintf("%q in %s", v, line))
					break
				}
			}
		}
		fh.Close()
	}
	return hits, lines
}
