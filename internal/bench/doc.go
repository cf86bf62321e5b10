// Package bench is the load tool behind cmd/postident-bench: it drives the
// POSTIDENT simulator and the connector's own pieces against a Kafka broker
// and measures what docs/BENCHMARKS.md reports.
//
// Three processes take part, so that CPU and memory are attributed to the
// connector alone:
//
//   - the driver (Run*): load generators, the Kafka consumer that timestamps
//     CaseResult records, the report;
//   - a simulator child (ServeSim): internal/sim over loopback HTTP, in its
//     own process like the real POSTIDENT;
//   - a connector child (ServeConnector): the webhook ingress, the processor
//     and the reconciler wired exactly as cmd/postident-connector's App wires
//     them (internal/webhook, connector.Ingest, internal/kafka,
//     internal/scr, internal/avro, telemetry.Setup), plus a control endpoint
//     on loopback that reports getrusage, /proc/self/status and
//     runtime.MemStats and serves net/http/pprof.
//
// Both children are the bench binary itself, re-executed with a hidden
// subcommand. With Options.Coalesce the connector child's processor runs with
// list coalescing (connector.ProcessorConfig.Coalesce), so the figures compare
// one GET per case with list calls for bursts.
//
// Personal data: the simulator's results are synthetic ("Erika Testfrau");
// nothing here logs record contents.
package bench
