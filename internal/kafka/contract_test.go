package kafka

import (
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/connector/porttest"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// contractWait bounds the topic set-up and reads of the contract.
const contractWait = 30 * time.Second

// contractBackend is the Writer on this test's broker with subscribers
// from join, which gets the suite's group name made unique.
func contractBackend(t *testing.T, join func(t *testing.T, cfg Config, group string, topics []string) (connector.Subscriber, func())) porttest.Backend {
	cfg := testConfig(t)
	groups := map[string]string{}
	return porttest.Backend{
		Publisher: newWriter(t, cfg),
		Topic: func(t *testing.T, base string) string {
			return newTopic(t, kafkatest.Context(t, contractWait), cfg, TopicSpec{Name: base, Partitions: 3})
		},
		Subscribe: func(t *testing.T, group string, topics ...string) (connector.Subscriber, func()) {
			if groups[group] == "" {
				groups[group] = kafkatest.GroupID(t, group)
			}
			return join(t, cfg, groups[group], topics)
		},
		Written: func(t *testing.T, topic string) []connector.Message {
			return readAll(t, kafkatest.Context(t, contractWait), cfg, topic)
		},
	}
}

// TestContract runs the ports' contract (connector/porttest) against the
// Writer and Reader on kfake, or on the broker of KAFKA_BROKERS: the same
// suite internal/memory passes, so unit tests on the in-memory ports hold
// for this adapter.
func TestContract(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Backend {
		return contractBackend(t, func(t *testing.T, cfg Config, group string, topics []string) (connector.Subscriber, func()) {
			r := newReader(t, ReaderConfig{Config: cfg, GroupID: group, Topics: topics})
			return r, func() { _ = r.Close() }
		})
	})
}

// TestContractGroupSubscriber runs the same contract against the
// processor's state-following GroupSubscriber (PROCESSOR_FOLLOW_STATE),
// each member with an empty state topic of its own.
func TestContractGroupSubscriber(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Backend {
		b := contractBackend(t, func(t *testing.T, cfg Config, group string, topics []string) (connector.Subscriber, func()) {
			state := newTopic(t, kafkatest.Context(t, contractWait), cfg, TopicSpec{Name: "contract-state", Partitions: 3, Compact: true})
			s, err := NewGroupSubscriber(GroupConfig{Config: cfg, GroupID: group, Topic: topics[0], StateTopic: state,
				Apply: func(connector.Message) {}})
			if err != nil {
				t.Fatalf("NewGroupSubscriber: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s, func() { _ = s.Close() }
		})
		b.OneTopic = true
		return b
	})
}
