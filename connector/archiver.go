package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// MaxArchiveBatch is POSTIDENT's limit of case ids per archive call (7.6).
const MaxArchiveBatch = 10000

// ArchiverConfig configures an Archiver. Zero values take the defaults
// stated on each field.
type ArchiverConfig struct {
	// BatchSize is the most ids of one archive call; default and maximum
	// 10000.
	BatchSize int
	// Linger is how long a partial batch waits for more ids; default 2s.
	Linger time.Duration
	Logger *slog.Logger
}

func (c *ArchiverConfig) defaults() {
	if c.BatchSize <= 0 || c.BatchSize > MaxArchiveBatch {
		c.BatchSize = MaxArchiveBatch
	}
	if c.Linger <= 0 {
		c.Linger = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ArchiveAck is the JSON value a downstream service writes to the
// acknowledgement topic (ARCHIVE_SOURCE_TOPIC), keyed by the caseId. The key
// is what counts; the value must not be null (null is a tombstone), and
// `{}` is enough.
type ArchiveAck struct {
	CaseID string `json:"caseId"`
}

// Archiver acknowledges processed cases back to POSTIDENT: it reads caseIds
// from the result topic (or an acknowledgement topic), archives them in
// batches, and commits its offsets only after POSTIDENT confirmed the batch.
// Archiving is what lets the list endpoint deliver the next closed cases.
type Archiver struct {
	cfg ArchiverConfig
	src Source

	archived metric.Int64Counter
	skipped  metric.Int64Counter
	failed   metric.Int64Counter
	batches  metric.Int64Counter
}

// NewArchiver returns an archiver.
func NewArchiver(cfg ArchiverConfig, src Source) (*Archiver, error) {
	cfg.defaults()
	a := &Archiver{cfg: cfg, src: src}
	m := otel.Meter(instrumentation)
	var err error
	if a.archived, err = m.Int64Counter("postident_archived_total", metric.WithDescription("Case ids archived at POSTIDENT.")); err != nil {
		return nil, err
	}
	if a.skipped, err = m.Int64Counter("postident_archive_skipped_total", metric.WithDescription("Case ids POSTIDENT did not archive (not closed, or deleted).")); err != nil {
		return nil, err
	}
	if a.failed, err = m.Int64Counter("postident_archive_failed_total", metric.WithDescription("Case ids whose archive call failed.")); err != nil {
		return nil, err
	}
	if a.batches, err = m.Int64Counter("postident_archive_batches_total", metric.WithDescription("Archive calls, by outcome.")); err != nil {
		return nil, err
	}
	return a, nil
}

// Run archives until ctx ends. It returns an error when POSTIDENT refuses
// the credentials: the role stops while the others keep running.
func (a *Archiver) Run(ctx context.Context, sub Subscriber) error {
	for {
		batch, err := a.collect(ctx, sub)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("archiver: read: %w", err)
		}
		ids := caseIDsOf(batch)
		backoff := 200 * time.Millisecond
		for {
			err = a.ArchiveIDs(ctx, ids)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrUnauthorized) {
				return fmt.Errorf("archiver stopped: %w", err)
			}
			a.cfg.Logger.WarnContext(ctx, "archive call failed, retrying", "ids", len(ids), "backoff", backoff, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		if err := sub.Commit(ctx, batch...); err != nil && ctx.Err() == nil {
			a.cfg.Logger.WarnContext(ctx, "archiver commit failed; the batch may be archived again, which is harmless", "err", err)
		}
	}
}

// collect blocks for one message, then gathers more until the batch is full
// or Linger has passed.
func (a *Archiver) collect(ctx context.Context, sub Subscriber) ([]Message, error) {
	first, err := sub.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	batch := []Message{first}
	wctx, cancel := context.WithTimeout(ctx, a.cfg.Linger)
	defer cancel()
	for len(batch) < a.cfg.BatchSize {
		m, err := sub.Fetch(wctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// caseIDsOf takes the caseId of each record from its key (or, for an
// acknowledgement without key, from its JSON value), skipping tombstones and
// repeats.
func caseIDsOf(msgs []Message) []string {
	seen := make(map[string]bool, len(msgs))
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if m.Value == nil {
			continue // a tombstone from an erasure; acknowledgements carry a value
		}
		id := string(m.Key)
		if id == "" {
			var ack ArchiveAck
			if json.Unmarshal(m.Value, &ack) == nil {
				id = ack.CaseID
			}
		}
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

// ArchiveIDs archives ids, splitting a batch that POSTIDENT rejects with 400
// in halves so that one bad id cannot block the rest.
func (a *Archiver) ArchiveIDs(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	statuses, err := a.src.Archive(ctx, ids)
	if err != nil {
		if errors.Is(err, ErrBadRequest) {
			if len(ids) == 1 {
				a.failed.Add(ctx, 1)
				a.batches.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "rejected")))
				a.cfg.Logger.WarnContext(ctx, "POSTIDENT rejected archiving a case; it is left unarchived", "case_id", ids[0], "err", err)
				return nil
			}
			half := len(ids) / 2
			if err := a.ArchiveIDs(ctx, ids[:half]); err != nil {
				return err
			}
			return a.ArchiveIDs(ctx, ids[half:])
		}
		a.failed.Add(ctx, int64(len(ids)))
		a.batches.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "error")))
		return err
	}
	archived := 0
	for _, st := range statuses {
		if st.Archived {
			archived++
		}
	}
	a.archived.Add(ctx, int64(archived))
	if skipped := len(ids) - archived; skipped > 0 {
		a.skipped.Add(ctx, int64(skipped))
		a.cfg.Logger.InfoContext(ctx, "some cases were not archived (not closed or no longer known)", "requested", len(ids), "archived", archived)
	}
	a.batches.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "ok")))
	return nil
}
