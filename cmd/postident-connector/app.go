package main

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

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
	cfg     *Config
	log     *slog.Logger
	tel     *telemetry.Telemetry
	health  *telemetry.Health
	devMode bool
	// privateKey, when set, is used instead of POSTIDENT_PRIVATE_KEY_FILE
	// (dev mode generates one in memory).
	privateKey *rsa.PrivateKey
	// listeners, when set, are used instead of listening on the addresses
	// (tests and dev mode pick free ports).
	webhookLn, adminLn net.Listener

	kcfg   kafka.Config
	writer *kafka.Writer
	codec  *avro.Codec
	client *scr.Client
	src    connector.Source
	state  *connector.State
	// sub is the processor's consumer group member; it follows the state
	// topic and implements connector.Ownership.
	sub    *kafka.GroupSubscriber
	parked *connector.Parked
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
func (a *App) Started() <-chan struct{} { return a.started }

// URLs returns where the webhook and admin servers listen, once started
// ("" before).
func (a *App) URLs() (webhook, admin string) {
	a.urlMu.Lock()
	defer a.urlMu.Unlock()
	return a.webhookURL, a.adminURL
}

// NewApp returns an App for cfg; it does no I/O.
func NewApp(cfg *Config, log *slog.Logger, tel *telemetry.Telemetry) *App {
	a := &App{cfg: cfg, log: log, tel: tel, health: telemetry.NewHealth(), started: make(chan struct{})}
	// Not ready until proven otherwise: /readyz answers 503 while the state
	// loads and before the webhook listens.
	a.health.SetReady("state", false, "loading the state topic")
	if cfg.hasRole("webhook") {
		a.health.SetReady("webhook", false, "not listening yet")
	}
	return a
}

