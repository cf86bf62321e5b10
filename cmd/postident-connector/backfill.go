package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
)

// parseWhen reads a date (2025-01-31, midnight UTC) or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a date (2025-01-31) nor an RFC 3339 time (2025-01-31T10:00:00+01:00)", s)
}

// cmdBackfill re-lists a created-date range and re-emits its events with
// the same ids, marked with origin backfill.
func cmdBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	createdFrom := fs.String("created-from", "", "first creation date (required; date or RFC 3339 time)")
	createdUntil := fs.String("created-until", "", "last creation date (required)")
	closedFrom := fs.String("closed-from", "", "only cases closed from this date")
	closedUntil := fs.String("closed-until", "", "only cases closed until this date")
	includeArchived := fs.Bool("include-archived", false, "include archived cases (usually wanted: the archiver archives every result)")
	statusTopic := fs.String("status-topic", "", "write status events here instead of TOPIC_STATUS")
	resultTopic := fs.String("result-topic", "", "write results here instead of TOPIC_RESULT")
	checkpoint := fs.String("checkpoint", "postident-backfill.checkpoint.json", "resume file (\"\" for none)")
	window := fs.Duration("window", 24*time.Hour, "slice of the range done and checkpointed at a time")
	dryRun := fs.Bool("dry-run", false, "only count the cases")
	if err := parseFlags("backfill", fs, args, stdout, stderr); err != nil {
		return err
	}
	bc := connector.BackfillConfig{IncludeArchived: *includeArchived, Checkpoint: *checkpoint, Window: *window, DryRun: *dryRun}
	var err error
	for _, p := range []struct {
		dst  *time.Time
		flag string
		val  string
	}{{&bc.CreatedFrom, "--created-from", *createdFrom}, {&bc.CreatedUntil, "--created-until", *createdUntil},
		{&bc.ClosedFrom, "--closed-from", *closedFrom}, {&bc.ClosedUntil, "--closed-until", *closedUntil}} {
		if *p.dst, err = parseWhen(p.val); err != nil {
			return fmt.Errorf("%s: %w", p.flag, err)
		}
	}
	if bc.CreatedFrom.IsZero() || bc.CreatedUntil.IsZero() {
		fmt.Fprintln(stderr, "usage: postident-connector backfill --created-from DATE --created-until DATE [--include-archived] [--closed-from DATE --closed-until DATE] [--dry-run]")
		return errUsage
	}
	t, err := openTools(ctx)
	if err != nil {
		return err
	}
	cfg, kcfg, codec := t.cfg, t.kcfg, t.codec
	bc.ClientID, bc.PartnerMode, bc.Topics = cfg.Postident.ClientID, cfg.Postident.PartnerMode, cfg.PipelineTopics()
	if *statusTopic != "" {
		bc.Topics.Status = *statusTopic
	}
	if *resultTopic != "" {
		bc.Topics.Result = *resultTopic
	}
	client, err := app.NewSCRClient(cfg, nil, version)
	if err != nil {
		return err
	}
	defer client.Close()
	if cfg.Kafka.CreateTopics && !bc.DryRun {
		// Backfills may go to topics of their own: create them like the
		// connector creates its own.
		ret := cfg.Kafka.Retention.Milliseconds()
		if err := kafka.EnsureTopics(ctx, kcfg,
			kafka.TopicSpec{Name: bc.Topics.Status, Partitions: cfg.Kafka.Partitions, ReplicationFactor: cfg.Kafka.ReplicationFactor, RetentionMs: ret},
			app.ResultTopicSpec(cfg, bc.Topics.Result)); err != nil {
			return fmt.Errorf("kafka topics: %w", app.ExplainTopics(err))
		}
	}
	w, err := kafka.NewWriter(kcfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if !bc.DryRun {
		// Cases erased with `forget` are never re-emitted: read their
		// markers from the state topic first.
		st := connector.NewState()
		if _, err := app.ReadState(ctx, kcfg, cfg.Topics.State, codec, st, slog.Default()); err != nil {
			return fmt.Errorf("backfill needs the forget markers of the state topic (run the connector once to create it, or set TOPIC_STATE): read state from %s: %w", cfg.Topics.State, err)
		}
		bc.Forgotten = st.Forgotten
	}
	bc.Progress = progressPrinter(stderr)
	prog, err := connector.Backfill(ctx, bc, scr.NewSource(client), w, codec)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		fmt.Fprintf(stdout, "backfill interrupted after %d of %d cases; run the same command again to resume from %s\n", prog.Done, prog.Total, bc.Checkpoint)
		return errors.New("interrupted")
	}
	if err != nil {
		return explainSCR(err)
	}
	if bc.DryRun {
		fmt.Fprintf(stdout, "dry run: %d cases would be backfilled\n", prog.Total)
		return nil
	}
	if bc.Checkpoint != "" {
		_ = os.Remove(bc.Checkpoint)
	}
	fmt.Fprintf(stdout, "backfill done: %d cases, %d events, %d forgotten cases skipped\n", prog.Done, prog.Events, prog.Forgotten)
	return nil
}

// progressPrinter redraws one line on a terminal, and logs a line every 5 s
// otherwise.
func progressPrinter(w io.Writer) func(connector.BackfillProgress) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var last time.Time
	return func(p connector.BackfillProgress) {
		if tty {
			fmt.Fprintf(w, "\r%d/%d cases  %.0f/s  ETA %s  (window until %s)   ", p.Done, p.Total, p.Rate, p.ETA.Round(time.Second), p.WindowEnd.Format(time.DateOnly))
			return
		}
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			slog.Info("backfill progress", "done", p.Done, "total", p.Total, "rate_per_s", int(p.Rate), "eta", p.ETA.Round(time.Second).String())
		}
	}
}
