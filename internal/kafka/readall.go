package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// readAllBatchTimeout bounds one fetch round trip in ReadAll.
const readAllBatchTimeout = 10 * time.Second

// ReadOption changes how ReadAll hands records to fn.
type ReadOption func(*readOptions)

type readOptions struct {
	concurrentFn bool
}

// ConcurrentPartitions lets ReadAll call fn concurrently for different
// partitions. Calls for one partition stay serialised and in offset order,
// so the records of one key (one partition) still arrive one after another
// in the order they were written; fn must be safe for concurrent use across
// partitions. connector.State.Apply is. This is what makes a state reload
// scale with cores: decoding is most of its work.
func ConcurrentPartitions() ReadOption {
	return func(o *readOptions) { o.concurrentFn = true }
}

// ReadAll reads topic from the beginning to where it ended when ReadAll
// started, without a consumer group, and calls fn for each record. Records
// written after the start are not included. Use it to load state from a
// compacted topic or to replay one.
//
// The partitions are read concurrently, at most GOMAXPROCS at a time. The
// records of one partition reach fn in offset order; those of different
// partitions interleave. By default fn is never called concurrently (ReadAll
// serialises the calls), so fn may update plain maps and counters. With
// ConcurrentPartitions, fn is serialised per partition only and may run
// concurrently for different partitions. Either way every call has returned
// when ReadAll returns.
//
// Compaction leaves gaps in the offsets (and may remove the last records of a
// batch); ReadAll steps over them, so it ends even when the last offset below
// the high watermark no longer exists. An error from fn stops the read of
// every partition and is returned as is (wrapped); so is the first error
// reading any partition.
func ReadAll(ctx context.Context, cfg Config, topic string, fn func(connector.Message) error, opts ...ReadOption) error {
	var o readOptions
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := cfg.prepare()
	if err != nil {
		return err
	}
	if err := validTopicName(topic); err != nil {
		return err
	}
	d, err := cfg.dialer()
	if err != nil {
		return err
	}
	parts, err := partitionsOf(ctx, cfg, topic)
	if err != nil {
		return fmt.Errorf("kafka: read %s: %w", topic, err)
	}
	ps := parts[topic]
	workers := min(runtime.GOMAXPROCS(0), len(ps))
	if workers <= 1 {
		for _, p := range ps {
			if err := readPartition(ctx, d, cfg, p, fn); err != nil {
				return err
			}
		}
		return nil
	}
	call := fn
	if !o.concurrentFn {
		var mu sync.Mutex
		call = func(m connector.Message) error {
			mu.Lock()
			defer mu.Unlock()
			return fn(m)
		}
	}
	// The first failure (fn's error, or a partition that cannot be read)
	// cancels the others; their cancellation errors say nothing new.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ps) {
					return
				}
				if err := readPartition(rctx, d, cfg, ps[i], call); err != nil {
					once.Do(func() { first = err })
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// partitionRead is the progress of ReadAll on one partition; it survives
// reconnects so a retry neither re-delivers records nor moves the end.
type partitionRead struct {
	topic  string
	id     int
	offset int64 // next offset to read; -1 until known
	end    int64 // high watermark when the read started; -1 until known
	// leader is the partition's metadata for the next attempt; nil: look
	// it up afresh (leadership may have moved since the last failure).
	leader *kafkago.Partition
}

// readPartition reads one partition, reconnecting with backoff on errors
// Kafka marks as temporary (a topic created a moment ago has no leader yet;
// leadership moves) and on network errors.
func readPartition(ctx context.Context, d *kafkago.Dialer, cfg Config, p kafkago.Partition, fn func(connector.Message) error) error {
	pr := &partitionRead{topic: p.Topic, id: p.ID, offset: -1, end: -1, leader: &p}
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := pr.read(ctx, d, cfg, fn)
		if err == nil || errors.Is(err, errStop) {
			if err != nil {
				return errors.Unwrap(err)
			}
			return nil
		}
		if ctx.Err() != nil || attempt == 10 || !retryableRead(err) {
			return ctxErr(ctx, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctxErr(ctx, err)
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

func retryableRead(err error) bool {
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		return kerr.Temporary()
	}
	return IsRetryable(err)
}

func (pr *partitionRead) read(ctx context.Context, d *kafkago.Dialer, cfg Config, fn func(connector.Message) error) error {
	leader := pr.leader
	pr.leader = nil // a retry looks the leader up again
	if leader == nil {
		parts, err := partitionsOf(ctx, cfg, pr.topic)
		if err != nil {
			return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, err)
		}
		for i, p := range parts[pr.topic] {
			if p.ID == pr.id {
				leader = &parts[pr.topic][i]
			}
		}
	}
	switch {
	case leader == nil:
		return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, kafkago.UnknownTopicOrPartition)
	case leader.Error != nil:
		return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, leader.Error)
	case leader.Leader.Host == "":
		return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, kafkago.LeaderNotAvailable)
	}
	conn, err := d.DialPartition(ctx, "tcp", "", *leader)
	if err != nil {
		return fmt.Errorf("kafka: read %s/%d: dial leader: %w", pr.topic, pr.id, err)
	}
	defer conn.Close()
	// Conn has no context: closing it unblocks a read when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	if err := conn.SetDeadline(deadline(ctx, readAllBatchTimeout)); err != nil {
		return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, err)
	}
	if pr.end < 0 {
		first, end, err := conn.ReadOffsets()
		if err != nil {
			return fmt.Errorf("kafka: read %s/%d: offsets: %w", pr.topic, pr.id, err)
		}
		pr.offset, pr.end = first, end
	}
	for pr.offset < pr.end {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, err)
		}
		if _, err := conn.Seek(pr.offset, kafkago.SeekAbsolute); err != nil {
			return fmt.Errorf("kafka: read %s/%d: seek: %w", pr.topic, pr.id, err)
		}
		if err := conn.SetDeadline(deadline(ctx, readAllBatchTimeout)); err != nil {
			return fmt.Errorf("kafka: read %s/%d: %w", pr.topic, pr.id, err)
		}
		batch := conn.ReadBatchWith(kafkago.ReadBatchConfig{MinBytes: 1, MaxBytes: max(cfg.MaxMessageBytes, 1<<20)})
		next, done, err := drainBatch(batch, pr.offset, pr.end, fn)
		if cerr := batch.Close(); err == nil && cerr != nil && !errors.Is(cerr, io.EOF) {
			err = cerr
		}
		switch {
		case err == nil:
		case errors.Is(err, kafkago.OffsetOutOfRange):
			// Retention deleted the start of the log while we were reading:
			// continue from the new first offset.
			first, err := conn.ReadFirstOffset()
			if err != nil {
				return fmt.Errorf("kafka: read %s/%d: offsets: %w", pr.topic, pr.id, err)
			}
			if first <= pr.offset {
				return fmt.Errorf("kafka: read %s/%d: offset %d out of range", pr.topic, pr.id, pr.offset)
			}
			pr.offset = first
			continue
		case errors.Is(err, errStop):
			return err
		default:
			if next > pr.offset {
				pr.offset = next // records before next were delivered
			}
			return fmt.Errorf("kafka: read %s/%d at offset %d: %w", pr.topic, pr.id, pr.offset, err)
		}
		if done || next <= pr.offset {
			// done: end reached. No progress: nothing at or after offset
			// below end is readable, the tail of the range holds only
			// records that compaction or an aborted transaction removed.
			pr.offset = pr.end
			return nil
		}
		pr.offset = next
	}
	return nil
}

