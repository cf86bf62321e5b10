package kafka

import (
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/connector/porttest"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestContract runs the ports' contract (connector/porttest) against the
// Writer and Reader on kfake, or on the broker of KAFKA_BROKERS: the same
// suite internal/memory passes, so unit tests on the in-memory ports hold
// for this adapter.
func TestContract(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Backend {
		cfg := testConfig(t)
		groups := map[string]string{} // the suite's group names, made unique
		return porttest.Backend{
			Publisher: newWriter(t, cfg),
			Topic: func(t *testing.T, base string) string {
				return newTopic(t, kafkatest.Context(t, contractWait), cfg, TopicSpec{Name: base, Partitions: 3})
			},
			Subscribe: func(t *testing.T, group string, topics ...string) (connector.Subscriber, func()) {
				if groups[group] == "" {
					groups[group] = kafkatest.GroupID(t, group)
				}
				r := newReader(t, ReaderConfig{Config: cfg, GroupID: groups[group], Topics: topics})
				return r, func() { _ = r.Close() }
			},
			Written: func(t *testing.T, topic string) []connector.Message {
				return readAll(t, kafkatest.Context(t, contractWait), cfg, topic)
			},
		}
	})
}

// contractWait bounds the topic set-up and reads of the contract.
const contractWait = 30 * time.Second
