package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// Backend is one implementation of the ports under test.
type Backend struct {
	// Publisher writes the records; it must be safe for concurrent use.
	Publisher connector.Publisher
	// Topic returns a new, empty topic whose name starts with base,
	// created when the implementation needs that.
	Topic func(t *testing.T, base string) string
	// Subscribe joins the consumer group named group with a new member
	// reading topics; a group without committed offsets starts at the first
	// record. Group names are unique per Backend; the Factory may map them
	// to unique names. close ends the membership: records it did not
	// commit go to the next member.
	Subscribe func(t *testing.T, group string, topics ...string) (sub connector.Subscriber, close func())
	// Written returns, without waiting, the records topic holds now, in
	// offset order per partition: it tells whether Publish returned only
	// after the records were durable.
	Written func(t *testing.T, topic string) []connector.Message
	// OneTopic says a subscriber reads a single topic (the Kafka adapter's
	// GroupSubscriber): the suite then reads each topic with its own member.
	OneTopic bool
}

// Factory builds a fresh Backend for one subtest.
type Factory func(t *testing.T) Backend

// wait bounds every wait for a record: it is no timing assertion, only a
// bound so that a broken implementation fails rather than hangs.
const wait = 60 * time.Second

// Run runs the contract against the Backends newBackend builds.
func Run(t *testing.T, newBackend Factory) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"AcknowledgedBeforeReturn", testAcknowledged},
		{"OrderPerKey", testOrderPerKey},
		{"RoundTrip", testRoundTrip},
		{"SeveralTopics", testSeveralTopics},
		{"ConcurrentPublish", testConcurrentPublish},
		{"CommitResume", testCommitResume},
		{"FetchEndsWithContext", testFetchEndsWithContext},
		{"MessageWithoutTopic", testNoTopic},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newBackend(t)) })
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	t.Cleanup(cancel)
	return ctx
}

func message(topic, key, value string) connector.Message {
	return connector.Message{Topic: topic, Key: []byte(key), Value: []byte(value)}
}

