package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestPublishConcurrent is the webhook's load shape: many goroutines each
// publishing their own case's records one after another. Every record must
// arrive once, in order per key, with its headers, on the partition a Java
// producer would have chosen for the key.
func TestPublishConcurrent(t *testing.T) {
	const (
		goroutines = 50
		perKey     = 20 // 50 x 20 = 1000 records
		partitions = 3
	)
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "publish", Partitions: partitions})
	w := newWriter(t, cfg)

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("case-%03d", g)
			for i := 0; i < perKey; {
				// Mostly single records, sometimes two in one call.
				n := 1 + i%3/2
				msgs := make([]connector.Message, 0, n)
				for j := 0; j < n && i < perKey; j++ {
					msgs = append(msgs, msg(topic, key, fmt.Sprintf("v%d", i),
						"seq", strconv.Itoa(i), "ce_subject", key, "empty", ""))
					i++
				}
				if err := w.Publish(ctx, msgs...); err != nil {
					errs <- fmt.Errorf("%s: %w", key, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	got := readAll(t, ctx, cfg, topic)
	if len(got) != goroutines*perKey {
		t.Fatalf("read %d records, want %d", len(got), goroutines*perKey)
	}
	javaPartitioner := kgo.StickyKeyPartitioner(nil).ForTopic(topic) // murmur2, as the Java client
	next := map[string]int{}
	for _, m := range got {
		key := string(m.Key)
		seq, err := strconv.Atoi(string(m.Header("seq")))
		if err != nil {
			t.Fatalf("record %s/%d: bad seq header: %v", key, m.Offset, err)
		}
		if seq != next[key] {
			t.Fatalf("key %s: got seq %d, want %d (out of order or duplicated)", key, seq, next[key])
		}
		next[key]++
		if string(m.Value) != fmt.Sprintf("v%d", seq) || string(m.Header("ce_subject")) != key || len(m.Headers) != 3 {
			t.Fatalf("key %s seq %d: value %q headers %v", key, seq, m.Value, m.Headers)
		}
		if m.Headers[2].Key != "empty" || len(m.Headers[2].Value) != 0 {
			t.Fatalf("empty header came back as %+v", m.Headers[2])
		}
		if want := javaPartitioner.Partition(&kgo.Record{Key: m.Key}, partitions); m.Partition != want {
			t.Fatalf("key %s on partition %d, Java partitioner says %d", key, m.Partition, want)
		}
	}
	for g := range goroutines {
		if k := fmt.Sprintf("case-%03d", g); next[k] != perKey {
			t.Fatalf("key %s: %d records, want %d", k, next[k], perKey)
		}
	}
	// Coalescing: concurrent calls share produce requests (kafka-go counts
	// one write per batch sent).
	st := w.Stats()
	t.Logf("writer stats: %d produce requests for %d messages", st.Writes, st.Messages)
	if st.Writes >= st.Messages {
		t.Fatalf("no batching: %d produce requests for %d messages", st.Writes, st.Messages)
	}
}

// TestMurmur2MatchesJava pins the partitioner to the Java client's: known
// murmur2 values from Kafka's own partitioner tests agree with kgo's
// Java-compatible hasher and with kafka-go's Murmur2Balancer.
func TestMurmur2MatchesJava(t *testing.T) {
	java := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	b := &kafkago.Murmur2Balancer{}
	for _, n := range []int{1, 2, 3, 7, 12, 100} {
		parts := make([]int, n)
		for i := range parts {
			parts[i] = i
		}
		for i := range 500 {
			key := []byte(fmt.Sprintf("2026-%06d-case", i*7919))
			if got, want := b.Balance(kafkago.Message{Key: key}, parts...), java.Partition(&kgo.Record{Key: key}, n); got != want {
				t.Fatalf("key %q, %d partitions: kafka-go %d, Java %d", key, n, got, want)
			}
		}
	}
}

func TestPublishAfterClose(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "closed", Partitions: 1})
	w := newWriter(t, cfg)
	if err := w.Publish(ctx, msg(topic, "k", "before")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := w.Publish(ctx, msg(topic, "k", "after"))
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close = %v, want ErrClosed", err)
	}
	if IsRetryable(err) {
		t.Fatal("ErrClosed classified as retryable")
	}
	if got := readAll(t, ctx, cfg, topic); len(got) != 1 || string(got[0].Value) != "before" {
		t.Fatalf("topic holds %v", got)
	}
}

