package main

import (
	"context"

	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// tools is what the maintenance commands (backfill, forget, dead-letter)
// stand on: the configuration, the Kafka client settings and the codec,
// opened as the connector opens them.
type tools struct {
	cfg   *app.Config
	kcfg  kafka.Config
	codec *avro.Codec
}

// openTools loads the configuration from the environment and opens the
// Kafka settings and the codec of a maintenance command.
func openTools(ctx context.Context) (*tools, error) {
	cfg, err := app.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	kcfg, err := cfg.KafkaClientConfig()
	if err != nil {
		return nil, err
	}
	codec, err := cfg.NewCodec()
	if err != nil {
		return nil, err
	}
	return &tools{cfg: cfg, kcfg: kcfg, codec: codec}, nil
}
