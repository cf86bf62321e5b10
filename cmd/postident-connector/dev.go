package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// Dev-mode credentials: the simulator and the connector agree on them; they
// protect nothing but a local demo.
//
//nolint:gosec // G101: fixed demo credentials of the local dev mode, by design
const (
	devClientID     = "DEVCLIENT1"
	devUser         = "dev"
	devPassword     = "dev-password"
	devDataPassword = "dev-data-password"
	devHookUser     = "postident"
	devHookPassword = "dev-webhook-password"
)

// cmdDev runs everything in one process: an in-process Kafka (kfake), the
// POSTIDENT simulator producing a steady stream of cases across all methods
// and classes with encrypted (JWE) responses, every role of the connector,
// and a live view of the events with personal data masked.
func cmdDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("rate", 2, "new simulated cases per second")
	webhookAddr := fs.String("webhook-addr", "127.0.0.1:8080", "webhook listen address (a free port is used if taken)")
	adminAddr := fs.String("admin-addr", "127.0.0.1:9090", "admin listen address (a free port is used if taken)")
	simAddr := fs.String("sim-addr", "127.0.0.1:8090", "simulator listen address (a free port is used if taken)")
	quiet := fs.Bool("quiet", false, "do not print the live view of events")
	logLevel := fs.String("log-level", "warn", "log level of the connector in dev mode")
	if err := parseFlags("dev", fs, args, stdout, stderr); err != nil {
		return err
	}
	log, err := telemetry.NewLogger(stderr, "text", *logLevel)
	if err != nil {
		return err
	}
	tel, done, err := app.SetupTelemetry(ctx, log, version)
	if err != nil {
		return err
	}
	defer done()

	brokers, closeKafka, err := kafkatest.NewCluster()
	if err != nil {
		return err
	}
	defer closeKafka()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	hookLn, err := listenOrFree(*webhookAddr)
	if err != nil {
		return err
	}
	adminLn, err := listenOrFree(*adminAddr)
	if err != nil {
		return err
	}
	simLn, err := listenOrFree(*simAddr)
	if err != nil {
		return err
	}
	cfg, err := app.LoadConfig(ctx)
	if err != nil {
		return err
	}
	cfg.Postident.BaseURL = "http://" + simLn.Addr().String() + "/api/scr/v1"
	cfg.Postident.ClientID, cfg.Postident.Username, cfg.Postident.Password = devClientID, devUser, devPassword
	cfg.Postident.DataPassword, cfg.Postident.RequireEncryption = devDataPassword, "true"
	cfg.Postident.PrivateKeyFile = "(generated in memory)"
	cfg.Kafka.Brokers, cfg.Kafka.ReplicationFactor, cfg.Kafka.Partitions = brokers, 1, 3
	cfg.Webhook.Username, cfg.Webhook.Password = devHookUser, devHookPassword
	cfg.Webhook.Path = "/postident/webhook"
	cfg.ReconcileInterval = 15 * time.Second
	cfg.ArchiveLinger = time.Second
	cfg.ShutdownTimeout = 10 * time.Second

	s, err := sim.New(sim.Config{ClientID: devClientID, Username: devUser, Password: devPassword, DataPassword: devDataPassword,
		RequireEncryption: true, WebhookURL: "http://" + hookLn.Addr().String() + cfg.Webhook.Path,
		WebhookUsername: devHookUser, WebhookPassword: devHookPassword, WebhookReferenceID: true, TimeScale: 60, Seed: 1})
	if err != nil {
		return err
	}
	defer s.Close()
	simSrv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = simSrv.Serve(simLn) }()
	defer func() { _ = simSrv.Close() }()

	a := app.New(cfg, log, tel, app.Options{DevMode: true, PrivateKey: key, WebhookListener: hookLn, AdminListener: adminLn, Version: version})

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Run(runCtx) }()
	if err := waitReady(ctx, "http://"+adminLn.Addr().String()+"/readyz", errc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "postident-connector dev: in-process Kafka at %s, POSTIDENT simulator at %s\n", brokers[0], cfg.Postident.BaseURL)
	fmt.Fprintf(stdout, "  webhook  http://%s%s  (Basic auth %s / %s)\n", hookLn.Addr(), cfg.Webhook.Path, devHookUser, devHookPassword)
	fmt.Fprintf(stdout, "  health   http://%s/healthz  ready http://%s/readyz\n", adminLn.Addr(), adminLn.Addr())
	fmt.Fprintf(stdout, "  metrics  http://%s/metrics\n", adminLn.Addr())
	fmt.Fprintf(stdout, "  sim API  http://%s/sim/v1/  (client %s, %s / %s)\n", simLn.Addr(), devClientID, devUser, devPassword)
	fmt.Fprintf(stdout, "  topics   %s, %s\n", cfg.Topics.Status, cfg.Topics.Result)
	fmt.Fprintf(stdout, "Simulating %.3g new cases a second across all methods and classes; Ctrl-C stops.\n\n", *rate)

	s.StartStream(runCtx, *rate, connector.Methods(), connector.Classes())
	if !*quiet {
		go liveView(runCtx, cfg, stdout)
	}
	select {
	case <-ctx.Done():
		cancel()
		err := <-errc
		fmt.Fprintln(stdout, "\npostident-connector dev: stopped")
		return err
	case err := <-errc:
		return err
	}
}

// listenOrFree listens on addr, or on a free loopback port if addr is taken.
func listenOrFree(addr string) (net.Listener, error) {
	if ln, err := app.Listen(addr); err == nil {
		return ln, nil
	}
	return app.Listen("127.0.0.1:0")
}

// waitReady polls /readyz until it answers 200, the app fails, or ctx ends.
func waitReady(ctx context.Context, url string, errc <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			if err == nil {
				err = fmt.Errorf("connector stopped before it was ready")
			}
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
