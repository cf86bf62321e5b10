package connector_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// checkEmitted fails unless every case has exactly one status, one result
// and one state record, and its state record comes after its result (the
// processor writes state only once the events are acknowledged).
func checkEmitted(t *testing.T, e *unitEnv, pub *memory.Publisher, ids []string) {
	t.Helper()
	status, result, state := pub.Keys(e.topics.Status), pub.Keys(e.topics.Result), pub.Keys(e.topics.State)
	for _, id := range ids {
		if status[id] != 1 || result[id] != 1 || state[id] != 1 {
			t.Errorf("case %s: %d status, %d result, %d state records, want 1 each", id, status[id], result[id], state[id])
		}
	}
	resultAt := map[string]int{}
	for i, m := range pub.All() {
		switch m.Topic {
		case e.topics.Result:
			resultAt[string(m.Key)] = i
		case e.topics.State:
			if at, ok := resultAt[string(m.Key)]; !ok || at > i {
				t.Errorf("case %s: state record written before its result", m.Key)
			}
		}
	}
}

// runUntilCommitted runs p on sub until the first n notifications are
// committed, then stops it.
func (e *unitEnv) runUntilCommitted(p *connector.Processor, sub *memory.Subscriber, n int64) {
	e.t.Helper()
	stop := e.run(p, sub)
	if err := sub.WaitCommitted(e.ctx, e.topics.Notifications, 0, n); err != nil {
		e.t.Fatalf("%v (Run: %v)", err, stop())
	}
	if err := stop(); err != nil {
		e.t.Fatalf("Run: %v", err)
	}
}

// checkOneResult fails unless every case has exactly one result record.
func checkOneResult(t *testing.T, e *unitEnv, pub *memory.Publisher, ids []string, after string) {
	t.Helper()
	result := pub.Keys(e.topics.Result)
	for _, id := range ids {
		if result[id] != 1 {
			t.Errorf("case %s: %d results after %s, want 1", id, result[id], after)
		}
	}
}

// TestProcessorUnitRunCommitsAfterPublish: Run handles batches of closed
// cases, publishes status, result and state for each, and commits the
// notifications batch after batch, in order (a commit replaces the stored
// offset, so a late commit of an earlier batch would leave it short).
func TestProcessorUnitRunCommitsAfterPublish(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "RUN", 5)
	sub := memory.NewSubscriber(e.webhooks(ids...)...)
	pub := &memory.Publisher{}
	e.runUntilCommitted(e.processor(connector.ProcessorConfig{BatchSize: 2}, src, pub), sub, 5)
	if n := sub.Commits(); n != 3 {
		t.Errorf("%d commits, want 3 (batches of 2, 2 and 1)", n)
	}
	checkEmitted(t, e, pub, ids)
}

// TestProcessorUnitRetriesFailedPublish: a batch whose Publish fails
// (Kafka away) is retried whole until it is acknowledged, then committed;
// the failed attempts wrote nothing, so nothing is duplicated.
func TestProcessorUnitRetriesFailedPublish(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "RETRY", 3)
	sub := memory.NewSubscriber(e.webhooks(ids...)...)
	pub := &memory.Publisher{Fault: memory.FailFirst(2, nil)}
	e.runUntilCommitted(e.processor(connector.ProcessorConfig{}, src, pub), sub, 3)
	if c := pub.Calls(); c < 4 {
		t.Errorf("%d Publish calls, want 2 failed and 2 acknowledged (events, then state)", c)
	}
	checkEmitted(t, e, pub, ids)
}

