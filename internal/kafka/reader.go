package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// StartOffset says where a consumer group starts on a partition for which it
// has no committed offset yet.
type StartOffset int

const (
	// StartFirst starts at the oldest retained record (the default).
	StartFirst StartOffset = iota
	// StartLast starts after the newest record: only new records are read.
	StartLast
)

// ReaderConfig configures a consumer group Reader. Zero values select the
// defaults named in the comments.
type ReaderConfig struct {
	Config
	// GroupID is the consumer group. Required.
	GroupID string
	// Topics are the topics the group consumes. Required (or Topic).
	Topics []string
	// Topic is a shorthand for a single topic; it is added to Topics.
	Topic string
	// StartOffset applies to partitions without a committed offset. Default
	// StartFirst.
	StartOffset StartOffset
	// MinBytes is how much data a fetch waits for, MaxWait how long it waits
	// at most. Defaults 1 byte and DefaultFetchMaxWait: a record is handed
	// out as soon as it arrives (MinBytes), whatever MaxWait is.
	MinBytes int
	MaxWait  time.Duration
	// MaxBytes caps one fetch response per partition (the broker still sends
	// one batch larger than this). Default Config.MaxMessageBytes.
	MaxBytes int
	// HeartbeatInterval, SessionTimeout and RebalanceTimeout tune group
	// membership. Defaults 1s, 6s, 3s: a replica that crashes is replaced
	// after 6s (the smallest session Kafka accepts by default), and a
	// rebalance is noticed within a second. The rebalance timeout is how
	// long the coordinator waits for every member to rejoin; a member killed
	// while it was joining counts until then, so after a crash storm each
	// round of rebalancing costs this much (10s made it 18-27s after ten
	// kill -9). A kafka-go Reader stops its fetches and rejoins at once, so
	// 3s is ample for live members. SessionTimeout must lie within the
	// broker's group.min/max.session.timeout.ms (Kafka default 6s to 30min).
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
}

func (c ReaderConfig) topics() []string {
	ts := append([]string(nil), c.Topics...)
	if c.Topic != "" {
		ts = append(ts, c.Topic)
	}
	return ts
}

// Validate reports the first configuration problem.
func (c ReaderConfig) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.GroupID == "" {
		return errors.New("kafka: reader needs a consumer group id")
	}
	ts := c.topics()
	if len(ts) == 0 {
		return errors.New("kafka: reader needs at least one topic")
	}
	for _, t := range ts {
		if err := validTopicName(t); err != nil {
			return err
		}
	}
	if c.StartOffset != StartFirst && c.StartOffset != StartLast {
		return fmt.Errorf("kafka: invalid start offset %d", c.StartOffset)
	}
	if c.MinBytes < 0 || c.MaxBytes < 0 || c.MaxWait < 0 || c.HeartbeatInterval < 0 || c.SessionTimeout < 0 || c.RebalanceTimeout < 0 {
		return errors.New("kafka: reader sizes and durations must not be negative")
	}
	return nil
}

// DefaultFetchMaxWait is the MaxWait of every reader of this package.
//
// kafka-go uses MaxWait twice: as the socket read deadline of a fetch, and,
// less an allowance for the round trip, as the fetch's wait on the broker.
// The allowance is a quarter of MaxWait below 1s and 1s from there on. With
// the 100ms this package used before, a fetch had 25ms to come back after
// the broker's wait: on a loaded machine (the fault suite under CPU
// contention) or a broker a few tens of milliseconds away, fetches failed
// with "i/o timeout", again and again at the same offset, and a partition
// with records waiting was never read (a consumer group stalled for
// minutes). 1.5s gives the broker a 500ms wait and the answer a full second
// to arrive; records still go out as soon as they arrive (MinBytes 1), and
// an idle partition costs two fetches a second.
const DefaultFetchMaxWait = 1500 * time.Millisecond

func (c ReaderConfig) withDefaults() ReaderConfig {
	c.Config = c.Config.withDefaults()
	if c.MinBytes == 0 {
		c.MinBytes = 1
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultFetchMaxWait
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = c.MaxMessageBytes
	}
	c.MaxBytes = max(c.MaxBytes, c.MinBytes)
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = time.Second
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 6 * time.Second
	}
	if c.RebalanceTimeout == 0 {
		c.RebalanceTimeout = 3 * time.Second
	}
	return c
}

