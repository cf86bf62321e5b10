package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// cmdForget erases cases on request: it tombstones each case's result (the
// compacted topic that holds personal data) and writes a forget marker as
// its state (connector.ForgetMarker: the case id and the time, nothing
// personal). Once the log cleaner has compacted the result topic, no value
// for the case remains; the marker keeps the processor, the reconciler and
// backfills from writing it again, until POSTIDENT's retention has passed
// and the marker expires like any state entry.
func cmdForget(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("forget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "read case ids from this file, one a line (# comments allowed)")
	if err := parseFlags("forget", fs, args, stdout, stderr); err != nil {
		return err
	}
	ids := fs.Args()
	if *file != "" {
		more, err := readIDs(*file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		ids = append(ids, more...)
	}
	if len(ids) == 0 {
		fmt.Fprintln(stderr, "usage: postident-connector forget CASEID... | --file FILE")
		return errUsage
	}
	t, err := openTools(ctx)
	if err != nil {
		return err
	}
	cfg, codec := t.cfg, t.codec
	w, err := kafka.NewWriter(t.kcfg)
	if err != nil {
		return err
	}
	defer w.Close()
	failed := 0
	for _, id := range ids {
		if !connector.ValidCaseID(id) {
			failed++
			fmt.Fprintf(stdout, "%s\tskipped: not a POSTIDENT case id\n", id)
			continue
		}
		now := time.Now()
		marker, err := codec.Encode(ctx, cfg.Topics.State, connector.ForgetMarker(id, now))
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s\tfailed: %v\n", id, err)
			continue
		}
		// The marker first: should the tombstone fail, a rerun finishes the
		// job and nothing writes the result meanwhile.
		msgs := []connector.Message{
			{Topic: cfg.Topics.State, Key: []byte(id), Value: marker, Time: now},
			{Topic: cfg.Topics.Result, Key: []byte(id), Value: nil, Time: now},
		}
		if err := w.Publish(ctx, msgs...); err != nil {
			failed++
			fmt.Fprintf(stdout, "%s\tfailed: %v\n", id, err)
			continue
		}
		fmt.Fprintf(stdout, "%s\ttombstoned on %s, forget marker on %s\n", id, cfg.Topics.Result, cfg.Topics.State)
	}
	if failed > 0 {
		return fmt.Errorf("forget: %d of %d case ids failed", failed, len(ids))
	}
	return nil
}