// TestProcessorUnitNoCommitWithoutAck: while no Publish is acknowledged,
// the processor retries and commits nothing: the notifications stay on
// Kafka for the next run.
func TestProcessorUnitNoCommitWithoutAck(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "NOACK", 3)
	sub := memory.NewSubscriber(e.webhooks(ids...)...)
	pub := &memory.Publisher{Fault: memory.FailFirst(1<<30, nil)}
	stop := e.run(e.processor(connector.ProcessorConfig{}, src, pub), sub)
	e.waitFor("three failed Publish calls", func() bool { return pub.Calls() >= 3 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := sub.Commits(); n != 0 {
		t.Errorf("%d commits without an acknowledged Publish, want 0 (committed %v)", n, sub.Committed())
	}
	if n := pub.Count(); n != 0 {
		t.Errorf("%d records written by failing calls", n)
	}
}

// TestProcessorUnitTornWriteNotCommitted: a Publish that lands only part
// of its records (a producer killed between partitions) fails the batch;
// it is retried and committed only once everything is acknowledged, and
// every case still gets its result.
func TestProcessorUnitTornWriteNotCommitted(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "TORN", 4)
	sub := memory.NewSubscriber(e.webhooks(ids...)...)
	pub := &memory.Publisher{Fault: memory.TearCall(1, func(m connector.Message) bool { return m.Topic == e.topics.Status }, nil)}
	e.runUntilCommitted(e.processor(connector.ProcessorConfig{}, src, pub), sub, 4)
	checkOneResult(t, e, pub, ids, "a torn write")
}

// TestProcessorUnitTornWriteRestart: a crash that lets a batch's state
// records land while its results do not must not make the restarted
// processor (its state loaded from what landed) skip those cases as
// already emitted. The unit form of TestProcessorTornWriteLosesNoResult.
func TestProcessorUnitTornWriteRestart(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "CRASH", 5)
	pub := &memory.Publisher{Fault: memory.TearCall(1, func(m connector.Message) bool { return m.Topic == e.topics.State }, nil)}
	if err := e.processor(connector.ProcessorConfig{}, src, pub).HandleBatch(e.ctx, e.webhooks(ids...)); err == nil {
		t.Fatal("HandleBatch over a torn write returned nil")
	}
	state := connector.NewState()
	for _, m := range pub.Records(e.topics.State) {
		var st connector.CaseState
		if err := e.codec.Decode(e.ctx, m.Value, &st); err != nil {
			t.Fatal(err)
		}
		state.Apply(string(m.Key), &st)
	}
	if err := e.processorOver(connector.ProcessorConfig{}, src, pub, state).HandleBatch(e.ctx, e.webhooks(ids...)); err != nil {
		t.Fatalf("HandleBatch after the restart: %v", err)
	}
	checkOneResult(t, e, pub, ids, "a torn write and a restart")
}

// TestProcessorUnitRetriesTransientCase: a case that fails for a transient
// reason is retried within the batch (only that case) until it goes
// through; the others are not fetched again and nothing is parked.
func TestProcessorUnitRetriesTransientCase(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "TRANS", 3)
	flaky := e.newCase("TRANSFLAKY01", connector.CaseClosed, e.now.Add(-time.Hour), e.now)
	src.Script(flaky.CaseID, memory.Answer{Err: memory.ErrTransient}, memory.Answer{Err: memory.ErrTransient}, memory.Answer{Case: flaky})
	pub := &memory.Publisher{}
	p := e.processor(connector.ProcessorConfig{}, src, pub)
	if err := p.HandleBatch(e.ctx, e.webhooks(append(ids, flaky.CaseID)...)); err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	if n := src.Fetches(flaky.CaseID); n != 3 {
		t.Errorf("flaky case fetched %d times, want 3", n)
	}
	for _, id := range ids {
		if n := src.Fetches(id); n != 1 {
			t.Errorf("good case %s fetched %d times, want 1", id, n)
		}
	}
	checkEmitted(t, e, pub, append(ids, flaky.CaseID))
	if n := len(pub.Records(e.topics.DeadLetter)); n != 0 {
		t.Errorf("%d dead-letter records, want none", n)
	}
}

