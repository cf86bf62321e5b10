package connector

import (
	"math"
	"testing"
	"time"
	"unsafe"
)

// TestMemoSize: the memo stays at 24 bytes, what the memory figures in
// docs/BENCHMARKS.md assume (one per tracked case).
func TestMemoSize(t *testing.T) {
	if got := unsafe.Sizeof(memo{}); got != 24 {
		t.Errorf("memo is %d bytes, want 24", got)
	}
}

// TestSecondsOf: the last-change clock saturates at both ends instead of
// wrapping, so a bad updatedAt makes an entry old (expired), never young
// forever.
func TestSecondsOf(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want uint32
	}{
		{time.Time{}, 0},
		{memoEpoch.Add(-time.Hour), 0},
		{memoEpoch, 0},
		{memoEpoch.Add(90 * time.Second), 90},
		{memoEpoch.Add(time.Duration(math.MaxUint32) * time.Second), math.MaxUint32},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxUint32},
	} {
		if got := secondsOf(tc.t); got != tc.want {
			t.Errorf("secondsOf(%s) = %d, want %d", tc.t, got, tc.want)
		}
	}
	s := NewState()
	at := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	s.Apply("YR9W91GEZK24", &CaseState{CaseID: "YR9W91GEZK24", UpdatedAt: at.Add(999 * time.Millisecond)})
	if got, ok := s.LastChange("YR9W91GEZK24"); !ok || !got.Equal(at) {
		t.Errorf("LastChange = %s, %v; want %s", got, ok, at)
	}
}
