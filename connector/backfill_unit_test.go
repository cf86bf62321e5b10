package connector_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// backfillSource puts, for each of days days before e.now, perDay cases
// created that day: the first closed, the others in progress. It returns
// the ids per day.
func backfillSource(e *unitEnv, src *memory.Source, days, perDay int) [][]string {
	ids := make([][]string, days)
	for d := range days {
		created := e.now.Add(-time.Duration(days-d) * 24 * time.Hour).Add(time.Hour)
		for i := range perDay {
			id := fmt.Sprintf("BF%02d%08d", d, i)
			status := connector.CaseInProgress
			if i == 0 {
				status = connector.CaseClosed
			}
			src.Put(e.newCase(id, status, created.Add(time.Duration(i)*time.Minute), created.Add(2*time.Hour)))
			ids[d] = append(ids[d], id)
		}
	}
	return ids
}

func (e *unitEnv) backfillConfig(days int) connector.BackfillConfig {
	return connector.BackfillConfig{ClientID: unitClient, Topics: e.topics,
		CreatedFrom: e.now.Add(-time.Duration(days) * 24 * time.Hour), CreatedUntil: e.now,
		Now: func() time.Time { return e.now }}
}

// ceIDs returns the ce_id header of every record of topic per key.
func ceIDs(pub *memory.Publisher, topic string) map[string][]string {
	out := map[string][]string{}
	for _, m := range pub.Records(topic) {
		out[string(m.Key)] = append(out[string(m.Key)], string(m.Header(connector.HeaderID)))
	}
	return out
}

// TestBackfillUnitReemits: a backfill re-emits, for every listed case, the
// status event of its current state and, for a closed case, its result,
// with the ids the processor gave them; it writes no state.
func TestBackfillUnitReemits(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{PageSize: 2} // partial pages: ListWindows continues
	ids := backfillSource(e, src, 2, 3)
	all := slices.Concat(ids...)
	pub := &memory.Publisher{}
	prog, err := connector.Backfill(e.ctx, e.backfillConfig(2), src, pub, e.codec)
	if err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	if prog.Done != len(all) || prog.Total != len(all) {
		t.Errorf("progress %d of %d, want %d of %d", prog.Done, prog.Total, len(all), len(all))
	}
	if n := len(pub.Records(e.topics.State)); n != 0 {
		t.Errorf("backfill wrote %d state records", n)
	}
	status, result := pub.Keys(e.topics.Status), pub.Keys(e.topics.Result)
	for d := range ids {
		for i, id := range ids[d] {
			wantResult := 0
			if i == 0 {
				wantResult = 1
			}
			if status[id] != 1 || result[id] != wantResult {
				t.Errorf("case %s: %d status and %d result events, want 1 and %d", id, status[id], result[id], wantResult)
			}
		}
	}
	if prog.Events != len(pub.All()) {
		t.Errorf("progress counts %d events, %d published", prog.Events, len(pub.All()))
	}

	// The processor, fetching the same cases, gives the same event ids.
	byProcessor := &memory.Publisher{}
	if err := e.processor(connector.ProcessorConfig{}, src, byProcessor).HandleBatch(e.ctx, e.webhooks(all...)); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{e.topics.Status, e.topics.Result} {
		got, want := ceIDs(pub, topic), ceIDs(byProcessor, topic)
		for _, id := range all {
			if len(got[id]) == 0 && topic == e.topics.Status {
				t.Errorf("%s of %s: no event with a %s header", topic, id, connector.HeaderID)
			}
			if !slices.Equal(got[id], want[id]) {
				t.Errorf("%s of %s: backfill ids %v, processor ids %v", topic, id, got[id], want[id])
			}
		}
	}
}

// TestBackfillUnitSkipsForgotten: cases erased with forget are counted
// and never re-emitted.
func TestBackfillUnitSkipsForgotten(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := backfillSource(e, src, 1, 3)[0]
	cfg := e.backfillConfig(1)
	cfg.Forgotten = func(id string) bool { return id == ids[0] }
	pub := &memory.Publisher{}
	prog, err := connector.Backfill(e.ctx, cfg, src, pub, e.codec)
	if err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	if prog.Forgotten != 1 {
		t.Errorf("%d forgotten, want 1", prog.Forgotten)
	}
	for _, m := range pub.All() {
		if string(m.Key) == ids[0] {
			t.Errorf("forgotten case re-emitted on %s", m.Topic)
		}
	}
	if n := len(pub.Keys(e.topics.Status)); n != 2 {
		t.Errorf("%d cases re-emitted, want 2", n)
	}
}

// TestBackfillUnitDryRun counts through the status list and publishes
// nothing.
func TestBackfillUnitDryRun(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	backfillSource(e, src, 2, 3)
	cfg := e.backfillConfig(2)
	cfg.DryRun = true
	pub := &memory.Publisher{}
	prog, err := connector.Backfill(e.ctx, cfg, src, pub, e.codec)
	if err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	if prog.Total != 6 || pub.Calls() != 0 {
		t.Errorf("dry run: total %d, %d Publish calls; want 6 and none", prog.Total, pub.Calls())
	}
	for _, q := range src.Lists() {
		if !q.StatusOnly {
			t.Errorf("dry run listed with personal data: %+v", q)
		}
	}
}

// TestBackfillUnitResumesFromCheckpoint: a backfill that fails in its
// second window resumes, with the same parameters, after the first: the
// first window is not re-emitted.
func TestBackfillUnitResumesFromCheckpoint(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := backfillSource(e, src, 3, 2)
	cfg := e.backfillConfig(3)
	cfg.Checkpoint = filepath.Join(t.TempDir(), "backfill.json")
	failing := &memory.Publisher{Fault: memory.FailCall(2, nil)} // one page per day: the second day fails
	if _, err := connector.Backfill(e.ctx, cfg, src, failing, e.codec); !errors.Is(err, memory.ErrInjected) {
		t.Fatalf("Backfill over a failing publisher = %v, want the injected error", err)
	}
	pub := &memory.Publisher{}
	prog, err := connector.Backfill(e.ctx, cfg, src, pub, e.codec)
	if err != nil {
		t.Fatalf("resumed Backfill: %v", err)
	}
	status := pub.Keys(e.topics.Status)
	for _, id := range ids[0] {
		if status[id] != 0 {
			t.Errorf("case %s of the completed first window re-emitted", id)
		}
	}
	for _, id := range slices.Concat(ids[1:]...) {
		if status[id] != 1 {
			t.Errorf("case %s: %d status events after the resume, want 1", id, status[id])
		}
	}
	if prog.Done != 6 {
		t.Errorf("resumed progress: %d done, want 6 (2 from the checkpoint)", prog.Done)
	}
}

// TestBackfillUnitNeedsRange: a backfill without a created range is
// refused before any call.
func TestBackfillUnitNeedsRange(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	cfg := e.backfillConfig(1)
	cfg.CreatedFrom, cfg.CreatedUntil = cfg.CreatedUntil, cfg.CreatedFrom
	if _, err := connector.Backfill(e.ctx, cfg, src, &memory.Publisher{}, e.codec); err == nil {
		t.Fatal("Backfill with from after until returned nil")
	}
	if n := len(src.Lists()); n != 0 {
		t.Errorf("%d list calls before the range was checked", n)
	}
}
