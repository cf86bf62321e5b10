// Package connector is the domain of postident-connector: the POSTIDENT result
// data model (guide chapter 8), the status catalog (chapter 4), the events the
// connector emits, the per-case state it diffs against, and the pipeline roles
// with the small interfaces they need.
//
// It imports neither kafka-go nor net/http: the adapters under internal/ (scr,
// kafka, avro, webhook) implement the interfaces declared here, so the pipeline
// can be tested against any of them and reads without transport noise.
package connector
