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
		n.ReferenceID = &referenceID
	}
	val, err := i.Codec.Encode(ctx, i.Topic, n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	m := Message{Topic: i.Topic, Key: []byte(caseID), Value: val, Time: receivedAt,
		Headers: EventHeaders(TypeNotification, uuid.NewString(), i.ClientID, caseID, receivedAt, OriginWebhook)}
	otel.GetTextMapPropagator().Inject(ctx, HeaderCarrier{Headers: &m.Headers})
	return i.Pub.Publish(ctx, m)
}
