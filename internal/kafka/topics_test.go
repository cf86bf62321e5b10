package kafka

import (
	"errors"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

func TestEnsureTopicsCreatesWithConfig(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	compact := TopicSpec{Name: kafkatest.TopicName(t, "state"), Partitions: 3, ReplicationFactor: 1, Compact: true,
		Configs: map[string]string{"min.cleanable.dirty.ratio": "0.1"}}
	deleting := TopicSpec{Name: kafkatest.TopicName(t, "status"), Partitions: 2, RetentionMs: 7 * 24 * 3600 * 1000}
	defaulted := TopicSpec{Name: kafkatest.TopicName(t, "defaults")} // broker's partitions and replication
	for _, s := range []TopicSpec{compact, deleting, defaulted} {
		deleteAtCleanup(t, cfg, s.Name)
	}

	if err := EnsureTopics(ctx, cfg, compact, deleting, defaulted); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	tests := []struct {
		spec        TopicSpec
		partitions  int
		wantConfigs map[string]string
	}{
		{compact, 3, map[string]string{"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}},
		{deleting, 2, map[string]string{"cleanup.policy": "delete", "retention.ms": "604800000"}},
		{defaulted, 0, map[string]string{"cleanup.policy": "delete"}},
	}
	for _, tt := range tests {
		info, err := DescribeTopic(ctx, cfg, tt.spec.Name)
		if err != nil {
			t.Fatalf("DescribeTopic(%s): %v", tt.spec.Name, err)
		}
		if tt.partitions > 0 && info.Partitions != tt.partitions {
			t.Errorf("%s: partitions = %d, want %d", tt.spec.Name, info.Partitions, tt.partitions)
		}
		if info.Partitions < 1 || info.ReplicationFactor < 1 {
			t.Errorf("%s: partitions %d, replication %d", tt.spec.Name, info.Partitions, info.ReplicationFactor)
		}
		for k, want := range tt.wantConfigs {
			if got := info.Configs[k]; got != want {
				t.Errorf("%s: %s = %q, want %q", tt.spec.Name, k, got, want)
			}
		}
	}

	// Idempotent: a second run (another replica starting) changes nothing.
	if err := EnsureTopics(ctx, cfg, compact, deleting, defaulted); err != nil {
		t.Fatalf("second EnsureTopics: %v", err)
	}
	// An existing topic is left alone even when the spec asks for more
	// partitions.
	more := compact
	more.Partitions = 6
	if err := EnsureTopics(ctx, cfg, more); err != nil {
		t.Fatalf("EnsureTopics with more partitions: %v", err)
	}
	if info, err := DescribeTopic(ctx, cfg, compact.Name); err != nil || info.Partitions != 3 {
		t.Fatalf("existing topic changed: %+v, %v", info, err)
	}
}

func TestEnsureTopicsReportsWrongCleanupPolicy(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	name := newTopic(t, ctx, cfg, TopicSpec{Name: "results", Partitions: 1}) // delete policy
	good := newTopic(t, ctx, cfg, TopicSpec{Name: "good", Partitions: 1, Compact: true})

	err := EnsureTopics(ctx, cfg, TopicSpec{Name: name, Partitions: 1, Compact: true}, TopicSpec{Name: good, Compact: true})
	if !errors.Is(err, ErrTopicConfig) {
		t.Fatalf("EnsureTopics = %v, want ErrTopicConfig", err)
	}
	for _, want := range []string{name, "cleanup.policy=delete", "want compact"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), good) {
		t.Errorf("error %q mentions the correctly configured topic", err)
	}

	// Policies compare as sets.
	both := newTopic(t, ctx, cfg, TopicSpec{Name: "both", Partitions: 1, Configs: map[string]string{"cleanup.policy": "compact,delete"}})
	if err := EnsureTopics(ctx, cfg, TopicSpec{Name: both, Configs: map[string]string{"cleanup.policy": "delete, compact"}}); err != nil {
		t.Fatalf("same policy set reported: %v", err)
	}
}

func TestEnsureTopicsBrokerRefusal(t *testing.T) {
	ctx := kafkatest.Context(t, 30*time.Second)
	cfg := testConfig(t)
	name := kafkatest.TopicName(t, "refused")
	deleteAtCleanup(t, cfg, name)

	// A single-broker cluster cannot hold 5 replicas.
	err := EnsureTopics(ctx, cfg, TopicSpec{Name: name, Partitions: 1, ReplicationFactor: 5})
	if !errors.Is(err, kafkago.InvalidReplicationFactor) {
		t.Fatalf("EnsureTopics = %v, want InvalidReplicationFactor", err)
	}
	t.Logf("broker refusal: %v", err)
	// The broker's error code is in the message for the operator.
	if !strings.Contains(err.Error(), "[38]") || !strings.Contains(err.Error(), name) {
		t.Fatalf("error %q lacks the broker code or topic", err)
	}
}

func TestEnsureTopicsRejectsBadSpecs(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}} // never contacted
	ctx := kafkatest.Context(t, 5*time.Second)
	tests := []struct {
		name  string
		specs []TopicSpec
		want  string
	}{
		{"empty name", []TopicSpec{{}}, "empty topic name"},
		{"bad char", []TopicSpec{{Name: "a/b"}}, "invalid topic name"},
		{"too long", []TopicSpec{{Name: strings.Repeat("x", 250)}}, "invalid topic name"},
		{"dot", []TopicSpec{{Name: ".."}}, "invalid topic name"},
		{"negative partitions", []TopicSpec{{Name: "t", Partitions: -1}}, "negative"},
		{"duplicate", []TopicSpec{{Name: "t"}, {Name: "t"}}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := EnsureTopics(ctx, cfg, tt.specs...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("EnsureTopics = %v, want %q", err, tt.want)
			}
		})
	}
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatalf("EnsureTopics() with no specs = %v", err)
	}
}

