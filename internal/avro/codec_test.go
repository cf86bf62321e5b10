package avro_test

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
	"github.com/postident-connector/postident-connector/schemas"
)

// topics are the default topic names, by record.
var topics = map[string]string{
	schemas.NameStatusChanged: "postident.case-status-changed.v1",
	schemas.NameCaseResult:    "postident.case-result.v1",
	schemas.NameNotification:  "postident.notifications.v1",
	schemas.NameCaseState:     "postident.case-state.v1",
	schemas.NameDeadLetter:    "postident.case-dead-letter.v1",
}

func newCodec(t testing.TB, cfg avro.Config) *avro.Codec {
	t.Helper()
	c, err := avro.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestFixturesArePopulated(t *testing.T) {
	for name, ev := range avrotest.Events() {
		if missing := avrotest.Unpopulated(ev); len(missing) > 0 {
			t.Errorf("%s fixture leaves fields empty: %v", name, missing)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	reg := newTestRegistry(t, "", "")
	framings := []struct {
		name  string
		cfg   avro.Config
		magic byte
	}{
		{"single-object", avro.Config{}, 0xC3},
		{"confluent", avro.Config{RegistryURL: reg.URL, AutoRegister: true}, 0x00},
	}
	for _, f := range framings {
		for name, ev := range avrotest.Events() {
			t.Run(f.name+"/"+name, func(t *testing.T) {
				ctx := testCtx(t)
				c := newCodec(t, f.cfg)
				data, err := c.Encode(ctx, topics[name], ev)
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				if data[0] != f.magic {
					t.Fatalf("first byte 0x%02x, want 0x%02x", data[0], f.magic)
				}
				// A fresh codec proves nothing is carried over in caches:
				// the Confluent case fetches the writer schema by id.
				got := avrotest.New(ev)
				if err := newCodec(t, f.cfg).Decode(ctx, data, got); err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if d := avrotest.Diff(ev, got); d != "" {
					t.Fatalf("round trip differs: %s", d)
				}
				// Values as well as pointers encode.
				if _, err := c.Encode(ctx, topics[name], derefAny(ev)); err != nil {
					t.Fatalf("Encode value: %v", err)
				}
			})
		}
	}
}

func derefAny(v any) any {
	switch v := v.(type) {
	case *connector.CaseStatusChanged:
		return *v
	case *connector.CaseResultEvent:
		return *v
	case *connector.Notification:
		return *v
	case *connector.CaseState:
		return *v
	}
	return v
}

// TestSingleObjectForeignReader decodes single-object bytes the way a
// consumer with only the .avsc file would: check the header against the
// spec, strip it, and read the rest with the raw schema into generic data.
func TestSingleObjectForeignReader(t *testing.T) {
	ctx := testCtx(t)
	c := newCodec(t, avro.Config{})
	for name, ev := range avrotest.Events() {
		t.Run(name, func(t *testing.T) {
			data, err := c.Encode(ctx, topics[name], ev)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := hamba.Parse(schemas.Source(name))
			if err != nil {
				t.Fatal(err)
			}
			if data[0] != 0xC3 || data[1] != 0x01 {
				t.Fatalf("magic % x", data[:2])
			}
			if got, want := binary.LittleEndian.Uint64(data[2:10]), avro.Rabin([]byte(avro.CanonicalForm(raw))); got != want {
				t.Fatalf("fingerprint %016x, want %016x", got, want)
			}
			var generic map[string]any
			if err := hamba.Unmarshal(raw, data[10:], &generic); err != nil {
				t.Fatalf("foreign decode: %v", err)
			}
			if generic["caseId"] != "YR9W91GEZK24" {
				t.Fatalf("caseId = %v", generic["caseId"])
			}
			typed := avrotest.New(ev)
			if err := hamba.Unmarshal(raw, data[10:], typed); err != nil {
				t.Fatal(err)
			}
			if d := avrotest.Diff(ev, typed); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	ctx := testCtx(t)
	c := newCodec(t, avro.Config{})
	state, err := c.Encode(ctx, "t", avrotest.CaseState())
	if err != nil {
		t.Fatal(err)
	}
	badFP := append([]byte(nil), state...)
	badFP[5] ^= 0xff
	tests := []struct {
		name string
		data []byte
		into any
		want error  // errors.Is target, or nil
		text string // substring of the message
	}{
		{"empty", nil, &connector.CaseState{}, avro.ErrFraming, "empty"},
		{"json", []byte(`{"caseId":"x"}`), &connector.CaseState{}, avro.ErrFraming, "0x7b"},
		{"truncated single-object", state[:9], &connector.CaseState{}, avro.ErrFraming, "truncated"},
		{"second magic byte", append([]byte{0xC3, 0x02}, state[2:]...), &connector.CaseState{}, avro.ErrFraming, ""},
		{"unknown fingerprint", badFP, &connector.CaseState{}, avro.ErrUnknownSchema, "fingerprint"},
		{"other record", state, &connector.Notification{}, avro.ErrRecordMismatch, "CaseState, not de.deutschepost.postident.v1.Notification"},
		{"truncated confluent", []byte{0, 0, 0}, &connector.CaseState{}, avro.ErrFraming, "truncated"},
		{"confluent without registry", []byte{0, 0, 0, 0, 7, 2}, &connector.CaseState{}, avro.ErrNoRegistry, "schema id 7"},
		{"truncated payload", state[:len(state)-3], &connector.CaseState{}, io.ErrUnexpectedEOF, "decode CaseState"},
		{"trailing bytes", append(append([]byte(nil), state...), 0), &connector.CaseState{}, nil, "trailing bytes"},
		{"not an event", state, &struct{}{}, avro.ErrUnknownType, ""},
		{"non-pointer", state, connector.CaseState{}, nil, "non-nil pointer"},
		{"nil pointer", state, (*connector.CaseState)(nil), nil, "non-nil pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Decode(ctx, tt.data, tt.into)
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q lacks %q", err, tt.text)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	ctx := testCtx(t)
	c := newCodec(t, avro.Config{})
	if _, err := c.Encode(ctx, "t", struct{}{}); !errors.Is(err, avro.ErrUnknownType) {
		t.Errorf("struct{}: %v", err)
	}
	if _, err := c.Encode(ctx, "t", nil); !errors.Is(err, avro.ErrUnknownType) {
		t.Errorf("nil: %v", err)
	}
	if _, err := c.Encode(ctx, "t", (*connector.CaseState)(nil)); err == nil {
		t.Error("typed nil encoded")
	}
}

// TestDecodeResolvesWriterSchema writes a CaseStatusChanged with a schema
// from "another version" (one field more, one field less) and reads it with
// the current one: the unknown field is skipped, the missing one takes its
// default.
func TestDecodeResolvesWriterSchema(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	src := schemas.Source(schemas.NameStatusChanged)
	other := strings.Replace(src,
		`{"name": "resultExpected", "type": "boolean", "default": false,`,
		`{"name": "futureField", "type": "string", "default": "",`, 1)
	if other == src {
		t.Fatal("test schema edit did not apply")
	}
	writerSchema, err := schemas.Parse(other)
	if err != nil {
		t.Fatal(err)
	}
	id := reg.put("postident.case-status-changed.v1-value", other)

	type future struct {
		connector.CaseStatusChanged
		FutureField string `avro:"futureField"`
	}
	in := avrotest.StatusChanged()
	payload, err := hamba.Marshal(writerSchema, future{CaseStatusChanged: *in, FutureField: "from the future"})
	if err != nil {
		t.Fatal(err)
	}
	data := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), payload...)

	var got connector.CaseStatusChanged
	if err := newCodec(t, avro.Config{RegistryURL: reg.URL, AutoRegister: true}).Decode(ctx, data, &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := *in
	want.ResultExpected = false // not written: the reader's default
	if d := avrotest.Diff(&want, &got); d != "" {
		t.Fatal(d)
	}
}

func TestSchemaFor(t *testing.T) {
	c := newCodec(t, avro.Config{})
	for name, ev := range avrotest.Events() {
		s, err := c.SchemaFor(ev)
		if err != nil {
			t.Fatal(err)
		}
		if s != schemas.All()[name] {
			t.Errorf("%s: SchemaFor returned another schema", name)
		}
	}
}
