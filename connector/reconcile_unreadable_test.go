package connector_test

import (
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// TestReconcilerUnreadableEntry: one status-list entry that does not decode
// among good ones must not fail the run (it would fail every run for as long
// as the case stays within the lookback): the other cases are notified with
// their snapshots, the bad one by caseId alone, so that the processor
// fetches it on its own; and the processor, fed the run's notifications,
// emits every result (the case's single GET is correct).
func TestReconcilerUnreadableEntry(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, _ := e.closed(8, 100)
	bad := ids[4]
	if err := e.sim.SetPoison(bad, sim.PoisonStatusList); err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	r, err := connector.NewReconciler(connector.ReconcilerConfig{ClientID: coClient, Topics: e.topics, Lookback: 24 * time.Hour,
		Now: e.sim.Now}, e.src, pub, e.codec)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.RunOnce(e.ctx)
	if err != nil {
		t.Fatalf("RunOnce with one unreadable entry: %v", err)
	}
	if len(st.Unreadable) != 1 || st.Unreadable[0] != bad || st.Unidentified != 0 {
		t.Fatalf("unreadable %v (%d without caseId), want [%s]", st.Unreadable, st.Unidentified, bad)
	}
	notes := pub.All()
	byCase := map[string]*connector.Notification{}
	for _, m := range notes {
		var n connector.Notification
		if err := e.codec.Decode(e.ctx, m.Value, &n); err != nil {
			t.Fatal(err)
		}
		byCase[n.CaseID] = &n
	}
	for _, id := range ids {
		n := byCase[id]
		switch {
		case n == nil:
			t.Errorf("case %s not notified", id)
		case id == bad && n.Snapshot != nil:
			t.Errorf("the unreadable entry was notified with a snapshot %+v", n.Snapshot)
		case id != bad && n.Snapshot == nil:
			t.Errorf("case %s notified without its snapshot", id)
		}
	}

	out := &memory.Publisher{}
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics}, e.src, out, e.codec, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.HandleBatch(e.ctx, notes); err != nil {
		t.Fatal(err)
	}
	res := out.Keys(e.topics.Result)
	for _, id := range ids {
		if res[id] != 1 {
			t.Errorf("case %s: %d results, want 1", id, res[id])
		}
	}
}
