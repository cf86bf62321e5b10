package kafka

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestReaderCommitResume: a member fetches, commits part of what it read
// and stops; the next member of the group resumes right after the committed
// offset, re-reading what was fetched but not committed.
func TestReaderCommitResume(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "notifications", Partitions: 1})
	group := kafkatest.GroupID(t, "processor")
	w := newWriter(t, cfg)
	for i := range 10 {
		if err := w.Publish(ctx, msg(topic, fmt.Sprintf("case-%d", i), fmt.Sprint(i), "n", fmt.Sprint(i))); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}

	first := newReader(t, ReaderConfig{Config: cfg, GroupID: group, Topics: []string{topic}})
	var fetched []connector.Message
	for range 6 {
		m, err := first.Fetch(ctx)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		fetched = append(fetched, m)
	}
	for i, m := range fetched {
		if m.Topic != topic || m.Partition != 0 || m.Offset != int64(i) || string(m.Value) != fmt.Sprint(i) ||
			string(m.Header("n")) != fmt.Sprint(i) || m.Time.IsZero() {
			t.Fatalf("fetched[%d] = %+v", i, m)
		}
	}
	if lag := first.Lag(); lag != 4 {
		t.Errorf("Lag() after 6 of 10 = %d, want 4", lag)
	}
	// Commit the 4th record (offset 3): records 0-3 are done, 4-5 were
	// fetched but not handled.
	if err := first.Commit(ctx, fetched[3]); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := first.Fetch(ctx); !errors.Is(err, io.EOF) || !errors.Is(err, ErrClosed) {
		t.Fatalf("Fetch after Close = %v, want ErrClosed and io.EOF", err)
	}
	if err := first.Commit(ctx, fetched[5]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close = %v, want ErrClosed", err)
	}

	second := newReader(t, ReaderConfig{Config: cfg, GroupID: group, Topic: topic})
	for want := 4; want < 10; want++ {
		m, err := second.Fetch(ctx)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if m.Offset != int64(want) {
			t.Fatalf("resumed at offset %d, want %d", m.Offset, want)
		}
		if err := second.Commit(ctx, m); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	if lag := second.Lag(); lag != 0 {
		t.Errorf("Lag() at the end = %d, want 0", lag)
	}
}

// TestReaderStartLast: a new group with StartLast skips what was written
// before it joined.
func TestReaderStartLast(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "start-last", Partitions: 1})
	w := newWriter(t, cfg)
	if err := w.Publish(ctx, msg(topic, "old", "old")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	r := newReader(t, ReaderConfig{Config: cfg, GroupID: kafkatest.GroupID(t, "last"), Topic: topic, StartOffset: StartLast})
	// The reader only learns its position once it joined; publish until the
	// new record is seen (each publish is a new record, so no timing is
	// asserted).
	got := make(chan connector.Message, 1)
	go func() {
		m, err := r.Fetch(ctx)
		if err == nil {
			got <- m
		}
		close(got)
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m, ok := <-got:
			if !ok {
				t.Fatalf("Fetch failed: %v", ctx.Err())
			}
			if string(m.Value) != "new" {
				t.Fatalf("StartLast reader got %q", m.Value)
			}
			return
		case <-tick.C:
			if err := w.Publish(ctx, msg(topic, "new", "new")); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("no record fetched")
		}
	}
}

func TestReaderCommitValidation(t *testing.T) {
	cfg := ReaderConfig{Config: Config{Brokers: []string{"127.0.0.1:1"}}, GroupID: "g", Topic: "t"}
	r := newReader(t, cfg)
	ctx := kafkatest.Context(t, 5*time.Second)
	if err := r.Commit(ctx); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	if err := r.Commit(ctx, connector.Message{Offset: 1}); err == nil {
		t.Fatal("Commit without topic succeeded")
	}
	if _, err := NewReader(ReaderConfig{Config: cfg.Config, Topic: "t"}); err == nil {
		t.Fatal("NewReader without group succeeded")
	}
}
