package kafka

import (
	"fmt"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// BenchmarkPublish measures synchronous publishing of batches of 100
// records from concurrent goroutines (GOMAXPROCS x -cpu), the shape of the
// reconciler and processor emitting events. One op is one batch of 100.
func BenchmarkPublish(b *testing.B) {
	ctx := kafkatest.Context(b, 5*time.Minute)
	cfg := testConfig(b)
	topic := newTopic(b, ctx, cfg, TopicSpec{Name: "bench", Partitions: 3})
	w := newWriter(b, cfg)
	value := make([]byte, 512)
	b.SetBytes(100 * int64(len(value)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		msgs := make([]connector.Message, 100)
		for i := range msgs {
			msgs[i] = connector.Message{
				Topic:   topic,
				Key:     fmt.Appendf(nil, "case-%04d", i),
				Value:   value,
				Headers: []connector.Header{{Key: "ce_type", Value: []byte("status-changed")}},
			}
		}
		for pb.Next() {
			if err := w.Publish(ctx, msgs...); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
