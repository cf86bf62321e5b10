package connector

import "time"

// This file holds the conversions from POSTIDENT values to event values
// that carry the conventions of avro_types.go: times in UTC at millisecond
// precision, absent or empty values as nil.

// msUTC is t in UTC at the millisecond precision of timestamp-millis, so
// an event compares equal to itself after an Avro round trip.
func msUTC(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// ts converts a POSTIDENT time; an absent one stays the zero time.Time.
func ts(t Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return msUTC(t.Time)
}

// The opt* helpers carry the rule "absent or empty is nil" of the optional
// fields of the schemas; a plain pointer to a value is new(value).

// optTime converts a POSTIDENT time; an absent one becomes nil.
func optTime(t Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return new(msUTC(t.Time))
}

// optString is s, or nil when s is empty.
func optString[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	return new(string(s))
}

// optInt32 is *p as an int32, or nil when p is nil.
func optInt32[I ~int](p *I) *int32 {
	if p == nil {
		return nil
	}
	return new(int32(*p))
}

// optCopy is a copy of *p, or nil when p is nil, so an event shares no
// memory with the case it was built from.
func optCopy[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return new(*p)
}