// Run starts every configured role and blocks until ctx ends or a role
// fails fatally. It returns after a graceful, bounded shutdown.
func (a *App) Run(ctx context.Context) error {
	if err := a.cfg.Validate(a.devMode); err != nil {
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
	a.log.Info("postident-connector ready", "roles", strings.Join(a.roles(), ","), "webhook", hookURL, "admin", adminURL)
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

func (a *App) roles() []string {
	var out []string
	for _, r := range []string{"webhook", "processor", "reconciler", "archiver"} {
		if a.cfg.hasRole(r) {
			out = append(out, r)
		}
	}
	return out
}

// start brings up what the roles stand on.
func (a *App) start(ctx context.Context) error {
	if err := a.startAdmin(); err != nil {
		return err
	}
	var err error
	if a.kcfg, err = a.cfg.kafkaConfig(); err != nil {
		return err
	}
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
	if a.cfg.Kafka.CreateTopics {
		if err := kafka.EnsureTopics(pctx, a.kcfg, a.topicSpecs()...); err != nil {
			return fmt.Errorf("kafka topics: %w", explainTopics(err))
		}
	}
	if a.cfg.hasRole("processor") {
		if err := checkPartitionAlignment(pctx, a.kcfg, a.cfg.Topics.Notifications, a.cfg.Topics.State); err != nil {
			return err
		}
	}
	if a.writer, err = kafka.NewWriter(a.kcfg); err != nil {
		return fmt.Errorf("kafka writer: %w", err)
	}
	if a.codec, err = avro.New(avro.Config{RegistryURL: a.cfg.Registry.URL, RegistryUsername: a.cfg.Registry.Username,
		RegistryPassword: a.cfg.Registry.Password, AutoRegister: a.cfg.Registry.AutoRegister}); err != nil {
		return fmt.Errorf("avro: %w", err)
	}
	if w := keyFileWarning(a.cfg.Postident.PrivateKeyFile); w != "" && !a.devMode {
		a.log.Warn(w)
	}
	if a.client, err = newSCRClient(a.cfg, a.privateKey); err != nil {
		return err
	}
	a.src = scr.NewSource(a.client)
	if a.cfg.hasRole("processor") {
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

// waitKafka pings the brokers until they answer or ctx ends, so that a
// connector started together with its broker does not fail at once.
func (a *App) waitKafka(ctx context.Context) error {
	for {
		err := kafka.Ping(ctx, a.kcfg)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka brokers %s do not answer: %w", strings.Join(a.cfg.Kafka.Brokers, ","), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (a *App) topicSpecs() []kafka.TopicSpec {
	k := a.cfg.Kafka
	rf := k.ReplicationFactor
	ret := k.Retention.Milliseconds()
	t := a.cfg.Topics
	specs := []kafka.TopicSpec{
		{Name: t.Status, Partitions: k.Partitions, ReplicationFactor: rf, RetentionMs: ret},
		resultTopicSpec(a.cfg, t.Result),
		{Name: t.Notifications, Partitions: k.Partitions, ReplicationFactor: rf, RetentionMs: ret},
		{Name: t.State, Partitions: k.Partitions, ReplicationFactor: rf, Compact: true},
		// Compacted by caseId, with a tombstone once a case went through:
		// the topic is the set of cases parked now, whatever its age.
		{Name: t.DeadLetter, Partitions: k.Partitions, ReplicationFactor: rf, Compact: true},
		{Name: t.Lease, Partitions: 1, ReplicationFactor: rf, RetentionMs: ret},
	}
	if a.cfg.Postident.IncludeBinaryData || a.cfg.Postident.IncludeResultPDF {
		specs = append(specs, kafka.TopicSpec{Name: t.Records, Partitions: k.Partitions, ReplicationFactor: rf,
			RetentionMs: k.RecordsRetention.Milliseconds(), Configs: map[string]string{"max.message.bytes": strconv.Itoa(k.MaxMessageBytes)}})
	}
	return specs
}

func newSCRClient(cfg *Config, key *rsa.PrivateKey) (*scr.Client, error) {
	p := cfg.Postident
	if key == nil && p.PrivateKeyFile != "" {
		pem, err := os.ReadFile(p.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("POSTIDENT_PRIVATE_KEY_FILE: %w", err)
		}
		if key, err = scr.LoadPrivateKey(pem); err != nil {
			return nil, fmt.Errorf("POSTIDENT_PRIVATE_KEY_FILE: %w", err)
		}
	}
	c, err := scr.New(scr.Config{BaseURL: p.BaseURL, ClientID: p.ClientID, Username: p.Username, Password: p.Password,
		PrivateKey: key, DataPassword: p.DataPassword, RequireEncryption: cfg.requireEncryption(),
		Timeout: p.Timeout, MaxConns: p.MaxConns, UserAgent: "postident-connector/" + version})
	if err != nil {
		return nil, fmt.Errorf("postident: %w", err)
	}
	return c, nil
}

// loadState starts the processor's group subscriber, which follows the
// compacted state topic for as long as the processor runs (so that a
// partition moving here is handled with the state its previous owner
// wrote), and waits until it has read the topic to its end before the
// processor starts, so that restarts do not re-emit.
func (a *App) loadState(ctx context.Context) error {
	start := time.Now()
	a.state = connector.NewState()
	a.procStopped, a.procHalted = make(chan struct{}), make(chan struct{})
	if !a.cfg.ProcessorFollowState {
		return a.readState(ctx, start)
	}
	sub, err := kafka.NewGroupSubscriber(kafka.GroupConfig{Config: a.kcfg, GroupID: a.cfg.Kafka.GroupPrefix + ".processor",
		Topic: a.cfg.Topics.Notifications, StateTopic: a.cfg.Topics.State, Apply: a.applyState, OwnWrite: ownStateWrite})
	if err != nil {
		return err
	}
	select {
	case <-sub.Ready():
	case <-ctx.Done():
		_ = sub.Close()
		return fmt.Errorf("load state from %s: %w", a.cfg.Topics.State, ctx.Err())
	}
	a.sub = sub
	a.log.Info("state loaded", "records", sub.StateRecords(), "cases", a.state.Len(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// readState reads the compacted state topic to its end once, before the
// processor starts (PROCESSOR_FOLLOW_STATE off): restarts do not re-emit,
// a rebalance between replicas may (same ids).
func (a *App) readState(ctx context.Context, start time.Time) error {
	var n atomic.Int64 // fn runs concurrently for different partitions
	err := kafka.ReadAll(ctx, a.kcfg, a.cfg.Topics.State, func(m connector.Message) error {
		n.Add(1)
		a.applyState(m)
		return nil
	}, kafka.ConcurrentPartitions())
	if err != nil {
		return fmt.Errorf("load state from %s: %w", a.cfg.Topics.State, err)
	}
	a.log.Info("state loaded", "records", n.Load(), "cases", a.state.Len(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// applyState applies one record of the state topic; the subscriber calls it
// for every record, in offset order per partition, for as long as it runs.
func (a *App) applyState(m connector.Message) {
	if m.Value == nil {
		a.state.Apply(string(m.Key), nil)
		return
	}
	var st connector.CaseState
	if err := a.codec.Decode(context.Background(), m.Value, &st); err != nil {
		a.log.Warn("skipping undecodable state record", "partition", m.Partition, "offset", m.Offset, "err", err)
		return
	}
	a.state.Apply(string(m.Key), &st)
}

// ownStateWrite reports whether a state record was written by a processor
// (which put it in its memory before writing it).
func ownStateWrite(m connector.Message) bool {
	return m.Value != nil && string(m.Header(connector.HeaderType)) == connector.TypeCaseState
}

// loadParked reads the compacted dead-letter topic to its end, so that the
// processor leaves parked cases alone after a restart too.
func (a *App) loadParked(ctx context.Context) error {
	a.parked = connector.NewParked()
	err := kafka.ReadAll(ctx, a.kcfg, a.cfg.Topics.DeadLetter, func(m connector.Message) error {
		if m.Value == nil {
			a.parked.Apply(string(m.Key), nil)
			return nil
		}
		var d connector.DeadLetter
		if err := a.codec.Decode(ctx, m.Value, &d); err != nil {
			a.log.Warn("skipping undecodable dead-letter record", "partition", m.Partition, "offset", m.Offset, "err", err)
			return nil
		}
		a.parked.Apply(string(m.Key), &d)
		return nil
	}, kafka.ConcurrentPartitions())
	if err != nil {
		return fmt.Errorf("load parked cases from %s: %w", a.cfg.Topics.DeadLetter, err)
	}
	if n := a.parked.Len(); n > 0 {
		a.log.Warn("cases parked on the dead-letter topic", "cases", n, "topic", a.cfg.Topics.DeadLetter)
	}
	return nil
}

// startRoles starts processor, reconciler and archiver goroutines. A fatal
// processor error stops the App; an archiver that POSTIDENT refuses stops
// alone, and the rest keeps running.
func (a *App) startRoles(ctx context.Context, fatal chan<- error) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.rolesCancel = cancel
	topics := a.cfg.topics()
	if a.cfg.hasRole("processor") {
		a.goRole("processor", func() error {
			defer close(a.procStopped)
			var r interface {
				connector.Subscriber
				Lag() int64
				Close() error
			}
			if a.sub != nil {
				r = a.sub
			} else {
				rd, err := kafka.NewReader(kafka.ReaderConfig{Config: a.kcfg, GroupID: a.cfg.Kafka.GroupPrefix + ".processor", Topic: topics.Notifications})
				if err != nil {
					return err
				}
				r = rd
			}
			defer func() { _ = r.Close() }() // leaves the group at once
			a.observeLag("processor", r)
			p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: a.cfg.Postident.ClientID, PartnerMode: a.cfg.Postident.PartnerMode,
				Topics: topics, Parallelism: a.cfg.ProcessorParallelism, Logger: a.log,
				IncludeBinaryData: a.cfg.Postident.IncludeBinaryData, IncludeResultPDF: a.cfg.Postident.IncludeResultPDF,
				MaxRecordBytes: a.cfg.recordsMaxBytes(),
				Expiry:         connector.ExpiryConfig{Retention: a.cfg.ReconcileLookback, Margin: a.cfg.StateExpiryMargin},
				Coalesce:       connector.CoalesceConfig{Enabled: a.cfg.ProcessorCoalesce, Cache: a.cfg.ProcessorCoalesceCache},
				RetryBudget:    a.cfg.ProcessorRetryBudget, ParkRetryInterval: a.cfg.ProcessorParkRetryInterval, Parked: a.parked,
				Version: version, OnReady: a.processorReady},
				a.src, a.writer, a.codec, a.state)
			if err != nil {
				return err
			}
			return p.Run(rctx, r)
		}, fatal)
	}
	if a.cfg.hasRole("reconciler") {
		a.goRole("reconciler", func() error {
			rec, err := connector.NewReconciler(connector.ReconcilerConfig{ClientID: a.cfg.Postident.ClientID, Topics: topics,
				Interval: a.cfg.ReconcileInterval, Lookback: a.cfg.ReconcileLookback, Logger: a.log}, a.src, a.writer, a.codec)
			if err != nil {
				return err
			}
			lease := kafka.NewLease(a.kcfg, a.cfg.Topics.Lease, a.cfg.Kafka.GroupPrefix+".reconciler-lease")
			return lease.Run(rctx, func(ctx context.Context) error {
				a.log.Info("reconciler lease acquired")
				return rec.Run(ctx)
			})
		}, fatal)
	}
	if a.cfg.hasRole("archiver") {
		a.goRole("archiver", func() error {
			src := topics.Result
			if a.cfg.ArchiveSourceTopic != "" {
				src = a.cfg.ArchiveSourceTopic
			}
			r, err := kafka.NewReader(kafka.ReaderConfig{Config: a.kcfg, GroupID: a.cfg.Kafka.GroupPrefix + ".archiver", Topic: src})
			if err != nil {
				return err
			}
			defer r.Close()
			a.observeLag("archiver", r)
			arc, err := connector.NewArchiver(connector.ArchiverConfig{Linger: a.cfg.ArchiveLinger, Logger: a.log}, a.src)
			if err != nil {
				return err
			}
			err = arc.Run(rctx, r)
			if err != nil {
				// The archiver stops alone: results keep flowing, the list
				// just stops shrinking. Operators see it in the log and the
				// archive metrics.
				a.log.Error("archiver stopped; other roles keep running", "err", err)
				a.health.SetReady("archiver", true, "stopped: "+err.Error())
			}
			return nil
		}, nil)
	}
}

// processorReady reports the processor's readiness on /readyz; a processor
// that stopped for an operator also releases Close from waiting for its
// handover.
func (a *App) processorReady(ready bool, reason string) {
	a.health.SetReady("processor", ready, reason)
	if !ready && a.procHalted != nil {
		a.haltOnce.Do(func() { close(a.procHalted) })
	}
}

// observeLag exports the reader's consumer lag as postident_consumer_lag.
func (a *App) observeLag(role string, r interface{ Lag() int64 }) {
	group := attribute.String("group", a.cfg.Kafka.GroupPrefix+"."+role)
	_, err := otel.Meter("github.com/postident-connector/postident-connector/cmd/postident-connector").Int64ObservableGauge("postident_consumer_lag",
		metric.WithDescription("Messages behind the end of the topic, per consumer group (this replica's partitions)."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(r.Lag(), metric.WithAttributes(group))
			return nil
		}))
	if err != nil {
		a.log.Warn("consumer lag metric unavailable", "err", err)
	}
}

func (a *App) goRole(name string, fn func() error, fatal chan<- error) {
	a.rolesWG.Add(1)
	go func() {
		defer a.rolesWG.Done()
		if err := fn(); err != nil && fatal != nil {
			fatal <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}

func (a *App) startAdmin() error {
	ln := a.adminLn
	if ln == nil {
		var err error
		if ln, err = listen(a.cfg.AdminAddr); err != nil {
			return fmt.Errorf("ADMIN_ADDR %s: %w", a.cfg.AdminAddr, err)
		}
	}
	a.urlMu.Lock()
	a.adminURL = "http://" + ln.Addr().String()
	a.urlMu.Unlock()
	a.adminSrv = telemetry.NewAdminServer(telemetry.AdminHandler(a.tel, a.health))
	go func() { _ = a.adminSrv.Serve(ln) }()
	return nil
}

// startWebhook opens the door last: only once Kafka is reachable and the
// state is loaded does POSTIDENT get a listener.
func (a *App) startWebhook() error {
	if !a.cfg.hasRole("webhook") {
		return nil
	}
	w := a.cfg.Webhook
	allowed, _ := parsePrefixes(w.AllowedCIDRs)
	trusted, _ := parsePrefixes(w.TrustedProxies)
	ingest := &connector.Ingest{ClientID: a.cfg.Postident.ClientID, Topic: a.cfg.Topics.Notifications, Pub: a.writer, Codec: a.codec}
	hcfg := webhook.Config{Path: w.Path, Username: w.Username, Password: w.Password, AllowedCIDRs: allowed, TrustedProxies: trusted,
		Deadline: w.Deadline, MaxInFlight: w.MaxInFlight, RatePerSecond: w.RateLimit, AllowUnauthenticated: w.AllowUnauthenticated, Logger: a.log}
	if err := hcfg.Validate(a.devMode); err != nil {
		return err
	}
	h, err := webhook.NewHandler(hcfg, ingestSink{ingest})
	if err != nil {
		return err
	}
	a.hook = h
	ln := a.webhookLn
	if ln == nil {
		if ln, err = listen(w.Addr); err != nil {
			return fmt.Errorf("WEBHOOK_ADDR %s: %w", w.Addr, err)
		}
	}
	a.webhookSrv = webhook.NewServer(h)
	scheme := "http"
	if w.TLSCertFile != "" {
		rel, err := webhook.NewCertReloader(w.TLSCertFile, w.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("webhook TLS: %w", err)
		}
		a.webhookSrv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: rel.GetCertificate}
		ln = tls.NewListener(ln, a.webhookSrv.TLSConfig)
		scheme = "https"
	}
	a.urlMu.Lock()
	a.webhookURL = scheme + "://" + ln.Addr().String() + w.Path
	a.urlMu.Unlock()
	a.health.SetReady("webhook", true, "")
	go func() { _ = a.webhookSrv.Serve(ln) }()
	return nil
}

// ingestSink adapts the domain's Ingest to the webhook's Sink.
type ingestSink struct{ in *connector.Ingest }

func (s ingestSink) Accept(ctx context.Context, n webhook.Notification) error {
	return s.in.Notify(ctx, n.CaseID, n.ReferenceID, n.ReceivedAt)
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
