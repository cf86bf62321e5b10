package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// ErrClosed is wrapped by the errors of Writer.Publish, Reader.Fetch and
// Reader.Commit after Close.
var ErrClosed = errors.New("closed")

var _ connector.Publisher = (*Writer)(nil)

// Writer publishes records synchronously with acks=all. It is one kafka-go
// Writer for all topics (each message names its topic), shared by every
// goroutine: concurrent Publish calls are coalesced per partition into produce
// batches (up to Config.BatchSize messages, or whatever arrived within
// Config.BatchTimeout), so a hundred webhooks in flight cost a few broker round
// trips, not a hundred.
//
// Partitioning is Java-compatible: murmur2 of the key modulo the partition
// count (kafka-go's Murmur2Balancer), the same partition the Java client's
// default partitioner and librdkafka's "murmur2_random" pick, so records of one
// caseId land on one partition whoever writes them.
//
// A Writer is safe for concurrent use. Close flushes and is safe to call more
// than once.
type Writer struct {
	w  *kafkago.Writer
	tr *kafkago.Transport

	mu     sync.RWMutex // guards closed against Publish racing Close
	closed bool
}

// NewWriter validates cfg and returns a Writer. It does not contact the
// cluster; the first Publish does (use Ping for readiness).
func NewWriter(cfg Config) (*Writer, error) {
	cfg, err := cfg.prepare()
	if err != nil {
		return nil, err
	}
	tr, err := cfg.transport()
	if err != nil {
		return nil, err
	}
	return &Writer{tr: tr, w: &kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Balancer:     &kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll,
		Async:        false,
		BatchTimeout: cfg.BatchTimeout,
		BatchSize:    cfg.BatchSize,
		BatchBytes:   int64(cfg.MaxMessageBytes),
		// Topics are created by EnsureTopics with the right cleanup policy;
		// an auto-created topic would silently get the broker defaults.
		AllowAutoTopicCreation: false,
		// kafka-go retries a failed batch with backoff; the caller's ctx still
		// bounds how long Publish waits for the outcome.
		MaxAttempts:     5,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		Transport:       tr,
		ErrorLogger:     cfg.errorLogger("kafka-writer"),
	}}, nil
}

// Publish writes msgs and returns nil only after the broker acknowledged every
// one with acks=all. Each message needs a Topic; Partition and Offset are
// ignored (the key decides the partition). A nil Value is written as a null
// value, a tombstone on compacted topics.
//
// Messages with the same key keep their order within one call, and across
// calls when the caller waits for one Publish before the next. When ctx ends
// first Publish returns ctx's error, and the messages may or may not have been
// written: publish again (consumers de-duplicate by ce_id).
func (w *Writer) Publish(ctx context.Context, msgs ...connector.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	kmsgs := make([]kafkago.Message, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		if m.Topic == "" {
			return fmt.Errorf("kafka: publish: message %d has no topic", i)
		}
		kmsgs[i] = kafkago.Message{
			Topic:   m.Topic,
			Key:     m.Key,
			Value:   m.Value,
			Headers: toKafkaHeaders(m.Headers),
			Time:    m.Time,
		}
	}

	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return fmt.Errorf("kafka: publish: %w", ErrClosed)
	}

	// kafka-go answers from its metadata cache and fails at once when a topic
	// is missing there; a topic created a moment ago by another process shows
	// up at the cache's next refresh (at most a second, see transport).
	// Retry that one error for a few seconds.
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := w.w.WriteMessages(ctx, kmsgs...)
		if err == nil {
			return nil
		}
		if !errors.Is(err, kafkago.UnknownTopicOrPartition) || attempt == 5 || ctx.Err() != nil {
			return publishError(err, len(msgs))
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("kafka: publish: %w", ctx.Err())
		case <-t.C:
		}
		backoff *= 2
	}
}

// publishError summarizes kafka-go's per-message WriteErrors without repeating
// the same error n times (and without keys or values, which may identify a
// person).
func publishError(err error, n int) error {
	var tooLarge kafkago.MessageTooLargeError
	if errors.Is(err, kafkago.MessageSizeTooLarge) || errors.As(err, &tooLarge) {
		// One class for the broker's [10] and kafka-go's own check against
		// BatchBytes: the record must be made smaller, not sent again.
		err = fmt.Errorf("%w: %w", connector.ErrRecordTooLarge, err)
	}
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		var first error
		failed := 0
		for _, e := range werrs {
			if e != nil {
				failed++
				if first == nil {
					first = e
				}
			}
		}
		if first != nil {
			if errors.Is(err, connector.ErrRecordTooLarge) && !errors.Is(first, connector.ErrRecordTooLarge) {
				first = fmt.Errorf("%w: %w", connector.ErrRecordTooLarge, first)
			}
			return fmt.Errorf("kafka: publish: %d of %d messages failed: %w", failed, n, first)
		}
	}
	if errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("kafka: publish: %w", ErrClosed)
	}
	return fmt.Errorf("kafka: publish: %w", err)
}

// Close flushes pending batches, waits for their acknowledgements and releases
// connections. Publish calls after Close fail with ErrClosed. Close is safe to
// call more than once and concurrently with Publish (it waits for Publish
// calls in flight).
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	err := w.w.Close()
	// The transport is ours, not kafka-go's: close its connections (and
	// their goroutines) too.
	w.tr.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafka: close writer: %w", err)
	}
	return nil
}

// Stats returns kafka-go's counters since the last call (batches, retries,
// errors), for metrics.
func (w *Writer) Stats() kafkago.WriterStats { return w.w.Stats() }

func toKafkaHeaders(hs []connector.Header) []kafkago.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kafkago.Header, len(hs))
	for i, h := range hs {
		out[i] = kafkago.Header{Key: h.Key, Value: h.Value}
	}
	return out
}

func fromKafkaHeaders(hs []kafkago.Header) []connector.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]connector.Header, len(hs))
	for i, h := range hs {
		out[i] = connector.Header{Key: h.Key, Value: h.Value}
	}
	return out
}

// IsRetryable reports whether err is worth retrying later: a timeout, a
// network failure, or a Kafka error the protocol marks retriable (leader
// moved, not enough replicas, coordinator loading...). Configuration and
// authorization errors, oversize messages and ErrClosed are not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrClosed) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		return kerr.Temporary() || kerr.Timeout()
	}
	var tooLarge kafkago.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return false
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return true
	}
	var ne interface{ Temporary() bool }
	if errors.As(err, &ne) && ne.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || isNetErr(err)
}

func isNetErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}
