package avro

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
	"github.com/postident-connector/postident-connector/schemas"
)

func internalCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSingleObjectFromReleasedVersion: single-object data written with a
// schema this build knows as a released version is resolved into the
// current one. (released/v1 equals the current schemas today, so the test
// plants an older version the way New does for schemas/released.)
func TestSingleObjectFromReleasedVersion(t *testing.T) {
	ctx := internalCtx(t)
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The "older" CaseState lacks resultEventId (it has a default).
	src := schemas.Source(schemas.NameCaseState)
	start := strings.Index(src, `    {"name": "resultEventId"`)
	end := start + strings.Index(src[start:], "\n") + 1
	old, err := schemas.Parse(src[:start] + src[end:])
	if err != nil {
		t.Fatal(err)
	}
	fp := Fingerprint(old)
	c.byFP[fp] = newWriter(old, fp)

	in := avrotest.CaseState()
	payload, err := hamba.Marshal(old, in)
	if err != nil {
		t.Fatal(err)
	}
	data := append(binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, fp), payload...)
	var got connector.CaseState
	if err := c.Decode(ctx, data, &got); err != nil {
		t.Fatal(err)
	}
	want := *in
	want.ResultEventID = nil
	if d := avrotest.Diff(&want, &got); d != "" {
		t.Fatal(d)
	}
}

// fuzzCodec knows the four current schemas under registry ids 1 to 4, so
// Confluent-framed input is decoded without a registry.
func fuzzCodec(t testing.TB) *Codec {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range schemas.Names() {
		s := schemas.All()[name]
		c.byID[i+1] = newWriter(s, Fingerprint(s))
	}
	return c
}

// FuzzDecode feeds arbitrary bytes to Decode for every event type: it must
// return an error or a value, never panic (a panic recovered inside the
// codec counts as a failure here).
func FuzzDecode(f *testing.F) {
	ctx := internalCtx(f)
	c := fuzzCodec(f)
	for i, name := range schemas.Names() {
		ev := avrotest.Events()[name]
		data, err := c.Encode(ctx, "t", ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		conf := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(i+1)), data[soeHeaderLen:]...)
		f.Add(conf)
		f.Add(conf[:len(conf)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0xC3})
	f.Add([]byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0, 0, 0, 0, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{&connector.CaseStatusChanged{}, &connector.CaseResultEvent{}, &connector.Notification{}, &connector.CaseState{}} {
			if err := c.Decode(ctx, data, v); errors.Is(err, errDecoderPanic) {
				t.Fatalf("decoder panicked on % x: %v", data, err)
			}
		}
	})
}
