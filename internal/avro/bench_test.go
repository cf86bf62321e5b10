package avro_test

import (
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
)

func BenchmarkEncodeCaseResult(b *testing.B) {
	ctx := testCtx(b)
	c := newCodec(b, avro.Config{})
	ev := avrotest.CaseResult()
	data, err := c.Encode(ctx, "postident.case-result.v1", ev)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(ctx, "postident.case-result.v1", ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCaseResult(b *testing.B) {
	ctx := testCtx(b)
	c := newCodec(b, avro.Config{})
	data, err := c.Encode(ctx, "postident.case-result.v1", avrotest.CaseResult())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var ev connector.CaseResultEvent
		if err := c.Decode(ctx, data, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCaseResultRegistry(b *testing.B) {
	ctx := testCtx(b)
	reg := newTestRegistryB(b)
	c := newCodec(b, avro.Config{RegistryURL: reg.URL, AutoRegister: true})
	data, err := c.Encode(ctx, "postident.case-result.v1", avrotest.CaseResult())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var ev connector.CaseResultEvent
		if err := c.Decode(ctx, data, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStatusChanged(b *testing.B) {
	ctx := testCtx(b)
	c := newCodec(b, avro.Config{})
	ev := avrotest.StatusChanged()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(ctx, "postident.case-status-changed.v1", ev); err != nil {
			b.Fatal(err)
		}
	}
}
