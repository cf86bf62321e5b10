package avro_test

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/schemas"
)

// Hostile Avro payloads from the advisories GO-2026-5046 (block counts that
// spin the decoder), GO-2026-5047 (block-count arithmetic that overflows or
// negates MinInt64) and GO-2026-5048 (maps that grow without bound). The
// decoder we ship is the patched copy in internal/thirdparty/hamba-avro;
// each payload must end in an error, promptly and without a panic.

// long appends v in Avro's zigzag varint encoding.
func long(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64((v<<1)^(v>>63)))
}

// str appends an Avro string.
func str(b []byte, s string) []byte { return append(long(b, int64(len(s))), s...) }

// decodeBounded runs decode on its own goroutine. An unpatched decoder spins
// for hours on some of these payloads; a minute is a hang, not a slow run.
func decodeBounded(t *testing.T, decode func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- panicError{r}
			}
		}()
		done <- decode()
	}()
	select {
	case err := <-done:
		var p panicError
		if errors.As(err, &p) {
			t.Fatalf("decoder panicked: %v", p.v)
		}
		return err
	case <-time.After(time.Minute):
		t.Fatal("decoder still running after a minute: it spins on the payload")
		return nil
	}
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic" }

// manyNullMap is a map<null> of n entries in blocks of 1000, each with a
// distinct one-byte-or-more key: the cheapest way to grow a map.
func manyNullMap(n int) []byte {
	var b []byte
	for done := 0; done < n; {
		block := min(1000, n-done)
		b = long(b, int64(block))
		for i := range block {
			b = str(b, strings.Repeat("k", 1)+string(rune('a'+(done+i)%26))+itoa(done+i))
		}
		done += block
	}
	return long(b, 0)
}

func itoa(i int) string {
	var buf [20]byte
	n := len(buf)
	for {
		n--
		buf[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(buf[n:])
		}
	}
}

func TestHostilePayloads(t *testing.T) {
	limits := hamba.Config{MaxSliceAllocSize: 100_000, MaxMapAllocSize: 100_000}.Freeze()
	cases := []struct {
		name    string
		schema  string
		payload []byte
		into    func() any
		cfg     hamba.API
	}{
		// GO-2026-5046: a count of MaxInt64 null items followed by nothing.
		{"array of null, MaxInt64 items, typed", `{"type":"array","items":"null"}`, long(nil, math.MaxInt64), func() any { return new([]*struct{}) }, hamba.DefaultConfig},
		{"array of null, MaxInt64 items, generic", `{"type":"array","items":"null"}`, long(nil, math.MaxInt64), func() any { return new(any) }, hamba.DefaultConfig},
		{"map of null, MaxInt64 entries, typed", `{"type":"map","values":"null"}`, long(nil, math.MaxInt64), func() any { return new(map[string]*struct{}) }, hamba.DefaultConfig},
		{"map of null, MaxInt64 entries, generic", `{"type":"map","values":"null"}`, long(nil, math.MaxInt64), func() any { return new(any) }, hamba.DefaultConfig},
		{"array of int, MaxInt64 items, truncated", `{"type":"array","items":"int"}`, long(long(nil, math.MaxInt64), 7), func() any { return new([]int) }, hamba.DefaultConfig},
		// GO-2026-5047: -MinInt64 is MinInt64; two blocks whose sum overflows int.
		{"array, block count MinInt64", `{"type":"array","items":"int"}`, long(long(nil, math.MinInt64), 1), func() any { return new([]int) }, hamba.DefaultConfig},
		{"map, block count MinInt64", `{"type":"map","values":"int"}`, long(long(nil, math.MinInt64), 1), func() any { return new(map[string]int) }, hamba.DefaultConfig},
		{"array, negative block byte size", `{"type":"array","items":"int"}`, long(long(long(nil, -1), -5), 2), func() any { return new([]int) }, hamba.DefaultConfig},
		{"array of null, cumulative overflow", `{"type":"array","items":"null"}`, long(long(nil, 1), math.MaxInt64), func() any { return new([]*struct{}) }, hamba.DefaultConfig},
		{"array of null, past the configured limit", `{"type":"array","items":"null"}`, long(long(nil, 60_000), 60_000), func() any { return new([]*struct{}) }, limits},
		// GO-2026-5048: one map past the limit, in sub-limit blocks.
		{"map past MaxMapAllocSize in small blocks", `{"type":"map","values":"null"}`, manyNullMap(100_001), func() any { return new(map[string]*struct{}) }, limits},
		{"map past MaxMapAllocSize, generic", `{"type":"map","values":"null"}`, manyNullMap(100_001), func() any { return new(any) }, limits},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := hamba.MustParse(tc.schema)
			err := decodeBounded(t, func() error { return tc.cfg.Unmarshal(s, tc.payload, tc.into()) })
			if err == nil {
				t.Fatal("decoded a hostile payload without an error")
			}
		})
	}
}

// TestHostileLimitsAllowLegitimateData: the limits bite past the limit, not
// at it, and a map in many blocks is counted as one map.
func TestHostileLimitsAllowLegitimateData(t *testing.T) {
	limits := hamba.Config{MaxSliceAllocSize: 100_000, MaxMapAllocSize: 100_000}.Freeze()
	var m map[string]*struct{}
	if err := limits.Unmarshal(hamba.MustParse(`{"type":"map","values":"null"}`), manyNullMap(100_000), &m); err != nil {
		t.Fatalf("a map of exactly the limit: %v", err)
	}
	if len(m) != 100_000 {
		t.Fatalf("got %d entries, want 100000", len(m))
	}
	var a []*struct{}
	if err := limits.Unmarshal(hamba.MustParse(`{"type":"array","items":"null"}`), long(long(long(nil, 50_000), 50_000), 0), &a); err != nil {
		t.Fatalf("an array of exactly the limit in two blocks: %v", err)
	}
	if len(a) != 100_000 {
		t.Fatalf("got %d items, want 100000", len(a))
	}
}

// TestHostileWriterSchemaThroughTheCodec drives the realistic path: the
// registry hands the consumer a writer schema with a field the reader does
// not know, so the decoder skips it, and the record claims MaxInt64 items in
// it. Skipping reads nothing per null item, so only a bound stops it.
func TestHostileWriterSchemaThroughTheCodec(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	src := schemas.Source(schemas.NameStatusChanged)
	hostile := strings.Replace(src, `"fields": [`, `"fields": [{"name": "junk", "type": {"type": "array", "items": "null"}, "default": []},`, 1)
	if hostile == src {
		t.Fatal("test schema edit did not apply")
	}
	id := reg.put("postident.case-status-changed.v1-value", hostile)
	for _, tc := range []struct {
		name  string
		count int64
	}{{"MaxInt64 skipped items", math.MaxInt64}, {"MinInt64 block count", math.MinInt64}} {
		t.Run(tc.name, func(t *testing.T) {
			data := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), long(nil, tc.count)...)
			codec := newCodec(t, avro.Config{RegistryURL: reg.URL})
			var got connector.CaseStatusChanged
			if err := decodeBounded(t, func() error { return codec.Decode(ctx, data, &got) }); err == nil {
				t.Fatal("decoded a hostile record without an error")
			}
		})
	}
}
