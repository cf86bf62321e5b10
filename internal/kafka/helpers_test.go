package kafka

import (
	"context"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// testConfig returns a Config for this test's broker (kfake, or KAFKA_BROKERS).
func testConfig(t testing.TB) Config {
	t.Helper()
	return Config{Brokers: kafkatest.Brokers(t), ClientID: "kafka-test"}
}

// newTopic creates a uniquely named topic from spec (Name is used as the
// base) and, on a real broker, deletes it when the test ends.
func newTopic(t testing.TB, ctx context.Context, cfg Config, spec TopicSpec) string {
	t.Helper()
	spec.Name = kafkatest.TopicName(t, spec.Name)
	if err := EnsureTopics(ctx, cfg, spec); err != nil {
		t.Fatalf("EnsureTopics(%s): %v", spec.Name, err)
	}
	deleteAtCleanup(t, cfg, spec.Name)
	return spec.Name
}

// deleteAtCleanup removes topic from a shared real broker after the test; an
// in-process cluster is simply closed.
func deleteAtCleanup(t testing.TB, cfg Config, topic string) {
	if len(kafkatest.External()) == 0 {
		return
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a, err := newAdmin(cfg)
		if err != nil {
			t.Logf("delete topic %s: %v", topic, err)
			return
		}
		defer a.close()
		if _, err := a.c.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: []string{topic}}); err != nil {
			t.Logf("delete topic %s: %v", topic, err)
		}
	})
}

func newWriter(t testing.TB, cfg Config) *Writer {
	t.Helper()
	w, err := NewWriter(cfg)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func newReader(t testing.TB, cfg ReaderConfig) *Reader {
	t.Helper()
	r, err := NewReader(cfg)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// readAll collects every record of topic with ReadAll.
func readAll(t testing.TB, ctx context.Context, cfg Config, topic string) []connector.Message {
	t.Helper()
	var out []connector.Message
	if err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
		out = append(out, m)
		return nil
	}); err != nil {
		t.Fatalf("ReadAll(%s): %v", topic, err)
	}
	return out
}

func msg(topic, key, value string, headers ...string) connector.Message {
	m := connector.Message{Topic: topic, Key: []byte(key)}
	if value != "" {
		m.Value = []byte(value)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		m.Headers = append(m.Headers, connector.Header{Key: headers[i], Value: []byte(headers[i+1])})
	}
	return m
}
