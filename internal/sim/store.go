package sim

import (
	"slices"
	"sort"
	"time"
)

// Flag bits of the list index: one bit per case status, one for archived.
const (
	flagNew        uint8 = 1 << 0
	flagInProgress uint8 = 1 << 1
	flagClosed     uint8 = 1 << 2
	flagArchived   uint8 = 1 << 3
)

// store holds the cases ordered by creation, with a parallel byte array of
// status flags: a list query binary-searches the created window and scans
// bytes, touching a case only when it matches, so 100 000 cases cost well
// under a millisecond to filter. Guarded by Sim.mu.
type store struct {
	byID  map[string]*simCase
	ord   []*simCase // by (created, seq)
	flags []uint8    // flags[i] belongs to ord[i]
}

func newStore() *store { return &store{byID: map[string]*simCase{}} }

func before(a, b *simCase) bool {
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	return a.seq < b.seq
}

// index returns the position of c in ord (c must be stored).
func (st *store) index(c *simCase) int {
	i := sort.Search(len(st.ord), func(i int) bool { return !before(st.ord[i], c) })
	for ; i < len(st.ord) && st.ord[i] != c; i++ {
	}
	return i
}

// insert stores c; cases arrive in creation order except loaded ones.
func (st *store) insert(c *simCase) {
	st.byID[c.id] = c
	if n := len(st.ord); n == 0 || before(st.ord[n-1], c) {
		st.ord = append(st.ord, c)
		st.flags = append(st.flags, c.flags())
		return
	}
	i := sort.Search(len(st.ord), func(i int) bool { return before(c, st.ord[i]) })
	st.ord = slices.Insert(st.ord, i, c)
	st.flags = slices.Insert(st.flags, i, c.flags())
}

// update refreshes the flags of c after its status or archived flag changed.
func (st *store) update(c *simCase) {
	if i := st.index(c); i < len(st.ord) {
		st.flags[i] = c.flags()
	}
}

// deleteCreatedUpTo removes every case created at or before cutoff and
// returns how many it removed.
func (st *store) deleteCreatedUpTo(cutoff time.Time) int {
	n := sort.Search(len(st.ord), func(i int) bool { return st.ord[i].created.After(cutoff) })
	if n == 0 {
		return 0
	}
	for _, c := range st.ord[:n] {
		delete(st.byID, c.id)
	}
	clear(st.ord[:n])
	st.ord = st.ord[n:]
	st.flags = st.flags[n:]
	// Let the backing arrays shrink once the dead prefix dominates.
	if cap(st.ord) > 2*len(st.ord)+1024 {
		st.ord = slices.Clone(st.ord)
		st.flags = slices.Clone(st.flags)
	}
	return n
}

// oldest returns the creation time of the oldest case, or false.
func (st *store) oldest() (time.Time, bool) {
	if len(st.ord) == 0 {
		return time.Time{}, false
	}
	return st.ord[0].created, true
}

// listQuery is a parsed list request (guide 7.5).
type listQuery struct {
	statuses                  uint8 // flagNew | flagInProgress | flagClosed
	archived                  bool  // include archived cases
	createdFrom, createdUntil time.Time
	closedFrom, closedUntil   time.Time
	limit                     int
}

// find returns up to q.limit matching cases in creation order and whether
// more matched.
func (st *store) find(q listQuery) (out []*simCase, more bool) {
	lo, hi := 0, len(st.ord)
	if !q.createdFrom.IsZero() {
		lo = sort.Search(len(st.ord), func(i int) bool { return !st.ord[i].created.Before(q.createdFrom) })
	}
	if !q.createdUntil.IsZero() {
		hi = sort.Search(len(st.ord), func(i int) bool { return st.ord[i].created.After(q.createdUntil) })
	}
	closedWindow := !q.closedFrom.IsZero() || !q.closedUntil.IsZero()
	for i := lo; i < hi; i++ {
		f := st.flags[i]
		if f&q.statuses == 0 || (!q.archived && f&flagArchived != 0) {
			continue
		}
		if closedWindow {
			c := st.ord[i]
			if f&flagClosed == 0 || c.closedAt.IsZero() ||
				(!q.closedFrom.IsZero() && c.closedAt.Before(q.closedFrom)) ||
				(!q.closedUntil.IsZero() && c.closedAt.After(q.closedUntil)) {
				continue
			}
		}
		if len(out) == q.limit {
			return out, true
		}
		out = append(out, st.ord[i])
	}
	return out, false
}
