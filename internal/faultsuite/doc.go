// Package faultsuite is the connector's fault-injection suite: it proves that
// no result is lost and none is emitted under a second id while the
// connector, Kafka and POSTIDENT misbehave. It holds no production code; the
// tests live behind the build tag "faults" so that `go test ./...` stays
// fast:
//
//	go test -tags faults -count=1 -v -timeout 20m ./internal/faultsuite/
//
// The connector runs as the real binary (built once with `go build`) in a
// subprocess, configured through its environment like in production, against
// the POSTIDENT simulator (internal/sim) served by the test process over
// loopback HTTP, and against Kafka: an in-process kfake broker reachable over
// TCP, the broker named by KAFKA_BROKERS when FAULTS_KAFKA=real, and, for the
// broker restarts, a private Apache Kafka started by the suite with
// deploy/kafka/kafka-local.sh on its own ports and data directory. Nothing
// leaves the loopback interface and every scenario is bounded in time.
//
// Scenarios:
//
//   - kill: kill -9 of the connector at random points while thousands of
//     cases progress, restarted each time, repeated over several runs.
//   - broker: the Kafka broker stopped (SIGTERM) and killed (SIGKILL) and
//     started again on the same data while cases progress.
//   - postident: the simulator answers 5xx, answers slower than the webhook
//     budget, times out, drops, duplicates and reorders webhooks and returns
//     partial list deliveries.
//   - flood: webhooks far beyond capacity (small WEBHOOK_MAX_IN_FLIGHT and
//     WEBHOOK_RATE_LIMIT); the connector sheds load with 503 and 429 and
//     every result still arrives once the flood ends.
//   - replicas: three processor processes (ROLES=processor) on one group
//     next to a webhook, reconciler and archiver process, rolled one after
//     the other while cases progress and the reconciler notifies them again,
//     mostly with SIGTERM and every fourth roll with kill -9; the same-id
//     repeats column counts repeated results, the detail line repeated
//     status events.
//   - poison: 4 % of the cases, at random, answer malformed JSON or
//     caseStatus.status as an array (single GETs and data lists); every
//     normal result arrives, every poisoned case is parked on the
//     dead-letter topic once, and the longest wait of a notification and the
//     stalls longer than PROCESSOR_RETRY_BUDGET are reported.
//
// After each scenario the suite checks: every closed case has exactly one
// logical result on the result topic with the id its final state determines
// (a repeat of the same record is tolerated and counted; a result under a
// second id is a failure); every status event's id is the one its transition
// determines, so each transition has one id; the final state of every closed
// case is on the status topic; and no case was archived at POSTIDENT before
// its result was durable. The last is checked at the moment of archiving: the
// simulator's archive endpoint is wrapped, and each archive call is held until
// the suite has read the result topic up to its high watermark as of that
// call, then every case id in the call must have a result there.
//
// The suite prints a table of figures per scenario: runs, faults injected,
// cases, closed, lost, duplicated with a new id, and more; FAULTS_REPORT names
// a file to write it to as well. Environment knobs: FAULTS_SCALE (default 1)
// multiplies the case counts, FAULTS_SEED fixes the random choices,
// FAULTS_SKIP_BROKER=1 skips the broker scenario where Java is missing,
// FAULTS_KILL_RUNS sets the number of kill runs (default 2),
// FAULTS_STRICT_EXITS=1 fails a scenario in which the connector exited on its
// own (by default such exits are counted in the table and the suite restarts
// the connector, as an orchestrator would), FAULTS_LOGDIR keeps the
// connector's logs, FAULTS_RACE=1 builds the connector with -race.
package faultsuite
