package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// groupReplica is a miniature processor on a GroupSubscriber: a
// notification carries a sequence number per key; the replica "emits" it
// when its state says the key has not reached that number yet, then writes
// the number to the state topic, then commits. It is the processor's
// pattern (state check, publish, state write, commit) without POSTIDENT.
type groupReplica struct {
	id    string
	sub   *GroupSubscriber
	mu    sync.Mutex
	state map[string]int
	done  chan struct{}
}

// groupWorld is what the replicas share: the topics and the emission log.
type groupWorld struct {
	t                 *testing.T
	cfg               Config
	notif, stateTopic string
	group             string
	w                 *Writer
	mu                sync.Mutex
	emitted           map[string]int // "key/seq" -> times emitted
	emittedTotal      int
	handoverTimeout   time.Duration
	sessionTimeout    time.Duration
	heartbeatInterval time.Duration
	applyDelay        time.Duration // per state record applied
	batchDelay        time.Duration // per batch handled
}

func newGroupWorld(t *testing.T, ctx context.Context) *groupWorld {
	cfg := testConfig(t)
	return &groupWorld{t: t, cfg: cfg,
		notif:      newTopic(t, ctx, cfg, TopicSpec{Name: "notif", Partitions: 4, ReplicationFactor: 1}),
		stateTopic: newTopic(t, ctx, cfg, TopicSpec{Name: "state", Partitions: 4, ReplicationFactor: 1, Compact: true}),
		group:      kafkatest.GroupID(t, "processor"),
		w:          newWriter(t, cfg),
		emitted:    map[string]int{},
	}
}

func (g *groupWorld) start(ctx context.Context, id string) *groupReplica {
	g.t.Helper()
	r := &groupReplica{id: id, state: map[string]int{}, done: make(chan struct{})}
	sub, err := NewGroupSubscriber(GroupConfig{Config: g.cfg, GroupID: g.group, Topic: g.notif, StateTopic: g.stateTopic,
		HeartbeatInterval: g.heartbeatInterval, SessionTimeout: g.sessionTimeout, HandoverTimeout: g.handoverTimeout,
		Apply: func(m connector.Message) {
			// A follower a little behind, as with a large state topic:
			// without the wait at assignment, new owners would miss
			// the latest writes.
			time.Sleep(g.applyDelay)
			n, _ := strconv.Atoi(string(m.Value))
			r.mu.Lock()
			r.state[string(m.Key)] = n
			r.mu.Unlock()
		},
		OwnWrite: func(m connector.Message) bool { return string(m.Header("writer")) == id },
	})
	if err != nil {
		g.t.Fatalf("NewGroupSubscriber: %v", err)
	}
	r.sub = sub
	go func() {
		defer close(r.done)
		g.loop(ctx, r)
	}()
	return r
}

