// Package kafka adapts segmentio/kafka-go to the connector's ports.
//
// It provides:
//   - Writer, the connector.Publisher: synchronous, acks=all, one kafka-go
//     Writer shared by all goroutines and topics so concurrent publishes are
//     batched, Java-compatible murmur2 partitioning by key.
//   - Reader: a consumer group member with explicit commits (fetch, handle,
//     commit).
//   - ReadAll: reads a whole (compacted) topic up to its end at the start,
//     without a group, for state loading and replays.
//   - EnsureTopics, DescribeTopic and Ping: topic creation with the right
//     cleanup policy, and the readiness check.
//   - HeaderCarrier: OpenTelemetry trace context in record headers.
//   - Lease: at most one active holder among replicas, using a consumer group
//     on a one-partition topic.
//
// It does not encode values (internal/avro does), choose topic names (the
// configuration does) or retry failed publishes (callers decide; see
// IsRetryable).
//
// # Kafka 4 and kfake
//
// Apache Kafka 4.0 removed the oldest protocol versions (KIP-896). The admin
// calls and the Writer use kafka-go's Client/Transport API, which negotiates
// the newest version both sides support. The connection-oriented parts
// (Reader, consumer groups, ReadAll, Ping) use kafka-go's Conn, which sends
// fixed or narrowly negotiated versions: Metadata v1/v6, ListOffsets v1,
// Fetch v10, JoinGroup v1/v2 (v2 is negotiated where v1 is gone), SyncGroup,
// Heartbeat, LeaveGroup and FindCoordinator v0, OffsetCommit v2 and
// OffsetFetch v1. All of these remain in Kafka 4.x (verified against Apache
// Kafka 4.1.1 from deploy/kafka/kafka-local.sh: the whole test suite passes
// and the broker logged no unsupported-version request) and are served by
// franz-go's kfake, which the tests use by default; the same tests run
// against a real broker when KAFKA_BROKERS is set (see internal/kafkatest).
//
// kafka-go quirks this package works around: its Reader hands out buffered
// records after Close and parks a commit sent after Close until the caller's
// ctx ends (Reader tracks closing itself); it reports routine coordinator
// errors of a fresh cluster (NOT_COORDINATOR while __consumer_offsets is
// created) as Fetch errors (Fetch keeps waiting instead); its Writer fails at
// once for a topic missing from its metadata cache (Publish retries briefly);
// its default 1s batch timeout makes synchronous writes slow (5ms here); and
// its Conn.ReadPartitions (used by Dialer.LookupPartitions, DialLeader and
// the consumer group leader) sends Metadata v6 with
// allow_auto_topic_creation=true, which creates a missing topic with broker
// defaults where auto-creation is on, so ReadAll and EnsureTopics look
// partitions up through the Client API instead (the Reader cannot avoid it:
// create topics before reading).
//
// Personal data: keys (caseIds) may appear in nothing but the records
// themselves; errors and log lines from this package name topics,
// partitions, offsets and groups only.
package kafka
