// Command postident-sim serves the POSTIDENT SCR-Ident simulator of package
// internal/sim over HTTP: the result API under /api/scr/v1/{clientId}/ and
// the admin API under /sim/v1/. It only wires configuration, the server and
// shutdown; see --help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

const usage = `postident-sim: a POSTIDENT SCR-Ident simulator (result API, lifecycles and
codes of guide chapter 4, webhooks with retries, JWE, list/archive limits,
regulatory classes, retention, fault injection).

Usage:
  postident-sim            serve (configuration from the environment)
  postident-sim --help     this text

Environment (defaults in brackets):
  SIM_ADDR                  listen address [:8090]
  SIM_CLIENT_ID             client ID in /api/scr/v1/{clientId}/ [SIMCLIENT1]
  SIM_USERNAME              Basic auth user of the REST API [sim]
  SIM_PASSWORD              Basic auth password [sim-password]
  SIM_DATA_PASSWORD         HMAC key of x-scr-keyhash [sim-data-password]
  SIM_PARTNER_USERNAME      partner login (status endpoints and Start only) [none]
  SIM_PARTNER_PASSWORD      its password
  SIM_REQUIRE_ENCRYPTION    answer 400 to GETs without x-scr-key/x-scr-keyhash [false]
  SIM_JWE_ENC               JWE content encryption, e.g. A128CBC-HS256 [A256GCM]
  SIM_WEBHOOK_URL           webhook target when a case names none [none]
  SIM_WEBHOOK_USERNAME      Basic auth user sent with webhooks [none]
  SIM_WEBHOOK_PASSWORD      its password
  SIM_WEBHOOK_TYPES         status types that notify, comma list of notification,
                            preliminary, final, cancelled; "none" for none [all four]
  SIM_WEBHOOK_REFERENCE_ID  put referenceId into the webhook body [false]
  SIM_TIME_SCALE            simulated seconds per real second [1]
  SIM_SEED                  seed of case IDs, scenarios and synthetic data [0]
  SIM_RETENTION             delete cases this long after creation, at most 3600h [3600h]
  SIM_STREAM_RATE           random new cases per second, 0 = off [0]
  SIM_STREAM_METHODS        methods of streamed cases, comma list [all]
  SIM_STREAM_CLASSES        classes of streamed cases, comma list [all]
  SIM_STATUS_IDENTIFICATIONS_ARRAY
                            /status answers with "identifications" like the guide's
                            sample 7.4.2 instead of "primaryIdent" [false]
  SIM_ARCHIVE_CASE_ID       add "caseId" to the archive answer's status objects
                            (the guide's 7.6.1 has none) [false]
  SIM_SHUTDOWN_TIMEOUT      graceful shutdown bound [10s]

SCR-Ident API (guide chapter 7), Basic auth:
  GET   /api/scr/v1/{clientId}/cases/{caseId}[/full][?includeBinaryData=true&includeResultPdf=true]
  GET   /api/scr/v1/{clientId}/cases/{caseId}/status[/full]
  GET   /api/scr/v1/{clientId}/cases[/full]        ?new ?inProgress ?closed ?archived
  GET   /api/scr/v1/{clientId}/cases/status[/full]  ?createdFrom ?createdUntil ?closedFrom
                                                     ?closedUntil ?maxResults (status lists)
  PATCH /api/scr/v1/{clientId}/cases/archive       ["caseId", ...] (at most 10000)
  POST  /api/scr/v1/{clientId}/cases               Start: order data -> {"caseId"};
                                                     x-sim-method, x-sim-class, x-sim-scenario,
                                                     x-sim-auto (header or query)
  Encryption: send x-scr-key (base64 DER SPKI, RSA >= 2048) and x-scr-keyhash
  (base64 HMAC-SHA256(DER, data password)); the answer is a compact JWE
  (RSA-OAEP-256), Content-Type application/jose. Wrong keyhash: 400.

Admin API (JSON, no authentication - keep it off public networks):
  POST   /sim/v1/cases            {"method":"video","class":"GwG","scenario":"success",
                                   "count":1,"referenceId":"","customData":{},
                                   "extraMethods":[],"webhookUrlPartner":"","auto":false,
                                   "run":false} -> {"caseIds":[...]}
  GET    /sim/v1/cases/{id}       case (full), class, scenario, transitions
  POST   /sim/v1/cases/{id}/step  advance one step of the scenario
  POST   /sim/v1/cases/{id}/run   advance to the end
  POST   /sim/v1/clock/advance    {"seconds":900}
  GET    /sim/v1/clock            simulated time
  GET    /sim/v1/webhooks         delivery log (?caseId=, ?limit=)
  GET    /sim/v1/faults           injected faults
  PUT    /sim/v1/faults           {"latency":"250ms","errorRate":0.1,"dropWebhookRate":0.1,
                                   "duplicateWebhookRate":0.1,"reorderWebhooks":true,
                                   "webhookDelay":"1s","partialPageSize":100}
  POST   /sim/v1/stream           {"rate":10,"methods":["video"],"classes":["GwG"]}
  DELETE /sim/v1/stream           stop the stream
  GET    /sim/v1/stats            counts of cases, requests and webhooks
  GET    /sim/v1/scenarios        scenario names per method
  GET    /healthz                 liveness

Scenarios: a name from /sim/v1/scenarios, "random", or a script
"[method/]status[:subStatus[:reason]],..." such as
"started,incomplete:52:520,review pending,success"; the step "expire" lets
validUntil pass.

Example:
  SIM_TIME_SCALE=60 SIM_STREAM_RATE=2 SIM_WEBHOOK_URL=http://localhost:8080/postident/webhook postident-sim
  curl -u sim:sim-password localhost:8090/api/scr/v1/SIMCLIENT1/cases/status
`