// TestCloseFlushes: Close waits for records in flight; none are lost.
func TestCloseFlushes(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	cfg.BatchTimeout = 200 * time.Millisecond // records sit in the batch until Close
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "flush", Partitions: 1})
	w := newWriter(t, cfg)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Publish(ctx, msg(topic, fmt.Sprint(i), "v"))
		}()
	}
	// Close concurrently with the publishes: each either lands or reports
	// ErrClosed.
	time.Sleep(20 * time.Millisecond) // let some publishes enter the batch; not a pass/fail timing
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrClosed):
		default:
			t.Fatalf("Publish: %v", err)
		}
	}
	if got := readAll(t, ctx, cfg, topic); len(got) != ok {
		t.Fatalf("%d publishes succeeded, %d records stored", ok, len(got))
	}
}

func TestPublishValidation(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	w := newWriter(t, cfg)
	if err := w.Publish(ctx); err != nil {
		t.Fatalf("Publish() = %v", err)
	}
	if err := w.Publish(ctx, connector.Message{Key: []byte("k")}); err == nil {
		t.Fatal("Publish without topic succeeded")
	}
	missing := kafkatest.TopicName(t, "missing")
	err := w.Publish(ctx, msg(missing, "k", "v"))
	if !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		t.Fatalf("Publish to missing topic = %v, want UnknownTopicOrPartition", err)
	}

	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "big", Partitions: 1})
	big := msg(topic, "k", string(make([]byte, 2<<20)))
	var tooLarge kafkago.MessageTooLargeError
	if err := w.Publish(ctx, big); !errors.As(err, &tooLarge) {
		t.Fatalf("Publish of 2 MiB = %v, want MessageTooLargeError", err)
	} else if IsRetryable(err) {
		t.Fatal("oversize message classified as retryable")
	}
	if _, err := NewWriter(Config{}); err == nil {
		t.Fatal("NewWriter without brokers succeeded")
	}
}

func TestPublishBrokerDown(t *testing.T) {
	ctx := kafkatest.Context(t, 10*time.Second)
	w := newWriter(t, Config{Brokers: []string{"127.0.0.1:1"}})
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := w.Publish(pctx, msg("t", "k", "v"))
	if err == nil {
		t.Fatal("Publish to a dead broker succeeded")
	}
	if !IsRetryable(err) {
		t.Fatalf("IsRetryable(%v) = false, want true (the webhook answers 503)", err)
	}
}

func TestTombstoneRoundTrip(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "tombstone", Partitions: 1, Compact: true})
	w := newWriter(t, cfg)
	if err := w.Publish(ctx, msg(topic, "case-1", "state"), msg(topic, "case-1", "", "ce_type", "forget")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	check := func(how string, got []connector.Message) {
		t.Helper()
		if len(got) != 2 {
			t.Fatalf("%s: %d records", how, len(got))
		}
		if string(got[0].Value) != "state" {
			t.Fatalf("%s: first value %q", how, got[0].Value)
		}
		if got[1].Value != nil || string(got[1].Key) != "case-1" || string(got[1].Header("ce_type")) != "forget" {
			t.Fatalf("%s: tombstone came back as key %q value %v headers %v", how, got[1].Key, got[1].Value, got[1].Headers)
		}
	}
	check("ReadAll", readAll(t, ctx, cfg, topic))

	r := newReader(t, ReaderConfig{Config: cfg, GroupID: kafkatest.GroupID(t, "tomb"), Topic: topic})
	var viaGroup []connector.Message
	for range 2 {
		m, err := r.Fetch(ctx)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		viaGroup = append(viaGroup, m)
	}
	check("Reader", viaGroup)
}
