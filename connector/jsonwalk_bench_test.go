package connector_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/guidesample"
)

// BenchmarkKeepUnmapped is the walk after encoding/json has decoded the
// guide's 7.4.1 sample, as sent (indented) and compact (as the simulator
// sends); the sample has no unmapped member, the usual case.
func BenchmarkKeepUnmapped(b *testing.B) {
	indented := guidesample.Case()
	var compact bytes.Buffer
	if err := json.Compact(&compact, indented); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		raw  []byte
	}{{"indented", indented}, {"compact", compact.Bytes()}} {
		b.Run(bc.name, func(b *testing.B) {
			var c connector.CaseResult
			if err := json.Unmarshal(bc.raw, &c); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bc.raw)))
			b.ReportAllocs()
			for b.Loop() {
				connector.KeepUnmapped(bc.raw, &c)
			}
		})
	}
}
