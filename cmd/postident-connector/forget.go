package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/postident-connector/postident-connector/connector"
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
	return t.publishEach(ctx, stdout, "forget", ids, func(id string, now time.Time) ([]connector.Message, string, error) {
		marker, err := codec.Encode(ctx, cfg.Topics.State, connector.ForgetMarker(id, now))
		if err != nil {
			return nil, "", err
		}
		// The marker first: should a tombstone fail, a rerun finishes the
		// job and nothing writes the result meanwhile. The dead-letter
		// topic is compacted like the result topic and may hold the
		// case's answer, encrypted: it goes too (a tombstone for a case
		// never parked costs nothing).
		return []connector.Message{
			{Topic: cfg.Topics.State, Key: []byte(id), Value: marker, Time: now},
			{Topic: cfg.Topics.Result, Key: []byte(id), Value: nil, Time: now},
			{Topic: cfg.Topics.DeadLetter, Key: []byte(id), Value: nil, Time: now},
		}, fmt.Sprintf("tombstoned on %s and %s, forget marker on %s", cfg.Topics.Result, cfg.Topics.DeadLetter, cfg.Topics.State), nil
	})
}
