package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/postident-connector/postident-connector/internal/webhook"
)

func ExampleNewHandler() {
	cfg := webhook.Config{
		Username: "postident",
		Password: "s3cret",
		// In production: AllowedCIDRs: webhook.PostidentSourceCIDRs,
		Logger: slog.New(slog.DiscardHandler),
	}
	if err := cfg.Validate(false); err != nil {
		fmt.Println(err)
		return
	}
	// The binary wires the sink to Kafka, e.g.
	//	webhook.SinkFunc(func(ctx context.Context, n webhook.Notification) error {
	//		return ingest.Notify(ctx, n.CaseID, n.ReferenceID, n.ReceivedAt)
	//	})
	sink := webhook.SinkFunc(func(_ context.Context, n webhook.Notification) error {
		fmt.Println("durable:", n.CaseID)
		return nil
	})
	h, err := webhook.NewHandler(cfg, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+webhook.DefaultPath,
		strings.NewReader(`{"caseId":"YR9W91GEZK24","referenceId":"order-4711"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("postident", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("answer:", resp.StatusCode)

	// Shutdown: srv.Config.Shutdown(ctx), then:
	fmt.Println("drain:", h.Drain(ctx))
	// Output:
	// durable: YR9W91GEZK24
	// answer: 200
	// drain: <nil>
}
