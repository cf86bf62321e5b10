package kafka

import (
	"context"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// follower reads every partition of one topic from its first offset for as
// long as it runs, without a consumer group, and hands each record to apply
// in offset order per partition. It remembers how far it got on each
// partition, so that caughtUp can tell whether everything written before a
// given moment has been applied.
//
// The group subscriber uses it to keep a full copy of the state topic in
// every processor replica (see GroupSubscriber); Follow exposes it for
// other compacted topics (the dead-letter topic).
type follower struct {
	cfg   Config
	d     *kafkago.Dialer
	topic string
	apply func(connector.Message)
	// skip reports whether a record is to be left out (the owner's own
	// writes, already in memory; see GroupSubscriber.ownWrite).
	skip func(connector.Message) bool
	log  kafkago.Logger

	mu  sync.Mutex
	pos map[int]int64 // next offset to read per partition
	// moved is closed and replaced whenever pos changes: waiters re-check.
	moved   chan struct{}
	applied int64
	wg      sync.WaitGroup
}

func newFollower(cfg Config, d *kafkago.Dialer, topic string, apply func(connector.Message), skip func(connector.Message) bool) *follower {
	return &follower{cfg: cfg, d: d, topic: topic, apply: apply, skip: skip, log: cfg.errorLogger("kafka-follower"),
		pos: map[int]int64{}, moved: make(chan struct{})}
}

// start looks the partitions up (retrying until ctx ends) and starts one
// reader per partition; they stop when ctx ends (wait for them with stop).
func (f *follower) start(ctx context.Context) error {
	var parts []kafkago.Partition
	if err := retryFast(ctx, func() error {
		ps, err := partitionsOf(ctx, f.cfg, f.topic)
		if err != nil {
			if f.log != nil {
				f.log.Printf("follower: partitions of %s, will retry: %v", f.topic, err)
			}
			return err
		}
		parts = ps[f.topic]
		return nil
	}); err != nil {
		return fmt.Errorf("kafka: follow %s: %w", f.topic, err)
	}
	for _, p := range parts {
		f.mu.Lock()
		f.pos[p.ID] = 0
		f.mu.Unlock()
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: f.cfg.Brokers, Topic: f.topic, Partition: p.ID, Dialer: f.d,
			MinBytes: 1, MaxBytes: max(f.cfg.MaxMessageBytes, 1<<20), MaxWait: DefaultFetchMaxWait,
			ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
			StartOffset: kafkago.FirstOffset, ErrorLogger: f.log,
		})
		f.wg.Go(func() {
			defer r.Close()
			f.read(ctx, r, p.ID)
		})
	}
	return nil
}

func (f *follower) read(ctx context.Context, r *kafkago.Reader, partition int) {
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// kafka-go retries fetches itself; what reaches here is rare
			// (offset out of range after retention): keep going.
			if f.log != nil {
				f.log.Printf("follower %s/%d: %v", f.topic, partition, err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		cm := fromKafkaMessage(m)
		if f.skip == nil || !f.skip(cm) {
			f.apply(cm)
		}
		f.mu.Lock()
		f.pos[partition] = m.Offset + 1
		f.applied++
		close(f.moved)
		f.moved = make(chan struct{})
		f.mu.Unlock()
	}
}

// waitFor blocks until, on every partition of ends, the follower has read
// every record below the given end offset (a partition whose first retained
// offset is already its end counts as read), or ctx ends.
func (f *follower) waitFor(ctx context.Context, ends map[int]partitionRange) error {
	for {
		f.mu.Lock()
		moved := f.moved
		behind := false
		for p, r := range ends {
			if r.end > r.first && f.pos[p] < r.end {
				behind = true
				break
			}
		}
		f.mu.Unlock()
		if !behind {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-moved:
		}
	}
}

func (f *follower) stop() { f.wg.Wait() }

// followLookupTimeout bounds Follow's look-up of the topic's partitions.
const followLookupTimeout = 30 * time.Second

// Follow reads every partition of topic from its first offset for as long
// as ctx lasts and hands each record to apply, in offset order per
// partition (partitions concurrently: apply must be safe for that). It
// returns once every record written before the call has been applied, so
// the caller starts from the whole topic and then stays current with what
// other processes write. After ctx ends, stop waits for the readers.
func Follow(ctx context.Context, cfg Config, topic string, apply func(connector.Message)) (stop func(), err error) {
	kc, err := cfg.prepare()
	if err != nil {
		return func() {}, err
	}
	d, err := kc.dialer()
	if err != nil {
		return func() {}, err
	}
	// A missing topic or an unreachable broker is an error at start, not
	// a start that never ends.
	lctx, cancel := context.WithTimeout(ctx, followLookupTimeout)
	defer cancel()
	var ends map[int]partitionRange
	if err := retryFast(lctx, func() (err error) {
		ends, err = topicRanges(lctx, kc, topic)
		return err
	}); err != nil {
		return func() {}, fmt.Errorf("kafka: follow %s: %w", topic, err)
	}
	f := newFollower(kc, d, topic, apply, nil)
	if err := f.start(ctx); err != nil {
		return f.stop, err
	}
	if err := f.waitFor(ctx, ends); err != nil {
		return f.stop, fmt.Errorf("kafka: follow %s: %w", topic, err)
	}
	return f.stop, nil
}

// partitionRange is a partition's first retained offset and its end (the
// offset the next record will get).
type partitionRange struct{ first, end int64 }

// topicRanges asks the partition leaders for the first and end offsets of
// every partition of topic (ListOffsets through the Client API, which
// negotiates versions Kafka 4 still serves).
func topicRanges(ctx context.Context, cfg Config, topic string) (map[int]partitionRange, error) {
	parts, err := partitionsOf(ctx, cfg, topic)
	if err != nil {
		return nil, err
	}
	a, err := newAdmin(cfg)
	if err != nil {
		return nil, err
	}
	defer a.close()
	var reqs []kafkago.OffsetRequest
	for _, p := range parts[topic] {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	res, err := a.c.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := map[int]partitionRange{}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = partitionRange{first: po.FirstOffset, end: po.LastOffset}
	}
	if len(out) != len(parts[topic]) {
		return nil, fmt.Errorf("list offsets of %s: %d of %d partitions answered", topic, len(out), len(parts[topic]))
	}
	return out, nil
}
