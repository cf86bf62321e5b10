package app

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/telemetry"
	"github.com/postident-connector/postident-connector/internal/webhook"
)

// App wires the roles of the connector. Run starts them in order (admin
// endpoints, topics, state, roles, and the webhook last, once the house is
// ready); Close stops them in reverse order. Close is safe to call twice.
type App struct {
	cfg    *Config
	opts   Options
	log    *slog.Logger
	tel    *telemetry.Telemetry
	health *telemetry.Health

	plan   Plan
	kcfg   kafka.Config
	writer *kafka.Writer
	codec  *avro.Codec
	client *scr.Client
	src    connector.Source
	state  *connector.State
	// stateRecords and stateTook say what loading the state read and how
	// long it took (the load tool reports them).
	stateRecords int64
	stateTook    time.Duration
	// sub is the processor's consumer group member; it follows the state
	// topic and implements connector.Ownership.
	sub    *kafka.GroupSubscriber
	parked *connector.Parked
	// stopParked stops following the dead-letter topic (loadParked).
	stopParked func()
	// procStopped is closed when the processor role returned (nothing
	// will commit any more, so Close does not wait for a handover).
	procStopped chan struct{}
	// procHalted is closed when the processor stopped for an operator: it
	// holds its batch uncommitted on purpose, so Close does not wait for a
	// handover either (the next start re-reads the batch).
	procHalted chan struct{}
	haltOnce   sync.Once

	adminSrv   *http.Server
	webhookSrv *http.Server
	hook       *webhook.Handler

	rolesCancel context.CancelFunc
	rolesWG     sync.WaitGroup
	closeOnce   sync.Once
	closeErr    error

	urlMu                sync.Mutex
	webhookURL, adminURL string
	// started is closed once every role runs and the webhook listens.
	started chan struct{}
}

// Started is closed once the App runs every role and the webhook listens;
// what Run set up (writer, codec, source) is safe to read after it.
// ParkedCases returns the caseIds this process holds as parked (the
// dead-letter topic as it follows it); nil without the processor role.
func (a *App) ParkedCases() []string {
	if a.parked == nil {
		return nil
	}
	return a.parked.IDs()
}

func (a *App) Started() <-chan struct{} { return a.started }

// Config is the App's configuration.
func (a *App) Config() *Config { return a.cfg }

// Source, Writer and Codec are what the roles use to reach POSTIDENT and
// Kafka; valid once Started is closed (tests publish and fetch with them).
func (a *App) Source() connector.Source { return a.src }

// Writer is the App's Kafka writer; valid once Started is closed.
func (a *App) Writer() *kafka.Writer { return a.writer }

// Codec is the App's Avro codec; valid once Started is closed.
func (a *App) Codec() *avro.Codec { return a.codec }

// State is the processor's state (nil without the processor role); valid
// once Started is closed.
func (a *App) State() *connector.State { return a.state }

// StateLoad says how many state records the processor read before it
// started and how long that took.
func (a *App) StateLoad() (records int64, took time.Duration) { return a.stateRecords, a.stateTook }

// URLs returns where the webhook and admin servers listen, once started
// ("" before).
func (a *App) URLs() (webhook, admin string) {
	a.urlMu.Lock()
	defer a.urlMu.Unlock()
	return a.webhookURL, a.adminURL
}

// Options are what the callers of New may set beside the Config: dev mode,
// the tests and the load tool run the same App with them.
type Options struct {
	// DevMode relaxes the checks that protect a production deployment
	// (cmd/postident-connector dev).
	DevMode bool
	// PrivateKey, when set, is used instead of POSTIDENT_PRIVATE_KEY_FILE
	// (dev mode generates one in memory).
	PrivateKey *rsa.PrivateKey
	// WebhookListener and AdminListener, when set, are used instead of
	// listening on WEBHOOK_ADDR and ADMIN_ADDR (tests and dev mode pick free
	// ports).
	WebhookListener, AdminListener net.Listener
	// WrapSource, when set, wraps the POSTIDENT source every role uses (the
	// load tool counts the calls with it).
	WrapSource func(connector.Source) connector.Source
	// Tuning holds the settings without an environment variable (the load
	// tool's experiments); zero in `run`.
	Tuning Tuning
	// Version is the connector's version, sent in the User-Agent and
	// written into dead-letter records; default "dev".
	Version string
}

// New returns an App for cfg; it does no I/O.
func New(cfg *Config, log *slog.Logger, tel *telemetry.Telemetry, opts Options) *App {
	if opts.Version == "" {
		opts.Version = "dev"
	}
	a := &App{cfg: cfg, opts: opts, log: log, tel: tel, health: telemetry.NewHealth(), started: make(chan struct{})}
	// Not ready until proven otherwise: /readyz answers 503 while the state
	// loads and before the webhook listens.
	a.health.SetReady("state", false, "loading the state topic")
	if cfg.HasRole("webhook") {
		a.health.SetReady("webhook", false, "not listening yet")
	}
	return a
}

