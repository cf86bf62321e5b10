package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// runAll drives every case to its end, concurrently.
func runAll(t *testing.T, s *sim.Sim, ids []string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.RunToEnd(id); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func closedOf(s *sim.Sim, ids []string) []string {
	var out []string
	for _, id := range ids {
		if c, ok := s.Case(id, false); ok && c.CaseStatus.Status == connector.CaseClosed {
			out = append(out, id)
		}
	}
	return out
}

// cli runs a subcommand in-process with the test's configuration as the
// environment, as a user would run the binary.
func (e *e2eEnv) cli(args ...string) (string, error) {
	e.t.Helper()
	for k, v := range e.cfgEnv {
		e.t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	err := run(e.ctx, args, &out, &errOut)
	if err != nil {
		return out.String() + errOut.String(), err
	}
	return out.String(), nil
}

// TestArchiverArchivesWhatIsOnKafka: every closed case is archived at
// POSTIDENT once its result is on Kafka, and no case is archived without
// its result being there.
func TestArchiverArchivesWhatIsOnKafka(t *testing.T) {
	e := newE2E(t, envOpts{env: map[string]string{"RECONCILE_INTERVAL": "2s"}})
	col := e.collect()
	ids := createMixed(t, e.sim, 40, 21)
	runAll(t, e.sim, ids)
	closed := closedOf(e.sim, ids)
	eventually(t, 60*time.Second, "every closed case archived", func() (bool, string) {
		n := 0
		for _, id := range closed {
			if e.sim.IsArchived(id) {
				n++
			}
		}
		return n == len(closed), fmt.Sprintf("%d of %d archived", n, len(closed))
	})
	_, results := col.snapshot()
	for _, id := range ids {
		if e.sim.IsArchived(id) && len(results[id]) == 0 {
			t.Errorf("%s archived without its result on Kafka", id)
		}
	}
}

// TestArchiverWaitsForAcknowledgements: with ARCHIVE_SOURCE_TOPIC, a case is
// archived only after a downstream service acknowledged it there.
func TestArchiverWaitsForAcknowledgements(t *testing.T) {
	ackTopic := kafkatest.TopicName(t, "acks")
	e := newE2E(t, envOpts{noStart: true, env: map[string]string{"ARCHIVE_SOURCE_TOPIC": ackTopic}})
	if err := kafka.EnsureTopics(e.ctx, e.kcfg(), kafka.TopicSpec{Name: ackTopic, Partitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	e.start()
	col := e.collect()
	ids := createMixed(t, e.sim, 20, 5)
	runAll(t, e.sim, ids)
	closed := closedOf(e.sim, ids)
	col.waitResults(t, 60*time.Second, closed)
	time.Sleep(time.Second) // give a wrong archiver time to act
	for _, id := range closed {
		if e.sim.IsArchived(id) {
			t.Fatalf("%s archived before any acknowledgement", id)
		}
	}
	acked := closed[:len(closed)/2]
	w, err := kafka.NewWriter(e.kcfg())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var msgs []connector.Message
	for _, id := range acked {
		msgs = append(msgs, connector.Message{Topic: ackTopic, Key: []byte(id), Value: []byte(`{"caseId":"` + id + `"}`)})
	}
	if err := w.Publish(e.ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "acknowledged cases archived", func() (bool, string) {
		n := 0
		for _, id := range acked {
			if e.sim.IsArchived(id) {
				n++
			}
		}
		return n == len(acked), fmt.Sprintf("%d of %d", n, len(acked))
	})
	for _, id := range closed[len(closed)/2:] {
		if e.sim.IsArchived(id) {
			t.Errorf("%s archived without an acknowledgement", id)
		}
	}
}

// TestArchivingDrainsTheClosedList: an account without webhooks and more
// than 1000 closed cases; reconcile plus archiving leave POSTIDENT's list of
// closed, non-archived cases empty.
func TestArchivingDrainsTheClosedList(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1100 cases")
	}
	e := newE2E(t, envOpts{noWebhook: true, env: map[string]string{"ROLES": "processor,archiver"}})
	var ids []string
	for i := 0; i < 1100; i++ {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Class: connector.ClassStandard, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.sim.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		e.sim.Advance(time.Second)
	}
	e.reconcile()
	eventually(t, 120*time.Second, "every case archived", func() (bool, string) {
		n := 0
		for _, id := range ids {
			if e.sim.IsArchived(id) {
				n++
			}
		}
		return n == len(ids), fmt.Sprintf("%d of %d archived", n, len(ids))
	})
	cases, partial, err := e.app.Source().List(e.ctx, connector.ListQuery{Closed: true, StatusOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 0 || partial {
		t.Errorf("closed, non-archived list still has %d cases (partial %v)", len(cases), partial)
	}
}

// TestBackfillReemitsSameIDs backfills archived cases into topics of its own
// and finds the ids of the original events; an interrupted backfill resumes
// from its checkpoint without gaps.
func TestBackfillReemitsSameIDs(t *testing.T) {
	e := newE2E(t, envOpts{})
	col := e.collect()
	ids := createMixed(t, e.sim, 30, 9)
	runAll(t, e.sim, ids)
	closed := closedOf(e.sim, ids)
	eventually(t, 60*time.Second, "originals archived", func() (bool, string) {
		n := 0
		for _, id := range closed {
			if e.sim.IsArchived(id) {
				n++
			}
		}
		return n == len(closed), fmt.Sprintf("%d of %d", n, len(closed))
	})
	// Archived means on Kafka, not yet read by the collector.
	col.waitResults(t, 60*time.Second, closed)
	origStatus, origResults := col.snapshot()

	// The range covers the cases' creation times (2 s apart), in windows of
	// 10 s, so the backfill has several windows to checkpoint.
	first0, _ := e.sim.Case(ids[0], false)
	last0, _ := e.sim.Case(ids[len(ids)-1], false)
	fromT, untilT := first0.CaseStatus.Created.Add(-5*time.Second), last0.CaseStatus.Created.Add(5*time.Second)
	from, until := fromT.Format(time.RFC3339), untilT.Format(time.RFC3339)
	statusTopic, resultTopic := kafkatest.TopicName(t, "bf-status"), kafkatest.TopicName(t, "bf-result")
	cp := filepath.Join(t.TempDir(), "checkpoint.json")

	// Interrupt the first run after its first page.
	for k, v := range e.cfgEnv {
		t.Setenv(k, v)
	}
	cfg := e.config()
	ctx, cancel := context.WithCancel(e.ctx)
	bc := connector.BackfillConfig{ClientID: e2eClient, Topics: cfg.PipelineTopics(), IncludeArchived: true, Checkpoint: cp,
		CreatedFrom: fromT, CreatedUntil: untilT, Window: 10 * time.Second,
		Progress: func(connector.BackfillProgress) { cancel() }}
	bc.Topics.Status, bc.Topics.Result = statusTopic, resultTopic
	if err := kafka.EnsureTopics(e.ctx, e.kcfg(), kafka.TopicSpec{Name: statusTopic, Partitions: 3, ReplicationFactor: 1},
		kafka.TopicSpec{Name: resultTopic, Partitions: 3, ReplicationFactor: 1, Compact: true}); err != nil {
		t.Fatal(err)
	}
	first, err := connector.Backfill(ctx, bc, e.app.Source(), e.app.Writer(), e.app.Codec())
	cancel()
	if err == nil || first.Done == 0 || first.Done >= first.Total {
		t.Fatalf("first run should stop after a page: %+v, err %v", first, err)
	}

	// The CLI resumes from the checkpoint and finishes.
	out, err := e.cli("backfill", "--created-from", from, "--created-until", until, "--include-archived",
		"--status-topic", statusTopic, "--result-topic", resultTopic, "--checkpoint", cp, "--window", "10s")
	if err != nil {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
	if !strings.Contains(out, "backfill done") {
		t.Errorf("backfill output: %q", out)
	}
	dry, err := e.cli("backfill", "--created-from", from, "--created-until", until, "--include-archived", "--dry-run", "--checkpoint", "")
	if err != nil || !strings.Contains(dry, fmt.Sprintf("%d cases", len(ids))) {
		t.Errorf("dry run: %q, %v (want %d cases)", dry, err, len(ids))
	}

	bfResults := map[string][]string{}
	if err := kafka.ReadAll(e.ctx, e.kcfg(), resultTopic, func(m connector.Message) error {
		var ev connector.CaseResultEvent
		if err := e.codec.Decode(e.ctx, m.Value, &ev); err != nil {
			return err
		}
		if string(m.Header("postident-origin")) != "backfill" {
			t.Errorf("backfilled result origin %q", m.Header("postident-origin"))
		}
		bfResults[ev.CaseID] = append(bfResults[ev.CaseID], ev.EventID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bfStatus := map[string]bool{}
	if err := kafka.ReadAll(e.ctx, e.kcfg(), statusTopic, func(m connector.Message) error {
		bfStatus[string(m.Header("ce_id"))] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range closed {
		if len(bfResults[id]) == 0 {
			t.Errorf("%s: not backfilled (gap after the interruption?)", id)
			continue
		}
		for _, got := range bfResults[id] {
			if got != origResults[id][0].EventID {
				t.Errorf("%s: backfilled result id %s, original %s", id, got, origResults[id][0].EventID)
			}
		}
		// The latest status event of the case has the original's id.
		orig := origStatus[id]
		if last := orig[len(orig)-1].EventID; !bfStatus[last] {
			t.Errorf("%s: backfill did not re-emit status event %s", id, last)
		}
	}
}

// TestForgetLeavesNoValue: `forget` tombstones the result; once the topic
// is compacted, a consumer reading it from the beginning finds no value for
// the case (kfake's log cleaner stands in for Kafka's). The state topic keeps
// only the forget marker: the case id and when, no state of the case.
func TestForgetLeavesNoValue(t *testing.T) {
	fake := kafkatest.Fake(t)
	e := newE2E(t, envOpts{fake: fake})
	col := e.collect()
	ids := createMixed(t, e.sim, 6, 13)
	runAll(t, e.sim, ids)
	closed := closedOf(e.sim, ids)
	col.waitResults(t, 30*time.Second, closed)
	gone := closed[0]
	out, err := e.cli("forget", gone, "NOT-A-CASE-ID")
	if err == nil {
		t.Error("forget with an invalid id should report a failure")
	}
	if !strings.Contains(out, gone+"\ttombstoned") || !strings.Contains(out, "NOT-A-CASE-ID\tskipped") {
		t.Errorf("forget output: %q", out)
	}
	e.fill(e.cfgEnv["TOPIC_RESULT"], e.cfgEnv["TOPIC_STATE"])
	fake.Compact()
	for _, topic := range []string{e.cfgEnv["TOPIC_RESULT"], e.cfgEnv["TOPIC_STATE"]} {
		latest := map[string][]byte{}
		values := map[string]int{}
		if err := kafka.ReadAll(e.ctx, e.kcfg(), topic, func(m connector.Message) error {
			latest[string(m.Key)] = m.Value
			if m.Value != nil {
				values[string(m.Key)]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if topic == e.cfgEnv["TOPIC_STATE"] {
			var st connector.CaseState
			if err := e.codec.Decode(e.ctx, latest[gone], &st); err != nil {
				t.Fatalf("state of the forgotten case: %v", err)
			}
			if st.ForgottenAt == nil || st.CaseID != gone || st.Method != nil || st.Status != nil || st.ResultEventID != nil || st.CaseStatus != "" || values[gone] != 1 {
				t.Errorf("state of the forgotten case is not the bare marker after compaction (%d values): %+v", values[gone], st)
			}
		} else if latest[gone] != nil || values[gone] != 0 {
			t.Errorf("%s: %d values remain for the forgotten case", topic, values[gone])
		}
		for _, id := range closed[1:] {
			if latest[id] == nil {
				t.Errorf("%s: %s lost its value", topic, id)
			}
		}
	}
}

// fill appends a batch of unrelated tombstones to every partition of the
// topics: Kafka (and kfake) never compact the newest segment, so the records
// under test must not be the last ones.
func (e *e2eEnv) fill(topics ...string) {
	e.t.Helper()
	w, err := kafka.NewWriter(e.kcfg())
	if err != nil {
		e.t.Fatal(err)
	}
	defer w.Close()
	var msgs []connector.Message
	for _, topic := range topics {
		for i := 0; i < 30; i++ {
			msgs = append(msgs, connector.Message{Topic: topic, Key: []byte(fmt.Sprintf("FILLER%06d", i))})
		}
	}
	if err := w.Publish(e.ctx, msgs...); err != nil {
		e.t.Fatal(err)
	}
}

// TestReplayCompactedResultTopic: a new downstream service that reads the
// compacted result topic from the beginning gets the latest result of every
// case, exactly once after compaction.
func TestReplayCompactedResultTopic(t *testing.T) {
	fake := kafkatest.Fake(t)
	e := newE2E(t, envOpts{fake: fake})
	col := e.collect()
	ids := createMixed(t, e.sim, 20, 17)
	runAll(t, e.sim, ids)
	closed := closedOf(e.sim, ids)
	col.waitResults(t, 30*time.Second, closed)
	// A backfill re-emits every result into the same topic: two records a
	// case, the same id.
	from := e.sim.Now().Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	until := e.sim.Now().Add(time.Hour).Format(time.RFC3339)
	if out, err := e.cli("backfill", "--created-from", from, "--created-until", until, "--include-archived", "--checkpoint", ""); err != nil {
		t.Fatalf("backfill: %v %s", err, out)
	}
	e.fill(e.cfgEnv["TOPIC_RESULT"])
	fake.Compact()
	got := map[string]int{}
	ids2 := map[string]string{}
	if err := kafka.ReadAll(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_RESULT"], func(m connector.Message) error {
		got[string(m.Key)]++
		ids2[string(m.Key)] = string(m.Header("ce_id"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, rs := col.snapshot()
	for _, id := range closed {
		if got[id] != 1 {
			t.Errorf("%s: %d records after compaction, want 1", id, got[id])
		}
		if ids2[id] != rs[id][0].EventID {
			t.Errorf("%s: replayed id %s, original %s", id, ids2[id], rs[id][0].EventID)
		}
	}
}

// TestPartnerModeStatusOnly connects with a partner login, which POSTIDENT
// allows the status endpoints only (a result endpoint answers 403, which
// would stop the connector): status events flow, results never.
func TestPartnerModeStatusOnly(t *testing.T) {
	e := newE2E(t, envOpts{partner: true, env: map[string]string{"ROLES": "webhook,processor,reconciler"}})
	col := e.collect()
	var ids []string
	for _, m := range connector.Methods() {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: m, Class: connector.ClassStandard, Scenario: "success", WebhookURLPartner: e.hookURL})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	runAll(t, e.sim, ids)
	e.reconcile()
	eventually(t, 30*time.Second, "final status events", func() (bool, string) {
		st, _ := col.snapshot()
		for _, id := range ids {
			evs := st[id]
			if len(evs) == 0 || !evs[len(evs)-1].Final {
				return false, id + " has no final status event yet"
			}
		}
		return true, ""
	})
	time.Sleep(500 * time.Millisecond)
	if _, rs := col.snapshot(); len(rs) != 0 {
		t.Errorf("partner mode produced %d results", len(rs))
	}
	e.mu.Lock()
	running := e.app != nil
	e.mu.Unlock()
	if !running {
		t.Fatal("connector stopped")
	}
	// Asking for results in partner mode is refused at start.
	cfg := e.config()
	cfg.Roles = append(cfg.Roles, "archiver")
	cfg.ArchiveEnabled = true
	if err := cfg.Validate(false); err == nil || !strings.Contains(err.Error(), "POSTIDENT_PARTNER_MODE") {
		t.Errorf("partner mode with the archiver: %v", err)
	}
}

// TestArchiverRefusals: POSTIDENT answering the archive call with 400 makes
// the archiver split the batch down to single ids and leave the refused ones
// unarchived without blocking; 503 is retried until it passes; 401 stops the
// archiver alone while results keep flowing.
func TestArchiverRefusals(t *testing.T) {
	// Cases that expire before anyone starts them send no webhook: the
	// reconciler finds them.
	e := newE2E(t, envOpts{env: map[string]string{"RECONCILE_INTERVAL": "2s"}})
	col := e.collect()
	waitResults := func(ids []string) { t.Helper(); col.waitResults(t, 60*time.Second, ids) }
	// 503: retried; once POSTIDENT recovers, every case is archived.
	e.sim.SetFaults(sim.Faults{ArchiveStatus: 503})
	ids := createMixed(t, e.sim, 8, 31)
	runAll(t, e.sim, ids)
	closed := closedOf(e.sim, ids)
	waitResults(closed)
	time.Sleep(time.Second)
	for _, id := range closed {
		if e.sim.IsArchived(id) {
			t.Fatalf("%s archived while POSTIDENT answers 503", id)
		}
	}
	e.sim.SetFaults(sim.Faults{})
	eventually(t, 60*time.Second, "archived after the 503s", func() (bool, string) {
		for _, id := range closed {
			if !e.sim.IsArchived(id) {
				return false, id + " not archived"
			}
		}
		return true, ""
	})

	// 400: the batch is split down to single ids; each refused id is left
	// unarchived (POSTIDENT will not take it) and the archiver goes on.
	e.sim.SetFaults(sim.Faults{ArchiveStatus: 400})
	refused := createMixed(t, e.sim, 4, 43)
	runAll(t, e.sim, refused)
	waitResults(closedOf(e.sim, refused))
	time.Sleep(time.Second)
	e.sim.SetFaults(sim.Faults{})
	next := createMixed(t, e.sim, 4, 47)
	runAll(t, e.sim, next)
	eventually(t, 60*time.Second, "archiving goes on after refusals", func() (bool, string) {
		for _, id := range closedOf(e.sim, next) {
			if !e.sim.IsArchived(id) {
				return false, id + " not archived"
			}
		}
		return true, ""
	})
	for _, id := range closedOf(e.sim, refused) {
		if e.sim.IsArchived(id) {
			t.Errorf("%s archived although POSTIDENT refused it", id)
		}
	}

	// 401: the archiver stops, the processor goes on.
	e.sim.SetFaults(sim.Faults{ArchiveStatus: 401})
	more := createMixed(t, e.sim, 6, 37)
	runAll(t, e.sim, more)
	waitResults(closedOf(e.sim, more))
	time.Sleep(time.Second)
	after := createMixed(t, e.sim, 3, 41)
	runAll(t, e.sim, after)
	waitResults(closedOf(e.sim, after)) // results still flow after the archiver stopped
	e.sim.SetFaults(sim.Faults{})
	time.Sleep(2 * time.Second)
	for _, id := range closedOf(e.sim, append(more, after...)) {
		if e.sim.IsArchived(id) {
			t.Errorf("%s archived although the archiver was refused (401) and should have stopped", id)
		}
	}
	e.mu.Lock()
	running := e.app != nil
	e.mu.Unlock()
	if !running {
		t.Fatal("the connector stopped; only the archiver should have")
	}
}