// loop fetches small batches, handles and commits them until ctx ends or
// the subscriber closes.
func (g *groupWorld) loop(ctx context.Context, r *groupReplica) {
	for {
		first, err := r.sub.Fetch(ctx)
		if err != nil {
			return
		}
		batch := []connector.Message{first}
		bctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		for len(batch) < 20 {
			m, err := r.sub.Fetch(bctx)
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		cancel()
		var out []connector.Message
		var emits []string
		r.mu.Lock()
		for _, m := range batch {
			key := string(m.Key)
			n, _ := strconv.Atoi(string(m.Value))
			if r.state[key] >= n {
				continue
			}
			r.state[key] = n
			emits = append(emits, fmt.Sprintf("%s/%d", key, n))
			out = append(out, msg(g.stateTopic, key, strconv.Itoa(n), "writer", r.id))
		}
		r.mu.Unlock()
		// Slow enough that rebalances catch batches in hand.
		time.Sleep(g.batchDelay)
		if len(out) > 0 {
			if err := g.w.Publish(context.WithoutCancel(ctx), out...); err != nil {
				g.t.Errorf("publish state: %v", err)
				return
			}
		}
		g.mu.Lock()
		for _, e := range emits {
			g.emitted[e]++
			g.emittedTotal++
		}
		g.mu.Unlock()
		if err := r.sub.Commit(context.WithoutCancel(ctx), batch...); err != nil {
			g.t.Logf("replica %s: commit: %v", r.id, err)
		}
	}
}

// stop is a graceful shutdown: drain, stop the loop, leave the group.
func (r *groupReplica) stop(t *testing.T, cancel context.CancelFunc) {
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer dcancel()
	if err := r.sub.Drain(dctx); err != nil {
		t.Errorf("replica %s: drain: %v", r.id, err)
	}
	cancel()
	<-r.done
	_ = r.sub.Close()
}

// notify writes seq for each key, twice (a re-notification).
func (g *groupWorld) notify(ctx context.Context, keys int, seq int) {
	g.t.Helper()
	var msgs []connector.Message
	for i := range keys {
		k := fmt.Sprintf("case-%03d", i)
		msgs = append(msgs, msg(g.notif, k, strconv.Itoa(seq)), msg(g.notif, k, strconv.Itoa(seq)))
	}
	if err := g.w.Publish(ctx, msgs...); err != nil {
		g.t.Fatalf("publish notifications: %v", err)
	}
}

// waitAll waits until every key/seq up to seqs was emitted.
func (g *groupWorld) waitAll(ctx context.Context, keys, seqs int) {
	g.t.Helper()
	for {
		g.mu.Lock()
		missing := 0
		for i := range keys {
			for s := 1; s <= seqs; s++ {
				if g.emitted[fmt.Sprintf("case-%03d/%d", i, s)] == 0 {
					missing++
				}
			}
		}
		g.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-ctx.Done():
			g.t.Fatalf("%d key/seq pairs never emitted: %v", missing, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (g *groupWorld) repeats() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.emitted {
		n += c - 1
	}
	return n
}

// TestGroupSubscriberHandoverNoRepeats: replicas join and leave gracefully
// (Drain, Close) while keys are re-notified; every notification is emitted
// exactly once across replicas, because a new owner sees the previous
// owner's state writes before it handles the partition.
func TestGroupSubscriberHandoverNoRepeats(t *testing.T) {
	ctx := kafkatest.Context(t, 150*time.Second)
	g := newGroupWorld(t, ctx)
	g.applyDelay, g.batchDelay = 3*time.Millisecond, 200*time.Millisecond
	const keys = 40
	rctx := map[string]context.CancelFunc{}
	live := map[string]*groupReplica{}
	startR := func(id string) {
		c, cancel := context.WithCancel(ctx)
		rctx[id] = cancel
		live[id] = g.start(c, id)
	}
	stopR := func(id string) {
		live[id].stop(t, rctx[id])
		delete(live, id)
	}
	startR("a")
	startR("b")
	seq := 0
	for i, roll := range []struct{ stop, start string }{{"a", "c"}, {"b", "d"}, {"c", "e"}, {"d", "f"}} {
		seq++
		g.notify(ctx, keys, seq)
		g.waitAll(ctx, keys, seq)
		// A roll: the next notifications are in flight while a replica
		// leaves and another joins.
		seq++
		g.notify(ctx, keys, seq)
		stopR(roll.stop)
		startR(roll.start)
		g.notify(ctx, keys, seq-1) // re-notified: nothing new
		t.Logf("roll %d done", i+1)
	}
	g.waitAll(ctx, keys, seq)
	for id := range live {
		stopR(id)
	}
	if r := g.repeats(); r != 0 {
		t.Errorf("%d repeated emissions of %d (want 0)", r, g.emittedTotal)
	}
}

// TestGroupSubscriberOwns: with two members, every key is owned by exactly
// one of them once both have their assignment, and by the survivor after
// the other leaves.
func TestGroupSubscriberOwns(t *testing.T) {
	ctx := kafkatest.Context(t, 90*time.Second)
	g := newGroupWorld(t, ctx)
	ca, cancelA := context.WithCancel(ctx)
	cb, cancelB := context.WithCancel(ctx)
	a := g.start(ca, "a")
	b := g.start(cb, "b")
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprintf("case-%03d", i)
	}
	split := func() (both, none int) {
		for _, k := range keys {
			x, y := a.sub.Owns(k), b.sub.Owns(k)
			if x && y {
				both++
			}
			if !x && !y {
				none++
			}
		}
		return
	}
	for {
		both, none := split()
		if both > 0 {
			// Only possible transiently if the assignor handed a partition
			// to both members, which a coordinator never does in one
			// generation; but members see generations at slightly
			// different times, so only the stable state is checked.
			t.Logf("transient: %d keys owned by both", both)
		}
		aOwn, bOwn := 0, 0
		for _, k := range keys {
			if a.sub.Owns(k) {
				aOwn++
			}
			if b.sub.Owns(k) {
				bOwn++
			}
		}
		if both == 0 && none == 0 && aOwn > 0 && bOwn > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("keys never split between two members (a %d, b %d, both %d, none %d)", aOwn, bOwn, both, none)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Each key's owner is the member assigned murmur2(key) % 4, the
	// partition the Writer puts it on: publish one notification per key
	// and check who handles it.
	b.stop(t, cancelB)
	for {
		all := true
		for _, k := range keys {
			if !a.sub.Owns(k) {
				all = false
			}
		}
		if all {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the survivor never owned every key")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if b.sub.Owns(keys[0]) {
		t.Error("a closed member still owns keys")
	}
	a.stop(t, cancelA)
}

// TestPartitionOfMatchesWriter: Owns's partition of a key is the one the
// Writer publishes it to.
func TestPartitionOfMatchesWriter(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "parts", Partitions: 6, ReplicationFactor: 1})
	w := newWriter(t, cfg)
	var msgs []connector.Message
	for i := range 50 {
		msgs = append(msgs, msg(topic, fmt.Sprintf("key-%d", i), "v"))
	}
	if err := w.Publish(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	parts := []int{0, 1, 2, 3, 4, 5}
	for _, m := range readAll(t, ctx, cfg, topic) {
		if got := partitionOf(m.Key, parts); got != m.Partition {
			t.Errorf("key %s: partitionOf %d, written to %d", m.Key, got, m.Partition)
		}
	}
}

// TestGroupSubscriberWaitsForState: a replica that starts while the state
// topic holds more than it has read yet hands out no notification before it
// has read the state to the end offsets taken at assignment, so an already
// emitted notification is not emitted again.
func TestGroupSubscriberWaitsForState(t *testing.T) {
	ctx := kafkatest.Context(t, 120*time.Second)
	g := newGroupWorld(t, ctx)
	g.applyDelay = time.Millisecond
	const keys, seqs = 40, 30
	var state []connector.Message
	for s := 1; s <= seqs; s++ {
		for i := range keys {
			state = append(state, msg(g.stateTopic, fmt.Sprintf("case-%03d", i), strconv.Itoa(s), "writer", "earlier"))
		}
	}
	if err := g.w.Publish(ctx, state...); err != nil {
		t.Fatal(err)
	}
	g.notify(ctx, keys, seqs)   // already emitted by an earlier owner
	g.notify(ctx, keys, seqs+1) // new
	c, cancel := context.WithCancel(ctx)
	r := g.start(c, "late")
	g.waitAll2(ctx, keys, seqs+1)
	r.stop(t, cancel)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range keys {
		if n := g.emitted[fmt.Sprintf("case-%03d/%d", i, seqs)]; n != 0 {
			t.Errorf("case-%03d/%d emitted %d times although the state held it", i, seqs, n)
		}
	}
}

// waitAll2 waits until seq was emitted for every key.
func (g *groupWorld) waitAll2(ctx context.Context, keys, seq int) {
	g.t.Helper()
	for {
		g.mu.Lock()
		missing := 0
		for i := range keys {
			if g.emitted[fmt.Sprintf("case-%03d/%d", i, seq)] == 0 {
				missing++
			}
		}
		g.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-ctx.Done():
			g.t.Fatalf("%d keys never emitted seq %d: %v", missing, seq, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