// Run starts every configured role and blocks until ctx ends or a role
// fails fatally. It returns after a graceful, bounded shutdown.
func (a *App) Run(ctx context.Context) error {
	if err := a.cfg.Validate(a.opts.DevMode); err != nil {
		return err
	}
	if err := a.start(ctx); err != nil {
		_ = a.Close()
		return err
	}
	fatal := make(chan error, 4)
	a.startRoles(ctx, fatal)
	if err := a.startWebhook(); err != nil {
		_ = a.Close()
		return err
	}
	close(a.started)
	hookURL, adminURL := a.URLs()
	a.log.Info("postident-connector ready", "roles", strings.Join(a.plan.Roles, ","), "webhook", hookURL, "admin", adminURL)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-fatal:
		a.log.Error("stopping after a fatal error", "err", runErr)
	}
	if err := a.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// start brings up what the roles stand on.
func (a *App) start(ctx context.Context) error {
	if err := a.startAdmin(); err != nil {
		return err
	}
	var err error
	if a.plan, err = a.makePlan(); err != nil {
		return err
	}
	a.kcfg = a.plan.Kafka
	// kafka-go's own error lines (failed joins, fetch errors, lost
	// coordinators) at warn: without them a stalled consumer group is
	// silent.
	a.kcfg.Logger = a.log
	if err := a.kcfg.Validate(); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	a.health.AddCheck("kafka", func(ctx context.Context) error { return kafka.Ping(ctx, a.kcfg) })
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.waitKafka(pctx); err != nil {
		return err
	}
	if len(a.plan.Topics) > 0 {
		if err := kafka.EnsureTopics(pctx, a.kcfg, a.plan.Topics...); err != nil {
			return fmt.Errorf("kafka topics: %w", ExplainTopics(err))
		}
	}
	if a.cfg.HasRole("processor") {
		if err := checkPartitionAlignment(pctx, a.kcfg, a.cfg.Topics.Notifications, a.cfg.Topics.State); err != nil {
			return err
		}
	}
	if a.writer, err = kafka.NewWriter(a.kcfg); err != nil {
		return fmt.Errorf("kafka writer: %w", err)
	}
	if a.codec, err = avro.New(a.plan.Codec); err != nil {
		return fmt.Errorf("avro: %w", err)
	}
	if w := KeyFileWarning(a.cfg.Postident.PrivateKeyFile); w != "" && !a.opts.DevMode {
		a.log.Warn(w)
	}
	if a.client, err = NewSCRClient(a.cfg, a.opts.PrivateKey, a.opts.Version); err != nil {
		return err
	}
	a.src = scr.NewSource(a.client)
	if a.opts.WrapSource != nil {
		a.src = a.opts.WrapSource(a.src)
	}
	if a.cfg.HasRole("processor") {
		if err := a.loadState(ctx); err != nil {
			return err
		}
		if err := a.loadParked(ctx); err != nil {
			return err
		}
	}
	a.health.SetReady("state", true, "")
	return nil
}

// Close stops in reverse start order, bounded by SHUTDOWN_TIMEOUT: stop
// accepting webhooks and drain them, stop the roles, flush the writer, stop
// the admin server.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		var errs []error
		if a.webhookSrv != nil {
			if err := a.webhookSrv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("webhook shutdown: %w", err))
			}
			if a.hook != nil {
				_ = a.hook.Drain(ctx)
			}
		}
		if a.sub != nil && a.rolesCancel != nil {
			// Graceful handover: the batch in hand is finished and
			// committed before the processor stops and the group is left
			// (unless the processor already stopped on its own).
			dctx, dcancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-a.procStopped:
					dcancel()
				case <-a.procHalted:
					dcancel()
				case <-dctx.Done():
				}
			}()
			if err := a.sub.Drain(dctx); err != nil && ctx.Err() != nil {
				errs = append(errs, err)
			}
			dcancel()
		}
		if a.rolesCancel != nil {
			a.rolesCancel()
		}
		done := make(chan struct{})
		go func() { a.rolesWG.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			errs = append(errs, errors.New("roles did not stop in time"))
		}
		if a.sub != nil {
			_ = a.sub.Close()
		}
		if a.stopParked != nil {
			a.stopParked()
		}
		if a.writer != nil {
			if err := a.writer.Close(); err != nil {
				errs = append(errs, fmt.Errorf("kafka writer: %w", err))
			}
		}
		if a.client != nil {
			a.client.Close()
		}
		if a.adminSrv != nil {
			_ = a.adminSrv.Shutdown(ctx)
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}
