package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// Options are the driver's settings, shared by every scenario.
type Options struct {
	Brokers []string
	// Partitions of every topic the tool creates; default 6 (the
	// connector's KAFKA_TOPIC_PARTITIONS default).
	Partitions int
	// KeyBits of the RSA key POSTIDENT encrypts results for; default 3072.
	KeyBits int
	// Coalesce runs the connector child's processor with list coalescing
	// (ProcessorConfig.Coalesce).
	Coalesce bool
	// CoalesceMin is the processor's CoalesceConfig.Min; 0: its default.
	CoalesceMin int
	// BatchTimeout of the connector's Kafka writer; 0: its default (5ms).
	BatchTimeout time.Duration
	// ProfileDir, when set, receives CPU profiles of the connector child
	// taken during the measured phases.
	ProfileDir string
	Out        io.Writer

	// Ingest.
	Rates       []int
	Duration    time.Duration
	Conns       int
	SatDuration time.Duration
	SatConns    int
	// End to end.
	E2ERate     int
	E2EDuration time.Duration
	Burst       int
	// Reconcile.
	ReconcileCases int
	// Memory and reload.
	StateCases int
}

func (o *Options) defaults() {
	positive(&o.Partitions, 6) // the connector's KAFKA_TOPIC_PARTITIONS default
	positive(&o.KeyBits, 3072)
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if len(o.Rates) == 0 {
		o.Rates = []int{500, 2000, 5000}
	}
	positive(&o.Duration, 10*time.Second)
	positive(&o.Conns, 512)
	positive(&o.SatDuration, 10*time.Second)
	positive(&o.SatConns, 256)
	positive(&o.E2ERate, 200)
	positive(&o.E2EDuration, 15*time.Second)
	positive(&o.Burst, 10000)
	positive(&o.ReconcileCases, 10000)
	positive(&o.StateCases, 1000000)
}

// positive sets *p to def unless it is above zero.
func positive[T int | time.Duration](p *T, def T) {
	if *p <= 0 {
		*p = def
	}
}

// Driver runs scenarios and collects the figures.
type Driver struct {
	o       Options
	runID   string
	tmp     string
	keyFile string
	Figures []Figure
}

// Figure is one line of the final table.
type Figure struct {
	Name, Target, Measured string
	Met                    string // "yes", "no", or "-" (no target)
}

// NewDriver prepares a run: a temporary directory and the RSA key.
func NewDriver(o Options) (*Driver, error) {
	o.defaults()
	var b [4]byte
	_, _ = rand.Read(b[:])
	d := &Driver{o: o, runID: hex.EncodeToString(b[:])}
	var err error
	if d.tmp, err = os.MkdirTemp("", "postident-bench-"); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, o.KeyBits)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	d.keyFile = filepath.Join(d.tmp, "key.pem")
	if err := os.WriteFile(d.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// Close removes the temporary directory.
func (d *Driver) Close() error { return os.RemoveAll(d.tmp) }

func (d *Driver) printf(format string, args ...any) { fmt.Fprintf(d.o.Out, format, args...) }

func (d *Driver) figure(name, target, measured, met string) {
	d.Figures = append(d.Figures, Figure{Name: name, Target: target, Measured: measured, Met: met})
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// topics returns fresh topic names for one scenario and creates them.
func (d *Driver) topics(ctx context.Context, scenario string) (connector.Topics, error) {
	p := "bench-" + d.runID + "-" + scenario + "."
	t := scenarioTopics(p)
	n := d.o.Partitions
	err := kafka.EnsureTopics(ctx, d.kcfg(),
		kafka.TopicSpec{Name: t.Status, Partitions: n, ReplicationFactor: 1},
		kafka.TopicSpec{Name: t.Result, Partitions: n, ReplicationFactor: 1, Compact: true},
		kafka.TopicSpec{Name: t.Notifications, Partitions: n, ReplicationFactor: 1},
		kafka.TopicSpec{Name: t.State, Partitions: n, ReplicationFactor: 1, Compact: true},
		kafka.TopicSpec{Name: t.DeadLetter, Partitions: n, ReplicationFactor: 1, Compact: true})
	return t, err
}

// scenarioTopics names the topics of one scenario, prefix p.
func scenarioTopics(p string) connector.Topics {
	return connector.Topics{Status: p + "status", Result: p + "result", Notifications: p + "notifications", State: p + "state",
		Records: p + "records", DeadLetter: p + "dead-letter"}
}

func (d *Driver) kcfg() kafka.Config {
	return kafka.Config{Brokers: d.o.Brokers, ClientID: "postident-bench"}
}

// deleteTopics removes a scenario's topics (best effort).
func (d *Driver) deleteTopics(t connector.Topics) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.o.Brokers...))
	if err != nil {
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 20000
	for _, n := range []string{t.Status, t.Result, t.Notifications, t.State, t.DeadLetter} {
		nn := n
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic = &nn
		req.Topics = append(req.Topics, rt)
		req.TopicNames = append(req.TopicNames, n)
	}
	_, _ = req.RequestWith(ctx, cl)
}

