package connector

import (
	"context"
	"time"
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
	// Every webhook pays this path, so it allocates little (see
	// recordBuilder.appendNotification); the trace context goes into the
	// message of the one-element slice Publish gets anyway.
	msgs, err := recordBuilder{clientID: i.ClientID, codec: i.Codec}.appendNotification(ctx, make([]Message, 0, 1), i.Topic, n, OriginWebhook)
	if err != nil {
		return err
	}
	return i.Pub.Publish(ctx, msgs...)
}
