// Package memory implements the domain's ports (connector.Publisher,
// connector.Subscriber, connector.Source) in memory, for unit tests of the
// roles that run in milliseconds and need neither Kafka nor POSTIDENT.
//
// Each type does what its port promises and nothing more clever, and adds
// what a test needs to see and steer:
//
//   - Publisher keeps every acknowledged record per topic, in order, with
//     offsets; a Fault makes chosen calls fail, whole or torn (some records
//     written, the call failing), as a producer killed between partitions
//     would.
//   - Subscriber hands out records one by one, from a list or from what a
//     Publisher writes, and tracks what was committed per partition; a
//     new Subscriber of the same group on the same Publisher starts after
//     the committed offsets, so redelivery of uncommitted work is visible.
//   - Source answers from cases put into it, scripted per caseId (a
//     sequence of answers or errors), lists them by status and creation
//     date with partial pages, and archives them.
//
// The Publisher and Subscriber pass the contract of connector/porttest, the
// same suite internal/kafka passes on a broker: what a unit test learns on
// them holds for the real adapter. What they do not model: partitions
// (every topic has one, partition 0, so order is total, which is stronger
// than Kafka's per-key order), consumer-group rebalances, compaction, and
// record or request size limits.
//
// All types are safe for concurrent use.
package memory
