// Package porttest is the contract of connector.Publisher and
// connector.Subscriber: one suite, Run, that every implementation passes:
// the in-memory one (internal/memory) and the Kafka adapter (internal/kafka's
// Writer with its Reader and with its GroupSubscriber, on kfake or a real
// broker). It checks only what the roles rely on and the real adapter really
// does: Publish acknowledged before it returns, order per key, tombstones,
// headers, keys and times round trip, buffers reusable after Publish, safe
// concurrent Publish, commit semantics (a new member of the group resumes
// after the last commit, and uncommitted records come again), and Fetch
// ending with its context.
//
// It imports no adapter: the caller hands Run a Factory that builds the
// implementation under test.
package porttest