// config is the environment of the simulator; each field's tag holds its
// default.
type config struct {
	Addr                       string        `env:"SIM_ADDR, default=:8090"`
	ClientID                   string        `env:"SIM_CLIENT_ID, default=SIMCLIENT1"`
	Username                   string        `env:"SIM_USERNAME, default=sim"`
	Password                   string        `env:"SIM_PASSWORD, default=sim-password"`
	DataPassword               string        `env:"SIM_DATA_PASSWORD, default=sim-data-password"`
	PartnerUsername            string        `env:"SIM_PARTNER_USERNAME"`
	PartnerPassword            string        `env:"SIM_PARTNER_PASSWORD"`
	RequireEncryption          bool          `env:"SIM_REQUIRE_ENCRYPTION, default=false"`
	Enc                        string        `env:"SIM_JWE_ENC, default=A256GCM"`
	WebhookURL                 string        `env:"SIM_WEBHOOK_URL"`
	WebhookUsername            string        `env:"SIM_WEBHOOK_USERNAME"`
	WebhookPassword            string        `env:"SIM_WEBHOOK_PASSWORD"`
	WebhookTypes               []string      `env:"SIM_WEBHOOK_TYPES"`
	WebhookReferenceID         bool          `env:"SIM_WEBHOOK_REFERENCE_ID, default=false"`
	TimeScale                  float64       `env:"SIM_TIME_SCALE, default=1"`
	Seed                       int64         `env:"SIM_SEED, default=0"`
	Retention                  time.Duration `env:"SIM_RETENTION, default=3600h"`
	StreamRate                 float64       `env:"SIM_STREAM_RATE, default=0"`
	StreamMethods              []string      `env:"SIM_STREAM_METHODS"`
	StreamClasses              []string      `env:"SIM_STREAM_CLASSES"`
	StatusIdentificationsArray bool          `env:"SIM_STATUS_IDENTIFICATIONS_ARRAY, default=false"`
	ArchiveCaseID              bool          `env:"SIM_ARCHIVE_CASE_ID, default=false"`
	ShutdownTimeout            time.Duration `env:"SIM_SHUTDOWN_TIMEOUT, default=10s"`
}

// loadConfig reads the environment through l.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (config, error) {
	var c config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: l}); err != nil {
		return c, fmt.Errorf("read environment: %w", err)
	}
	return c, nil
}

