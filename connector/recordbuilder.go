package connector

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
)

// recordBuilder builds every record the connector writes about a case: the
// processor's events and state, the notifications of the webhook ingress and
// the reconciler, and the binary records. A record is keyed by its caseId
// and carries the CloudEvents headers (EventHeaders) and, except for binary
// records, the trace context of ctx (HeaderCarrier): it is the one place
// that says what a record looks like.
//
// The append methods write into out's spare room, so a record's headers
// never escape on their own (the trace context is injected in place). Each
// record's key shares the bytes of its ce_subject header: both are the
// caseId, and neither is ever written.
type recordBuilder struct {
	clientID string
	codec    Codec
}

// appendEvent appends the record of v with event id id, encoded for topic.
// An encoding error names the CloudEvents type and leaves out unchanged.
func (b recordBuilder) appendEvent(ctx context.Context, out []Message, topic, ceType, id, caseID string, t time.Time, origin Origin, v any) ([]Message, error) {
	val, err := b.codec.Encode(ctx, topic, v)
	if err != nil {
		return out, fmt.Errorf("encode %s: %w", ceType, err)
	}
	hs, key := eventHeaders(ceType, id, nil, b.clientID, caseID, t, origin)
	return b.appendTraced(ctx, out, Message{Topic: topic, Key: key, Value: val, Headers: hs, Time: t}), nil
}

// appendNotification appends the record of notification n, at n.ReceivedAt,
// with a random event id: two notifications of the same case are two
// events. Every webhook pays this path: the id is written straight into
// the headers' buffer, without the string uuid.NewString allocates.
func (b recordBuilder) appendNotification(ctx context.Context, out []Message, topic string, n *Notification, origin Origin) ([]Message, error) {
	val, err := b.codec.Encode(ctx, topic, n)
	if err != nil {
		return out, fmt.Errorf("encode notification: %w", err)
	}
	id := uuid.New()
	hs, key := eventHeaders(TypeNotification, "", &id, b.clientID, n.CaseID, n.ReceivedAt, origin)
	return b.appendTraced(ctx, out, Message{Topic: topic, Key: key, Value: val, Headers: hs, Time: n.ReceivedAt}), nil
}

// appendTraced appends m and injects the trace context of ctx into the
// appended copy's headers.
func (b recordBuilder) appendTraced(ctx context.Context, out []Message, m Message) []Message {
	out = append(out, m)
	otel.GetTextMapPropagator().Inject(ctx, HeaderCarrier{Headers: &out[len(out)-1].Headers})
	return out
}

// appendFile appends the binary record of one file POSTIDENT delivered
// (docs/EVENTS.md, "Binary records"): the file's bytes as the value, the
// CloudEvents headers with the file's MIME type as content-type, and the
// record's own headers. It carries no trace context, as documented.
func (b recordBuilder) appendFile(out []Message, topic, id, caseID string, t time.Time, origin Origin, r *RecordResult, data []byte) []Message {
	h, key := eventHeaders(TypeRecord, id, nil, b.clientID, caseID, t, origin)
	for i := range h {
		if h[i].Key == HeaderContentType {
			h = append(h[:i], h[i+1:]...)
			break
		}
	}
	h = append(h,
		Header{Key: HeaderRecordID, Value: []byte(r.RecordID)},
		Header{Key: HeaderRecordType, Value: []byte(r.Type)},
		Header{Key: HeaderBelongsTo, Value: []byte(r.BelongsTo)},
		Header{Key: HeaderFileName, Value: []byte(r.FileName)},
		Header{Key: HeaderContentType, Value: []byte(r.MimeType)},
		Header{Key: HeaderRecordBytes, Value: []byte(strconv.Itoa(len(data)))},
	)
	return append(out, Message{Topic: topic, Key: key, Value: data, Headers: h, Time: t})
}
