// Package app is the one place that turns a Config into a running
// connector: the webhook, processor, reconciler and archiver roles, the
// state they stand on (read once at start, or followed by the processor's
// group subscriber with PROCESSOR_FOLLOW_STATE), the parked cases, the
// telemetry hooks and the readiness on /readyz.
//
// Everything that runs the connector goes through it: `postident-connector
// run` and `dev` (cmd/postident-connector), the load tool's connector child
// (internal/bench), and through the real binary the fault suite
// (internal/faultsuite). New builds an App from a Config and Options; Plan
// says what it runs (the configuration of every role's constructor), and
// Run starts it. A test of internal/bench compares the Plan of the load
// tool's child with the one of `run`, so the figures measure the connector
// itself and not a copy.
//
// The Config is read from the environment (envconfig tags; every variable
// also as NAME_FILE). Its defaults are the packages' defaults: a test
// compares every `default=` tag with the default the connector, webhook,
// scr and kafka packages apply to a zero value.
//
// The CLI's maintenance commands (backfill, forget, dead-letter) open Kafka,
// the codec and the state with the same helpers (Config.KafkaClientConfig,
// Config.NewCodec, ReadState).
package app
