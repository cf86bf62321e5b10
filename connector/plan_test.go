package connector

import (
	"testing"
	"time"
)

// planCaseOf is a case of the planner's table: caseStatus and, when method
// is set, a primary identification in status.
func planCaseOf(caseStatus string, method Method, status string, sub int) *CaseResult {
	c := &CaseResult{CaseID: "YR9W91GEZK24", CaseStatus: CaseStatus{Status: caseStatus}}
	if method != "" {
		c.PrimaryIdent = &IdentificationResult{IdentificationMethod: method, IdentificationStatus: IdentificationStatus{
			Status: status, Modified: NewTime(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))}}
		if sub != 0 {
			c.PrimaryIdent.IdentificationStatus.SubStatus = &Code{Code: Int(sub)}
		}
	}
	return c
}

// TestPlanCase is the planner's decision table: what to emit for a fetched
// case given what was emitted for it (nothing, the same state, another
// state; with or without its result), in normal and in partner mode.
func TestPlanCase(t *testing.T) {
	const client = "1234ABCD"
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	earlier := now.Add(-48 * time.Hour)
	inProgress := planCaseOf(CaseInProgress, MethodVideo, StatusReviewPending, 0)
	closed := planCaseOf(CaseClosed, MethodVideo, StatusSuccess, 0)
	closedDeclined := planCaseOf(CaseClosed, MethodVideo, StatusDeclined, 0)
	fresh := planCaseOf(CaseNew, "", "", 0)
	memoFor := func(c *CaseResult, result bool) memo { return memoOf(IdentKeyOf(c), result, earlier) }

	for _, tc := range []struct {
		name    string
		c       *CaseResult
		prev    memo
		tracked bool
		partner bool

		status, previous, result, state bool
		memoResult                      bool   // the new memo records the result as out
		statusIDBefore                  bool   // the state record names the status event emitted before
		resultIDBefore                  bool   // ... and the result emitted before
		previousStatus                  string // the previous state's identification status
	}{
		{name: "new case, untracked", c: fresh, status: true, state: true},
		{name: "in progress, untracked", c: inProgress, status: true, state: true},
		{name: "closed, untracked (a backfill)", c: closed, status: true, result: true, state: true, memoResult: true},
		{name: "closed, untracked, partner", c: closed, partner: true, status: true, state: true},
		{name: "in progress, unchanged", c: inProgress, prev: memoFor(inProgress, false), tracked: true},
		{name: "closed, unchanged, result out", c: closed, prev: memoFor(closed, true), tracked: true},
		{name: "closed, unchanged, partner", c: closed, prev: memoFor(closed, false), tracked: true, partner: true},
		{name: "closed, unchanged, result missing", c: closed, prev: memoFor(closed, false), tracked: true,
			result: true, state: true, memoResult: true, statusIDBefore: true},
		{name: "in progress to closed", c: closed, prev: memoFor(inProgress, false), tracked: true,
			status: true, previous: true, previousStatus: StatusReviewPending, result: true, state: true, memoResult: true},
		{name: "in progress to closed, partner", c: closed, prev: memoFor(inProgress, false), tracked: true, partner: true,
			status: true, previous: true, previousStatus: StatusReviewPending, state: true},
		{name: "closed changed after its result", c: closedDeclined, prev: memoFor(closed, true), tracked: true,
			status: true, previous: true, previousStatus: StatusSuccess, state: true, memoResult: true, resultIDBefore: true},
		{name: "substatus changed", c: planCaseOf(CaseInProgress, MethodVideo, StatusReviewPending, 15), prev: memoFor(inProgress, false), tracked: true,
			status: true, previous: true, previousStatus: StatusReviewPending, state: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := planCase(client, tc.partner, tc.c, tc.prev, tc.tracked, now)
			key := IdentKeyOf(tc.c)
			if pl.key != key {
				t.Errorf("key = %+v, want %+v", pl.key, key)
			}
			if pl.status != tc.status || pl.result != tc.result || pl.state != tc.state {
				t.Errorf("status, result, state = %v, %v, %v; want %v, %v, %v", pl.status, pl.result, pl.state, tc.status, tc.result, tc.state)
			}
			if (pl.previous != nil) != tc.previous {
				t.Errorf("previous = %+v, want one: %v", pl.previous, tc.previous)
			} else if tc.previous && (pl.previous.Status == nil || *pl.previous.Status != tc.previousStatus) {
				t.Errorf("previous status = %v, want %q", pl.previous.Status, tc.previousStatus)
			}
			if !tc.state {
				if pl.memo != (memo{}) || pl.statusID != "" || pl.resultID != nil {
					t.Errorf("nothing to write, yet memo %+v, ids %q %v", pl.memo, pl.statusID, pl.resultID)
				}
				return
			}
			if want := memoOf(key, tc.memoResult, now); pl.memo != want {
				t.Errorf("memo = %+v, want %+v", pl.memo, want)
			}
			wantStatusID := ""
			if tc.statusIDBefore {
				wantStatusID = StatusEventID(client, tc.c.CaseID, key)
			}
			if pl.statusID != wantStatusID {
				t.Errorf("statusID = %q, want %q", pl.statusID, wantStatusID)
			}
			switch {
			case tc.resultIDBefore && (pl.resultID == nil || *pl.resultID != ResultEventID(client, tc.c.CaseID, key)):
				t.Errorf("resultID = %v, want the earlier result's", pl.resultID)
			case !tc.resultIDBefore && pl.resultID != nil:
				t.Errorf("resultID = %q, want none before the events are built", *pl.resultID)
			}
		})
	}
}

