package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// SetupTelemetry makes log slog's default and starts OpenTelemetry (metrics
// for /metrics, traces as OTEL_* says), as every process that runs an App
// does; shutdown flushes what telemetry holds.
func SetupTelemetry(ctx context.Context, log *slog.Logger, version string) (*telemetry.Telemetry, func(), error) {
	slog.SetDefault(log)
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "postident-connector", ServiceVersion: version})
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: %w", err)
	}
	return tel, func() { _ = tel.Shutdown(context.Background()) }, nil
}

// Start is what `postident-connector run` does with a Config before it
// runs: the logger of LOG_FORMAT and LOG_LEVEL on w, telemetry, and the App
// (not running yet). The load tool's connector child starts through it
// too; shutdown flushes the telemetry once the App has stopped.
func Start(ctx context.Context, cfg *Config, w io.Writer, opts Options) (*App, *telemetry.Telemetry, func(), error) {
	log, err := telemetry.NewLogger(w, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("LOG_LEVEL/LOG_FORMAT: %w", err)
	}
	tel, shutdown, err := SetupTelemetry(ctx, log, opts.Version)
	if err != nil {
		return nil, nil, nil, err
	}
	return New(cfg, log, tel, opts), tel, shutdown, nil
}
