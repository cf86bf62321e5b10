package connector

import (
	"context"
	"time"
)

// planFetch reports whether notes, the notifications of one case, need the
// case fetched at all, given prev, the memo of what was emitted for it
// (tracked false: nothing was). The processor asks it before a fetch, so
// what it skips costs no call to POSTIDENT and no decryption; planCase
// decides on what a fetch returns.
func planFetch(prev memo, tracked, partnerMode bool, notes []*Notification) bool {
	if !tracked {
		return true
	}
	if prev.forgotten() {
		return false // erased on request: never written again
	}
	// Closed is terminal (guide 8.3): once its result is out (or, for a
	// partner, its final status), later notifications of the case change
	// nothing and need no decryption.
	if prev.caseStatus == codeOf(memoCaseStatus, CaseClosed) && (prev.result() || partnerMode) {
		return false
	}
	// Reconcile snapshots equal to what was emitted need no fetch. Every
	// one of them must be: snapshots of overlapping reconcile runs (a
	// lease handed over mid-run, an on-demand run beside the periodic one)
	// can reach the topic out of order, so the last one of a batch may be
	// older than one before it. Deciding by the last alone lost the newer
	// state when the older one equalled what was emitted, and for a state
	// POSTIDENT sends no webhook for (most incomplete states) nothing
	// brought it again.
	for _, n := range notes {
		if n.Snapshot == nil {
			return true // a webhook or a retry: only a fetch tells
		}
		k := keyOfSnapshot(n.Snapshot)
		if prev.fp != fingerprint(k) || (k.CaseStatus == CaseClosed && !prev.result() && !partnerMode) {
			return true
		}
	}
	return false
}

// casePlan is what to emit for one fetched case given what was emitted for
// it before: the decision of the processor and of a backfill, made in one
// place (planCase) so the two cannot drift apart.
type casePlan struct {
	// key is the case's identification state (IdentKeyOf).
	key IdentKey
	// status: emit a CaseStatusChanged, because the case is new to the
	// state or its identification state changed. previous is the state
	// it names as the previous one (nil for a case not tracked).
	status   bool
	previous *CaseState
	// result: emit the CaseResult, because the case is closed and its
	// result has not gone out; never in partner mode (guide chapter 9).
	result bool
	// state: write a state record and, once it is durable, remember memo.
	// A case with nothing new gets no state record either.
	state bool
	memo  memo
	// statusID and resultID are the event ids the state record names.
	// planCase fills in those of events emitted before (the status event of
	// an unchanged state, a result that went out earlier), and only when a
	// state record is written; appendEvents fills in those it emits.
	statusID string
	resultID *string
}

// planCase decides what to emit for c, given prev, the memo of what was
// emitted for it (tracked false: nothing was, as for every case of a
// backfill). It is pure: no I/O, no clock (now is the time the new memo
// records), no metrics.
func planCase(clientID string, partnerMode bool, c *CaseResult, prev memo, tracked bool, now time.Time) casePlan {
	pl := casePlan{key: IdentKeyOf(c)}
	resultBefore := tracked && prev.result()
	pl.status = !tracked || prev.fp != fingerprint(pl.key)
	if pl.status && tracked {
		pl.previous = prev.previous(c.CaseID)
	}
	pl.result = !partnerMode && !resultBefore && c.CaseStatus.Status == CaseClosed
	pl.state = pl.status || pl.result
	if !pl.state {
		return pl
	}
	pl.memo = memoOf(pl.key, resultBefore || pl.result, now)
	if !pl.status {
		pl.statusID = StatusEventID(clientID, c.CaseID, pl.key)
	}
	if resultBefore {
		id := ResultEventID(clientID, c.CaseID, pl.key)
		pl.resultID = &id
	}
	return pl
}

// appendEvents appends the records of the events pl calls for, the
// CaseStatusChanged and then the CaseResult, and sets pl's ids of the
// events it emits. The state record is the processor's (a backfill writes
// none).
func (b recordBuilder) appendEvents(ctx context.Context, out []Message, topics Topics, c *CaseResult, pl *casePlan, origin Origin, now time.Time) ([]Message, error) {
	var err error
	if pl.status {
		ev := NewStatusChanged(b.clientID, c, pl.previous, origin, now)
		if out, err = b.appendEvent(ctx, out, topics.Status, TypeStatusChanged, ev.EventID, c.CaseID, now, origin, ev); err != nil {
			return out, err
		}
		pl.statusID = ev.EventID
	}
	if pl.result {
		ev := NewCaseResultEvent(b.clientID, c, origin, now)
		if out, err = b.appendEvent(ctx, out, topics.Result, TypeCaseResult, ev.EventID, c.CaseID, now, origin, ev); err != nil {
			return out, err
		}
		id := ev.EventID
		pl.resultID = &id
	}
	return out, nil
}
