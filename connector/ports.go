package connector

import (
	"context"
	"errors"
	"time"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is one record as the pipeline hands it to a Publisher or receives
// it from a Subscriber. Key is the caseId as UTF-8 bytes; a nil Value is a
// tombstone on a compacted topic.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time
}

// Header returns the value of the first header named key, or nil.
func (m *Message) Header(key string) []byte {
	for _, h := range m.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return nil
}

// Publisher writes records durably. Publish returns nil only after every
// message was acknowledged by all in-sync replicas (acks=all); it is safe for
// concurrent use. Messages with the same key keep their order.
type Publisher interface {
	Publish(ctx context.Context, msgs ...Message) error
}

// ErrCodecUnavailable is wrapped by a Codec's error when a record could not
// be encoded or decoded because a dependency (the schema registry) is
// unreachable or failing: the same bytes will work later, so the record
// must be retried, never skipped.
var ErrCodecUnavailable = errors.New("codec dependency unavailable")

// Codec turns events into record values and back. Encode chooses the schema
// from the Go type of v (CaseStatusChanged, CaseResultEvent, Notification,
// CaseState) and frames the bytes for the topic (schema registry or Avro
// single-object encoding).
type Codec interface {
	Encode(ctx context.Context, topic string, v any) ([]byte, error)
	Decode(ctx context.Context, data []byte, v any) error
}

// Ownership is implemented by a Subscriber that knows which cases it
// handles: Owns reports whether the notifications partition of caseID is
// assigned to this replica now. The processor expires state entries only
// for the cases it owns, so that exactly one replica writes the tombstone of
// each entry.
type Ownership interface {
	Owns(caseID string) bool
}
