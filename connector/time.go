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
//
// The shapes POSTIDENT sends are decoded by hand (parseTimeFast), because
// time.Parse through up to four layouts cost about 300-600 ns a timestamp,
// and a list page carries ten or more per case (issue 8). Everything else
// goes to parseTimeJSON, the original parser, so which inputs are accepted
// and what they decode to does not depend on the fast path.
func (t *Time) UnmarshalJSON(b []byte) error {
	if v, ok := parseTimeFast(b, time.Local); ok {
		*t = v
		return nil
	}
	v, err := parseTimeJSON(b)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// parseTimeJSON is the general parser and the reference for parseTimeFast:
// the tests compare the two on tricky tables and by fuzzing. Its order of
// layouts decides what mixed inputs mean; keep it as it is.
func parseTimeJSON(b []byte) (Time, error) {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		return Time{}, nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return Time{}, fmt.Errorf("timestamp: expected a JSON string")
	}
	s := string(b[1 : len(b)-1])
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			return Time{v}, nil
		}
	}
	return Time{}, fmt.Errorf("timestamp: not ISO 8601 with offset (%d characters)", len(s))
}

// parseTimeFast decodes null and the quoted shapes
//
//	"2006-01-02T15:04:05±hh:mm"   "2006-01-02T15:04:05Z"
//	"2006-01-02T15:04:05.9±hh:mm" "2006-01-02T15:04:05.9Z" (1 to 9 digits)
//
// with every field in range (offset hours 00-23, minutes 00-59), to exactly
// the time.Time parseTimeJSON gives: for a numeric offset the first layout
// (TimeLayout, which takes a fraction it does not spell) wins, for Z the
// second (RFC3339Nano). ok is false for anything else, which then goes to
// parseTimeJSON: false means "not decided here", never "invalid".
//
// local stands in for time.Local, which time.Parse consults: an offset that
// local has at that instant yields a time in local, any other a fixed zone
// without a name, as time.Parse does.
func parseTimeFast(b []byte, local *time.Location) (Time, bool) {
	if string(b) == "null" { // an absent value, as in parseTimeJSON
		return Time{}, true
	}
	// The shortest shape is `"2006-01-02T15:04:05Z"`, 22 bytes; the longest
	// `"2006-01-02T15:04:05.999999999-07:00"`, 37.
	if len(b) < 22 || len(b) > 37 || b[0] != '"' || b[len(b)-1] != '"' {
		return Time{}, false
	}
	s := b[1 : len(b)-1]
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return Time{}, false
	}
	yh, ok1 := num2(s[0], s[1])
	yl, ok2 := num2(s[2], s[3])
	month, ok3 := num2(s[5], s[6])
	day, ok4 := num2(s[8], s[9])
	hour, ok5 := num2(s[11], s[12])
	minute, ok6 := num2(s[14], s[15])
	sec, ok7 := num2(s[17], s[18])
	year := yh*100 + yl
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return Time{}, false
	}
	rest := s[19:]

	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			nsec = nsec*10 + int(rest[n]-'0')
			n++
		}
		digits := n - 1
		if digits < 1 || digits > 9 {
			return Time{}, false
		}
		for range 9 - digits {
			nsec *= 10
		}
		rest = rest[n:]
	}

	utc := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if len(rest) == 1 && rest[0] == 'Z' {
		return Time{utc}, true
	}
	if len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
		return Time{}, false
	}
	oh, ok1 := num2(rest[1], rest[2])
	om, ok2 := num2(rest[4], rest[5])
	if !ok1 || !ok2 || oh > 23 || om > 59 {
		return Time{}, false
	}
	offset := (oh*60 + om) * 60
	if rest[0] == '-' {
		offset = -offset
	}
	at := utc.Add(-time.Duration(offset) * time.Second)
	if l := at.In(local); zoneOffset(l) == offset {
		return Time{l}, true
	}
	return Time{at.In(time.FixedZone("", offset))}, true
}

// zoneOffset is t's offset east of UTC in seconds.
func zoneOffset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// num2 reads two ASCII digits.
func num2(hi, lo byte) (int, bool) {
	h, l := hi-'0', lo-'0' // a non-digit wraps to more than 9
	return int(h)*10 + int(l), h <= 9 && l <= 9
}

// daysIn is the length of month m (1-12) in the proleptic Gregorian year,
// as the time package counts it.
func daysIn(m, year int) int {
	if m == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	// 31 days in January to July at odd months, August to December at even.
	return 30 + (m+m/8)&1
}
