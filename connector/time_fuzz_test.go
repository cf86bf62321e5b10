package connector

import "testing"

// FuzzTimeUnmarshal compares UnmarshalJSON, whose fast path decides the
// common shapes, with parseTimeJSON, the general parser it replaced, on
// arbitrary input: as the raw JSON value and wrapped in quotes, so that
// mutations of the seeds stay close to timestamps.
func FuzzTimeUnmarshal(f *testing.F) {
	for _, tc := range timeCases {
		f.Add(tc.in)
	}
	f.Add("2024-04-02T10:15:30+02:00")
	f.Add("2024-04-02T08:15:30.123456789Z")
	f.Fuzz(func(t *testing.T, s string) {
		sameAsReference(t, []byte(s))
		sameAsReference(t, []byte(`"`+s+`"`))
	})
}
