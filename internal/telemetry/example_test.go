package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// Example shows the start of a binary: telemetry first, so everything after
// it is traced and measured, and the admin server serving health and metrics.
// It has no output to check because it depends on the environment (OTEL_*).
func Example() {
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "postident-connector", ServiceVersion: "dev"})
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(ctx) // last in the shutdown order: flushes spans
	}()

	logger, err := telemetry.NewLogger(os.Stderr, "json", os.Getenv("LOG_LEVEL"))
	if err != nil {
		log.Fatal(err)
	}

	health := telemetry.NewHealth()
	health.SetReady("kafka", false, "connecting")
	admin := &http.Server{
		Addr:              ":9090",
		Handler:           telemetry.AdminHandler(tel, health),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() {
		if err := admin.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin server stopped", "error", err)
		}
	}()
	defer admin.Close()
}

// ExampleAdminHandler shows /readyz turning ready once every component has
// reported itself ready.
func ExampleAdminHandler() {
	health := telemetry.NewHealth()
	health.SetReady("kafka", false, "connecting")
	health.SetReady("state", false, "loading partitions")
	srv := httptest.NewServer(telemetry.AdminHandler(nil, health))
	defer srv.Close()

	readyz := func() {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/readyz", nil)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("%d\n%s", resp.StatusCode, body)
	}
	readyz()
	health.SetReady("kafka", true, "")
	health.SetReady("state", true, "")
	readyz()
	// Output:
	// 503
	// kafka: connecting
	// state: loading partitions
	// 200
	// ok
}

func ExampleMaskName() {
	fmt.Println(telemetry.MaskName("Erika Mustermann"))
	fmt.Println(telemetry.MaskDate("1964-08-12"))
	fmt.Println(telemetry.MaskID("T22000129"))
	// Output:
	// E**** M*********
	// ****-**-**
	// T*******9
}