// TestProcessorUnitStopsForOperator: refused credentials, or answers of
// OperatorThreshold different cases that do not decrypt with no success
// in between, stop the processor for an operator: it reports not ready,
// publishes nothing and commits nothing.
func TestProcessorUnitStopsForOperator(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		n    int
		want string
	}{
		{"credentials refused", memory.ErrUnauthorized, 1, "credentials"},
		{"several cases undecryptable", memory.ErrUndecryptable, connector.OperatorThreshold, "decrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newUnitEnv(t)
			src := &memory.Source{}
			ids := e.closedCases(src, "STOP", tc.n)
			for _, id := range ids {
				src.Script(id, memory.Answer{Err: tc.err})
			}
			sub := memory.NewSubscriber(e.webhooks(ids...)...)
			pub := &memory.Publisher{}
			reasons := make(chan string, 4)
			p := e.processor(connector.ProcessorConfig{OnReady: func(ready bool, reason string) {
				if !ready {
					reasons <- reason
				}
			}}, src, pub)
			stop := e.run(p, sub)
			var reason string
			select {
			case reason = <-reasons:
			case <-e.ctx.Done():
				t.Fatal("the processor did not stop for an operator")
			}
			if !strings.Contains(reason, tc.want) {
				t.Errorf("reason %q does not mention %q", reason, tc.want)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if sub.Commits() != 0 || pub.Count() != 0 {
				t.Errorf("stopped for an operator after %d commits and %d records, want none", sub.Commits(), pub.Count())
			}
		})
	}
}

// TestProcessorUnitParksBadAnswers: with other cases going through, an
// unreadable answer and one that does not decrypt are parked on the
// dead-letter topic (with the status and the still-encrypted answer), and
// the batch completes.
func TestProcessorUnitParksBadAnswers(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "GOOD", 3)
	src.Script("BADJSON00001", memory.Answer{Err: memory.ErrUnreadable})
	src.Script("BADKEY000001", memory.Answer{Err: memory.ErrUndecryptable})
	pub := &memory.Publisher{}
	p := e.processor(connector.ProcessorConfig{}, src, pub)
	if err := p.HandleBatch(e.ctx, e.webhooks(append(ids, "BADJSON00001", "BADKEY000001")...)); err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	checkEmitted(t, e, pub, ids)
	got := map[string]string{}
	for _, m := range pub.Records(e.topics.DeadLetter) {
		var d connector.DeadLetter
		if err := e.codec.Decode(e.ctx, m.Value, &d); err != nil {
			t.Fatal(err)
		}
		got[d.CaseID] = d.ErrorClass
		if d.HTTPStatus != nil || d.EncryptedAnswer == nil { // the answer arrived (2xx): no status, as from the real client
			t.Errorf("dead letter of %s: status %v, encrypted answer kept %v", d.CaseID, d.HTTPStatus, d.EncryptedAnswer != nil)
		}
	}
	want := map[string]string{"BADJSON00001": connector.ClassUnreadable, "BADKEY000001": connector.ClassUndecryptable}
	if len(got) != len(want) || got["BADJSON00001"] != want["BADJSON00001"] || got["BADKEY000001"] != want["BADKEY000001"] {
		t.Errorf("parked %v, want %v", got, want)
	}
}

// TestProcessorUnitDropsGoneCase: a case POSTIDENT does not know is
// dropped (retrying cannot help): no record, no error.
func TestProcessorUnitDropsGoneCase(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "KNOWN", 2)
	pub := &memory.Publisher{}
	p := e.processor(connector.ProcessorConfig{}, src, pub)
	if err := p.HandleBatch(e.ctx, e.webhooks(append(ids, "UNKNOWN00001")...)); err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	checkEmitted(t, e, pub, ids)
	for _, m := range pub.All() {
		if string(m.Key) == "UNKNOWN00001" {
			t.Errorf("record on %s for a case POSTIDENT does not know", m.Topic)
		}
	}
}

// TestProcessorUnitSkipsEmittedClosedCase: once a closed case's result is
// out, later notifications of it need no fetch and emit nothing.
func TestProcessorUnitSkipsEmittedClosedCase(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "ONCE", 3)
	pub := &memory.Publisher{}
	p := e.processor(connector.ProcessorConfig{}, src, pub)
	for range 2 {
		if err := p.HandleBatch(e.ctx, e.webhooks(ids...)); err != nil {
			t.Fatalf("HandleBatch: %v", err)
		}
	}
	for _, id := range ids {
		if n := src.Fetches(id); n != 1 {
			t.Errorf("case %s fetched %d times, want 1", id, n)
		}
	}
	checkEmitted(t, e, pub, ids)
}

