package avro

import (
	"strconv"
	"strings"

	hamba "github.com/hamba/avro/v2"
)

// CanonicalForm returns the Parsing Canonical Form of s as the Avro
// specification defines it ("Transforming into Parsing Canonical Form"):
// primitives as bare names, full names for named types, only the attributes
// type, name, fields, symbols, items, values and size, in that order, no
// whitespace. A named type is spelled out where it first appears and named
// afterwards.
//
// hamba/avro's Schema.String is close to this but keeps logicalType
// attributes, which the specification strips (the Java and Python
// implementations strip them), so fingerprints built on it differ from every
// other implementation for schemas with timestamps. This function follows
// the specification.
func CanonicalForm(s hamba.Schema) string {
	var b strings.Builder
	writeCanonical(&b, s, map[string]bool{})
	return b.String()
}

func writeCanonical(b *strings.Builder, s hamba.Schema, seen map[string]bool) {
	switch s := s.(type) {
	case *hamba.RefSchema:
		writeString(b, s.Schema().FullName())
	case *hamba.RecordSchema:
		if seen[s.FullName()] {
			writeString(b, s.FullName())
			return
		}
		seen[s.FullName()] = true
		typ := "record"
		if s.IsError() {
			typ = "error"
		}
		b.WriteString(`{"name":`)
		writeString(b, s.FullName())
		b.WriteString(`,"type":"` + typ + `","fields":[`)
		for i, f := range s.Fields() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":`)
			writeString(b, f.Name())
			b.WriteString(`,"type":`)
			writeCanonical(b, f.Type(), seen)
			b.WriteByte('}')
		}
		b.WriteString(`]}`)
	case *hamba.EnumSchema:
		if seen[s.FullName()] {
			writeString(b, s.FullName())
			return
		}
		seen[s.FullName()] = true
		b.WriteString(`{"name":`)
		writeString(b, s.FullName())
		b.WriteString(`,"type":"enum","symbols":[`)
		for i, sym := range s.Symbols() {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, sym)
		}
		b.WriteString(`]}`)
	case *hamba.FixedSchema:
		if seen[s.FullName()] {
			writeString(b, s.FullName())
			return
		}
		seen[s.FullName()] = true
		b.WriteString(`{"name":`)
		writeString(b, s.FullName())
		b.WriteString(`,"type":"fixed","size":` + strconv.Itoa(s.Size()) + `}`)
	case *hamba.ArraySchema:
		b.WriteString(`{"type":"array","items":`)
		writeCanonical(b, s.Items(), seen)
		b.WriteByte('}')
	case *hamba.MapSchema:
		b.WriteString(`{"type":"map","values":`)
		writeCanonical(b, s.Values(), seen)
		b.WriteByte('}')
	case *hamba.UnionSchema:
		b.WriteByte('[')
		for i, t := range s.Types() {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, t, seen)
		}
		b.WriteByte(']')
	default:
		// Primitives (null included), with any logicalType stripped.
		writeString(b, string(s.Type()))
	}
}

// writeString writes a JSON string literal. Avro names and enum symbols
// are [A-Za-z_][A-Za-z0-9_]* (dotted for full names), so nothing needs
// escaping; strconv.Quote covers anything else a parser let through.
func writeString(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			b.WriteString(strconv.Quote(s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// rabinEmpty is the CRC-64-AVRO seed, the spec's EMPTY.
const rabinEmpty = 0xc15d213aa4d7a795

var rabinTable = func() (t [256]uint64) {
	for i := range t {
		fp := uint64(i)
		for range 8 {
			fp = (fp >> 1) ^ (rabinEmpty & -(fp & 1))
		}
		t[i] = fp
	}
	return t
}()

// Rabin returns the CRC-64-AVRO fingerprint (the spec's 64-bit Rabin
// fingerprint) of b.
func Rabin(b []byte) uint64 {
	fp := uint64(rabinEmpty)
	for _, c := range b {
		fp = (fp >> 8) ^ rabinTable[byte(fp)^c]
	}
	return fp
}

// Fingerprint returns the CRC-64-AVRO fingerprint of the Parsing Canonical
// Form of s: the schema identifier of Avro single-object encoding.
func Fingerprint(s hamba.Schema) uint64 { return Rabin([]byte(CanonicalForm(s))) }