// Reader consumes topics as a member of a consumer group with explicit
// commits: Fetch a message, handle it, make the result durable, then Commit
// it. Nothing is committed automatically, so a crash re-delivers whatever was
// not committed (at-least-once).
//
// Fetch and Commit may be called from different goroutines; Fetch itself is
// meant for one goroutine (records of one partition come out in order). Close
// is safe to call more than once.
type Reader struct {
	r   *kafkago.Reader
	log kafkago.Logger // nil: discard

	mu  sync.Mutex
	lag map[topicPartition]int64

	closed    atomic.Bool
	closing   context.Context // cancelled by Close: aborts commits in flight
	markClose context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

type topicPartition struct {
	topic     string
	partition int
}

// NewReader validates cfg and starts joining the group in the background;
// the first Fetch waits for the assignment.
//
// Create the topics with EnsureTopics first: kafka-go's group leader asks for
// partition metadata with allow_auto_topic_creation=true, so on a broker with
// auto.create.topics.enable=true (Kafka's default) a missing topic would be
// created with the broker's defaults.
func NewReader(cfg ReaderConfig) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d, err := cfg.dialer()
	if err != nil {
		return nil, err
	}
	start := kafkago.FirstOffset
	if cfg.StartOffset == StartLast {
		start = kafkago.LastOffset
	}
	kcfg := kafkago.ReaderConfig{
		Brokers:     cfg.Brokers,
		GroupID:     cfg.GroupID,
		GroupTopics: cfg.topics(),
		Dialer:      d,
		MinBytes:    cfg.MinBytes,
		MaxBytes:    cfg.MaxBytes,
		MaxWait:     cfg.MaxWait,
		// Explicit, synchronous commits: CommitMessages returns after the
		// coordinator stored the offsets.
		CommitInterval:        0,
		StartOffset:           start,
		HeartbeatInterval:     cfg.HeartbeatInterval,
		SessionTimeout:        cfg.SessionTimeout,
		RebalanceTimeout:      cfg.RebalanceTimeout,
		JoinGroupBackoff:      time.Second,
		ReadBackoffMin:        50 * time.Millisecond,
		ReadBackoffMax:        time.Second,
		ReadLagInterval:       -1, // not available with groups; Lag is computed per message
		WatchPartitionChanges: true,
		MaxAttempts:           3,
		ErrorLogger:           cfg.errorLogger("kafka-reader"),
	}
	if len(kcfg.GroupTopics) == 1 {
		// kafka-go wants Topic for a single-topic group (GroupTopics is for
		// several).
		kcfg.Topic, kcfg.GroupTopics = kcfg.GroupTopics[0], nil
	}
	if err := kcfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: reader config: %w", err)
	}
	closing, markClose := context.WithCancel(context.Background())
	return &Reader{
		r:         kafkago.NewReader(kcfg),
		log:       kcfg.ErrorLogger,
		lag:       map[topicPartition]int64{},
		closing:   closing,
		markClose: markClose,
	}, nil
}

