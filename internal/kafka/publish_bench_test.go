package kafka

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// benchRecord is a notification-sized record (key, ~120-byte Avro value,
// the nine CloudEvents and trace headers the connector writes).
func benchRecord(topic string, i int) connector.Message {
	id := fmt.Sprintf("C%011d", i)
	hs := connector.EventHeaders(connector.TypeNotification, "6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b", "BENCHCLIENT1", id, time.Now(), connector.OriginWebhook)
	hs = append(hs, connector.Header{Key: "traceparent", Value: []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")})
	return connector.Message{Topic: topic, Key: []byte(id), Value: make([]byte, 120), Headers: hs}
}

// BenchmarkPublishOnePerCall is the webhook's shape: many goroutines, each
// publishing one record and waiting for acks=all. kafka-go coalesces
// concurrent calls per partition (BatchTimeout 5ms), but writes each
// partition's batches one at a time. Reports records/s and the p50/p99 of
// one Publish. Run with -cpu to vary nothing; concurrency is the
// sub-benchmark's number of publishers.
func BenchmarkPublishOnePerCall(b *testing.B) {
	for _, publishers := range []int{16, 256} {
		b.Run(fmt.Sprintf("publishers=%d", publishers), func(b *testing.B) {
			ctx := kafkatest.Context(b, 5*time.Minute)
			cfg := testConfig(b)
			topic := newTopic(b, ctx, cfg, TopicSpec{Name: "bench-one", Partitions: 6})
			w := newWriter(b, cfg)
			if err := w.Publish(ctx, benchRecord(topic, 0)); err != nil { // metadata, connection
				b.Fatal(err)
			}
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			next := make(chan int, publishers)
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for range publishers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						t := time.Now()
						if err := w.Publish(ctx, benchRecord(topic, i)); err != nil {
							b.Error(err)
							return
						}
						d := time.Since(t)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}()
			}
			for i := 0; i < b.N; i++ {
				next <- i
			}
			close(next)
			wg.Wait()
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

// BenchmarkPublishBatch is the processor's shape: one Publish of a whole
// batch's records (500 cases x status, result and state records). One op
// is one call of n records.
func BenchmarkPublishBatch(b *testing.B) {
	const n = 1500
	ctx := kafkatest.Context(b, 5*time.Minute)
	cfg := testConfig(b)
	topic := newTopic(b, ctx, cfg, TopicSpec{Name: "bench-batch", Partitions: 6})
	w := newWriter(b, cfg)
	msgs := make([]connector.Message, n)
	for i := range msgs {
		msgs[i] = benchRecord(topic, i)
		msgs[i].Value = make([]byte, 600)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := w.Publish(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkProduceFranzGoOnePerCall is the same shape as
// BenchmarkPublishOnePerCall through franz-go's producer (acks=all,
// idempotent, linger 0, several requests in flight per broker), for
// comparison with the kafka-go adapter.
func BenchmarkProduceFranzGoOnePerCall(b *testing.B) {
	const publishers = 256
	ctx := kafkatest.Context(b, 5*time.Minute)
	cfg := testConfig(b)
	topic := newTopic(b, ctx, cfg, TopicSpec{Name: "bench-kgo", Partitions: 6})
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DefaultProduceTopic(topic))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	toRecord := func(i int) *kgo.Record {
		m := benchRecord(topic, i)
		r := &kgo.Record{Key: m.Key, Value: m.Value}
		for _, h := range m.Headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		return r
	}
	if err := cl.ProduceSync(ctx, toRecord(0)).FirstErr(); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	next := make(chan int, publishers)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if err := cl.ProduceSync(ctx, toRecord(i)).FirstErr(); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
