package connector_test

import (
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// TestBackfillUnreadableEntries: a data-list entry that does not decode
// does not cost its page. A case whose single answer is good (only its list
// entry is broken) is re-emitted from a GET; a case whose every answer is
// broken is reported by caseId, with an error, after everything else was
// re-emitted.
func TestBackfillUnreadableEntries(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, _ := e.closed(10, 100)
	listOnly, broken := ids[2], ids[7]
	if err := e.sim.SetPoison(listOnly, sim.PoisonList); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetPoison(broken, sim.PoisonMistyped); err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	now := e.sim.Now()
	prog, err := connector.Backfill(e.ctx, connector.BackfillConfig{ClientID: coClient, Topics: e.topics,
		CreatedFrom: now.Add(-24 * time.Hour), CreatedUntil: now.Add(time.Minute), Now: e.sim.Now}, e.src, pub, e.codec)
	if err == nil || !strings.Contains(err.Error(), "1 cases could not be read") || !strings.Contains(err.Error(), broken) {
		t.Fatalf("Backfill error %v, want one unreadable case named", err)
	}
	if len(prog.Unreadable) != 1 || prog.Unreadable[0] != broken {
		t.Fatalf("unreadable %v, want [%s]", prog.Unreadable, broken)
	}
	res := pub.Keys(e.topics.Result)
	for _, id := range ids {
		want := 1
		if id == broken {
			want = 0
		}
		if res[id] != want {
			t.Errorf("case %s: %d results, want %d", id, res[id], want)
		}
	}
}
