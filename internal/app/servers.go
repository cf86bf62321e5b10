package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/telemetry"
	"github.com/postident-connector/postident-connector/internal/webhook"
)

// startAdmin serves /healthz, /readyz and /metrics first, so that a
// starting connector answers its probes (not ready) while it loads.
func (a *App) startAdmin() error {
	ln := a.opts.AdminListener
	if ln == nil {
		var err error
		if ln, err = Listen(a.cfg.AdminAddr); err != nil {
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
	if !a.cfg.HasRole("webhook") {
		return nil
	}
	w := a.cfg.Webhook
	ingest := &connector.Ingest{ClientID: a.cfg.Postident.ClientID, Topic: a.cfg.Topics.Notifications, Pub: a.writer, Codec: a.codec}
	hcfg := a.plan.Webhook
	hcfg.Logger = a.log
	if err := hcfg.Validate(a.opts.DevMode); err != nil {
		return err
	}
	h, err := webhook.NewHandler(hcfg, ingestSink{ingest})
	if err != nil {
		return err
	}
	a.hook = h
	ln := a.opts.WebhookListener
	if ln == nil {
		if ln, err = Listen(w.Addr); err != nil {
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

// Listen opens a TCP listener on addr.
func Listen(addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", addr)
}
