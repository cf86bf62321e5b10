package kafka

import (
	"errors"
	"fmt"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestReadAllCompactedTopic loads "state" the way the processor does at
// start: the last value per key wins, tombstones delete.
func TestReadAllCompactedTopic(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "case-state", Partitions: 3, Compact: true})
	w := newWriter(t, cfg)
	want := map[string]string{}
	for round := range 3 {
		var msgs []connector.Message
		for i := range 20 {
			key := fmt.Sprintf("case-%02d", i)
			switch {
			case round == 2 && i%5 == 0:
				msgs = append(msgs, msg(topic, key, "")) // tombstone
				delete(want, key)
			case round == 0 || i%2 == 0:
				v := fmt.Sprintf("%s@%d", key, round)
				msgs = append(msgs, msg(topic, key, v))
				want[key] = v
			}
		}
		if err := w.Publish(ctx, msgs...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}

	state := map[string]string{}
	lastOffset := map[int]int64{0: -1, 1: -1, 2: -1}
	n := 0
	err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
		n++
		if m.Topic != topic || m.Offset <= lastOffset[m.Partition] {
			return fmt.Errorf("record %s/%d/%d out of order", m.Topic, m.Partition, m.Offset)
		}
		lastOffset[m.Partition] = m.Offset
		if m.Value == nil {
			delete(state, string(m.Key))
		} else {
			state[string(m.Key)] = string(m.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("state = %v\nwant    %v", state, want)
	}
	if n == 0 {
		t.Fatal("no records")
	}

	// An empty topic ends at once.
	empty := newTopic(t, ctx, cfg, TopicSpec{Name: "empty", Partitions: 2, Compact: true})
	if got := readAll(t, ctx, cfg, empty); len(got) != 0 {
		t.Fatalf("empty topic gave %d records", len(got))
	}
}

// TestReadAllAfterCompaction runs on kfake only, whose log cleaner can be
// triggered: the offsets then have gaps, which ReadAll steps over.
func TestReadAllAfterCompaction(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	c := kafkatest.Fake(t)
	cfg := Config{Brokers: c.ListenAddrs()}
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "compacted", Partitions: 1, Compact: true})
	w := newWriter(t, cfg)
	// Separate publishes make separate record batches; only whole older
	// batches are cleaned.
	for round := range 5 {
		for _, key := range []string{"a", "b", "c"} {
			if key == "c" && round > 0 {
				continue
			}
			if err := w.Publish(ctx, msg(topic, key, fmt.Sprintf("%s%d", key, round))); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
	}
	before := readAll(t, ctx, cfg, topic)
	c.Compact()
	after := readAll(t, ctx, cfg, topic)
	if len(after) >= len(before) {
		t.Fatalf("compaction removed nothing: %d records before, %d after", len(before), len(after))
	}
	state := map[string]string{}
	for i, m := range after {
		if i > 0 && m.Offset <= after[i-1].Offset {
			t.Fatalf("offsets not increasing: %d after %d", m.Offset, after[i-1].Offset)
		}
		state[string(m.Key)] = string(m.Value)
	}
	if want := "map[a:a4 b:b4 c:c0]"; fmt.Sprint(state) != want {
		t.Fatalf("state after compaction = %v, want %s", state, want)
	}
}

// TestReadAllStopsAtStartHighWatermark: records written while ReadAll runs
// are not part of the result, so ReadAll always ends.
func TestReadAllStopsAtStartHighWatermark(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "growing", Partitions: 1})
	w := newWriter(t, cfg)
	for i := range 5 {
		if err := w.Publish(ctx, msg(topic, "k", fmt.Sprint(i))); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	n := 0
	err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
		n++
		// Grow the topic under the reader.
		return w.Publish(ctx, msg(topic, "k", "late"))
	})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if n != 5 {
		t.Fatalf("ReadAll saw %d records, want the 5 present at start", n)
	}
}

func TestReadAllErrors(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "stop", Partitions: 1})
	w := newWriter(t, cfg)
	if err := w.Publish(ctx, msg(topic, "a", "1"), msg(topic, "b", "2")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	errBoom := errors.New("boom")
	calls := 0
	err := ReadAll(ctx, cfg, topic, func(connector.Message) error { calls++; return errBoom })
	if !errors.Is(err, errBoom) || calls != 1 {
		t.Fatalf("ReadAll = %v after %d calls, want errBoom after 1", err, calls)
	}

	err = ReadAll(ctx, cfg, kafkatest.TopicName(t, "missing"), func(connector.Message) error { return nil })
	if !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		t.Fatalf("ReadAll(missing) = %v, want UnknownTopicOrPartition", err)
	}
	if err := ReadAll(ctx, cfg, "bad name", nil); err == nil {
		t.Fatal("ReadAll with an invalid topic name succeeded")
	}
}

// TestReadAllNeverCreatesTopics: on a broker that auto-creates topics
// (Kafka's default), reading a missing topic must not create it with the
// broker's defaults. kafka-go's Conn.ReadPartitions would (Metadata v6 with
// allow_auto_topic_creation=true). kfake only: the shared real broker has
// auto-creation off.
func TestReadAllNeverCreatesTopics(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	c := kafkatest.Fake(t, kfake.AllowAutoTopicCreation())
	cfg := Config{Brokers: c.ListenAddrs()}
	missing := kafkatest.TopicName(t, "state")
	err := ReadAll(ctx, cfg, missing, func(connector.Message) error { return nil })
	if !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		t.Fatalf("ReadAll(missing) = %v, want UnknownTopicOrPartition", err)
	}
	if _, err := DescribeTopic(ctx, cfg, missing); !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		t.Fatalf("topic exists after ReadAll (DescribeTopic = %v)", err)
	}
	// EnsureTopics still creates it with the intended policy.
	if err := EnsureTopics(ctx, cfg, TopicSpec{Name: missing, Partitions: 1, Compact: true}); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	if info, err := DescribeTopic(ctx, cfg, missing); err != nil || info.Configs["cleanup.policy"] != "compact" {
		t.Fatalf("DescribeTopic = %+v, %v", info, err)
	}
}
