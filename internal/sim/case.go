package sim

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// Case status as a small number, for the flag index.
const (
	csNew uint8 = iota + 1
	csInProgress
	csClosed
)

var caseStatusText = map[uint8]string{
	csNew:        connector.CaseNew,
	csInProgress: connector.CaseInProgress,
	csClosed:     connector.CaseClosed,
}

// simCase is one case. Its fields are guarded by Sim.mu; result data is not
// stored but generated from Seed, caseId and the states on every read, so
// 100 000 cases stay small.
type simCase struct {
	id      string
	seq     uint64
	class   connector.Class
	method  connector.Method   // the method the case was created for
	methods []connector.Method // configured methods: method first, then extras
	partner bool               // created by the partner login (own accounting number)

	created, modified, validUntil, closedAt time.Time
	status                                  uint8
	archived                                bool

	order  *connector.OrderData
	idents []*identState

	steps []step
	pos   int
	auto  bool // advanced by the scheduler (streamed cases)

	transitions []transition

	// fixed holds a case loaded verbatim with LoadCase.
	fixed *fixedCase

	// version changes on every modification; it keys the JSON cache.
	version uint64
	cache   [2]atomic.Pointer[cachedJSON] // status views: primary, full
}

// cachedJSON is a marshalled view of one version of a case.
type cachedJSON struct {
	version uint64
	b       []byte
}

// fixedCase is what LoadCase keeps besides the states.
type fixedCase struct {
	contactData *connector.ContactDataResult
	accounting  *connector.AccountingData
}

// identState is one identification: its method, its current state and the
// times the result data is derived from.
type identState struct {
	method    connector.Method
	st        step // method and status fields; status is a catalog status
	created   time.Time
	modified  time.Time
	identTime time.Time // decision time of success/declined
	attempts  int       // incomplete states seen
	coupons   int       // coupon requests (basic)
	couponAt  time.Time

	// fixed is the loaded identification (LoadCase); its status object is
	// served verbatim until the simulator changes the state (dirty).
	fixed *connector.IdentificationResult
	dirty bool
}

// transition is one state an identification went through.
type transition struct {
	ident  int
	method connector.Method
	st     step
	at     time.Time
}

func (c *simCase) flags() uint8 {
	f := uint8(1) << (c.status - 1)
	if c.archived {
		f |= flagArchived
	}
	return f
}

// ident returns the identification of method m, or nil.
func (c *simCase) ident(m connector.Method) *identState {
	for _, id := range c.idents {
		if id.method == m {
			return id
		}
	}
	return nil
}

// progress ranks identification statuses by how far they got (guide 7.3).
// A cancelled identification is the least progressed: the user moved on.
func progress(status string) int {
	switch status {
	case connector.StatusStarted:
		return 1
	case connector.StatusCouponRequested:
		return 2
	case connector.StatusIncomplete:
		return 3
	case connector.StatusReviewPending:
		return 4
	case connector.StatusSuccess, connector.StatusDeclined:
		return 5
	}
	return 0
}

// open reports whether an identification can still change by the user or
// POSTIDENT (not final, not cancelled).
func (id *identState) open() bool {
	switch id.st.status {
	case connector.StatusSuccess, connector.StatusDeclined, connector.StatusCancelled:
		return false
	}
	return true
}

// snapshot is a copy of what the views of a case need, taken under the lock
// so that the (costly) JSON building runs without it.
type snapshot struct {
	c      simCase // scalar fields; slices below are copies
	idents []identState
	cache  *[2]atomic.Pointer[cachedJSON]
}

func (c *simCase) snapshot() *snapshot {
	sn := &snapshot{cache: &c.cache}
	sn.c.id, sn.c.seq, sn.c.class, sn.c.method, sn.c.partner = c.id, c.seq, c.class, c.method, c.partner
	sn.c.methods = c.methods
	sn.c.created, sn.c.modified, sn.c.validUntil, sn.c.closedAt = c.created, c.modified, c.validUntil, c.closedAt
	sn.c.status, sn.c.archived = c.status, c.archived
	sn.c.order, sn.c.fixed, sn.c.version = c.order, c.fixed, c.version
	sn.idents = make([]identState, len(c.idents))
	for i, id := range c.idents {
		sn.idents[i] = *id
	}
	return sn
}

// primary returns the index of the primary identification, the one with the
// most progress (guide 7.3); on equal progress the most recently modified.
// -1 when there is none.
func (sn *snapshot) primary() int {
	best := -1
	for i := range sn.idents {
		if best < 0 {
			best = i
			continue
		}
		a, b := &sn.idents[i], &sn.idents[best]
		ra, rb := progress(a.st.status), progress(b.st.status)
		if ra > rb || (ra == rb && a.modified.After(b.modified)) {
			best = i
		}
	}
	return best
}

// remaining reports whether a configured method other than the cancelled
// ones is still available to the user (guide 4.1, cancelled).
func (c *simCase) remaining() bool {
	for _, m := range c.methods {
		id := c.ident(m)
		if id == nil || id.st.status != connector.StatusCancelled {
			return true
		}
	}
	return false
}

// addMethod configures m for the case when it is not yet.
func (c *simCase) addMethod(m connector.Method) {
	if !slices.Contains(c.methods, m) {
		c.methods = append(c.methods, m)
	}
}
