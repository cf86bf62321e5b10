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

func tsPtr(t Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := msUTC(t.Time)
	return &v
}

func strPtr[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

func int32Ptr[I ~int](v I) *int32 {
	i := int32(v)
	return &i
}

func intPtr32[I ~int](p *I) *int32 {
	if p == nil {
		return nil
	}
	return int32Ptr(*p)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