func TestDescribeTopicMissing(t *testing.T) {
	ctx := kafkatest.Context(t, 20*time.Second)
	cfg := testConfig(t)
	_, err := DescribeTopic(ctx, cfg, kafkatest.TopicName(t, "missing"))
	if !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		t.Fatalf("DescribeTopic = %v, want UnknownTopicOrPartition", err)
	}
}

func TestPing(t *testing.T) {
	ctx := kafkatest.Context(t, 20*time.Second)
	cfg := testConfig(t)
	if err := Ping(ctx, cfg); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// A dead address first: Ping moves on to the next broker.
	cfg.Brokers = append([]string{"127.0.0.1:1"}, cfg.Brokers...)
	if err := Ping(ctx, cfg); err != nil {
		t.Fatalf("Ping with a dead first broker: %v", err)
	}
	if err := Ping(ctx, Config{Brokers: []string{"127.0.0.1:1"}}); err == nil || !strings.Contains(err.Error(), "no broker answered") {
		t.Fatalf("Ping(dead) = %v", err)
	}
	if err := Ping(ctx, Config{}); err == nil {
		t.Fatal("Ping with no brokers succeeded")
	}
}

// TestEnsureTopicsBrokerDefaultReplication: ReplicationFactor -1 (and 0)
// asks for the broker's default.replication.factor (CreateTopics v4+,
// KIP-464), on kfake and on a real Kafka 4.x; the cleanup.policy check of an
// existing topic still runs for such specs. A factor the cluster cannot hold
// says how many brokers there are.
func TestEnsureTopicsBrokerDefaultReplication(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	name := newTopic(t, ctx, cfg, TopicSpec{Name: "rf-default", Partitions: 1, ReplicationFactor: -1, Compact: true})
	info, err := DescribeTopic(ctx, cfg, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.ReplicationFactor < 1 || info.Configs["cleanup.policy"] != "compact" {
		t.Fatalf("created with -1: replication %d, cleanup.policy %q", info.ReplicationFactor, info.Configs["cleanup.policy"])
	}
	if err := EnsureTopics(ctx, cfg, TopicSpec{Name: name, ReplicationFactor: -1, Compact: true}); err != nil {
		t.Fatalf("existing topic, same spec: %v", err)
	}
	if err := EnsureTopics(ctx, cfg, TopicSpec{Name: name, ReplicationFactor: -1}); !errors.Is(err, ErrTopicConfig) {
		t.Fatalf("existing compacted topic as delete: %v, want ErrTopicConfig", err)
	}
	if err := EnsureTopics(ctx, cfg, TopicSpec{Name: "t", ReplicationFactor: -2}); err == nil {
		t.Fatal("replication factor -2 accepted")
	}

	refused := kafkatest.TopicName(t, "rf-refused")
	deleteAtCleanup(t, cfg, refused)
	err = EnsureTopics(ctx, cfg, TopicSpec{Name: refused, Partitions: 1, ReplicationFactor: 40})
	var rfe *ReplicationFactorError
	if !errors.As(err, &rfe) || !errors.Is(err, kafkago.InvalidReplicationFactor) {
		t.Fatalf("EnsureTopics(rf 40) = %v, want a ReplicationFactorError wrapping InvalidReplicationFactor", err)
	}
	if rfe.Topic != refused || rfe.Requested != 40 || rfe.Brokers < 1 || !strings.Contains(err.Error(), "broker") {
		t.Errorf("ReplicationFactorError %+v: %v", rfe, err)
	}
	t.Logf("refusal: %v", err)
}
