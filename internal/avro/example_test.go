package avro_test

import (
	"context"
	"fmt"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
)

// Without a registry the codec writes Avro single-object encoding: the
// magic 0xC3 0x01, the schema's CRC-64-AVRO fingerprint, then the record.
func ExampleCodec() {
	ctx := context.Background()
	c, err := avro.New(avro.Config{}) // RegistryURL: "http://registry:8081" for the Confluent format
	if err != nil {
		panic(err)
	}
	n := &connector.Notification{CaseID: "YR9W91GEZK24", Origin: string(connector.OriginWebhook)}
	data, err := c.Encode(ctx, "postident.notifications.v1", n)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", data[:2])

	var back connector.Notification
	if err := c.Decode(ctx, data, &back); err != nil {
		panic(err)
	}
	fmt.Println(back.CaseID, back.Origin)
	// Output:
	// c3 01
	// YR9W91GEZK24 webhook
}
