package connector_test

import (
	"bytes"
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// owningReader is a consumer-group Reader that reports ownership, as the
// processor's group subscriber does; owns nil owns every case.
type owningReader struct {
	*kafka.Reader
	owns func(caseID string) bool
}

func (r owningReader) Owns(caseID string) bool { return r.owns == nil || r.owns(caseID) }

// stateEnv is a set of pipeline topics on Kafka (kfake, or KAFKA_BROKERS)
// with a writer and the codec.
type stateEnv struct {
	ctx    context.Context
	kcfg   kafka.Config
	topics connector.Topics
	w      *kafka.Writer
	codec  *avro.Codec
}

func newStateEnv(t *testing.T) *stateEnv {
	t.Helper()
	e := &stateEnv{ctx: kafkatest.Context(t, 2*time.Minute), kcfg: kafka.Config{Brokers: kafkatest.Brokers(t), ClientID: "expiry-test"}}
	e.topics = connector.Topics{Status: kafkatest.TopicName(t, "status"), Result: kafkatest.TopicName(t, "result"),
		Notifications: kafkatest.TopicName(t, "notifications"), State: kafkatest.TopicName(t, "state"), Records: kafkatest.TopicName(t, "records")}
	if err := kafka.EnsureTopics(e.ctx, e.kcfg,
		kafka.TopicSpec{Name: e.topics.Status, Partitions: 3, ReplicationFactor: 1},
		kafka.TopicSpec{Name: e.topics.Result, Partitions: 3, ReplicationFactor: 1, Compact: true},
		kafka.TopicSpec{Name: e.topics.Notifications, Partitions: 3, ReplicationFactor: 1},
		kafka.TopicSpec{Name: e.topics.State, Partitions: 3, ReplicationFactor: 1, Compact: true}); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.w, err = kafka.NewWriter(e.kcfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.w.Close() })
	if e.codec, err = avro.New(avro.Config{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// putStates writes state records as the processor and forget write them.
func (e *stateEnv) putStates(t *testing.T, states ...*connector.CaseState) {
	t.Helper()
	var msgs []connector.Message
	for _, st := range states {
		v, err := e.codec.Encode(e.ctx, e.topics.State, st)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, connector.Message{Topic: e.topics.State, Key: []byte(st.CaseID), Value: v})
	}
	if err := e.w.Publish(e.ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// reload reads the state topic to its end into a fresh State, as
// App.loadState does, and returns it with the expiry tombstones it met.
func (e *stateEnv) reload(t *testing.T) (*connector.State, []string) {
	t.Helper()
	st := connector.NewState()
	var mu sync.Mutex
	var expired []string
	err := kafka.ReadAll(e.ctx, e.kcfg, e.topics.State, func(m connector.Message) error {
		if m.Value == nil {
			if m.Header(connector.HeaderExpired) != nil {
				mu.Lock()
				expired = append(expired, string(m.Key))
				mu.Unlock()
			}
			st.Apply(string(m.Key), nil)
			return nil
		}
		var cs connector.CaseState
		if err := e.codec.Decode(e.ctx, m.Value, &cs); err != nil {
			return err
		}
		st.Apply(string(m.Key), &cs)
		return nil
	}, kafka.ConcurrentPartitions())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(expired)
	return st, expired
}

// closedState is the state of a closed case whose result went out, last
// changed at t.
func closedState(id string, t time.Time) *connector.CaseState {
	m, s, res := "eid", "success", "5f0e6c1e-8a55-5d1a-9c7a-000000000000"
	return &connector.CaseState{CaseID: id, CaseStatus: connector.CaseClosed, Method: &m, Status: &s, IdentModified: &t,
		StatusType: "final", LastStatusEventID: "0b7d3c4e-2f7b-5c3a-8e21-000000000000", ResultEventID: &res, UpdatedAt: t}
}

// TestStateExpiryTombstonesAfterRetention: with a simulated clock, the
// processor's periodic sweep tombstones every entry (forget markers
// included) whose last change is older than the retention plus the margin,
// keeps the younger ones, and a reload of the state topic finds only those.
func TestStateExpiryTombstonesAfterRetention(t *testing.T) {
	e := newStateEnv(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	horizon := connector.ExpiryConfig{}.Horizon() // 150 + 30 days
	if horizon != 180*24*time.Hour {
		t.Fatalf("default horizon %s, want 180 days", horizon)
	}
	// The state keeps the last change in days: an entry expires on the
	// first sweep of the day after its horizon day, never earlier.
	old, edge, young := now.Add(-horizon-48*time.Hour), now.Add(-horizon+time.Hour), now.Add(-24*time.Hour)
	e.putStates(t,
		closedState("OLDCASE00001", old), closedState("OLDCASE00002", old.Add(-300*24*time.Hour)),
		connector.ForgetMarker("OLDFORGOT001", old),
		closedState("EDGECASE0001", edge), closedState("YOUNGCASE001", young),
		connector.ForgetMarker("YOUNGFORGOT1", young))
	st, _ := e.reload(t)
	if st.Len() != 6 {
		t.Fatalf("loaded %d cases, want 6", st.Len())
	}
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: "EXPIRYTEST", Topics: e.topics, Now: func() time.Time { return now },
		Expiry: connector.ExpiryConfig{FirstSweep: 10 * time.Millisecond}}, nil, e.w, e.codec, st)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kafka.NewReader(kafka.ReaderConfig{Config: e.kcfg, GroupID: kafkatest.GroupID(t, "processor"), Topic: e.topics.Notifications})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, owningReader{Reader: r}) }()
	deadline := time.Now().Add(30 * time.Second)
	for st.Len() != 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st.Len() != 3 {
		t.Fatalf("after the sweep %d cases tracked, want 3", st.Len())
	}

	again, expired := e.reload(t)
	if want := []string{"OLDCASE00001", "OLDCASE00002", "OLDFORGOT001"}; !equalStrings(expired, want) {
		t.Errorf("expiry tombstones on the state topic for %v, want %v", expired, want)
	}
	if again.Len() != 3 {
		t.Errorf("reload: %d cases, want 3", again.Len())
	}
	for _, id := range []string{"EDGECASE0001", "YOUNGCASE001", "YOUNGFORGOT1"} {
		if _, ok := again.LastChange(id); !ok {
			t.Errorf("reload: %s lost although younger than the horizon", id)
		}
	}
	if !again.Forgotten("YOUNGFORGOT1") {
		t.Error("reload: the young forget marker lost its mark")
	}
	if got, _ := again.LastChange("YOUNGCASE001"); !got.Equal(young.Truncate(24 * time.Hour)) {
		t.Errorf("reload: last change %s, want the day of %s", got, young)
	}
}

// TestStateExpiryOnlyOwnedCases: a replica expires only the cases whose
// partition it owns; the others are left to their owner.
func TestStateExpiryOnlyOwnedCases(t *testing.T) {
	e := newStateEnv(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-400 * 24 * time.Hour)
	e.putStates(t, closedState("OWNEDCASE001", old), closedState("OTHERCASE001", old))
	st, _ := e.reload(t)
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: "EXPIRYTEST", Topics: e.topics, Now: func() time.Time { return now }}, nil, e.w, e.codec, st)
	if err != nil {
		t.Fatal(err)
	}
	n, err := p.ExpireOnce(e.ctx, owningReader{owns: func(id string) bool { return id == "OWNEDCASE001" }})
	if err != nil || n != 1 {
		t.Fatalf("ExpireOnce = %d, %v; want 1", n, err)
	}
	again, expired := e.reload(t)
	if !equalStrings(expired, []string{"OWNEDCASE001"}) {
		t.Errorf("tombstones for %v, want only the owned case", expired)
	}
	if _, ok := again.LastChange("OTHERCASE001"); !ok {
		t.Error("a case of another replica's partition was expired")
	}
}

