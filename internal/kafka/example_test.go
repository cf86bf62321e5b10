package kafka_test

import (
	"context"
	"log"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// The webhook path: one Writer for the process, shared by every request.
func ExampleWriter() {
	cfg := kafka.Config{Brokers: []string{"127.0.0.1:9092"}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kafka.EnsureTopics(ctx, cfg,
		kafka.TopicSpec{Name: "postident.notifications.v1", Partitions: 6},
		kafka.TopicSpec{Name: "postident.case-state.v1", Partitions: 6, Compact: true},
	); err != nil {
		log.Fatal(err)
	}
	w, err := kafka.NewWriter(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close() // flushes

	err = w.Publish(ctx, connector.Message{
		Topic: "postident.notifications.v1",
		Key:   []byte("CASE123"),
		Value: []byte("..."),
	})
	if kafka.IsRetryable(err) {
		// Answer 503: POSTIDENT retries, the reconciler catches up.
	}
}

// The processor path: fetch, handle, make durable, then commit.
func ExampleReader() {
	r, err := kafka.NewReader(kafka.ReaderConfig{
		Config:  kafka.Config{Brokers: []string{"127.0.0.1:9092"}},
		GroupID: "postident-processor",
		Topic:   "postident.notifications.v1",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	for {
		m, err := r.Fetch(ctx)
		if err != nil {
			return
		}
		// ... handle m, publish the resulting events (acks=all) ...
		if err := r.Commit(ctx, m); err != nil {
			return
		}
	}
}

// State loading at start: the compacted topic, read once to its end.
func ExampleReadAll() {
	cfg := kafka.Config{Brokers: []string{"127.0.0.1:9092"}}
	state := map[string][]byte{}
	err := kafka.ReadAll(context.Background(), cfg, "postident.case-state.v1", func(m connector.Message) error {
		if m.Value == nil {
			delete(state, string(m.Key)) // tombstone
			return nil
		}
		state[string(m.Key)] = m.Value
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// One reconciler among the replicas.
func ExampleLease() {
	cfg := kafka.Config{Brokers: []string{"127.0.0.1:9092"}}
	lease := kafka.NewLease(cfg, "postident.reconciler-lease.v1", "postident-reconciler")
	_ = lease.Run(context.Background(), func(ctx context.Context) error {
		// Reconcile until ctx is cancelled (lease lost or shutdown).
		<-ctx.Done()
		return nil
	})
}
