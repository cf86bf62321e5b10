package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

const deadLetterUsage = `Usage:
  postident-connector dead-letter list
      the parked cases: caseId, error class, since, attempts
  postident-connector dead-letter retry CASEID... | --all
      ask the processor to fetch parked cases again, past the park: a case
      that now reads emits its normal events (same ids) and leaves the
      dead-letter topic; when POSTIDENT no longer has it, the stored
      encrypted answer is decoded instead
`

// cmdDeadLetter implements `dead-letter list` and `dead-letter retry`.
func cmdDeadLetter(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, deadLetterUsage)
		return errUsage
	}
	switch args[0] {
	case "help", "--help", "-h":
		fmt.Fprint(stdout, deadLetterUsage)
		return nil
	case "list":
		fs := flag.NewFlagSet("dead-letter list", flag.ContinueOnError)
		if err := parseDeadLetterFlags(fs, args[1:], stdout, stderr); err != nil {
			return err
		}
		return deadLetterList(ctx, stdout)
	case "retry":
		fs := flag.NewFlagSet("dead-letter retry", flag.ContinueOnError)
		all := fs.Bool("all", false, "retry every parked case")
		if err := parseDeadLetterFlags(fs, args[1:], stdout, stderr); err != nil {
			return err
		}
		if *all == (fs.NArg() > 0) {
			fmt.Fprint(stderr, deadLetterUsage)
			return errUsage
		}
		return deadLetterRetry(ctx, fs.Args(), stdout)
	}
	fmt.Fprintf(stderr, "unknown dead-letter command %q\n\n%s", args[0], deadLetterUsage)
	return errUsage
}

// parseDeadLetterFlags parses the flags of `dead-letter list` or `retry`:
// help is the usage on stdout and success; a bad flag is the usage on
// stderr and a usage error, as for every other subcommand.
func parseDeadLetterFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, deadLetterUsage)
		return errHelp
	}
	fmt.Fprint(stderr, deadLetterUsage)
	return errUsage
}

// readDeadLetters reads the dead-letter topic to its end: the cases parked
// now (a tombstone removes a case).
func readDeadLetters(ctx context.Context, t *tools) (map[string]*connector.DeadLetter, error) {
	cfg, codec := t.cfg, t.codec
	var mu sync.Mutex
	out := map[string]*connector.DeadLetter{}
	err := kafka.ReadAll(ctx, t.kcfg, cfg.Topics.DeadLetter, func(m connector.Message) error {
		var d *connector.DeadLetter
		if m.Value != nil {
			d = &connector.DeadLetter{}
			if err := codec.Decode(ctx, m.Value, d); err != nil {
				return fmt.Errorf("partition %d offset %d: %w", m.Partition, m.Offset, err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if d == nil {
			delete(out, string(m.Key))
		} else {
			out[string(m.Key)] = d
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cfg.Topics.DeadLetter, err)
	}
	return out, nil
}

func deadLetterList(ctx context.Context, stdout io.Writer) error {
	t, err := openTools(ctx)
	if err != nil {
		return err
	}
	parked, err := readDeadLetters(ctx, t)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(parked))
	for id := range parked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASEID\tCLASS\tSINCE\tATTEMPTS\tENCRYPTED ANSWER")
	for _, id := range ids {
		d := parked[id]
		kept := "no"
		if d.EncryptedAnswer != nil {
			kept = "kept"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", id, d.ErrorClass, d.FirstFailureAt.UTC().Format(time.RFC3339), d.Attempts, kept)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d parked\n", len(ids))
	return nil
}

// deadLetterRetry writes one notification per case, marked as a retry
// (connector.HeaderRetry) and carrying the stored answer, if any
// (connector.HeaderStoredAnswer); the processor does the rest, with the
// same deterministic event ids as always.
func deadLetterRetry(ctx context.Context, ids []string, stdout io.Writer) error {
	t, err := openTools(ctx)
	if err != nil {
		return err
	}
	cfg, codec := t.cfg, t.codec
	parked, err := readDeadLetters(ctx, t)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		for id := range parked {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	return t.publishEach(ctx, stdout, "dead-letter retry", ids, func(id string, now time.Time) ([]connector.Message, string, error) {
		n := &connector.Notification{CaseID: id, Origin: string(connector.OriginBackfill), ReceivedAt: now}
		val, err := codec.Encode(ctx, cfg.Topics.Notifications, n)
		if err != nil {
			return nil, "", abort{fmt.Errorf("encode notification: %w", err)}
		}
		hs := connector.EventHeaders(connector.TypeNotification, uuid.NewString(), cfg.Postident.ClientID, id, now, connector.OriginBackfill)
		hs = append(hs, connector.Header{Key: connector.HeaderRetry, Value: []byte("true")})
		note := "retry requested"
		d := parked[id]
		if d == nil {
			note = "retry requested (not parked now)"
		} else if d.EncryptedAnswer != nil {
			hs = append(hs, connector.Header{Key: connector.HeaderStoredAnswer, Value: []byte(*d.EncryptedAnswer)})
			note = "retry requested, with the stored encrypted answer"
		}
		return []connector.Message{{Topic: cfg.Topics.Notifications, Key: []byte(id), Value: val, Headers: hs, Time: now}}, note, nil
	})
}
