package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// BackfillConfig configures a backfill. Zero values take the defaults stated
// on each field.
type BackfillConfig struct {
	ClientID string
	// Topics receive the re-emitted events; only Status and Result are used.
	Topics      Topics
	PartnerMode bool
	// CreatedFrom and CreatedUntil bound the cases by creation date; both
	// are required.
	CreatedFrom, CreatedUntil time.Time
	// ClosedFrom and ClosedUntil optionally bound them by closing date.
	ClosedFrom, ClosedUntil time.Time
	// IncludeArchived lists archived cases too (a backfill usually wants
	// them: archiving is what the connector does after a result).
	IncludeArchived bool
	// Window is the slice of the created range done (and checkpointed) at
	// a time; default 24h.
	Window time.Duration
	// Checkpoint is a file that records the end of the last completed
	// window, so an interrupted backfill resumes there; "" keeps none.
	Checkpoint string
	// DryRun only counts the cases.
	DryRun bool
	// Forgotten, when set, reports the cases erased with `forget` (State.
	// Forgotten of the loaded state topic): they are skipped, never
	// re-emitted.
	Forgotten func(caseID string) bool
	// Progress, when set, is called after every page.
	Progress func(BackfillProgress)
	Now      func() time.Time
}

// BackfillProgress reports how far a backfill got.
type BackfillProgress struct {
	Done, Total int
	Events      int
	Forgotten   int // cases skipped because they were erased with forget
	// Unreadable are the caseIds whose list entry and single answer did not
	// decode; Unidentified counts list entries without a usable caseId.
	// Neither was re-emitted.
	Unreadable   []string
	Unidentified int
	Rate         float64       // cases per second
	ETA          time.Duration // 0 when unknown
	WindowEnd    time.Time
}

// checkpoint is the resumable position of a backfill.
type checkpoint struct {
	Params string    `json:"params"`
	Done   time.Time `json:"doneUntil"`
	Cases  int       `json:"cases"`
}

