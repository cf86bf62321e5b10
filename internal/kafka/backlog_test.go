package kafka

import (
	"fmt"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestOldestUncommitted: the time of the oldest record a group has not
// committed, over the partitions, read from the broker alone: before any
// commit the first record's, after a commit the next one's, at the end zero.
func TestOldestUncommitted(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "backlog", Partitions: 2})
	group := kafkatest.GroupID(t, "backlog")
	// A topic created a moment ago may not have its leaders yet ([6] Not
	// Leader For Partition on Apache Kafka): the app asks again at its
	// next tick, the test a few times.
	var got time.Time
	err := retryFast(ctx, func() (err error) { got, err = OldestUncommitted(ctx, cfg, group, topic); return err })
	if err != nil || !got.IsZero() {
		t.Fatalf("an empty topic: %v, %v; want zero", got, err)
	}
	w := newWriter(t, cfg)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 4 {
		m := msg(topic, fmt.Sprintf("case-%d", i), fmt.Sprint(i))
		m.Time = base.Add(time.Duration(i) * time.Minute)
		if err := w.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err = OldestUncommitted(ctx, cfg, group, topic)
	if err != nil || !got.Equal(base) {
		t.Fatalf("nothing committed: %v, %v; want %v", got, err, base)
	}
	r := newReader(t, ReaderConfig{Config: cfg, GroupID: group, Topic: topic})
	var rest []connector.Message
	for range 4 {
		m, err := r.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Time.Before(base.Add(2 * time.Minute)) {
			if err := r.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
		} else {
			rest = append(rest, m)
		}
	}
	// Records 0 and 1 are the oldest: committing them commits whatever
	// came before them on their partitions.
	got, err = OldestUncommitted(ctx, cfg, group, topic)
	if want := base.Add(2 * time.Minute); err != nil || !got.Equal(want) {
		t.Fatalf("after committing the first two: %v, %v; want %v", got, err, want)
	}
	if err := r.Commit(ctx, rest...); err != nil {
		t.Fatal(err)
	}
	if got, err := OldestUncommitted(ctx, cfg, group, topic); err != nil || !got.IsZero() {
		t.Fatalf("everything committed: %v, %v; want zero", got, err)
	}
}