// TestPlanCasePure: planning twice gives the same plan and leaves the case
// alone (the processor plans cases of one batch in parallel).
func TestPlanCasePure(t *testing.T) {
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	c := planCaseOf(CaseClosed, MethodVideo, StatusSuccess, 0)
	prev := memoOf(IdentKeyOf(planCaseOf(CaseInProgress, MethodVideo, StatusReviewPending, 0)), false, now)
	a := planCase("1234ABCD", false, c, prev, true, now)
	b := planCase("1234ABCD", false, c, prev, true, now)
	if a.key != b.key || a.status != b.status || a.result != b.result || a.state != b.state || a.memo != b.memo ||
		*a.previous.Status != *b.previous.Status || a.previous == b.previous {
		t.Fatalf("two plans differ: %+v and %+v", a, b)
	}
	if c.CaseID != "YR9W91GEZK24" || c.CaseStatus.Status != CaseClosed || c.PrimaryIdent.IdentificationStatus.Status != StatusSuccess {
		t.Fatalf("planning changed the case: %+v", c)
	}
}

// TestPlanFetch is the table of what needs a fetch before any: nothing is
// skipped for a case never emitted, a forgotten case is never fetched, a
// closed case whose result (or, for a partner, final status) went out needs
// none, and reconcile snapshots equal to what was emitted need none.
func TestPlanFetch(t *testing.T) {
	at := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	inProgress := planCaseOf(CaseInProgress, MethodVideo, StatusReviewPending, 0)
	closed := planCaseOf(CaseClosed, MethodVideo, StatusSuccess, 0)
	started := planCaseOf(CaseInProgress, "", "", 0) // no identification yet
	memoFor := func(c *CaseResult, result bool) memo { return memoOf(IdentKeyOf(c), result, at) }
	webhook := &Notification{CaseID: "YR9W91GEZK24", Origin: string(OriginWebhook)}
	snapshot := func(c *CaseResult) *Notification {
		return &Notification{CaseID: "YR9W91GEZK24", Origin: string(OriginReconcile), Snapshot: SnapshotOf(c)}
	}
	forgotten := memoFor(closed, true)
	forgotten.day |= memoForgotten

	for _, tc := range []struct {
		name    string
		prev    memo
		tracked bool
		partner bool
		notes   []*Notification
		want    bool
	}{
		{"untracked webhook", memo{}, false, false, []*Notification{webhook}, true},
		{"untracked snapshot", memo{}, false, false, []*Notification{snapshot(inProgress)}, true},
		{"forgotten", forgotten, true, false, []*Notification{webhook}, false},
		{"closed, result out", memoFor(closed, true), true, false, []*Notification{webhook}, false},
		{"closed, result missing", memoFor(closed, false), true, false, []*Notification{webhook}, true},
		{"closed, partner", memoFor(closed, false), true, true, []*Notification{webhook}, false},
		{"in progress, webhook", memoFor(inProgress, false), true, false, []*Notification{webhook}, true},
		{"in progress, equal snapshot", memoFor(inProgress, false), true, false, []*Notification{snapshot(inProgress)}, false},
		{"in progress, newer snapshot", memoFor(inProgress, false), true, false, []*Notification{snapshot(closed)}, true},
		{"equal snapshot after a webhook", memoFor(inProgress, false), true, false, []*Notification{webhook, snapshot(inProgress)}, true},
		{"equal snapshots", memoFor(inProgress, false), true, false, []*Notification{snapshot(inProgress), snapshot(inProgress)}, false},
		// Snapshots of overlapping reconcile runs out of order: the newer
		// state comes first. Deciding by the last one skipped the fetch and
		// lost the newer state (TestEndToEndMethodsAndClasses, seed
		// 1796394023716206689: an incomplete state never emitted).
		{"a stale snapshot after a newer one", memoFor(inProgress, false), true, false, []*Notification{snapshot(closed), snapshot(inProgress)}, true},
		// The price: a stale snapshot before an equal one costs a fetch
		// (the fetch tells the current state; nothing is emitted twice).
		{"a stale snapshot before an equal one", memoFor(inProgress, false), true, false, []*Notification{snapshot(started), snapshot(inProgress)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := planFetch(tc.prev, tc.tracked, tc.partner, tc.notes); got != tc.want {
				t.Errorf("planFetch = %v, want %v", got, tc.want)
			}
		})
	}
}
