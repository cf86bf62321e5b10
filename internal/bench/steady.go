package bench

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// allOwner owns every case: one replica that holds every partition.
type allOwner struct{}

func (allOwner) Owns(string) bool { return true }

// Steady measures the state after 5 x StateCases cases of all time of which
// StateCases are live: it writes 5n CaseState records (4n last changed 200
// days ago, n now), loads them in the driver, expires the old ones with
// Processor.ExpireOnce (4n tombstones on the state topic), waits for the log
// cleaner to compact the topic, and reloads it in a connector child as
// `run` does (internal/app): memory and reload time then follow the live
// cases.
func (d *Driver) Steady(ctx context.Context) error {
	live := d.o.StateCases
	all := 5 * live
	d.printf("\n== steady state: %d cases of all time, %d live (the rest older than the expiry horizon)\n", all, live)
	d.printf("load average before: %s\n", LoadAvg())
	p := "bench-" + d.runID + "-steady."
	topics := scenarioTopics(p)
	n := d.o.Partitions
	// Small segments and an eager cleaner, so the compaction is seen within
	// minutes; tombstones are dropped by the pass after the one that
	// compacted their values (delete.retention.ms).
	if err := kafka.EnsureTopics(ctx, d.kcfg(),
		kafka.TopicSpec{Name: topics.Status, Partitions: n, ReplicationFactor: 1},
		kafka.TopicSpec{Name: topics.Result, Partitions: n, ReplicationFactor: 1, Compact: true},
		kafka.TopicSpec{Name: topics.Notifications, Partitions: n, ReplicationFactor: 1},
		kafka.TopicSpec{Name: topics.DeadLetter, Partitions: n, ReplicationFactor: 1, Compact: true},
		kafka.TopicSpec{Name: topics.State, Partitions: n, ReplicationFactor: 1, Compact: true, Configs: map[string]string{
			"segment.bytes": "8388608", "segment.ms": "20000", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "1000", "min.compaction.lag.ms": "0"}}); err != nil {
		return err
	}
	defer d.deleteTopics(topics)
	w, codec, err := d.stateWriter()
	if err != nil {
		return err
	}
	defer w.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	old := now.Add(-200 * 24 * time.Hour)
	start := time.Now()
	if err := d.writeStates(ctx, w, codec, topics.State, all, func(i int) time.Time {
		if i < all-live {
			return old
		}
		return now
	}); err != nil {
		return err
	}
	d.printf("wrote %d records in %s\n", all, time.Since(start).Round(time.Millisecond))
	sizeWritten, _ := d.logSize(ctx, topics.State, n)

	var before, afterLoad, afterExpiry runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start = time.Now()
	st := connector.NewState()
	recs, err := app.ReadState(ctx, d.kcfg(), topics.State, codec, st, slog.Default())
	if err != nil {
		return err
	}
	loadTook := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&afterLoad)
	d.printf("driver loaded %d records -> %d cases in %s; heap %s (%.0f B per case)\n", recs, st.Len(), loadTook.Round(time.Millisecond),
		mib(int64(afterLoad.HeapAlloc-before.HeapAlloc)), float64(afterLoad.HeapAlloc-before.HeapAlloc)/float64(st.Len()))

	proc, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: simClientID, Topics: topics, Logger: slog.Default()}, nil, w, codec, st)
	if err != nil {
		return err
	}
	start = time.Now()
	expired, err := proc.ExpireOnce(ctx, allOwner{})
	if err != nil {
		return err
	}
	expTook := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&afterExpiry)
	d.printf("ExpireOnce: %d tombstones in %s; %d cases left; heap %s (%.0f B per live case; the map keeps its buckets until a reload)\n",
		expired, expTook.Round(time.Millisecond), st.Len(), mib(int64(afterExpiry.HeapAlloc-before.HeapAlloc)), float64(afterExpiry.HeapAlloc-before.HeapAlloc)/float64(st.Len()))
	runtime.KeepAlive(st)
	st = nil
	proc = nil

	sizeExpired, _ := d.logSize(ctx, topics.State, n)
	d.printf("state topic on disk: %s after writing, %s with the tombstones\n", mib(sizeWritten), mib(sizeExpired))
	// Segments roll on the next append after segment.ms; the cleaner then
	// compacts the closed ones. A filler per partition every few seconds
	// closes the segment holding the tombstones.
	deadline := time.Now().Add(8 * time.Minute)
	target := sizeWritten * 2 / 5 // n live of 5n written, plus slack
	size := sizeExpired
	for size > target && time.Now().Before(deadline) {
		if err := d.fillPartitions(ctx, w, topics.State, n); err != nil {
			return err
		}
		time.Sleep(5 * time.Second)
		size, _ = d.logSize(ctx, topics.State, n)
	}
	d.printf("state topic on disk after compaction: %s (waited until %s or 8 min)\n", mib(size), mib(target))

	cr, raw, gc, stop, err := d.reloadChild(ctx, topics, "bench-"+d.runID+"-steady")
	if err != nil {
		return err
	}
	defer stop()
	d.printf("connector child reloaded %d records -> %d cases in %s (%.0f records/s); RSS %s (peak %s); after GC: RSS %s, heap in use %s\n",
		cr.StateRecords, cr.StateCases, cr.StateLoad.Round(time.Millisecond), float64(cr.StateRecords)/cr.StateLoad.Seconds(),
		mib(raw.RSS), mib(raw.HWM), mib(gc.RSS), mib(int64(gc.HeapInuse)))
	d.figure(fmt.Sprintf("steady state: %d all-time, %d live, reload", all, live), "follows live cases",
		fmt.Sprintf("%d records -> %d cases in %s", cr.StateRecords, cr.StateCases, cr.StateLoad.Round(time.Millisecond)), yes(cr.StateCases == live))
	d.figure(fmt.Sprintf("steady state RSS (%d live)", live), "< 256 MiB", fmt.Sprintf("%s (peak %s)", mib(gc.RSS), mib(raw.HWM)), yes(gc.RSS < 256<<20 && raw.HWM < 256<<20))
	return nil
}

