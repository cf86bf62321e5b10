package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// ConnectorOptions configures the connector child: the roles and settings
// of cmd/postident-connector that the figures depend on. The child turns
// them into the environment an operator would set for `run` (env) and runs
// internal/app on it; nothing of the connector is wired here.
type ConnectorOptions struct {
	Brokers []string
	// Topics of the scenario; the driver creates them (the dead-letter
	// topic too: the processor reads it at start).
	Topics      connector.Topics
	GroupPrefix string
	// Roles: webhook, processor, reconciler, archiver. The reconciler is
	// not run as a role (on its RECONCILE_INTERVAL, under its lease) but on
	// demand through the control endpoint, with the role's constructor
	// (app.App.Reconciler).
	Roles []string
	// WebhookAddr is where the webhook listens (host:port).
	WebhookAddr string
	// SimURL is the simulator's base URL (without /api/scr/v1).
	SimURL  string
	KeyFile string
	// Parallelism of the processor (PROCESSOR_PARALLELISM); 0: the
	// connector's default.
	Parallelism int
	// MaxConns of the SCR client (POSTIDENT_MAX_CONNS); 0: the default.
	MaxConns int
	// Coalesce turns on the processor's list coalescing
	// (PROCESSOR_COALESCE; the connector's default is on, the load tool's
	// off unless asked).
	Coalesce bool
	// CoalesceMin is CoalesceConfig.Min; 0: the connector's default.
	// No environment variable: an experiment of the load tool
	// (app.Tuning).
	CoalesceMin int
	// ArchiveLinger of the archiver (ARCHIVE_LINGER); 0: the default.
	ArchiveLinger time.Duration
	// BatchTimeout of the Kafka writer; 0: the adapter's default 5ms. An
	// experiment of the load tool (app.Tuning).
	BatchTimeout time.Duration
}

type connectorReady struct {
	Webhook, Control, Admin string
	StateLoad               time.Duration
	StateRecords            int
	StateCases              int
}

// ReconcileResult is what POST /bench/reconcile answers.
type ReconcileResult struct {
	Stats connector.ReconcileStats
	Took  time.Duration
	Err   string
}

func (o ConnectorOptions) has(role string) bool { return slices.Contains(o.Roles, role) }

// env is the configuration of the connector child as the environment an
// operator would give `postident-connector run`.
func (o ConnectorOptions) env() map[string]string {
	var roles []string
	for _, r := range o.Roles {
		if r != "reconciler" { // on demand, see Roles
			roles = append(roles, r)
		}
	}
	webhookAddr := o.WebhookAddr
	if webhookAddr == "" {
		webhookAddr = "127.0.0.1:0"
	}
	t := o.Topics
	m := map[string]string{
		"ROLES":              strings.Join(roles, ","),
		"KAFKA_BROKERS":      strings.Join(o.Brokers, ","),
		"KAFKA_CLIENT_ID":    "postident-bench-connector",
		"KAFKA_GROUP_PREFIX": o.GroupPrefix,
		// The driver creates the scenario's topics, with its own settings.
		"KAFKA_CREATE_TOPICS":          "false",
		"TOPIC_STATUS":                 t.Status,
		"TOPIC_RESULT":                 t.Result,
		"TOPIC_NOTIFICATIONS":          t.Notifications,
		"TOPIC_STATE":                  t.State,
		"TOPIC_RECORDS":                t.Records,
		"TOPIC_DEAD_LETTER":            t.DeadLetter,
		"POSTIDENT_BASE_URL":           o.SimURL + "/api/scr/v1",
		"POSTIDENT_CLIENT_ID":          simClientID,
		"POSTIDENT_USERNAME":           simUser,
		"POSTIDENT_PASSWORD":           simPassword,
		"POSTIDENT_DATA_PASSWORD":      simDataPassword,
		"POSTIDENT_PRIVATE_KEY_FILE":   o.KeyFile,
		"POSTIDENT_REQUIRE_ENCRYPTION": "true",
		"PROCESSOR_COALESCE":           strconv.FormatBool(o.Coalesce),
		"WEBHOOK_ADDR":                 webhookAddr,
		"WEBHOOK_USERNAME":             hookUser,
		"WEBHOOK_PASSWORD":             hookPassword,
		"ADMIN_ADDR":                   "127.0.0.1:0",
		"LOG_LEVEL":                    "warn",
		"LOG_FORMAT":                   "text",
	}
	if o.Parallelism > 0 {
		m["PROCESSOR_PARALLELISM"] = strconv.Itoa(o.Parallelism)
	}
	if o.MaxConns > 0 {
		m["POSTIDENT_MAX_CONNS"] = strconv.Itoa(o.MaxConns)
	}
	if o.ArchiveLinger > 0 {
		m["ARCHIVE_LINGER"] = o.ArchiveLinger.String()
	}
	return m
}

