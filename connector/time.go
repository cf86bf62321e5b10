package connector

import (
	"bytes"
	"fmt"
	"time"
)

// TimeLayout is how POSTIDENT writes timestamps: ISO 8601, seconds accuracy,
// and the offset to Zulu time as ±hh:mm at the end (guide 8.3).
const TimeLayout = "2006-01-02T15:04:05-07:00"

// Time is a POSTIDENT timestamp. The zero Time stands for an absent or empty
// value; it marshals as JSON null so that `omitzero` drops it from objects.
type Time struct{ time.Time }

// NewTime wraps t, truncated to the second as POSTIDENT reports it.
func NewTime(t time.Time) Time { return Time{t.Truncate(time.Second)} }

// MarshalJSON writes the POSTIDENT layout, keeping the value's own offset.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON accepts the POSTIDENT layout and any RFC 3339 variant (with
// fractional seconds or a trailing Z); null and "" leave the zero Time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("timestamp: expected a JSON string")
	}
	s := string(b[1 : len(b)-1])
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = Time{v}
			return nil
		}
	}
	return fmt.Errorf("timestamp: not ISO 8601 with offset (%d characters)", len(s))
}
