package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/postident-connector/postident-connector/connector"
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

// abort is an error of publishEach's build that stops the whole command
// instead of failing one case.
type abort struct{ error }

// publishEach writes, with one writer, the records build returns for each
// case id (now is the time to stamp them with) and prints one line per id
// on out: build's note, or why the id was skipped or failed. A failed id
// does not stop the others; the command fails at the end with their count
// (an abort from build stops it at once).
func (t *tools) publishEach(ctx context.Context, out io.Writer, cmd string, ids []string,
	build func(id string, now time.Time) ([]connector.Message, string, error),
) error {
	w, err := kafka.NewWriter(t.kcfg)
	if err != nil {
		return err
	}
	defer w.Close()
	failed := 0
	for _, id := range ids {
		if !connector.ValidCaseID(id) {
			failed++
			fmt.Fprintf(out, "%s\tskipped: not a POSTIDENT case id\n", id)
			continue
		}
		msgs, note, err := build(id, time.Now())
		var stop abort
		if errors.As(err, &stop) {
			return stop.error
		}
		if err == nil {
			err = w.Publish(ctx, msgs...)
		}
		if err != nil {
			failed++
			fmt.Fprintf(out, "%s\tfailed: %v\n", id, err)
			continue
		}
		fmt.Fprintf(out, "%s\t%s\n", id, note)
	}
	if failed > 0 {
		return fmt.Errorf("%s: %d of %d case ids failed", cmd, failed, len(ids))
	}
	return nil
}