// errStop wraps an error returned by the caller's fn.
var errStop = errors.New("stopped by callback")

type stopError struct{ err error }

func (e stopError) Error() string        { return e.err.Error() }
func (e stopError) Unwrap() error        { return e.err }
func (e stopError) Is(target error) bool { return target == errStop }

// drainBatch hands every record in [offset, end) of batch to fn. It returns
// the next offset to fetch (kafka-go's Batch skips offsets that compaction
// removed at the end of a record batch), and done when end was reached.
func drainBatch(batch *kafkago.Batch, offset, end int64, fn func(connector.Message) error) (next int64, done bool, err error) {
	for {
		m, err := batch.ReadMessage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return batch.Offset(), batch.Offset() >= end, nil
			}
			return batch.Offset(), false, err
		}
		if m.Offset < offset {
			continue // the broker returns whole batches, possibly starting earlier
		}
		if m.Offset >= end {
			return m.Offset, true, nil
		}
		if err := fn(fromKafkaMessage(m)); err != nil {
			return m.Offset, false, stopError{fmt.Errorf("kafka: read %s/%d at offset %d: %w", m.Topic, m.Partition, m.Offset, err)}
		}
	}
}

func deadline(ctx context.Context, d time.Duration) time.Time {
	dl := time.Now().Add(d)
	if c, ok := ctx.Deadline(); ok && c.Before(dl) {
		return c
	}
	return dl
}

// ctxErr prefers ctx's error when ctx ended, since the connection error it
// caused (closed connection, timeout) says less.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}