// startPair starts the simulator and the connector child wired to each
// other; the connector's webhook address is chosen first so the simulator
// can be told where to send webhooks.
func (d *Driver) startPair(ctx context.Context, so SimOptions, co ConnectorOptions, withWebhooks bool) (simURL string, cr connectorReady, stop func(), sim, conn *child, err error) {
	hookAddr, err := freeAddr(ctx)
	if err != nil {
		return "", cr, nil, nil, nil, err
	}
	if withWebhooks {
		so.WebhookURL = "http://" + hookAddr + "/postident/webhook"
	}
	var sr simReady
	sim, err = startChild(ctx, "sim", so, &sr)
	if err != nil {
		return "", cr, nil, nil, nil, err
	}
	co.SimURL, co.KeyFile, co.WebhookAddr, co.Brokers = sr.URL, d.keyFile, hookAddr, d.o.Brokers
	co.BatchTimeout = d.o.BatchTimeout
	co.Coalesce, co.CoalesceMin = d.o.Coalesce, d.o.CoalesceMin
	conn, err = startChild(ctx, "connector", co, &cr)
	if err != nil {
		sim.stop()
		return "", cr, nil, nil, nil, err
	}
	return sr.URL, cr, func() { conn.stop(); sim.stop() }, sim, conn, nil
}

// consumer timestamps records as they arrive on the watched topics.
type consumer struct {
	cl   *kgo.Client
	done chan struct{}
	mu   sync.Mutex
	seen map[string]map[string]time.Time // topic -> caseId -> first arrival
	last map[string]map[string]time.Time // topic -> caseId -> latest arrival
	n    map[string]*atomic.Int64
}

func (d *Driver) consume(ctx context.Context, topics ...string) (*consumer, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.o.Brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		return nil, err
	}
	c := &consumer{cl: cl, done: make(chan struct{}), seen: map[string]map[string]time.Time{}, last: map[string]map[string]time.Time{}, n: map[string]*atomic.Int64{}}
	for _, t := range topics {
		c.seen[t] = map[string]time.Time{}
		c.last[t] = map[string]time.Time{}
		c.n[t] = &atomic.Int64{}
	}
	go func() {
		defer close(c.done)
		for {
			fs := cl.PollFetches(ctx)
			if fs.IsClientClosed() || ctx.Err() != nil {
				return
			}
			now := time.Now()
			c.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				m := c.seen[r.Topic]
				if _, dup := m[string(r.Key)]; !dup {
					m[string(r.Key)] = now
				}
				c.last[r.Topic][string(r.Key)] = now
				c.n[r.Topic].Add(1)
			})
			c.mu.Unlock()
		}
	}()
	return c, nil
}

func (c *consumer) close() { c.cl.Close(); <-c.done }

// distinct is how many distinct keys arrived on topic.
func (c *consumer) distinct(topic string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen[topic])
}

func (c *consumer) arrival(topic, key string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.seen[topic][key]
	return t, ok
}

// waitDistinct waits until topic holds want distinct keys.
func (c *consumer) waitDistinct(ctx context.Context, topic string, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for c.distinct(topic) < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d of %d records on %s after %s", errTimeout, c.distinct(topic), want, topic, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// endOffsets sums the high watermarks of topic's partitions.
func (d *Driver) endOffsets(ctx context.Context, topic string) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.o.Brokers...))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	md := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = &topic
	md.Topics = append(md.Topics, mt)
	mresp, err := md.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	for _, t := range mresp.Topics {
		for _, p := range t.Partitions {
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Partition = p.Partition
			lp.Timestamp = -1
			lt.Partitions = append(lt.Partitions, lp)
		}
	}
	lo.Topics = append(lo.Topics, lt)
	shards := cl.RequestSharded(ctx, lo)
	var sum int64
	for _, s := range shards {
		if s.Err != nil {
			return 0, s.Err
		}
		for _, t := range s.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, p := range t.Partitions {
				sum += p.Offset
			}
		}
	}
	return sum, nil
}

// simAdmin talks to the simulator child's admin API.
type simAdmin struct {
	url string
	hc  *http.Client
}

func newSimAdmin(url string) *simAdmin {
	return &simAdmin{url: url, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 60 * time.Second}}
}

func (s *simAdmin) post(ctx context.Context, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// create makes count cases in chunks, advancing the simulated clock by one
// second after each chunk so that creation times spread out (at most chunk
// cases share a second, as in a real onboarding campaign, and a list page
// of 1000 spans several seconds).
func (s *simAdmin) create(ctx context.Context, count, chunk int, method, scenario string, run bool) ([]string, error) {
	var ids []string
	for len(ids) < count {
		n := min(chunk, count-len(ids))
		var out struct{ CaseIDs []string }
		if err := s.post(ctx, "/sim/v1/cases", map[string]any{"method": method, "class": "GwG", "scenario": scenario, "count": n, "run": run}, &out); err != nil {
			return ids, err
		}
		ids = append(ids, out.CaseIDs...)
		if err := s.post(ctx, "/sim/v1/clock/advance", map[string]any{"seconds": 1}, nil); err != nil {
			return ids, err
		}
	}
	return ids, nil
}

// syncClock moves the simulated clock forward to real time.
func (s *simAdmin) syncClock(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/sim/v1/clock", nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct{ Now time.Time }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if lag := time.Until(out.Now); lag < 0 {
		return s.post(ctx, "/sim/v1/clock/advance", map[string]any{"seconds": -lag.Seconds()}, nil)
	}
	return nil
}

// run runs a case's scenario to its end (a final status and its webhook).
func (s *simAdmin) run(ctx context.Context, id string) error {
	return s.post(ctx, "/sim/v1/cases/"+id+"/run", nil, nil)
}

// profile fetches a CPU profile of the connector child for the given
// seconds into ProfileDir/name.pprof, in the background.
func (d *Driver) profile(ctx context.Context, control, name string, seconds int) func() {
	if d.o.ProfileDir == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", control, seconds), nil)
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		_ = os.MkdirAll(d.o.ProfileDir, 0o750)
		f, err := os.Create(filepath.Join(d.o.ProfileDir, name+".pprof"))
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = io.Copy(f, resp.Body)
	}()
	return func() { <-done }
}
