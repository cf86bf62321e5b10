package connector_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// tornAtFirstResult models a producer killed in the middle of a Publish
// that spans several topics: each partition is its own produce request, so
// some land and others do not. On the first call that carries a record of
// result it keeps only the records of keepTopic and fails; later calls go
// through.
func tornAtFirstResult(result, keepTopic string) memory.Fault {
	var once sync.Once
	return func(_ int, msgs []connector.Message) ([]connector.Message, error) {
		torn := false
		if slices.ContainsFunc(msgs, func(m connector.Message) bool { return m.Topic == result }) {
			once.Do(func() { torn = true })
		}
		if !torn {
			return nil, nil
		}
		var kept []connector.Message
		for _, m := range msgs {
			if m.Topic == keepTopic {
				kept = append(kept, m)
			}
		}
		return kept, errors.New("torn write: the process died between partitions")
	}
}

// TestProcessorTornWriteLosesNoResult: a crash that lets a batch's state
// records land while its results do not must not make the restarted
// processor skip those cases as already emitted. The processor writes the
// state only after the events are acknowledged, so the restart (state
// reloaded from what landed) fetches the cases again and emits every result.
func TestProcessorTornWriteLosesNoResult(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, at := e.closed(20, 100)
	pub := &memory.Publisher{Fault: tornAtFirstResult(e.topics.Result, e.topics.State)}
	first, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics}, e.src, pub, e.codec, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	if err := first.HandleBatch(e.ctx, e.webhooks(ids, at)); err == nil {
		t.Fatal("HandleBatch over a torn write returned nil")
	}

	// Restart: the state is what landed on the state topic.
	state := connector.NewState()
	for _, m := range pub.Records(e.topics.State) {
		if m.Topic != e.topics.State {
			continue
		}
		var st connector.CaseState
		if err := e.codec.Decode(e.ctx, m.Value, &st); err != nil {
			t.Fatal(err)
		}
		state.Apply(string(m.Key), &st)
	}
	second, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics}, e.src, pub, e.codec, state)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.HandleBatch(e.ctx, e.webhooks(ids, at)); err != nil {
		t.Fatalf("HandleBatch after the restart: %v", err)
	}
	res := pub.Keys(e.topics.Result)
	for _, id := range ids {
		if res[id] != 1 {
			t.Errorf("case %s: %d results after a torn write and a restart, want 1", id, res[id])
		}
	}
}