// TestCaseAfterExpiryHandledAsNew: a case whose entry expired is handled as
// new when it is notified again: its current state is emitted again with
// the same event id (ids are deterministic), and a later change gets its
// own status event and the one result id.
func TestCaseAfterExpiryHandledAsNew(t *testing.T) {
	e := newStateEnv(t)
	rs := newReconcileSim(t, sim.Faults{})
	id, err := rs.sim.CreateCase(sim.CaseSpec{Scenario: "success"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.sim.Step(id); err != nil {
		t.Fatal(err)
	}
	// The simulated clock starts in the past so that, moved past the
	// horizon, it is still no later than the wall clock: Kafka refuses
	// record timestamps far in the future (message.timestamp.after.max.ms).
	now := time.Now().Add(-200 * 24 * time.Hour).UTC().Truncate(time.Second)
	st := connector.NewState()
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: sim.DefaultClientID, Topics: e.topics, Now: func() time.Time { return now }}, rs.src, e.w, e.codec, st)
	if err != nil {
		t.Fatal(err)
	}
	notify := func() {
		t.Helper()
		v, err := e.codec.Encode(e.ctx, e.topics.Notifications, &connector.Notification{CaseID: id, Origin: string(connector.OriginWebhook), ReceivedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.HandleBatch(e.ctx, []connector.Message{{Topic: e.topics.Notifications, Key: []byte(id), Value: v}}); err != nil {
			t.Fatal(err)
		}
	}
	notify()
	first := e.eventIDs(t, e.topics.Status)
	if len(first) != 1 {
		t.Fatalf("first state: %d status events, want 1", len(first))
	}
	notify() // unchanged: nothing new
	if got := e.eventIDs(t, e.topics.Status); len(got) != 1 {
		t.Fatalf("unchanged case emitted again: %v", got)
	}

	now = now.Add(connector.ExpiryConfig{}.Horizon() + 48*time.Hour) // days: past the horizon day whatever the hour
	if n, err := p.ExpireOnce(e.ctx, owningReader{}); err != nil || n != 1 {
		t.Fatalf("ExpireOnce = %d, %v; want 1", n, err)
	}
	if st.Len() != 0 {
		t.Fatalf("%d cases tracked after expiry", st.Len())
	}
	notify() // POSTIDENT's retry of an old notification: handled as new
	again := e.eventIDs(t, e.topics.Status)
	if len(again) != 2 || again[1] != first[0] {
		t.Fatalf("after expiry the same state was emitted as %v, want a second copy of %s", again, first[0])
	}

	if err := rs.sim.RunToEnd(id); err != nil {
		t.Fatal(err)
	}
	notify()
	notify()
	statuses := e.eventIDs(t, e.topics.Status)
	results := e.eventIDs(t, e.topics.Result)
	if len(statuses) != 3 || statuses[2] == first[0] {
		t.Errorf("status events %v: want the closing state as a third, new id", statuses)
	}
	if len(results) != 1 {
		t.Errorf("results %v, want exactly one", results)
	}
}

// eventIDs reads a status or result topic to its end and returns the
// event ids in offset order (the tests use one case, so one partition).
func (e *stateEnv) eventIDs(t *testing.T, topic string) []string {
	t.Helper()
	var ids []string
	err := kafka.ReadAll(e.ctx, e.kcfg, topic, func(m connector.Message) error {
		if m.Value == nil {
			return nil
		}
		if topic == e.topics.Status {
			var ev connector.CaseStatusChanged
			if err := e.codec.Decode(e.ctx, m.Value, &ev); err != nil {
				return err
			}
			ids = append(ids, ev.EventID)
			return nil
		}
		var ev connector.CaseResultEvent
		if err := e.codec.Decode(e.ctx, m.Value, &ev); err != nil {
			return err
		}
		ids = append(ids, ev.EventID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStateExpiryOffWithoutOwnership: with a subscriber that does not report
// ownership (a plain group Reader), no replica can tell which entries are its
// own: the processor says so once, at info, and expires nothing.
func TestStateExpiryOffWithoutOwnership(t *testing.T) {
	e := newStateEnv(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	e.putStates(t, closedState("OLDCASE00001", now.Add(-400*24*time.Hour)))
	st, _ := e.reload(t)
	var logs syncBuffer
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: "EXPIRYTEST", Topics: e.topics, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Expiry: connector.ExpiryConfig{FirstSweep: time.Millisecond, Interval: time.Millisecond}}, nil, e.w, e.codec, st)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kafka.NewReader(kafka.ReaderConfig{Config: e.kcfg, GroupID: kafkatest.GroupID(t, "processor"), Topic: e.topics.Notifications})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, r) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "state expiry off") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // many sweep intervals, were a sweep running
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if n := strings.Count(out, "state expiry off"); n != 1 || !strings.Contains(out, "level=INFO msg=\"state expiry off") {
		t.Errorf("want one info line about expiry being off, got %d in:\n%s", n, out)
	}
	if st.Len() != 1 {
		t.Errorf("%d cases tracked, want 1: expiry ran without ownership", st.Len())
	}
	if _, expired := e.reload(t); len(expired) != 0 {
		t.Errorf("tombstones without ownership: %v", expired)
	}
}

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
