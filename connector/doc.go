// Package connector is the domain of postident-connector: the POSTIDENT result
// data model (guide chapter 8), the status catalog (chapter 4), the events the
// connector emits, the per-case state it diffs against, and the pipeline roles
// with the small interfaces they need.
//
// The JSON model (case.go, case_order.go, case_ident.go) reads POSTIDENT's
// answers by one rule: a value is
// passed on only if it can be passed on unaltered. Digits and codes take a
// JSON string or number (Text, Int: tolerant.go); enumerated values the
// guide does not list pass through as text (UnknownValues: unknown.go);
// free text nothing depends on (Note) that is not text degrades into
// Unmapped (Degraded);
// members without a field are kept with their paths (UnmappedMembers, the
// CaseResult event's unmappedJson: unmapped.go), by a walk beside
// encoding/json that works the same on every Go release from 1.26
// (Unmarshal, KeepUnmapped, Marshal: jsonwalk.go); a value its field cannot
// hold fails the decoding of that case. docs/EVENTS.md ("Reading
// POSTIDENT's answers") has the table per field.
//
// It imports neither kafka-go nor net/http: the adapters under internal/ (scr,
// kafka, avro, webhook) implement the interfaces declared here, so the pipeline
// can be tested against any of them and reads without transport noise.
//
// Failure isolation: the processor sorts every failure per case (transient,
// unreadable, undecryptable, rejected, operator-level) and parks a case whose
// answer cannot be used on the dead-letter topic, so one bad answer never
// stops the others (see HandleBatch). The dead-letter topic is compacted and
// keyed by caseId, with a tombstone once the case goes through: it is then
// exactly the set of cases parked now, read at start like the state, with no
// retention that could drop a case still waiting, and a repeated failure of
// the same case replaces its record instead of adding one.
//
// One place for each rule of what is written: planCase (plan.go) decides
// what a fetched case produces given what was emitted for it, for the
// processor and for a backfill alike; recordBuilder (recordbuilder.go)
// builds every record (encoding, CloudEvents headers, trace context); and
// HeaderCarrier (carrier.go) is the module's one carrier of trace context
// in record headers (the Kafka adapter has none of its own).
package connector
