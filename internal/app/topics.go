package app

import (
	"context"
	"fmt"

	"github.com/postident-connector/postident-connector/internal/kafka"
)

// checkPartitionAlignment refuses a state topic whose partition count
// differs from the notifications topic's. Both are keyed by caseId and
// written with the same partitioner (murmur2, as Kafka's Java clients), so
// with equal counts a case's state lives in the partition with the number of
// its notifications partition: a replica that owns notifications partition
// p finds the state of its cases in state partition p (ownership, expiry,
// restoring a partition's state on assignment).
func checkPartitionAlignment(ctx context.Context, kcfg kafka.Config, notifications, state string) error {
	n, err := kafka.DescribeTopic(ctx, kcfg, notifications)
	if err != nil {
		return fmt.Errorf("notifications topic: %w", err)
	}
	s, err := kafka.DescribeTopic(ctx, kcfg, state)
	if err != nil {
		return fmt.Errorf("state topic: %w", err)
	}
	if n.Partitions == s.Partitions {
		return nil
	}
	if n.Partitions < s.Partitions {
		return fmt.Errorf("kafka: the notifications topic %s has %d partitions and the state topic %s has %d; they must be equal, so that a case's "+
			"state is in the partition with the number of its notifications partition (same caseId key, murmur2). Raise the notifications topic "+
			"(it holds only pending notifications): kafka-topics.sh --alter --topic %s --partitions %d",
			notifications, n.Partitions, state, s.Partitions, notifications, s.Partitions)
	}
	return fmt.Errorf("kafka: the notifications topic %s has %d partitions and the state topic %s has %d; they must be equal, so that a case's "+
		"state is in the partition with the number of its notifications partition (same caseId key, murmur2). Do not add partitions to the "+
		"compacted state topic (its keys would move and older states could win on reload): create a compacted state topic with %d partitions "+
		"and set TOPIC_STATE to it; the processor then starts with an empty state and re-emits current states once, with the same event ids",
		notifications, n.Partitions, state, s.Partitions, n.Partitions)
}

// ResultTopicSpec is the result topic: compacted and kept for replays, or
// with KAFKA_RESULT_RETENTION compact,delete with that retention.
func ResultTopicSpec(cfg *Config, name string) kafka.TopicSpec {
	k := cfg.Kafka
	spec := kafka.TopicSpec{Name: name, Partitions: k.Partitions, ReplicationFactor: k.ReplicationFactor, Compact: true}
	if k.ResultRetention > 0 {
		spec.RetentionMs = k.ResultRetention.Milliseconds()
		spec.Configs = map[string]string{"cleanup.policy": "compact,delete"}
	}
	return spec
}
