package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

const concurrentParts = 6

// publishRounds writes rounds values for each of keys keys ("k000@0",
// "k000@1", ...) and returns the last value per key.
func publishRounds(t testing.TB, ctx context.Context, w *Writer, topic string, keys, rounds int) map[string]string {
	t.Helper()
	want := map[string]string{}
	for round := range rounds {
		msgs := make([]connector.Message, 0, keys)
		for i := range keys {
			key := fmt.Sprintf("k%03d", i)
			v := fmt.Sprintf("%s@%d", key, round)
			msgs = append(msgs, msg(topic, key, v))
			want[key] = v
		}
		if err := w.Publish(ctx, msgs...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	return want
}

// TestReadAllConcurrentPartitions: with ConcurrentPartitions, fn is never
// called twice at once for one partition, each partition's records come in
// offset order, and every record comes once.
func TestReadAllConcurrentPartitions(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "state-par", Partitions: concurrentParts, Compact: true})
	want := publishRounds(t, ctx, newWriter(t, cfg), topic, 200, 3)

	// One slot per partition, touched only by that partition's calls: the
	// race detector reports it if two calls for one partition overlap.
	var (
		inFlight [concurrentParts]atomic.Int32
		got      [concurrentParts][]connector.Message
		overlap  atomic.Int32
		now, top atomic.Int32
	)
	err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
		if m.Partition < 0 || m.Partition >= concurrentParts {
			return fmt.Errorf("partition %d", m.Partition)
		}
		if inFlight[m.Partition].Add(1) != 1 {
			overlap.Add(1)
		}
		defer inFlight[m.Partition].Add(-1)
		n := now.Add(1)
		defer now.Add(-1)
		for { // the most calls at once, for the log
			p := top.Load()
			if n <= p || top.CompareAndSwap(p, n) {
				break
			}
		}
		got[m.Partition] = append(got[m.Partition], m)
		return nil
	}, ConcurrentPartitions())
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if overlap.Load() != 0 {
		t.Fatalf("%d calls overlapped another call for the same partition", overlap.Load())
	}
	state := map[string]string{}
	total := 0
	for p, ms := range got {
		for i, m := range ms {
			if i > 0 && m.Offset <= ms[i-1].Offset {
				t.Fatalf("partition %d: offset %d after %d", p, m.Offset, ms[i-1].Offset)
			}
			state[string(m.Key)] = string(m.Value)
		}
		total += len(ms)
	}
	if total != 600 {
		t.Fatalf("%d records, want 600", total)
	}
	if fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("last value per key differs:\n got %v\nwant %v", state, want)
	}
	t.Logf("at most %d calls at once", top.Load())
}

// TestReadAllSerialisesFnByDefault: without the option the partitions are
// still read concurrently, but fn never runs twice at once, so callers may
// keep plain maps (the race detector checks the map).
func TestReadAllSerialisesFnByDefault(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "state-ser", Partitions: concurrentParts, Compact: true})
	want := publishRounds(t, ctx, newWriter(t, cfg), topic, 100, 2)

	var inFlight, overlap atomic.Int32
	state := map[string]string{}
	last := map[int]int64{}
	err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
		if inFlight.Add(1) != 1 {
			overlap.Add(1)
		}
		defer inFlight.Add(-1)
		if o, ok := last[m.Partition]; ok && m.Offset <= o {
			return fmt.Errorf("partition %d: offset %d after %d", m.Partition, m.Offset, o)
		}
		last[m.Partition] = m.Offset
		state[string(m.Key)] = string(m.Value)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if overlap.Load() != 0 {
		t.Fatalf("fn ran concurrently %d times", overlap.Load())
	}
	if fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("last value per key differs:\n got %v\nwant %v", state, want)
	}
}

// TestReadAllConcurrentStops: an error from fn stops every partition, is
// returned, and no call runs after ReadAll returned.
func TestReadAllConcurrentStops(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "state-stop", Partitions: concurrentParts})
	publishRounds(t, ctx, newWriter(t, cfg), topic, 200, 5)

	errBoom := errors.New("boom")
	for _, opts := range [][]ReadOption{nil, {ConcurrentPartitions()}} {
		var calls atomic.Int64
		err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
			if calls.Add(1) == 50 {
				return errBoom
			}
			return nil
		}, opts...)
		if !errors.Is(err, errBoom) {
			t.Fatalf("ReadAll(%d options) = %v, want errBoom", len(opts), err)
		}
		n := calls.Load()
		time.Sleep(50 * time.Millisecond) // a straggler would show up here
		if calls.Load() != n {
			t.Fatalf("fn called after ReadAll returned: %d then %d", n, calls.Load())
		}
		if n >= 1000 {
			t.Fatalf("%d of 1000 records read after the error", n)
		}
	}

	// A cancelled context is an error, not an empty topic.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := ReadAll(cctx, cfg, topic, func(connector.Message) error { return nil }, ConcurrentPartitions()); err == nil {
		t.Fatal("ReadAll with a cancelled context succeeded")
	}
}

// BenchmarkReadAllState is the processor's state reload (App.loadState):
// CaseState records (Avro single-object, as the processor writes them) on 6
// partitions, each decoded and applied to a connector.State. One op is one
// ReadAll of the whole topic; records/s is the figure. Set KAFKA_BROKERS for
// a real broker; -benchtime 3x or so.
func BenchmarkReadAllState(b *testing.B) {
	const n = 100_000
	ctx := kafkatest.Context(b, 10*time.Minute)
	cfg := testConfig(b)
	codec, err := avro.New(avro.Config{})
	if err != nil {
		b.Fatal(err)
	}
	topic := newTopic(b, ctx, cfg, TopicSpec{Name: "state-bench", Partitions: 6, Compact: true})
	w := newWriter(b, cfg)
	method, status := "eid", "success"
	upd := time.Now().UTC().Truncate(time.Millisecond)
	batch := make([]connector.Message, 0, 1000)
	for i := range n {
		id := fmt.Sprintf("B%011d", i)
		ev := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		st := &connector.CaseState{CaseID: id, CaseStatus: "closed", Method: &method, Status: &status, IdentModified: &upd,
			StatusType: "final", LastStatusEventID: ev, ResultEventID: &ev, UpdatedAt: upd}
		val, err := codec.Encode(ctx, topic, st)
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, connector.Message{Topic: topic, Key: []byte(id), Value: val})
		if len(batch) == cap(batch) || i == n-1 {
			if err := w.Publish(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, bc := range []struct {
		name string
		opts []ReadOption
	}{{"serialised", nil}, {"concurrent", []ReadOption{ConcurrentPartitions()}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				state := connector.NewState()
				var bad atomic.Int64
				err := ReadAll(ctx, cfg, topic, func(m connector.Message) error {
					var st connector.CaseState
					if err := codec.Decode(ctx, m.Value, &st); err != nil {
						bad.Add(1)
						return nil
					}
					state.Apply(string(m.Key), &st)
					return nil
				}, bc.opts...)
				if err != nil {
					b.Fatal(err)
				}
				if state.Len() != n || bad.Load() != 0 {
					b.Fatalf("%d cases, %d undecodable, want %d", state.Len(), bad.Load(), n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