// childConfig puts the options into the environment and reads the
// configuration from it with app.LoadConfig, as `run` does.
func childConfig(ctx context.Context, o ConnectorOptions) (*app.Config, error) {
	for k, v := range o.env() {
		if err := os.Setenv(k, v); err != nil {
			return nil, err
		}
	}
	return app.LoadConfig(ctx)
}

// newConnectorApp is the connector child's App: app.Start, as `run` does,
// on the child's configuration, with the source counted and the load
// tool's tuning (zero unless asked). Logging, OpenTelemetry metrics and
// (sampled, unexported unless OTEL_* says otherwise) spans are the
// connector's, so their cost is in the figures.
func newConnectorApp(ctx context.Context, o ConnectorOptions, counter *sourceCounter) (*app.App, *telemetry.Telemetry, func(), error) {
	cfg, err := childConfig(ctx, o)
	if err != nil {
		return nil, nil, nil, err
	}
	return app.Start(ctx, cfg, os.Stderr, app.Options{
		WrapSource: func(src connector.Source) connector.Source { counter.src = src; return counter },
		Tuning:     app.Tuning{CoalesceMin: o.CoalesceMin, WriterBatchTimeout: o.BatchTimeout},
	})
}

// serveConnector runs the connector (internal/app, as `run` does) plus the
// control endpoint, and prints the ready line once the App has started.
func serveConnector(ctx context.Context, o ConnectorOptions) error {
	counter := &sourceCounter{}
	a, tel, done, err := newConnectorApp(ctx, o, counter)
	if err != nil {
		return err
	}
	defer done()
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	select {
	case <-a.Started():
	case err := <-errc:
		return fmt.Errorf("connector: %w", err)
	}
	var rec *connector.Reconciler
	if o.has("reconciler") {
		if rec, err = a.Reconciler(); err != nil {
			return err
		}
	}
	control, err := serveControl(ctx, a, tel, counter, rec)
	if err != nil {
		return err
	}
	defer func() { _ = control.Close() }()
	rd := connectorReady{Control: "http://" + control.Addr}
	rd.Webhook, rd.Admin = a.URLs()
	if st := a.State(); st != nil {
		records, took := a.StateLoad()
		rd.StateRecords, rd.StateLoad, rd.StateCases = int(records), took, st.Len()
	}
	if err := ready(rd); err != nil {
		return err
	}
	return <-errc
}

// serveControl serves the control endpoint on loopback: GET /bench/stats
// (process and source counters), POST /bench/reconcile (one reconcile
// run), and net/http/pprof.
func serveControl(ctx context.Context, a *app.App, tel *telemetry.Telemetry, counter *sourceCounter, rec *connector.Reconciler) (*http.Server, error) {
	control := http.NewServeMux()
	control.HandleFunc("GET /bench/stats", func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			// Steady state: collect garbage and hand freed pages back, so
			// RSS shows what the live data needs.
			debug.FreeOSMemory()
		}
		st := collectSelf()
		if s := a.State(); s != nil {
			st.StateCases = s.Len()
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
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: control, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}
