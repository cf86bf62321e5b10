package connector

import "fmt"

// ListEntriesError is returned by Source.List together with the entries of
// a page that could be read, when others could not (an entry of the wrong
// shape, without a caseId, ...). One bad entry must not hide the rest of
// the page, nor, for the reconciler, stop every run for as long as the
// case stays within the lookback: the caller uses the readable cases and
// treats the unreadable ones case by case (the reconciler notifies them,
// so that the processor fetches each alone and parks it if its own answer
// is bad too; the processor's list prefetch leaves them to single GETs).
//
// It wraps ErrCaseUnreadable. Its text carries counts, caseIds and the
// first entry's decode error (a field path and a JSON kind, never a value).
type ListEntriesError struct {
	// CaseIDs are the unreadable entries whose caseId could be read and is
	// well-formed.
	CaseIDs []string
	// Unidentified counts the unreadable entries without a usable caseId.
	Unidentified int
	// Err is the first unreadable entry's decode error.
	Err error
}

func (e *ListEntriesError) Error() string {
	return fmt.Sprintf("%d list entries unreadable (%d without a usable caseId), first: %v",
		len(e.CaseIDs)+e.Unidentified, e.Unidentified, e.Err)
}

// Unwrap makes errors.Is(err, ErrCaseUnreadable) true, and keeps the first
// entry's error reachable.
func (e *ListEntriesError) Unwrap() []error { return []error{ErrCaseUnreadable, e.Err} }
