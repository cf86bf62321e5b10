package connector

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
)

// Ingest turns an accepted webhook call into a notification record. It is
// what the webhook ingress hands each call to: Notify returns nil only once
// Kafka has acknowledged the record, so a 200 to POSTIDENT means the
// notification is durable.
type Ingest struct {
	ClientID string
	Topic    string
	Pub      Publisher
	Codec    Codec
}

// Notify records that POSTIDENT reported a change of caseID.
func (i *Ingest) Notify(ctx context.Context, caseID, referenceID string, receivedAt time.Time) error {
	n := &Notification{CaseID: caseID, Origin: string(OriginWebhook), ReceivedAt: receivedAt}
	if referenceID != "" {
		ref := referenceID // only now does a copy go to the heap
		n.ReferenceID = &ref
	}
	val, err := i.Codec.Encode(ctx, i.Topic, n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	// Every webhook pays this path, so it allocates little: the ce_id is
	// written straight into the headers' buffer, the key shares the
	// ce_subject bytes, and the trace context goes into the message of the
	// one-element slice Publish gets anyway.
	id := uuid.New()
	hs, key := eventHeaders(TypeNotification, "", &id, i.ClientID, caseID, receivedAt, OriginWebhook)
	msgs := []Message{{Topic: i.Topic, Key: key, Value: val, Time: receivedAt, Headers: hs}}
	otel.GetTextMapPropagator().Inject(ctx, HeaderCarrier{Headers: &msgs[0].Headers})
	return i.Pub.Publish(ctx, msgs...)
}