// simConfig turns the environment into the simulator's configuration.
func (c config) simConfig() (sim.Config, error) {
	sc := sim.Config{
		ClientID: c.ClientID, Username: c.Username, Password: c.Password, DataPassword: c.DataPassword,
		PartnerUsername: c.PartnerUsername, PartnerPassword: c.PartnerPassword,
		RequireEncryption: c.RequireEncryption, Enc: c.Enc,
		WebhookURL: c.WebhookURL, WebhookUsername: c.WebhookUsername, WebhookPassword: c.WebhookPassword,
		WebhookReferenceID: c.WebhookReferenceID, TimeScale: c.TimeScale, Seed: c.Seed, Retention: c.Retention,
		StatusIdentificationsArray: c.StatusIdentificationsArray, ArchiveCaseID: c.ArchiveCaseID,
	}
	switch {
	case len(c.WebhookTypes) == 1 && strings.EqualFold(c.WebhookTypes[0], "none"):
		sc.WebhookTypes = []connector.StatusType{}
	case len(c.WebhookTypes) > 0:
		for _, t := range c.WebhookTypes {
			sc.WebhookTypes = append(sc.WebhookTypes, connector.StatusType(strings.ToLower(strings.TrimSpace(t))))
		}
	}
	if c.TimeScale <= 0 {
		return sc, errors.New("time scale (SIM_TIME_SCALE) must be positive")
	}
	if c.StreamRate < 0 {
		return sc, errors.New("stream rate (SIM_STREAM_RATE) must not be negative")
	}
	if _, _, err := c.stream(); err != nil {
		return sc, err
	}
	return sc, nil
}

// stream returns the methods and classes of streamed cases.
func (c config) stream() ([]connector.Method, []connector.Class, error) {
	var ms []connector.Method
	for _, m := range c.StreamMethods {
		m := connector.Method(strings.ToLower(strings.TrimSpace(m)))
		if len(sim.Scenarios(m)) == 0 {
			return nil, nil, fmt.Errorf("stream methods (SIM_STREAM_METHODS): unknown method %q", m)
		}
		ms = append(ms, m)
	}
	var cs []connector.Class
	for _, s := range c.StreamClasses {
		cl, ok := connector.ParseClass(strings.TrimSpace(s))
		if !ok {
			return nil, nil, fmt.Errorf("stream classes (SIM_STREAM_CLASSES): unknown class %q", s)
		}
		cs = append(cs, cl)
	}
	return ms, cs, nil
}

// Main is the running program: the simulator behind an HTTP server.
type Main struct {
	cfg config
	log *slog.Logger
	sim *sim.Sim
	srv *http.Server

	mu   sync.Mutex
	addr net.Addr // set once listening

	closeOnce sync.Once
}

// NewMain builds the simulator from the configuration.
func NewMain(cfg config, log *slog.Logger) (*Main, error) {
	sc, err := cfg.simConfig()
	if err != nil {
		return nil, err
	}
	s, err := sim.New(sc)
	if err != nil {
		return nil, err
	}
	return &Main{cfg: cfg, log: log, sim: s, srv: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Addr returns the listen address once Run listens, else nil.
func (m *Main) Addr() net.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addr
}

// Run listens, starts the stream if configured, and serves until ctx is
// done; then it shuts down gracefully within ShutdownTimeout.
func (m *Main) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.cfg.Addr, err)
	}
	m.mu.Lock()
	m.addr = ln.Addr()
	m.mu.Unlock()
	m.log.Info("postident-sim listening", "addr", ln.Addr().String(), "client", m.cfg.ClientID,
		"timeScale", m.cfg.TimeScale, "requireEncryption", m.cfg.RequireEncryption, "webhooks", m.cfg.WebhookURL != "")
	if m.cfg.StreamRate > 0 {
		ms, cs, _ := m.cfg.stream()
		m.sim.StartStream(ctx, m.cfg.StreamRate, ms, cs)
		m.log.Info("streaming random cases", "perSecond", m.cfg.StreamRate)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	m.log.Info("shutting down")
	return m.Close()
}

// Close stops accepting requests (waiting up to ShutdownTimeout for the
// running ones), then stops the simulator. Safe to call twice.
func (m *Main) Close() error {
	var err error
	m.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		defer cancel()
		if e := m.srv.Shutdown(ctx); e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = fmt.Errorf("shut down http server: %w", e)
		}
		m.sim.Close()
	})
	return err
}

// run is main without the process exit, for tests.
func run(ctx context.Context, args []string, l envconfig.Lookuper, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("postident-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Usage stays silent: --help prints the help once, to stdout, below;
	// a bad flag gets a one-line hint instead of the whole text.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintln(stderr, "see postident-sim --help")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "postident-sim takes no arguments (got %q); see --help\n", fs.Args())
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := loadConfig(ctx, l)
	if err != nil {
		log.Error("configuration", "err", err)
		return 2
	}
	m, err := NewMain(cfg, log)
	if err != nil {
		log.Error("configuration", "err", err)
		return 2
	}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		log.Error("postident-sim stopped", "err", err)
		return 1
	}
	return 0
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