// stateWriter opens the writer and the codec writeStates writes with.
func (d *Driver) stateWriter() (*kafka.Writer, *avro.Codec, error) {
	codec, err := avro.New(avro.Config{})
	if err != nil {
		return nil, nil, err
	}
	w, err := kafka.NewWriter(d.kcfg())
	return w, codec, err
}

// stateChunk is how many state records writeStates publishes at a time.
const stateChunk = 5000

// writeStates writes n CaseState records of closed cases, the i-th last
// changed at changed(i), with the headers the processor writes.
func (d *Driver) writeStates(ctx context.Context, w *kafka.Writer, codec *avro.Codec, topic string, n int, changed func(int) time.Time) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	const chunk = stateChunk
	tp := []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs := make([]connector.Message, 0, chunk)
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				msgs = msgs[:0]
				for i := lo; i < min(lo+chunk, n); i++ {
					id := caseID(i)
					t := changed(i)
					cs := closedState(id, t)
					val, err := codec.Encode(ctx, topic, cs)
					if err != nil {
						errs <- err
						return
					}
					hs := connector.EventHeaders(connector.TypeCaseState, cs.LastStatusEventID, simClientID, id, t, connector.OriginWebhook)
					hs = append(hs, connector.Header{Key: "traceparent", Value: tp})
					msgs = append(msgs, connector.Message{Topic: topic, Key: []byte(id), Value: val, Headers: hs, Time: time.Now()})
				}
				if err := w.Publish(ctx, msgs...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// fillPartitions appends one unrelated tombstone to each partition (keys
// chosen to land on every partition), so time-based segment rolls happen.
func (d *Driver) fillPartitions(ctx context.Context, w *kafka.Writer, topic string, n int) error {
	var msgs []connector.Message
	for i := range 20 * n {
		msgs = append(msgs, connector.Message{Topic: topic, Key: []byte(fmt.Sprintf("FILLER%06d", i))})
	}
	return w.Publish(ctx, msgs...)
}

// logSize sums the on-disk size of the topic's partitions (DescribeLogDirs).
func (d *Driver) logSize(ctx context.Context, topic string, n int) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.o.Brokers...))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeLogDirsRequest()
	rt := kmsg.NewDescribeLogDirsRequestTopic()
	rt.Topic = topic
	for p := range n {
		rt.Partitions = append(rt.Partitions, int32(p))
	}
	req.Topics = append(req.Topics, rt)
	shards := cl.RequestSharded(ctx, req)
	var total int64
	for _, sh := range shards {
		if sh.Err != nil {
			return 0, sh.Err
		}
		resp := sh.Resp.(*kmsg.DescribeLogDirsResponse)
		for _, dir := range resp.Dirs {
			for _, t := range dir.Topics {
				for _, p := range t.Partitions {
					total += p.Size
				}
			}
		}
	}
	return total, nil
}
