package avro_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
)

// marshalPlain is the Avro body of v as hamba's Marshal writes it, with the
// codec's tag key: what Encode must put behind its framing header.
func marshalPlain(t testing.TB, c *avro.Codec, v any) []byte {
	t.Helper()
	s, err := c.SchemaFor(v)
	if err != nil {
		t.Fatal(err)
	}
	body, err := hamba.Config{TagKey: "avro"}.Freeze().Marshal(s, v)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// deterministicEvents are avrotest.Events with at most one customData entry:
// Avro maps are written in Go's random map order, so only such events give
// the same bytes twice.
func deterministicEvents() map[string]any {
	evs := avrotest.Events()
	evs["CaseStatusChanged"].(*connector.CaseStatusChanged).CustomData = map[string]string{"custom1": "REF_101485489"}
	for name, ev := range evs {
		if ev, ok := ev.(*connector.CaseResultEvent); ok && ev.OrderData != nil && len(ev.OrderData.CustomData) > 1 {
			panic(name + ": more than one customData entry")
		}
	}
	return evs
}

// TestEncodeBytes: Encode writes the framing header followed by exactly the
// bytes of hamba's Marshal, for every event type, with and without a
// registry, and a pooled buffer never leaks one record into the next.
func TestEncodeBytes(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	framings := []struct {
		name string
		cfg  avro.Config
	}{
		{"single-object", avro.Config{}},
		{"confluent", avro.Config{RegistryURL: reg.URL, AutoRegister: true}},
	}
	for _, f := range framings {
		t.Run(f.name, func(t *testing.T) {
			c := newCodec(t, f.cfg)
			var kept, wants [][]byte
			for name, ev := range deterministicEvents() {
				topic := "t." + name
				var header []byte
				if f.cfg.RegistryURL == "" {
					s, err := c.SchemaFor(ev)
					if err != nil {
						t.Fatal(err)
					}
					header = binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, avro.Fingerprint(s))
				} else {
					id, err := c.RegisterTopic(ctx, topic, ev)
					if err != nil {
						t.Fatal(err)
					}
					header = binary.BigEndian.AppendUint32([]byte{0x00}, uint32(id)) //nolint:gosec // test ids are small
				}
				want := append(header, marshalPlain(t, c, ev)...)
				for range 3 { // later rounds reuse pooled buffers
					got, err := c.Encode(ctx, topic, ev)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%s: Encode differs from header + Marshal:\n got %x\nwant %x", name, got, want)
					}
					kept = append(kept, got)
					wants = append(wants, want)
				}
			}
			// Results must not share the pooled buffer: the later encodes
			// left the earlier results as they were.
			for i := range kept {
				if !bytes.Equal(kept[i], wants[i]) {
					t.Errorf("result %d changed after later encodes", i)
				}
			}
		})
	}
}

// TestEncodeLargeAndConcurrent: a record larger than the pooled buffers,
// then many small ones from several goroutines (run with -race): every
// result is its own, complete copy.
func TestEncodeLargeAndConcurrent(t *testing.T) {
	ctx := testCtx(t)
	c := newCodec(t, avro.Config{})
	big := avrotest.CaseResult()
	big.OrderData.CustomData = map[string]string{}
	for i := range 200 {
		big.OrderData.CustomData[fmt.Sprintf("k%03d", i)] = strings.Repeat("v", 512)
	}
	bigData, err := c.Encode(ctx, "t", big)
	if err != nil {
		t.Fatal(err)
	}
	if len(bigData) < 100<<10 {
		t.Fatalf("the large record is only %d bytes", len(bigData))
	}
	events := deterministicEvents()
	want := map[string][]byte{}
	for name, ev := range events {
		b, err := c.Encode(ctx, "t", ev)
		if err != nil {
			t.Fatal(err)
		}
		want[name] = b
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for name, ev := range events {
					got, err := c.Encode(ctx, "t", ev)
					if err == nil && !bytes.Equal(got, want[name]) {
						err = fmt.Errorf("%s: concurrent Encode gave other bytes", name)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, data := range [][]byte{bigData, nil} {
		if data == nil { // once more, after the pool was used
			if data, err = c.Encode(ctx, "t", big); err != nil {
				t.Fatal(err)
			}
		}
		var got connector.CaseResultEvent
		if err := c.Decode(ctx, data, &got); err != nil {
			t.Fatal(err)
		}
		if d := avrotest.Diff(big, &got); d != "" {
			t.Errorf("the large record does not round-trip: %s", d)
		}
	}
}
