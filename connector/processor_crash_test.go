package connector_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// tornPub models a producer killed in the middle of a Publish that spans
// several topics: each partition is its own produce request, so some land
// and others do not. On the first call that carries a CaseResult it keeps
// only the records of keepTopic and fails; later calls go through.
type tornPub struct {
	memPub
	result, keepTopic string
	once              sync.Once
}

func (p *tornPub) Publish(ctx context.Context, msgs ...connector.Message) error {
	torn := false
	for _, m := range msgs {
		if m.Topic == p.result {
			p.once.Do(func() { torn = true })
			break
		}
	}
	if !torn {
		return p.memPub.Publish(ctx, msgs...)
	}
	var kept []connector.Message
	for _, m := range msgs {
		if m.Topic == p.keepTopic {
			kept = append(kept, m)
		}
	}
	_ = p.memPub.Publish(ctx, kept...)
	return errors.New("torn write: the process died between partitions")
}

// TestProcessorTornWriteLosesNoResult: a crash that lets a batch's state
// records land while its results do not must not make the restarted
// processor skip those cases as already emitted. The processor writes the
// state only after the events are acknowledged, so the restart (state
// reloaded from what landed) fetches the cases again and emits every result.
func TestProcessorTornWriteLosesNoResult(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, at := e.closed(20, 100)
	pub := &tornPub{result: e.topics.Result, keepTopic: e.topics.State}
	first, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics}, e.src, pub, e.codec, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	if err := first.HandleBatch(e.ctx, e.webhooks(ids, at)); err == nil {
		t.Fatal("HandleBatch over a torn write returned nil")
	}

	// Restart: the state is what landed on the state topic.
	state := connector.NewState()
	pub.mu.Lock()
	for _, m := range pub.msgs {
		if m.Topic != e.topics.State {
			continue
		}
		var st connector.CaseState
		if err := e.codec.Decode(e.ctx, m.Value, &st); err != nil {
			t.Fatal(err)
		}
		state.Apply(string(m.Key), &st)
	}
	pub.mu.Unlock()
	second, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics}, e.src, pub, e.codec, state)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.HandleBatch(e.ctx, e.webhooks(ids, at)); err != nil {
		t.Fatalf("HandleBatch after the restart: %v", err)
	}
	res := pub.results(e.topics.Result)
	for _, id := range ids {
		if res[id] != 1 {
			t.Errorf("case %s: %d results after a torn write and a restart, want 1", id, res[id])
		}
	}
}
