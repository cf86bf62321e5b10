package memory_test

import (
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/connector/porttest"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// TestContract runs the ports' contract against the in-memory Publisher
// and Subscriber (internal/kafka runs the same suite on a broker).
func TestContract(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Backend {
		pub := &memory.Publisher{}
		return porttest.Backend{
			Publisher: pub,
			Topic:     func(t *testing.T, base string) string { return base + "-" + t.Name() },
			Subscribe: func(_ *testing.T, group string, topics ...string) (connector.Subscriber, func()) {
				s := pub.Subscribe(group, topics...)
				return s, func() { _ = s.Close() }
			},
			Written: func(_ *testing.T, topic string) []connector.Message { return pub.Records(topic) },
		}
	})
}
