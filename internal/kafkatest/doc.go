// Package kafkatest gives tests a Kafka broker: an in-process franz-go kfake
// cluster by default, or the real cluster named by KAFKA_BROKERS, so one test
// suite runs against both (see DESIGN.md "Tests").
//
// kfake speaks the real wire protocol (classic consumer groups, compaction,
// SASL), which is why the adapters in internal/kafka are tested against it
// instead of against mocks. NewCluster is the same starter for non-test use:
// the connector's dev mode embeds it.
//
// This package is the only place outside tests where franz-go is imported;
// production code talks to Kafka through kafka-go (internal/kafka).
package kafkatest
