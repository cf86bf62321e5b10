package connector

import (
	"testing"
	"time"
	"unsafe"
)

// TestMemoSize: the memo stays at 16 bytes, what the memory figures in
// docs/BENCHMARKS.md assume (one per tracked case).
func TestMemoSize(t *testing.T) {
	if got := unsafe.Sizeof(memo{}); got != 16 {
		t.Errorf("memo is %d bytes, want 16", got)
	}
}

// TestDaysOf: the last-change day saturates at both ends instead of
// wrapping into the forgotten bit, so a bad updatedAt makes an entry old
// (expired), never young forever or forgotten.
func TestDaysOf(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want uint16
	}{
		{time.Time{}, 0},
		{memoEpoch.Add(-time.Hour), 0},
		{memoEpoch, 0},
		{memoEpoch.Add(47 * time.Hour), 1},
		{memoEpoch.Add(memoDayMask * 24 * time.Hour), memoDayMask},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), memoDayMask},
	} {
		if got := daysOf(tc.t); got != tc.want {
			t.Errorf("daysOf(%s) = %d, want %d", tc.t, got, tc.want)
		}
	}
	s := NewState()
	at := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	s.Apply("YR9W91GEZK24", &CaseState{CaseID: "YR9W91GEZK24", UpdatedAt: at})
	if got, ok := s.LastChange("YR9W91GEZK24"); !ok || !got.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("LastChange = %s, %v; want the day of %s", got, ok, at)
	}
	if s.Forgotten("YR9W91GEZK24") {
		t.Error("a plain state reads as forgotten")
	}
}

// TestMemoRoundTrip: every code the tables know, and values outside them,
// survive packing: previous() rebuilds what was recorded, and the flags do
// not bleed into the codes.
func TestMemoRoundTrip(t *testing.T) {
	methods := append(append([]string(nil), memoMethods...), "telepathy")
	statuses := append(append([]string(nil), memoStatuses...), "unheardOf")
	for _, cs := range append(append([]string(nil), memoCaseStatus...), "weird") {
		for _, me := range methods {
			for _, st := range statuses {
				for _, res := range []bool{false, true} {
					k := IdentKey{CaseStatus: cs, Method: me, Status: st, SubStatus: 4711, Reason: 65535}
					m := memoOf(k, res, memoEpoch.Add(400*24*time.Hour))
					if m.result() != res || m.forgotten() || m.days() != 400 {
						t.Fatalf("%+v: result %v forgotten %v days %d", k, m.result(), m.forgotten(), m.days())
					}
					m.day |= memoForgotten
					if !m.forgotten() || m.days() != 400 {
						t.Fatalf("forgotten bit bleeds into the day: %d", m.days())
					}
					p := m.previous("YR9W91GEZK24")
					want := func(s string, table []string) string {
						if s != "" && codeOf(table, s) == 255 {
							return memoOtherMarker
						}
						return s
					}
					if p.CaseStatus != want(cs, memoCaseStatus) || strOf(p.Method) != want(me, memoMethods) ||
						(me != "" && strOf(p.Status) != want(st, memoStatuses)) || *p.SubStatusCode != 4711 || *p.SubStatusReasonCode != 65535 {
						t.Fatalf("%+v: previous %+v method %q status %q", k, p, strOf(p.Method), strOf(p.Status))
					}
				}
			}
		}
	}
}

func strOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