// Fetch blocks until the next record of an assigned partition is available
// and returns it with Topic, Partition, Offset and Time set. A tombstone has a
// nil Value. After Close, Fetch returns an error wrapping ErrClosed and
// io.EOF.
//
// Transient group errors (coordinator moving or still loading, rebalance in
// progress), which kafka-go reports after three failed attempts to join,
// are not returned: the reader keeps rejoining and Fetch keeps waiting. This
// is routine on a fresh cluster, whose offsets topic is created on first use.
func (r *Reader) Fetch(ctx context.Context) (connector.Message, error) {
	var m kafkago.Message
	backoff := 100 * time.Millisecond
	for {
		// kafka-go's Reader hands out records still buffered after Close;
		// refuse them, the next owner re-reads them anyway.
		if r.closed.Load() {
			return connector.Message{}, fmt.Errorf("kafka: fetch: %w: %w", ErrClosed, io.EOF)
		}
		var err error
		m, err = r.r.FetchMessage(ctx)
		if err == nil {
			break
		}
		if transientGroupError(err) && ctx.Err() == nil {
			if r.log != nil {
				r.log.Printf("consumer group not ready, still trying: %v", err)
			}
			continue
		}
		if errors.Is(err, io.EOF) && r.closed.Load() { // closed concurrently
			return connector.Message{}, fmt.Errorf("kafka: fetch: %w: %w", ErrClosed, err)
		}
		// A broker restarting or unreachable for a moment is no reason to
		// give up (the fault suite saw the connector exit on a short
		// outage): kafka-go reconnects and rejoins the group in the
		// background; keep waiting, as for a rebalance.
		if (IsRetryable(err) || errors.Is(err, io.EOF)) && ctx.Err() == nil {
			if r.log != nil {
				r.log.Printf("kafka unreachable, still trying in %s: %v", backoff, err)
			}
			select {
			case <-ctx.Done():
				return connector.Message{}, fmt.Errorf("kafka: fetch: %w", ctx.Err())
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		return connector.Message{}, fmt.Errorf("kafka: fetch: %w", err)
	}
	if m.HighWaterMark > 0 {
		r.mu.Lock()
		r.lag[topicPartition{m.Topic, m.Partition}] = max(m.HighWaterMark-m.Offset-1, 0)
		r.mu.Unlock()
	}
	return fromKafkaMessage(m), nil
}

// transientGroupError reports errors that kafka-go's group membership
// recovers from by rejoining.
func transientGroupError(err error) bool {
	var kerr kafkago.Error
	return errors.As(err, &kerr) && (kerr.Temporary() || kerr == kafkago.RebalanceInProgress)
}

func fromKafkaMessage(m kafkago.Message) connector.Message {
	return connector.Message{
		Topic:     m.Topic,
		Partition: m.Partition,
		Offset:    m.Offset,
		Key:       m.Key,
		Value:     m.Value,
		Headers:   fromKafkaHeaders(m.Headers),
		Time:      m.Time,
	}
}

// Commit stores, for each partition among msgs, the offset after the highest
// message as the group's position, and returns once the coordinator accepted
// it. Committing a message commits every earlier one of its partition. A
// commit fails after a rebalance moved the partition away; the new owner then
// re-reads from the last committed offset.
func (r *Reader) Commit(ctx context.Context, msgs ...connector.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	// kafka-go accepts a commit after Close into its queue and then waits
	// for an answer that never comes (until ctx ends).
	if r.closed.Load() {
		return fmt.Errorf("kafka: commit: %w: %w", ErrClosed, io.ErrClosedPipe)
	}
	km := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		if m.Topic == "" {
			return fmt.Errorf("kafka: commit: message %d has no topic", i)
		}
		km[i] = kafkago.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
	}
	// A commit queued just before Close is never answered either.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(r.closing, cancel)
	defer stop()
	if err := r.r.CommitMessages(cctx, km...); err != nil {
		if r.closing.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("kafka: commit: %w: %w", ErrClosed, io.ErrClosedPipe)
		}
		if errors.Is(err, io.ErrClosedPipe) {
			return fmt.Errorf("kafka: commit: %w: %w", ErrClosed, err)
		}
		return fmt.Errorf("kafka: commit: %w", err)
	}
	return nil
}

// Lag returns, best effort, how many records the reader is behind: the sum
// over partitions of the high watermark seen with the last fetched record
// minus that record's offset. It is 0 before the first Fetch and does not
// forget partitions lost in a rebalance, so use it for metrics and logs, not
// for decisions.
func (r *Reader) Lag() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sum int64
	for _, l := range r.lag {
		sum += l
	}
	return sum
}

// Close leaves the group (so the partitions move to other members at once,
// not after the session timeout) and releases the connections. Uncommitted
// records are re-delivered to the next owner. Close is safe to call more than
// once.
func (r *Reader) Close() error {
	r.closed.Store(true)
	r.markClose()
	r.closeOnce.Do(func() {
		if err := r.r.Close(); err != nil {
			r.closeErr = fmt.Errorf("kafka: close reader: %w", err)
		}
	})
	return r.closeErr
}
