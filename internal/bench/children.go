package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
	"github.com/postident-connector/postident-connector/internal/webhook"
)

// Credentials shared by the driver and its children.
const (
	simClientID     = "BENCHCLIENT1"
	simUser         = "bench"
	simPassword     = "bench-password"
	simDataPassword = "bench-data-password"
	hookUser        = "postident"
	hookPassword    = "bench-webhook-secret"
)

// ChildArg is the hidden subcommand that runs a child process.
const ChildArg = "child"

// ChildMain runs a child process of the driver: kind "sim" or "connector",
// options as JSON. It prints one JSON line (the child's addresses) on stdout
// once ready and runs until ctx ends (SIGTERM).
func ChildMain(ctx context.Context, kind, opts string) error {
	switch kind {
	case "sim":
		var o SimOptions
		if err := json.Unmarshal([]byte(opts), &o); err != nil {
			return fmt.Errorf("sim options: %w", err)
		}
		return serveSim(ctx, o)
	case "connector":
		var o ConnectorOptions
		if err := json.Unmarshal([]byte(opts), &o); err != nil {
			return fmt.Errorf("connector options: %w", err)
		}
		return serveConnector(ctx, o)
	}
	return fmt.Errorf("unknown child %q", kind)
}

// SimOptions configures the simulator child.
type SimOptions struct {
	RequireEncryption bool
	WebhookURL        string
	// ClockOffset starts the simulated clock this far behind real time, so
	// that cases created in bulk can be spread over simulated seconds with
	// Advance while staying in the past for the connector.
	ClockOffset time.Duration
	Seed        int64
}

type simReady struct{ URL string }

