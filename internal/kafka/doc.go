// Package kafka adapts segmentio/kafka-go to the connector's ports.
//
// It provides:
//   - Writer, the connector.Publisher: synchronous, acks=all, one kafka-go
//     Writer shared by all goroutines and topics so concurrent publishes are
//     batched, Java-compatible murmur2 partitioning by key.
//   - Reader: a consumer group member with explicit commits (fetch, handle,
//     commit), for the archiver.
//   - GroupSubscriber: the processor's consumer group member, whose state
//     follows ownership (below).
//   - ReadAll: reads a whole (compacted) topic up to its end at the start,
//     without a group, for state loading and replays.
//   - EnsureTopics, DescribeTopic and Ping: topic creation with the right
//     cleanup policy, and the readiness check.
//   - Lease: at most one active holder among replicas, using a consumer group
//     on a one-partition topic.
//
// # State that follows ownership
//
// The processor decides what to emit by comparing a case with the state it
// last wrote for it (the compacted state topic). With several replicas, the
// state of a partition's cases is written by whichever replica owns the
// partition, and ownership moves in every rebalance. GroupSubscriber makes
// the new owner see everything the old owner wrote:
//
//   - Every replica follows the whole state topic for as long as it runs (a
//     follower: one partition reader each, no group), so its copy lags by
//     milliseconds. A full copy per replica was chosen over restoring a
//     partition's slice on assignment (the Kafka Streams way): it is small
//     (the memory target is 200 bytes per tracked case), and a handover then
//     reads only the last few records instead of a slice of the topic.
//   - At the start of each generation, before it hands out a record of its
//     partitions, the subscriber lists the state topic's end offsets and
//     waits until the follower has read up to them.
//   - When a generation ends, the subscriber stops handing out records and
//     waits (HandoverTimeout, 4s) until every record it handed out is
//     committed, which the processor does only after the events and state
//     are acknowledged, before it lets kafka-go rejoin. kafka-go rejoins only
//     after every function started with Generation.Start has returned, and
//     the coordinator's eager rebalance assigns partitions only once every
//     member has rejoined (or RebalanceTimeout passed): so when the next
//     owner takes the end offsets, the previous owner's writes are in them.
//   - On SIGTERM, Drain does the same for the last batch, then Close leaves
//     the group (LeaveGroup), so the partitions move at once.
//
// The owner of a partition writes its state records and puts them into its
// memory before the follower reads them back; the follower skips those
// records (GroupConfig.OwnWrite) on the partitions it owns, since applying
// an older write of a case over a newer one would make the next notification
// look new. Records on an owned partition that a processor did not write
// (forget's, expiry's) are applied as they come.
//
// Owns(caseID) tells whether the key's partition (murmur2, as the Writer
// partitions) is assigned to this member and its state complete; expiry uses
// it so that exactly one replica expires each partition's entries.
//
// Limits: a crash (kill -9) cannot hand over, so the next owner re-reads
// what was not committed (at-least-once; the state makes it rare); a batch
// that takes longer than HandoverTimeout is handed over uncommitted, with the
// same effect. kafka-go offers no static membership (KIP-345) and no
// cooperative rebalancing, so every membership change pauses the whole
// group for about a heartbeat interval plus the slowest member's handover.
//
// # Group timeouts
//
// Session 6s for every group (Kafka's default minimum): a crashed member's
// partitions move after about 6s; a member that stalls longer is dropped.
// Rebalance timeout 3s for the archiver's Reader and the Lease, whose members
// rejoin at once, and 6s for the GroupSubscriber, whose members first finish
// their batch: a member killed while joining keeps a rebalance waiting this
// long, so it sets the pause after a crash storm (10s made ten kill -9 cost
// 18 to 27s). The in-process broker kfake restarts its rebalance timer at
// every membership change, so there each change after a crash costs a full
// rebalance timeout again; on Kafka one deadline holds.
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
