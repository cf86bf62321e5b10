package connector

import (
	"testing"
	"time"
)

// TestLastModifiedIsTheLatest: a parked case's version is the latest
// `modified` its snapshots carried, whatever their order: snapshots of
// overlapping reconcile runs can arrive out of order, and the last one's
// older version made the next snapshot look like a new version (a second
// dead-letter record for the same answer).
func TestLastModifiedIsTheLatest(t *testing.T) {
	t1 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	t2 := t1.Add(time.Minute)
	snap := func(m time.Time) *Notification {
		return &Notification{CaseID: "A1", Snapshot: &StatusSnapshot{Modified: &m}}
	}
	webhook := &Notification{CaseID: "A1"}
	for _, tc := range []struct {
		name  string
		notes []*Notification
		want  *time.Time
	}{
		{"webhook only", []*Notification{webhook}, nil},
		{"in order", []*Notification{snap(t1), webhook, snap(t2)}, &t2},
		{"out of order", []*Notification{snap(t2), snap(t1), webhook}, &t2},
	} {
		got := lastModified(&caseWork{caseID: "A1", notes: tc.notes})
		if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
			t.Errorf("%s: lastModified = %v, want %v", tc.name, got, tc.want)
		}
	}
}
