package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/schemas"
)

// TestProcessorRegistryOutage: notifications written in the Confluent wire
// format cannot be decoded while the schema registry answers 503. That is
// not a malformed notification: HandleBatch fails (the batch is retried and
// stays uncommitted) instead of skipping it, and once the registry is back
// the case is handled. Before, such notifications were skipped for good and
// only a later reconcile run found the cases.
func TestProcessorRegistryOutage(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(2, 100)
	var up atomic.Bool
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() || r.URL.Path != "/schemas/ids/7" {
			http.Error(w, `{"error_code":50001,"message":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		_ = json.NewEncoder(w).Encode(map[string]string{"schema": schemas.Source(schemas.NameNotification)})
	}))
	defer reg.Close()
	codec, err := avro.New(avro.Config{RegistryURL: reg.URL})
	if err != nil {
		t.Fatal(err)
	}
	// The webhook's notifications, as a registry-backed writer frames them:
	// magic byte, schema id 7, the Avro body.
	var msgs []connector.Message
	for _, m := range e.webhooksNow(ids) {
		v := append([]byte{0, 0, 0, 0, 7}, m.Value[10:]...) // single-object header is 10 bytes
		msgs = append(msgs, connector.Message{Topic: m.Topic, Key: m.Key, Value: v})
	}
	pub := &memory.Publisher{}
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics, RetryBudget: 300 * time.Millisecond},
		e.src, pub, splitCodec{enc: e.codec, dec: codec}, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.HandleBatch(e.ctx, msgs); !errors.Is(err, connector.ErrCodecUnavailable) {
		t.Fatalf("registry down: HandleBatch = %v, want ErrCodecUnavailable", err)
	}
	if pub.Count() != 0 {
		t.Fatalf("published %d records while the notifications could not be read", pub.Count())
	}
	up.Store(true)
	if err := p.HandleBatch(e.ctx, msgs); err != nil {
		t.Fatalf("registry back: %v", err)
	}
	if n := len(pub.Keys(e.topics.Result)); n != len(ids) {
		t.Errorf("%d results after the registry came back, want %d", n, len(ids))
	}
}

// splitCodec reads notifications through the registry-backed codec under
// test and writes events with the plain one, so that only decoding meets
// the outage.
type splitCodec struct{ enc, dec connector.Codec }

func (c splitCodec) Encode(ctx context.Context, topic string, v any) ([]byte, error) {
	return c.enc.Encode(ctx, topic, v)
}

func (c splitCodec) Decode(ctx context.Context, data []byte, v any) error {
	return c.dec.Decode(ctx, data, v)
}
