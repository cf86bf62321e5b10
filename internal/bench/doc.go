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
//   - a connector child (serveConnector): the connector itself, started by
//     app.Start (internal/app) as `postident-connector run` starts it, on the
//     environment an operator would set (ConnectorOptions.env), plus a
//     control endpoint on loopback that reports getrusage, /proc/self/status
//     and runtime.MemStats, runs the reconciler on demand and serves
//     net/http/pprof. Nothing of the connector is wired here:
//     TestChildRunsTheAppOfRun compares the child's app.Plan with run's.
//
// Both children are the bench binary itself, re-executed with a hidden
// subcommand. With Options.Coalesce the connector child's processor runs with
// list coalescing (connector.ProcessorConfig.Coalesce), so the figures compare
// one GET per case with list calls for bursts.
//
// Personal data: the simulator's results are synthetic ("Erika Testfrau");
// nothing here logs record contents.
package bench
