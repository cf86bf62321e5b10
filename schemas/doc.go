// Package schemas holds the Avro schemas of the events postident-connector
// writes, as the *.avsc files beside this package, embedded into the binary
// and parsed once.
//
// One record per event type: CaseStatusChanged (case-status-changed.avsc),
// CaseResult (case-result.avsc) and the internal Notification
// (notification.avsc) and CaseState (case-state.avsc), all in the namespace
// de.deutschepost.postident.v1. The Go types they describe live in package
// connector; the codec that frames them for Kafka lives in internal/avro.
//
// released/ keeps a copy of every released version. The tests prove that the
// current schemas stay backward and forward compatible with each of them:
// schemas evolve only by adding fields with defaults (or removing fields
// that have one). Release a new version by copying the *.avsc files to
// released/vN.
//
// Conventions: optional fields are ["null", T] with default null; times are
// longs with logicalType timestamp-millis; arrays and maps default to empty;
// enumerated values (statuses, methods) are strings, not Avro enums, so a
// value POSTIDENT adds tomorrow never breaks a reader.
//
// The package parses nothing from outside and does no I/O.
package schemas