func publish(t *testing.T, ctx context.Context, b Backend, msgs ...connector.Message) {
	t.Helper()
	if err := b.Publisher.Publish(ctx, msgs...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// fetchN fetches n records or fails the test.
func fetchN(t *testing.T, ctx context.Context, sub connector.Subscriber, n int) []connector.Message {
	t.Helper()
	out := make([]connector.Message, 0, n)
	for len(out) < n {
		m, err := sub.Fetch(ctx)
		if err != nil {
			t.Fatalf("Fetch after %d of %d records: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// testAcknowledged: once Publish returned nil, the records are in the
// topic; nothing waits for them to appear.
func testAcknowledged(t *testing.T, b Backend) {
	ctx := ctxFor(t)
	topic := b.Topic(t, "ack")
	for round := range 3 {
		var msgs []connector.Message
		for i := range 5 {
			msgs = append(msgs, message(topic, fmt.Sprintf("k%d", i), fmt.Sprintf("r%d-v%d", round, i)))
		}
		publish(t, ctx, b, msgs...)
		got := b.Written(t, topic)
		if len(got) != 5*(round+1) {
			t.Fatalf("after Publish %d returned the topic holds %d records, want %d", round+1, len(got), 5*(round+1))
		}
	}
}

// testOrderPerKey: records of one key, published over several calls and
// interleaved with other keys, are fetched in the order of publishing, and
// offsets grow within each partition.
func testOrderPerKey(t *testing.T, b Backend) {
	ctx := ctxFor(t)
	topic := b.Topic(t, "order")
	keys := []string{"AAAAAAAAAAA1", "BBBBBBBBBBB2", "CCCCCCCCCCC3", "DDDDDDDDDDD4"}
	const per = 12
	for call := range 3 {
		var msgs []connector.Message
		for i := call * per / 3; i < (call+1)*per/3; i++ {
			for _, k := range keys {
				msgs = append(msgs, message(topic, k, fmt.Sprintf("%s-%02d", k, i)))
			}
		}
		publish(t, ctx, b, msgs...)
	}
	sub, closeSub := b.Subscribe(t, "order", topic)
	defer closeSub()
	next := map[string]int{}
	last := map[int]int64{}
	for _, m := range fetchN(t, ctx, sub, per*len(keys)) {
		k := string(m.Key)
		if want := fmt.Sprintf("%s-%02d", k, next[k]); string(m.Value) != want {
			t.Fatalf("key %s: fetched %q, want %q", k, m.Value, want)
		}
		next[k]++
		if o, seen := last[m.Partition]; seen && m.Offset <= o {
			t.Fatalf("partition %d: offset %d after %d", m.Partition, m.Offset, o)
		}
		last[m.Partition] = m.Offset
		if m.Topic != topic {
			t.Fatalf("fetched topic %q, want %q", m.Topic, topic)
		}
	}
}

// testRoundTrip: key, value, headers (order and repeats kept), time (to the
// millisecond), a tombstone's nil value and a missing key arrive as sent,
// even when the caller overwrites its buffers after Publish returned.
func testRoundTrip(t *testing.T, b Backend) {
	ctx := ctxFor(t)
	topic := b.Topic(t, "roundtrip")
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	full := message(topic, "YR9W91GEZK24", `{"v":1}`)
	full.Time = at
	full.Headers = []connector.Header{
		{Key: "ce_type", Value: []byte("de.deutschepost.postident.case-result.v1")},
		{Key: "traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")},
		{Key: "ce_type", Value: []byte("second")},
	}
	tomb := connector.Message{Topic: topic, Key: []byte("YR9W91GEZK24"), Time: at}
	keyless := connector.Message{Topic: topic, Value: []byte(`{"caseId":"YR9W91GEZK24"}`), Time: at}
	value := full.Value
	full.Value = slices.Clone(value)
	publish(t, ctx, b, full, tomb, keyless)
	// Once Publish returned, the caller may reuse its buffers.
	for i := range full.Value {
		full.Value[i] = 'x'
	}
	full.Value = value

	sub, closeSub := b.Subscribe(t, "roundtrip", topic)
	defer closeSub()
	got := fetchN(t, ctx, sub, 3)
	// The keyless record may sit on another partition: find each by kind.
	var gf, gt, gk *connector.Message
	for i := range got {
		switch m := &got[i]; {
		case len(m.Key) == 0:
			gk = m
		case m.Value == nil:
			gt = m
		default:
			gf = m
		}
	}
	if gf == nil || gt == nil || gk == nil {
		t.Fatalf("fetched %d records, want one with a value, one tombstone (nil value), one without key; got %+v", len(got), got)
	}
	if !bytes.Equal(gf.Key, full.Key) || !bytes.Equal(gf.Value, full.Value) {
		t.Errorf("record: key %q value %q, want %q %q", gf.Key, gf.Value, full.Key, full.Value)
	}
	if len(gf.Headers) != len(full.Headers) {
		t.Fatalf("headers: %d, want %d (%+v)", len(gf.Headers), len(full.Headers), gf.Headers)
	}
	for i, h := range full.Headers {
		if gf.Headers[i].Key != h.Key || !bytes.Equal(gf.Headers[i].Value, h.Value) {
			t.Errorf("header %d: %s=%q, want %s=%q", i, gf.Headers[i].Key, gf.Headers[i].Value, h.Key, h.Value)
		}
	}
	if v := gf.Header("ce_type"); string(v) != "de.deutschepost.postident.case-result.v1" {
		t.Errorf("Header(ce_type) = %q, want the first of the repeated header", v)
	}
	for _, m := range []*connector.Message{gf, gt, gk} {
		if !m.Time.Equal(at) {
			t.Errorf("record time %v, want %v", m.Time, at)
		}
	}
	if !bytes.Equal(gt.Key, tomb.Key) {
		t.Errorf("tombstone key %q, want %q", gt.Key, tomb.Key)
	}
	if !bytes.Equal(gk.Value, keyless.Value) {
		t.Errorf("keyless record value %q, want %q", gk.Value, keyless.Value)
	}
}

// testSeveralTopics: one Publish may span topics, one member may read
// several (unless OneTopic); each record carries its topic.
func testSeveralTopics(t *testing.T, b Backend) {
	ctx := ctxFor(t)
	t1, t2 := b.Topic(t, "multi-a"), b.Topic(t, "multi-b")
	publish(t, ctx, b, message(t1, "K1", "a1"), message(t2, "K1", "b1"), message(t1, "K2", "a2"))
	got := map[string]string{}
	read := func(group string, n int, topics ...string) {
		sub, closeSub := b.Subscribe(t, group, topics...)
		defer closeSub()
		for _, m := range fetchN(t, ctx, sub, n) {
			got[string(m.Value)] = m.Topic
		}
	}
	if b.OneTopic {
		read("multi-a", 2, t1)
		read("multi-b", 1, t2)
	} else {
		read("multi", 3, t1, t2)
	}
	want := map[string]string{"a1": t1, "b1": t2, "a2": t1}
	for v, topic := range want {
		if got[v] != topic {
			t.Errorf("record %s came from topic %q, want %q", v, got[v], topic)
		}
	}
}

// testConcurrentPublish: Publish is safe for concurrent use, and each
// caller's order per key holds.
func testConcurrentPublish(t *testing.T, b Backend) {
	ctx := ctxFor(t)
	topic := b.Topic(t, "concurrent")
	const writers, per = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				if err := b.Publisher.Publish(ctx, message(topic, fmt.Sprintf("W%d", w), fmt.Sprintf("%02d", i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Publish: %v", err)
	}
	sub, closeSub := b.Subscribe(t, "concurrent", topic)
	defer closeSub()
	next := map[string]int{}
	for _, m := range fetchN(t, ctx, sub, writers*per) {
		k := string(m.Key)
		if want := fmt.Sprintf("%02d", next[k]); string(m.Value) != want {
			t.Fatalf("writer %s: fetched %q, want %q", k, m.Value, want)
		}
		next[k]++
	}
}

// testCommitResume: a commit covers the committed record and every earlier
// one of its partition; the next member of the group resumes right after
// it, so the uncommitted records come again and the committed ones do not.
func testCommitResume(t *testing.T, b Backend) {
	ctx := ctxFor(t)
	topic := b.Topic(t, "commit")
	const key = "YR9W91GEZK24" // one key: one partition, one order
	var msgs []connector.Message
	for i := range 10 {
		msgs = append(msgs, message(topic, key, fmt.Sprintf("v%d", i)))
	}
	publish(t, ctx, b, msgs...)

	first, closeFirst := b.Subscribe(t, "commit", topic)
	got := fetchN(t, ctx, first, 10)
	if err := first.Commit(ctx); err != nil {
		t.Fatalf("Commit of nothing: %v", err)
	}
	if err := first.Commit(ctx, got[2], got[4]); err != nil { // v0..v4 done
		t.Fatalf("Commit: %v", err)
	}
	closeFirst()

	second, closeSecond := b.Subscribe(t, "commit", topic)
	again := fetchN(t, ctx, second, 5)
	for i, m := range again {
		if want := fmt.Sprintf("v%d", i+5); string(m.Value) != want {
			t.Fatalf("after a commit of v4, the next member fetched %q as record %d, want %q", m.Value, i, want)
		}
	}
	if err := second.Commit(ctx, again[4]); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	closeSecond()

	// Everything is committed: a third member sees only what comes next.
	publish(t, ctx, b, message(topic, key, "after"))
	third, closeThird := b.Subscribe(t, "commit", topic)
	defer closeThird()
	if m := fetchN(t, ctx, third, 1)[0]; string(m.Value) != "after" {
		t.Fatalf("with every record committed, the next member fetched %q first, want the new record", m.Value)
	}
}

// testFetchEndsWithContext: Fetch on an empty topic returns when its
// context ends, with the context's error in the chain.
func testFetchEndsWithContext(t *testing.T, b Backend) {
	topic := b.Topic(t, "empty")
	sub, closeSub := b.Subscribe(t, "empty", topic)
	defer closeSub()
	ctx, cancel := context.WithTimeout(ctxFor(t), 500*time.Millisecond)
	defer cancel()
	m, err := sub.Fetch(ctx)
	if err == nil {
		t.Fatalf("Fetch on an empty topic returned record %+v", m)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch error %v does not wrap context.DeadlineExceeded", err)
	}
}

// testNoTopic: a message without a topic is refused, not written
// somewhere.
func testNoTopic(t *testing.T, b Backend) {
	if err := b.Publisher.Publish(ctxFor(t), connector.Message{Key: []byte("K"), Value: []byte("v")}); err == nil {
		t.Fatal("Publish of a message without topic returned nil")
	}
}
