package avro_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	hamba "github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/pkg/crc64"

	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/schemas"
)

// Test vectors of the Avro project (share/test/data/schema-tests.txt): the
// input, its Parsing Canonical Form and the CRC-64-AVRO fingerprint the Java
// implementation computes, printed there as a signed 64-bit decimal.
var specVectors = []struct {
	in, canonical string
	fp            int64
}{
	{`"null"`, `"null"`, 7195948357588979594},
	{`{"type":"null"}`, `"null"`, 7195948357588979594},
	{`"boolean"`, `"boolean"`, -6970731678124411036},
	{`"int"`, `"int"`, 8247732601305521295},
	{`"long"`, `"long"`, -3434872931120570953},
	{`"string"`, `"string"`, -8142146995180207161},
	{`{"type":"fixed","name":"foo","size":15}`, `{"name":"foo","type":"fixed","size":15}`, 1756455273707447556},
	{`{"type":"record","name":"foo","fields":[{"name":"f1","type":"boolean"}]}`,
		`{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}`, 7843277075252814651},
	{`["int","boolean"]`, `["int","boolean"]`, 5392556393470105090},
	{`{"type":"record","name":"foo","fields":[]}`, `{"name":"foo","type":"record","fields":[]}`, -4824392279771201922},
	// The specification strips every attribute but type, name, fields,
	// symbols, items, values and size; a logical type canonicalizes to its
	// underlying type and shares its fingerprint.
	{`{"type":"long","logicalType":"timestamp-millis"}`, `"long"`, -3434872931120570953},
	{`{"type":"record","name":"r","namespace":"a.b","doc":"d","fields":[{"name":"t","doc":"x","default":0,"type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"m","type":{"type":"map","values":"string"}},{"name":"a","type":{"type":"array","items":"r"}},{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}`,
		`{"name":"a.b.r","type":"record","fields":[{"name":"t","type":"long"},{"name":"m","type":{"type":"map","values":"string"}},{"name":"a","type":{"type":"array","items":"a.b.r"}},{"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["X","Y"]}}]}`, 0},
}

func TestCanonicalFormSpecVectors(t *testing.T) {
	for _, v := range specVectors {
		t.Run(v.in, func(t *testing.T) {
			s, err := schemas.Parse(v.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := avro.CanonicalForm(s); got != v.canonical {
				t.Fatalf("canonical form\n got %s\nwant %s", got, v.canonical)
			}
			if v.fp == 0 {
				return
			}
			if got := avro.Fingerprint(s); got != uint64(v.fp) {
				t.Fatalf("fingerprint %016x, want %016x", got, uint64(v.fp))
			}
		})
	}
}

// TestSingleObjectHeaderOfNull pins the byte order: the spec's example
// fingerprint of "null" is 0x63dd24e7cc258f8a and single-object encoding
// writes it little-endian.
func TestSingleObjectHeaderOfNull(t *testing.T) {
	fp := avro.Rabin([]byte(`"null"`))
	if fp != 0x63dd24e7cc258f8a {
		t.Fatalf("Rabin(\"null\") = %016x", fp)
	}
	got := binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, fp)
	want := []byte{0xC3, 0x01, 0x8a, 0x8f, 0x25, 0xcc, 0xe7, 0x24, 0xdd, 0x63}
	if string(got) != string(want) {
		t.Fatalf("header % x, want % x", got, want)
	}
}

// TestRabinMatchesHamba cross-checks the fingerprint function with
// hamba/avro's CRC-64-AVRO on random inputs.
func TestRabinMatchesHamba(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		h := crc64.New()
		_, _ = h.Write(b)
		if got, want := avro.Rabin(b), h.Sum64(); got != want {
			t.Fatalf("Rabin(% x) = %016x, hamba %016x", b, got, want)
		}
	}
}

// TestCanonicalFormOfSchemas: for the connector's schemas the canonical
// form is hamba's String() with the logical types taken out, and it carries
// no docs or defaults.
func TestCanonicalFormOfSchemas(t *testing.T) {
	for name, s := range schemas.All() {
		t.Run(name, func(t *testing.T) {
			got := avro.CanonicalForm(s)
			want := strings.ReplaceAll(s.String(), `{"type":"long","logicalType":"timestamp-millis"}`, `"long"`)
			if got != want {
				t.Fatalf("canonical form differs from hamba's String() without logical types:\n got %s\nwant %s", got, want)
			}
			for _, attr := range []string{`"doc"`, `"default"`, `"logicalType"`, `"namespace"`, " "} {
				if strings.Contains(got, attr) {
					t.Errorf("canonical form contains %s", attr)
				}
			}
			// Parsing the canonical form gives the same schema.
			back, err := hamba.ParseWithCache(got, "", &hamba.SchemaCache{})
			if err != nil {
				t.Fatal(err)
			}
			if avro.Fingerprint(back) != avro.Fingerprint(s) {
				t.Error("canonical form does not round-trip")
			}
		})
	}
}

// TestFingerprintsMatchFastavro pins the single-object fingerprints of the
// released v1 schemas to the values Python's fastavro 1.13.1 computes,
// fingerprint(to_parsing_canonical_form(parse_schema(avsc)), "CRC-64-AVRO"),
// which it prints as the eight header bytes in order. A released schema
// never changes, so neither may these.
func TestFingerprintsMatchFastavro(t *testing.T) {
	want := map[string]string{
		schemas.NameStatusChanged: "7cb9ab5dcc7c9d67",
		schemas.NameCaseResult:    "959940b780a4a4fa",
		schemas.NameNotification:  "365dfab33bf342eb",
		schemas.NameCaseState:     "389ef5d0ec1b3e38",
	}
	for name, hex := range want {
		s, _, ok := schemas.Released("v1", name)
		if !ok {
			t.Fatalf("no released v1 %s", name)
		}
		got := fmt.Sprintf("%x", binary.LittleEndian.AppendUint64(nil, avro.Fingerprint(s)))
		if got != hex {
			t.Errorf("%s: header fingerprint %s, fastavro %s", name, got, hex)
		}
	}
}