func serveSim(ctx context.Context, o SimOptions) error {
	off := o.ClockOffset
	cfg := sim.Config{ClientID: simClientID, Username: simUser, Password: simPassword, DataPassword: simDataPassword,
		RequireEncryption: o.RequireEncryption, Seed: o.Seed, WebhookWorkers: 128,
		Now: func() time.Time { return time.Now().Add(-off) }}
	if o.WebhookURL != "" {
		cfg.WebhookURL, cfg.WebhookUsername, cfg.WebhookPassword = o.WebhookURL, hookUser, hookPassword
	}
	s, err := sim.New(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	if err := ready(simReady{URL: "http://" + ln.Addr().String()}); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// ConnectorOptions configures the connector child: the roles and settings
// of cmd/postident-connector that the figures depend on.
type ConnectorOptions struct {
	Brokers     []string
	Topics      connector.Topics
	GroupPrefix string
	// Roles: webhook, processor, reconciler (run on demand through the
	// control endpoint), archiver.
	Roles []string
	// WebhookAddr is where the webhook listens (host:port).
	WebhookAddr string
	// SimURL is the simulator's base URL (without /api/scr/v1).
	SimURL  string
	KeyFile string
	// Parallelism and BatchSize of the processor; 0: the connector's
	// defaults (8, 500).
	Parallelism, BatchSize int
	// MaxConns of the SCR client; 0: default 16.
	MaxConns int
	// Coalesce turns on the processor's list coalescing
	// (ProcessorConfig.Coalesce with its defaults).
	Coalesce bool
	// CoalesceMin is CoalesceConfig.Min; 0: the connector's default.
	CoalesceMin int
	// ArchiveLinger of the archiver; 0: the connector's default 2s.
	ArchiveLinger time.Duration
	// BatchTimeout of the Kafka writer; 0: the adapter's default 5ms.
	BatchTimeout time.Duration
}

type connectorReady struct {
	Webhook, Control string
	StateLoad        time.Duration
	StateRecords     int
	StateCases       int
}

// ReconcileResult is what POST /bench/reconcile answers.
type ReconcileResult struct {
	Stats connector.ReconcileStats
	Took  time.Duration
	Err   string
}

func (o ConnectorOptions) has(role string) bool { return slices.Contains(o.Roles, role) }

// serveConnector wires the connector's pieces as cmd/postident-connector's
// App does (same constructors, same defaults), plus the control endpoint.
func serveConnector(ctx context.Context, o ConnectorOptions) error {
	log, err := telemetry.NewLogger(os.Stderr, "text", "warn")
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	// As the connector does: OpenTelemetry metrics and (sampled, unexported
	// unless OTEL_* says otherwise) spans, so their cost is in the figures.
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "postident-connector", Logger: log})
	if err != nil {
		return err
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()

	kcfg := kafka.Config{Brokers: o.Brokers, ClientID: "postident-bench-connector", BatchTimeout: o.BatchTimeout}
	w, err := kafka.NewWriter(kcfg)
	if err != nil {
		return err
	}
	defer w.Close()
	codec, err := avro.New(avro.Config{})
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(o.KeyFile)
	if err != nil {
		return err
	}
	key, err := scr.LoadPrivateKey(pem)
	if err != nil {
		return err
	}
	client, err := scr.New(scr.Config{BaseURL: o.SimURL + "/api/scr/v1", ClientID: simClientID, Username: simUser, Password: simPassword,
		PrivateKey: key, DataPassword: simDataPassword, RequireEncryption: true, MaxConns: o.MaxConns, UserAgent: "postident-bench"})
	if err != nil {
		return err
	}
	defer client.Close()
	counter := &sourceCounter{src: scr.NewSource(client)}
	var src connector.Source = counter

	rd := connectorReady{}
	var state *connector.State
	if o.has("processor") {
		start := time.Now()
		state, rd.StateRecords, err = loadState(ctx, kcfg, codec, o.Topics.State, log)
		if err != nil {
			return err
		}
		rd.StateLoad, rd.StateCases = time.Since(start), state.Len()
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 4)
	if o.has("processor") {
		r, err := kafka.NewReader(kafka.ReaderConfig{Config: kcfg, GroupID: o.GroupPrefix + ".processor", Topic: o.Topics.Notifications})
		if err != nil {
			return err
		}
		defer r.Close()
		p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: simClientID, Topics: o.Topics,
			Parallelism: o.Parallelism, BatchSize: o.BatchSize, Logger: log,
			Coalesce: connector.CoalesceConfig{Enabled: o.Coalesce, Min: o.CoalesceMin}}, src, w, codec, state)
		if err != nil {
			return err
		}
		go func() { errs <- p.Run(rctx, r) }()
	}
	if o.has("archiver") {
		r, err := kafka.NewReader(kafka.ReaderConfig{Config: kcfg, GroupID: o.GroupPrefix + ".archiver", Topic: o.Topics.Result})
		if err != nil {
			return err
		}
		defer r.Close()
		arc, err := connector.NewArchiver(connector.ArchiverConfig{Linger: o.ArchiveLinger, Logger: log}, src)
		if err != nil {
			return err
		}
		go func() {
			if err := arc.Run(rctx, r); err != nil {
				log.Error("archiver stopped", "err", err)
			}
		}()
	}
	var rec *connector.Reconciler
	if o.has("reconciler") {
		if rec, err = connector.NewReconciler(connector.ReconcilerConfig{ClientID: simClientID, Topics: o.Topics, Logger: log}, src, w, codec); err != nil {
			return err
		}
	}

	control := http.NewServeMux()
	control.HandleFunc("GET /bench/stats", func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			// Steady state: collect garbage and hand freed pages back, so
			// RSS shows what the live data needs.
			debug.FreeOSMemory()
		}
		st := collectSelf()
		if state != nil {
			st.StateCases = state.Len()
		}
		st.Source = counter.snapshot()
		st.Source.FromLists = servedFromLists(tel.Registry)
		writeJSON(rw, st)
	})
	control.HandleFunc("POST /bench/reconcile", func(rw http.ResponseWriter, r *http.Request) {
		if rec == nil {
			http.Error(rw, "no reconciler role", http.StatusConflict)
			return
		}
		start := time.Now()
		st, err := rec.RunOnce(r.Context())
		res := ReconcileResult{Stats: st, Took: time.Since(start)}
		if err != nil {
			res.Err = err.Error()
		}
		writeJSON(rw, res)
	})
	control.HandleFunc("/debug/pprof/", pprof.Index)
	control.HandleFunc("/debug/pprof/profile", pprof.Profile)
	control.HandleFunc("/debug/pprof/trace", pprof.Trace)
	cln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	csrv := &http.Server{Handler: control, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = csrv.Serve(cln) }()
	defer func() { _ = csrv.Close() }()
	rd.Control = "http://" + cln.Addr().String()

	var hsrv *http.Server
	if o.has("webhook") {
		ingest := &connector.Ingest{ClientID: simClientID, Topic: o.Topics.Notifications, Pub: w, Codec: codec}
		hcfg := webhook.Config{Username: hookUser, Password: hookPassword, Logger: log}
		if err := hcfg.Validate(false); err != nil {
			return err
		}
		h, err := webhook.NewHandler(hcfg, webhook.SinkFunc(func(ctx context.Context, n webhook.Notification) error {
			return ingest.Notify(ctx, n.CaseID, n.ReferenceID, n.ReceivedAt)
		}))
		if err != nil {
			return err
		}
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.WebhookAddr)
		if err != nil {
			return err
		}
		hsrv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
		go func() { _ = hsrv.Serve(ln) }()
		rd.Webhook = "http://" + ln.Addr().String() + webhook.DefaultPath
	}
	if err := ready(rd); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if err != nil {
			return err
		}
	}
	if hsrv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = hsrv.Shutdown(sctx)
	}
	return nil
}

