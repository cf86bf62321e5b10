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

// cmdForget writes tombstones for each case id on the compacted topics that
// hold personal data (result and state), for erasure requests. Once
// the log cleaner has compacted the topics, no value for the case remains.
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
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	kcfg, err := cfg.kafkaConfig()
	if err != nil {
		return err
	}
	w, err := kafka.NewWriter(kcfg)
	if err != nil {
		return err
	}
	defer w.Close()
	topics := []string{cfg.Topics.Result, cfg.Topics.State}
	failed := 0
	for _, id := range ids {
		if !connector.ValidCaseID(id) {
			failed++
			fmt.Fprintf(stdout, "%s\tskipped: not a POSTIDENT case id\n", id)
			continue
		}
		msgs := make([]connector.Message, 0, len(topics))
		now := time.Now()
		for _, t := range topics {
			msgs = append(msgs, connector.Message{Topic: t, Key: []byte(id), Value: nil, Time: now})
		}
		if err := w.Publish(ctx, msgs...); err != nil {
			failed++
			fmt.Fprintf(stdout, "%s\tfailed: %v\n", id, err)
			continue
		}
		fmt.Fprintf(stdout, "%s\ttombstoned on %s, %s\n", id, topics[0], topics[1])
	}
	if failed > 0 {
		return fmt.Errorf("forget: %d of %d case ids failed", failed, len(ids))
	}
	return nil
}
