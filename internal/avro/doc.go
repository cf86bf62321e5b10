// Package avro is the connector's Avro codec: it implements connector.Codec
// over the schemas of package schemas with hamba/avro, and frames the bytes
// one of two ways.
//
//   - With a schema registry (Config.RegistryURL): the Confluent wire format,
//     a 0x00 magic byte and the 4-byte big-endian schema id, with the schema
//     registered (or looked up) under the subject "<topic>-value"
//     (TopicNameStrategy).
//   - Without: Avro single-object encoding, 0xC3 0x01 and the 8-byte
//     little-endian CRC-64-AVRO fingerprint of the schema's Parsing Canonical
//     Form, so a consumer with the .avsc files needs nothing else.
//
// Decode accepts both framings whatever the Codec was configured with and
// resolves the writer schema into the reader's (Avro schema resolution), so
// fields added by a newer writer are skipped and fields it lacks take their
// defaults. For single-object data the writer must be a schema this build
// knows (the current one or a released version in schemas/released).
//
// The fingerprint follows the Avro specification, which strips logicalType
// from the canonical form; hamba/avro's own Fingerprint and its soe package
// keep it and therefore disagree with Java and Python for these schemas
// (see CanonicalForm).
//
// The registry client is deliberately small: register, lookup and get by
// id, with basic auth. It does not manage compatibility settings, delete
// subjects or speak the Protobuf/JSON Schema flavours.
//
// A Codec is safe for concurrent use. It logs nothing; errors carry HTTP
// status, registry error codes, schema names and fingerprints, never field
// values.
package avro
