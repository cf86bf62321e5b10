package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestSASL runs the adapters against a kfake listener that requires SASL
// (kfake only: a real broker with SASL needs a different setup).
func TestSASL(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	c := kafkatest.Fake(t,
		kfake.EnableSASL(),
		kfake.Superuser(SASLPlain, "connector", "plain-secret"),
		kfake.Superuser(SASLScramSHA256, "connector", "scram-256-secret"),
		kfake.Superuser(SASLScramSHA512, "connector", "scram-512-secret"),
	)
	tests := []struct {
		mechanism, password string
	}{
		{SASLPlain, "plain-secret"},
		{SASLScramSHA256, "scram-256-secret"},
		{SASLScramSHA512, "scram-512-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.mechanism, func(t *testing.T) {
			cfg := Config{Brokers: c.ListenAddrs(), SASL: SASL{Mechanism: tt.mechanism, Username: "connector", Password: tt.password}}
			if err := Ping(ctx, cfg); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			topic := newTopic(t, ctx, cfg, TopicSpec{Name: "sasl", Partitions: 1})
			w := newWriter(t, cfg)
			if err := w.Publish(ctx, msg(topic, "k", "v")); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got := readAll(t, ctx, cfg, topic); len(got) != 1 {
				t.Fatalf("ReadAll: %d records", len(got))
			}
			r := newReader(t, ReaderConfig{Config: cfg, GroupID: kafkatest.GroupID(t, "sasl"), Topic: topic})
			m, err := r.Fetch(ctx)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if err := r.Commit(ctx, m); err != nil {
				t.Fatalf("Commit: %v", err)
			}

			bad := cfg
			bad.SASL.Password = "wrong"
			err = Ping(ctx, bad)
			if err == nil {
				t.Fatal("Ping with a wrong password succeeded")
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}
