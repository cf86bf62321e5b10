package avro_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
)

// TestRegistryOutageIsNotMalformed: a record that names a schema id the
// codec has not seen cannot be decoded while the registry is unreachable or
// answers 5xx; that is connector.ErrCodecUnavailable (retry), unlike bytes
// that are malformed (skip), or an id the registry does not know.
func TestRegistryOutageIsNotMalformed(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	writer := newCodec(t, avro.Config{RegistryURL: reg.URL, AutoRegister: true})
	data, err := writer.Encode(ctx, "postident.notifications.v1", avrotest.Notification())
	if err != nil {
		t.Fatal(err)
	}

	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // connection refused from now on
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error_code":50001,"message":"store unavailable"}`, http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	for name, url := range map[string]string{"unreachable": downURL, "5xx": failing.URL} {
		reader := newCodec(t, avro.Config{RegistryURL: url})
		var n connector.Notification
		if err := reader.Decode(ctx, data, &n); !errors.Is(err, connector.ErrCodecUnavailable) {
			t.Errorf("%s registry: %v, want ErrCodecUnavailable", name, err)
		}
		if err := reader.Decode(ctx, []byte{0x07, 1, 2}, &n); err == nil || errors.Is(err, connector.ErrCodecUnavailable) {
			t.Errorf("%s registry, malformed bytes: %v, want a plain decoding error", name, err)
		}
	}
	// The registry answers, and does not know the id: not an outage.
	reader := newCodec(t, avro.Config{RegistryURL: reg.URL})
	unknown := append([]byte{0, 0, 0, 0x7f, 0x7f}, data[5:]...)
	var n connector.Notification
	if err := reader.Decode(ctx, unknown, &n); err == nil || errors.Is(err, connector.ErrCodecUnavailable) {
		t.Errorf("unknown schema id: %v, want a plain error", err)
	}
}
