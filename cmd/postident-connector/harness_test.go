package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// The end-to-end harness: the simulator over HTTP, the connector's App with
// all roles, and Kafka (kfake, or the broker in KAFKA_BROKERS), each test on
// its own topics and consumer groups.

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// keyFile writes the test key as a PKCS#8 PEM file, for subcommands that
// read POSTIDENT_PRIVATE_KEY_FILE.
func keyFile(t *testing.T) string {
	der, err := x509.MarshalPKCS8PrivateKey(e2eKey(t))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "postident-key.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// e2eKey is one RSA key for all tests of the binary (generation is slow).
func e2eKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

const (
	e2eClient      = "E2ECLIENT1"
	e2eUser        = "e2e"
	e2ePassword    = "e2e-password"
	e2eData        = "e2e-data-password"
	e2eHookUser    = "postident"
	e2eHookPass    = "e2e-hook-password"
	e2eHookPath    = "/postident/webhook"
	e2ePartner     = "partner"
	e2ePartnerPass = "partner-password"
	e2eSimSeed     = 42
	e2eTimeScale   = 3600
)

type envOpts struct {
	webhookTypes []connector.StatusType // nil: the sim's default
	env          map[string]string      // extra connector configuration
	roles        string                 // default all
	noStart      bool
	noWebhook    bool // the simulator sends no webhooks (an account without them)
	tel          *telemetry.Telemetry
	fake         *kfake.Cluster // use this in-process cluster (kfake-only controls such as Compact)
	partner      bool           // connect with the simulator's partner login (status only)
}

type e2eEnv struct {
	t       *testing.T
	ctx     context.Context
	brokers []string
	sim     *sim.Sim
	simSrv  *httptest.Server
	cfgEnv  map[string]string
	hookURL string

	mu     sync.Mutex
	app    *app.App
	cancel context.CancelFunc
	done   chan error
	codec  *avro.Codec
	tel    *telemetry.Telemetry
}

func newE2E(t *testing.T, o envOpts) *e2eEnv {
	t.Helper()
	ctx := kafkatest.Context(t, 4*time.Minute)
	e := &e2eEnv{t: t, ctx: ctx, tel: o.tel}
	if o.fake != nil {
		e.brokers = o.fake.ListenAddrs()
	} else {
		e.brokers = kafkatest.Brokers(t)
	}
	// The webhook listener is made first so the simulator knows where to
	// call; each App start reuses its address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookAddr := ln.Addr().String()
	ln.Close()
	e.hookURL = "http://" + hookAddr + e2eHookPath
	sc := sim.Config{ClientID: e2eClient, Username: e2eUser, Password: e2ePassword, DataPassword: e2eData, RequireEncryption: true,
		WebhookURL: e.hookURL, WebhookUsername: e2eHookUser, WebhookPassword: e2eHookPass, WebhookReferenceID: true,
		WebhookTypes: o.webhookTypes, TimeScale: e2eTimeScale, Seed: e2eSimSeed,
		// The simulated clock runs fast; starting it weeks back keeps every
		// case in the connector's past, as at POSTIDENT.
		Now: func() time.Time { return time.Now().Add(-20 * 24 * time.Hour) }}
	if o.noWebhook || o.partner {
		sc.WebhookURL = ""
	}
	if o.partner {
		sc.PartnerUsername, sc.PartnerPassword = e2ePartner, e2ePartnerPass
	}
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	e.sim = s
	e.simSrv = httptest.NewServer(s.Handler())
	t.Cleanup(func() { e.simSrv.Close(); s.Close() })

	roles := o.roles
	if roles == "" {
		roles = "webhook,processor,reconciler,archiver"
	}
	e.cfgEnv = map[string]string{
		"POSTIDENT_BASE_URL":           e.simSrv.URL + "/api/scr/v1",
		"POSTIDENT_CLIENT_ID":          e2eClient,
		"POSTIDENT_USERNAME":           e2eUser,
		"POSTIDENT_PASSWORD":           e2ePassword,
		"POSTIDENT_DATA_PASSWORD":      e2eData,
		"POSTIDENT_PRIVATE_KEY_FILE":   keyFile(t),
		"POSTIDENT_REQUIRE_ENCRYPTION": "true",
		"KAFKA_BROKERS":                strings.Join(e.brokers, ","),
		"KAFKA_REPLICATION_FACTOR":     "1",
		"KAFKA_TOPIC_PARTITIONS":       "3",
		"KAFKA_GROUP_PREFIX":           kafkatest.TopicName(t, "group"),
		"TOPIC_STATUS":                 kafkatest.TopicName(t, "status"),
		"TOPIC_RESULT":                 kafkatest.TopicName(t, "result"),
		"TOPIC_NOTIFICATIONS":          kafkatest.TopicName(t, "notifications"),
		"TOPIC_STATE":                  kafkatest.TopicName(t, "state"),
		"TOPIC_LEASE":                  kafkatest.TopicName(t, "lease"),
		"TOPIC_DEAD_LETTER":            kafkatest.TopicName(t, "dead-letter"),
		"WEBHOOK_ADDR":                 hookAddr,
		"WEBHOOK_USERNAME":             e2eHookUser,
		"WEBHOOK_PASSWORD":             e2eHookPass,
		"ADMIN_ADDR":                   "127.0.0.1:0",
		"ROLES":                        roles,
		"RECONCILE_INTERVAL":           "1h",
		"ARCHIVE_LINGER":               "200ms",
		"SHUTDOWN_TIMEOUT":             "10s",
	}
	if o.partner {
		e.cfgEnv["POSTIDENT_USERNAME"], e.cfgEnv["POSTIDENT_PASSWORD"] = e2ePartner, e2ePartnerPass
		e.cfgEnv["POSTIDENT_PARTNER_MODE"], e.cfgEnv["ARCHIVE_ENABLED"] = "true", "false"
	}
	for k, v := range o.env {
		e.cfgEnv[k] = v
	}
	codec, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.codec = codec
	if !o.noStart {
		e.start()
	}
	t.Cleanup(e.stop)
	return e
}

func (e *e2eEnv) config() *app.Config {
	cfg, err := app.LoadConfigFrom(e.ctx, e.cfgEnv)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// start runs a fresh App and waits until it is ready.
func (e *e2eEnv) start() {
	e.t.Helper()
	e.startLogged(slog.New(slog.NewTextHandler(testLogWriter(e.t), &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// startLogged runs a fresh App with log as its logger and waits until it
// is ready.
func (e *e2eEnv) startLogged(log *slog.Logger) {
	e.t.Helper()
	cfg := e.config()
	opts := app.Options{PrivateKey: e2eKey(e.t), Version: version}
	var err error
	for i := 0; i < 50; i++ {
		if opts.WebhookListener, err = net.Listen("tcp", cfg.Webhook.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	a := app.New(cfg, log, e.tel, opts)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Started():
	case err := <-done:
		cancel()
		e.t.Fatalf("connector stopped before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		e.t.Fatal("connector not started in 60s")
	}
	deadline := time.Now().Add(30 * time.Second)
	for !ready(a) {
		if time.Now().After(deadline) {
			cancel()
			e.t.Fatal("connector not ready in 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.mu.Lock()
	e.app, e.cancel, e.done = a, cancel, done
	e.mu.Unlock()
}

func ready(a *app.App) bool {
	hookURL, adminURL := a.URLs()
	if adminURL == "" || (a.Config().HasRole("webhook") && hookURL == "") {
		return false
	}
	resp, err := http.Get(adminURL + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop shuts the App down gracefully.
func (e *e2eEnv) stop() {
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done, e.app = nil, nil, nil
	e.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			e.t.Errorf("connector stopped with: %v", err)
		}
	case <-time.After(30 * time.Second):
		e.t.Error("connector did not stop in 30s")
	}
}

// adminURL is the running App's admin address.
func (e *e2eEnv) adminURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, u := e.app.URLs()
	return u
}

// reconcile runs one reconcile pass of the running App, as its reconciler
// role does on every RECONCILE_INTERVAL.
func (e *e2eEnv) reconcile() {
	e.t.Helper()
	e.mu.Lock()
	a := e.app
	e.mu.Unlock()
	rec, err := a.Reconciler()
	if err != nil {
		e.t.Error(err)
		return
	}
	if _, err := rec.RunOnce(e.ctx); err != nil {
		e.t.Errorf("reconcile: %v", err)
	}
}

// kcfg is a Kafka client configuration for reading the topics back.
func (e *e2eEnv) kcfg() kafka.Config { return kafka.Config{Brokers: e.brokers, ClientID: "e2e-reader"} }

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in %s: %s", what, within, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testLogWriter sends logs to the test log only when -v is on.
func testLogWriter(t *testing.T) io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// collector follows the status and result topics from the start and keeps
// the decoded events, so tests can wait for them cheaply.
type collector struct {
	mu       sync.Mutex
	statuses map[string][]connector.CaseStatusChanged
	results  map[string][]connector.CaseResultEvent
	headers  map[string][]connector.Header // of the last result per case
}

func (e *e2eEnv) collect() *collector {
	c := &collector{statuses: map[string][]connector.CaseStatusChanged{}, results: map[string][]connector.CaseResultEvent{}, headers: map[string][]connector.Header{}}
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	e.t.Cleanup(func() { cancel(); wg.Wait() })
	for _, topic := range []string{e.cfgEnv["TOPIC_STATUS"], e.cfgEnv["TOPIC_RESULT"]} {
		r, err := kafka.NewReader(kafka.ReaderConfig{Config: e.kcfg(), GroupID: kafkatest.TopicName(e.t, "collector"), Topic: topic})
		if err != nil {
			e.t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.Fetch(ctx)
				if err != nil {
					return
				}
				if m.Value == nil {
					continue
				}
				c.mu.Lock()
				if topic == e.cfgEnv["TOPIC_STATUS"] {
					var ev connector.CaseStatusChanged
					if err := e.codec.Decode(ctx, m.Value, &ev); err != nil {
						e.t.Errorf("decode status event: %v", err)
					}
					c.statuses[ev.CaseID] = append(c.statuses[ev.CaseID], ev)
				} else {
					var ev connector.CaseResultEvent
					if err := e.codec.Decode(ctx, m.Value, &ev); err != nil {
						e.t.Errorf("decode result: %v", err)
					}
					c.results[ev.CaseID] = append(c.results[ev.CaseID], ev)
					c.headers[ev.CaseID] = m.Headers
				}
				c.mu.Unlock()
			}
		}()
	}
	return c
}

// waitResults waits until every case in ids has a result on Kafka.
func (c *collector) waitResults(t *testing.T, within time.Duration, ids []string) {
	t.Helper()
	eventually(t, within, "a result for every closed case", func() (bool, string) {
		_, rs := c.snapshot()
		n := 0
		for _, id := range ids {
			if len(rs[id]) > 0 {
				n++
			}
		}
		return n == len(ids), fmt.Sprintf("%d of %d cases have a result", n, len(ids))
	})
}

func (c *collector) statusCount(caseID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.statuses[caseID])
}

func (c *collector) snapshot() (map[string][]connector.CaseStatusChanged, map[string][]connector.CaseResultEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := make(map[string][]connector.CaseStatusChanged, len(c.statuses))
	for k, v := range c.statuses {
		st[k] = append([]connector.CaseStatusChanged(nil), v...)
	}
	rs := make(map[string][]connector.CaseResultEvent, len(c.results))
	for k, v := range c.results {
		rs[k] = append([]connector.CaseResultEvent(nil), v...)
	}
	return st, rs
}