// TestProcessorUnitCoalescing: with coalescing on, a burst of webhooks of
// closed cases is served by list calls instead of one GET per case, and
// fewer cases than CoalesceConfig.Min are fetched one by one; either way
// the processor publishes exactly what it publishes without coalescing.
func TestProcessorUnitCoalescing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		wantLists bool
	}{
		{"burst", 8, true},
		{"fewer than Min", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newUnitEnv(t)
			src := &memory.Source{}
			ids := e.closedCases(src, "BURST", tc.n)
			plain, coalesced := &memory.Publisher{}, &memory.Publisher{}
			if err := e.processor(connector.ProcessorConfig{}, src, plain).HandleBatch(e.ctx, e.webhooks(ids...)); err != nil {
				t.Fatal(err)
			}
			before := map[string]int{}
			for _, id := range ids {
				before[id] = src.Fetches(id)
			}
			p := e.processor(connector.ProcessorConfig{Coalesce: connector.CoalesceConfig{Enabled: true}}, src, coalesced)
			if err := p.HandleBatch(e.ctx, e.webhooks(ids...)); err != nil {
				t.Fatal(err)
			}
			gets := 0
			for _, id := range ids {
				gets += src.Fetches(id) - before[id]
			}
			lists := len(src.Lists())
			if tc.wantLists && (lists == 0 || gets != 0) {
				t.Errorf("burst of %d: %d list calls and %d GETs, want lists only", tc.n, lists, gets)
			}
			if !tc.wantLists && (lists != 0 || gets != tc.n) {
				t.Errorf("%d cases: %d list calls and %d GETs, want %d GETs only", tc.n, lists, gets, tc.n)
			}
			if a, b := records(plain), records(coalesced); !slices.Equal(a, b) {
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Logf("first difference:\n%q\n%q", a[i], b[i])
						break
					}
				}
				t.Errorf("coalesced processor published %d records, without coalescing %d; they differ", len(b), len(a))
			}
		})
	}
}

// TestProcessorUnitSnapshotsOutOfOrder: two reconcile runs overlapped (a
// lease handed over mid-run, an on-demand run beside the periodic one) and
// their snapshots of one case reached the topic out of order: the newer
// state first, then the state already emitted. Before, the last snapshot
// alone decided: equal to what was emitted, no fetch, and the newer state
// was lost (no webhook brings states like most incomplete ones again).
func TestProcessorUnitSnapshotsOutOfOrder(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	pub := &memory.Publisher{}
	p := e.processor(connector.ProcessorConfig{}, src, pub)
	const id = "ORDER0000001"
	created := e.now.Add(-time.Hour)
	older := e.newCase(id, connector.CaseInProgress, created, e.now.Add(-30*time.Minute))
	older.Primary().IdentificationStatus.Status = connector.StatusReviewPending
	older.Primary().IdentificationStatus.Modified = connector.NewTime(e.now.Add(-30 * time.Minute))
	src.Put(older)
	if err := p.HandleBatch(e.ctx, e.webhooks(id)); err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	if n := pub.Keys(e.topics.Status)[id]; n != 1 {
		t.Fatalf("%d status events for the first state, want 1", n)
	}
	newer := e.newCase(id, connector.CaseClosed, created, e.now)
	src.Put(newer)
	snapshot := func(c *connector.CaseResult) connector.Message {
		v, err := e.codec.Encode(e.ctx, e.topics.Notifications, &connector.Notification{CaseID: id,
			Origin: string(connector.OriginReconcile), ReceivedAt: e.now, Snapshot: connector.SnapshotOf(c)})
		if err != nil {
			t.Fatal(err)
		}
		return connector.Message{Topic: e.topics.Notifications, Key: []byte(id), Value: v}
	}
	if err := p.HandleBatch(e.ctx, []connector.Message{snapshot(newer), snapshot(older)}); err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	if s, r := pub.Keys(e.topics.Status)[id], pub.Keys(e.topics.Result)[id]; s != 2 || r != 1 {
		t.Errorf("after snapshots out of order: %d status events (want 2), %d results (want 1)", s, r)
	}
}