// loadState is App.loadState: read the compacted state topic to its end,
// decode each CaseState and apply it.
func loadState(ctx context.Context, kcfg kafka.Config, codec *avro.Codec, topic string, log *slog.Logger) (*connector.State, int, error) {
	state := connector.NewState()
	var n atomic.Int64 // fn runs concurrently for different partitions, as in App
	err := kafka.ReadAll(ctx, kcfg, topic, func(m connector.Message) error {
		n.Add(1)
		if m.Value == nil {
			state.Apply(string(m.Key), nil)
			return nil
		}
		var st connector.CaseState
		if err := codec.Decode(ctx, m.Value, &st); err != nil {
			log.Warn("skipping undecodable state record", "partition", m.Partition, "offset", m.Offset, "err", err)
			return nil
		}
		state.Apply(string(m.Key), &st)
		return nil
	}, kafka.ConcurrentPartitions())
	if err != nil {
		return nil, int(n.Load()), fmt.Errorf("load state from %s: %w", topic, err)
	}
	return state, int(n.Load()), nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ready prints the child's ready line.
func ready(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", b)
	return err
}

// child is a running child process.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild re-executes this binary as a child of kind with opts and
// decodes its ready line into out.
func startChild(ctx context.Context, kind string, opts, out any) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, ChildArg, kind, string(b))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s child: %w", kind, err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
		c.done <- cmd.Wait()
	}()
	select {
	case l, ok := <-line:
		if !ok {
			c.stop()
			return nil, fmt.Errorf("%s child exited before it was ready", kind)
		}
		if err := json.Unmarshal([]byte(l), out); err != nil {
			c.stop()
			return nil, fmt.Errorf("%s child ready line: %w", kind, err)
		}
		return c, nil
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	case <-time.After(5 * time.Minute):
		c.stop()
		return nil, fmt.Errorf("%s child not ready after 5 minutes", kind)
	}
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM, then SIGKILL after 10 s, and waits.
func (c *child) stop() {
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	var exit error // the status of a child we stopped: nothing to report
	select {
	case exit = <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		exit = <-c.done
	}
	_ = exit
}

// childStats asks the connector child's control endpoint.
func childStats(ctx context.Context, control string) (ChildStats, error) {
	var st ChildStats
	err := getJSON(ctx, control+"/bench/stats", &st)
	return st, err
}

func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(ctx context.Context) (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String(), nil
}

var errTimeout = errors.New("timed out")