// Backfill re-lists a created-date range from POSTIDENT and re-emits, for
// every case, the status event of its current state and (once closed) its
// result, with the same deterministic ids the processor gave them and the
// origin "backfill", except for the cases cfg.Forgotten reports erased. It
// decides with the processor's planner (planCase) as if nothing had been
// emitted, and writes no processor state. Each page is published
// whole: a cancelled backfill stops between pages, never inside one.
func Backfill(ctx context.Context, cfg BackfillConfig, src Source, pub Publisher, codec Codec) (BackfillProgress, error) {
	var prog BackfillProgress
	if cfg.CreatedFrom.IsZero() || cfg.CreatedUntil.IsZero() || !cfg.CreatedUntil.After(cfg.CreatedFrom) {
		return prog, errors.New("backfill: --created-from and --created-until are required, from before until")
	}
	if cfg.Window <= 0 {
		cfg.Window = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Topics == (Topics{}) {
		cfg.Topics = DefaultTopics()
	}
	params := fmt.Sprintf("%s|%s|%s|%s|%s|%v|%v|%s|%s", cfg.ClientID, cfg.CreatedFrom.UTC().Format(time.RFC3339), cfg.CreatedUntil.UTC().Format(time.RFC3339),
		cfg.ClosedFrom.UTC().Format(time.RFC3339), cfg.ClosedUntil.UTC().Format(time.RFC3339), cfg.IncludeArchived, cfg.PartnerMode, cfg.Topics.Status, cfg.Topics.Result)
	start := cfg.CreatedFrom
	if cp, ok, err := readCheckpoint(cfg.Checkpoint); err != nil {
		return prog, err
	} else if ok && cp.Params == params && cp.Done.After(start) {
		start = cp.Done
		prog.Done = cp.Cases
	}
	q := ListQuery{New: true, InProgress: true, Closed: true, Archived: cfg.IncludeArchived,
		ClosedFrom: cfg.ClosedFrom, ClosedUntil: cfg.ClosedUntil, StatusOnly: cfg.PartnerMode}

	// Count first, through the status list: no personal data, no result
	// decryption, and it gives the progress a total.
	var st ReconcileStats
	cq := q
	cq.StatusOnly = true
	if err := ListWindows(ctx, src, cq, start, cfg.CreatedUntil, &st, func([]CaseResult) error { return nil }); err != nil {
		return prog, fmt.Errorf("backfill: count: %w", err)
	}
	prog.Total = prog.Done + st.Cases
	if cfg.DryRun {
		return prog, nil
	}

	if cfg.ClientID == "" {
		return prog, errors.New("backfill: client id is required")
	}
	// The processor's planner, with nothing emitted before: every case
	// gets its status event and, once closed, its result; no state record.
	rec := recordBuilder{clientID: cfg.ClientID, codec: codec}
	// emit publishes the events of cases as one page.
	emit := func(cases []CaseResult) error {
		var out []Message
		for i := range cases {
			if cfg.Forgotten != nil && cfg.Forgotten(cases[i].CaseID) {
				prog.Forgotten++
				continue
			}
			now := cfg.Now()
			pl := planCase(cfg.ClientID, cfg.PartnerMode, &cases[i], memo{}, false, now)
			var err error
			if out, err = rec.appendEvents(ctx, out, cfg.Topics, &cases[i], &pl, OriginBackfill, now); err != nil {
				return err
			}
		}
		// A started page completes even when ctx is cancelled meanwhile.
		if err := pub.Publish(context.WithoutCancel(ctx), out...); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		prog.Done += len(cases)
		prog.Events += len(out)
		return nil
	}
	began := cfg.Now()
	doneAtStart := prog.Done
	for from := start; from.Before(cfg.CreatedUntil); from = from.Add(cfg.Window) {
		until := from.Add(cfg.Window)
		if until.After(cfg.CreatedUntil) {
			until = cfg.CreatedUntil
		}
		var ws ReconcileStats
		// Windows share their boundary second (see ListWindows): a case
		// created on it is emitted twice, with the same ids.
		err := ListWindows(ctx, src, q, from, until, &ws, func(cases []CaseResult) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(cases); err != nil {
				return err
			}
			prog.WindowEnd = until
			elapsed := cfg.Now().Sub(began).Seconds()
			if elapsed > 0 {
				prog.Rate = float64(prog.Done-doneAtStart) / elapsed
				if prog.Rate > 0 && prog.Total > prog.Done {
					prog.ETA = time.Duration(float64(prog.Total-prog.Done) / prog.Rate * float64(time.Second))
				} else {
					prog.ETA = 0
				}
			}
			if cfg.Progress != nil {
				cfg.Progress(prog)
			}
			return nil
		})
		if err != nil {
			return prog, fmt.Errorf("backfill: %w", err)
		}
		// List entries that did not decode: each case alone, as the
		// processor would fetch it; what still fails is reported.
		for _, id := range ws.Unreadable {
			if cfg.Forgotten != nil && cfg.Forgotten(id) {
				prog.Forgotten++
				continue
			}
			c, err := src.Fetch(ctx, id, FetchOptions{StatusOnly: cfg.PartnerMode})
			if err == nil {
				err = emit([]CaseResult{*c})
			}
			if ctx.Err() != nil {
				return prog, fmt.Errorf("backfill: %w", ctx.Err())
			}
			if err != nil && !errors.Is(err, ErrCaseGone) {
				prog.Unreadable = append(prog.Unreadable, id)
			}
		}
		prog.Unidentified += ws.Unidentified
		if err := writeCheckpoint(cfg.Checkpoint, checkpoint{Params: params, Done: until, Cases: prog.Done}); err != nil {
			return prog, err
		}
	}
	if prog.Done > prog.Total {
		prog.Total = prog.Done // cases created meanwhile
	}
	if n := len(prog.Unreadable) + prog.Unidentified; n > 0 {
		// Everything else was re-emitted; these were not.
		first := ""
		if len(prog.Unreadable) > 0 {
			first = ", first " + prog.Unreadable[0]
		}
		return prog, fmt.Errorf("backfill: %d cases could not be read from POSTIDENT's answers and were not re-emitted (%d without a usable caseId%s)",
			n, prog.Unidentified, first)
	}
	return prog, nil
}

func readCheckpoint(path string) (checkpoint, bool, error) {
	var cp checkpoint
	if path == "" {
		return cp, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("backfill checkpoint: %w", err)
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		return cp, false, fmt.Errorf("backfill checkpoint %s is damaged; delete it to start over: %w", path, err)
	}
	return cp, true, nil
}

// writeCheckpoint replaces the checkpoint atomically (write, then rename).
func writeCheckpoint(path string, cp checkpoint) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".backfill-*")
	if err != nil {
		return fmt.Errorf("backfill checkpoint: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("backfill checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
