package connector

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"sync"
	"time"
)

// memo is what the processor remembers of one case: a fingerprint of the
// identification state it last emitted, whether the case's result went out,
// the previous state in small codes for the next event's "previous" field,
// when the case last changed (for expiry) and whether it was forgotten on
// request. It is kept small on purpose (24 bytes with padding) because the
// processor holds one per tracked case in memory.
type memo struct {
	fp         uint64
	changed    uint32 // seconds since memoEpoch of the last state record
	sub        uint16
	reason     uint16
	method     uint8
	status     uint8
	caseStatus uint8
	flags      uint8 // memoResult | memoForgotten
}

const (
	memoResult    = 1 << iota // the case's result went out
	memoForgotten             // erased by `forget`: never written again
)

// memoEpoch is the zero of memo.changed: seconds in a uint32 from 2020 last
// until 2156, and no POSTIDENT case predates 2020.
var memoEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// secondsOf converts t to memo.changed; times before the epoch (a state
// record without a usable updatedAt) count as the epoch, the oldest.
func secondsOf(t time.Time) uint32 {
	d := t.Sub(memoEpoch)
	switch {
	case d <= 0:
		return 0
	case d >= time.Duration(math.MaxUint32)*time.Second:
		return math.MaxUint32
	}
	return uint32(d / time.Second)
}

func (m memo) result() bool    { return m.flags&memoResult != 0 }
func (m memo) forgotten() bool { return m.flags&memoForgotten != 0 }

// Small code tables for memo. Index 0 means "none or unknown".
var (
	memoMethods     = []string{"", string(MethodAutoID), string(MethodBasic), string(MethodEID), string(MethodPhoto), string(MethodVideo)}
	memoStatuses    = []string{"", StatusStarted, StatusCouponRequested, StatusIncomplete, StatusReviewPending, StatusCancelled, StatusDeclined, StatusSuccess}
	memoCaseStatus  = []string{"", CaseNew, CaseInProgress, CaseClosed}
	memoOtherMarker = "other"
)

func codeOf(table []string, s string) uint8 {
	if s == "" {
		return 0
	}
	for i, v := range table {
		if v == s {
			return uint8(i)
		}
	}
	return 255
}

func textOf(table []string, c uint8) string {
	if c == 255 {
		return memoOtherMarker
	}
	if int(c) < len(table) {
		return table[c]
	}
	return ""
}

// fingerprint hashes an identification state. Two states with the same
// fingerprint produce the same event ids, so equal fingerprints mean
// "already emitted".
func fingerprint(k IdentKey) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, s := range []string{k.CaseStatus, k.Method, k.Status} {
		binary.BigEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(buf[:], uint64(int64(k.SubStatus)))
	h.Write(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(int64(k.Reason)))
	h.Write(buf[:])
	var mod int64
	if !k.Modified.IsZero() {
		mod = k.Modified.Unix()
	}
	binary.BigEndian.PutUint64(buf[:], uint64(mod))
	h.Write(buf[:])
	return h.Sum64()
}

func memoOf(k IdentKey, resultDone bool, changed time.Time) memo {
	m := memo{
		fp:         fingerprint(k),
		changed:    secondsOf(changed),
		sub:        uint16(k.SubStatus),
		reason:     uint16(k.Reason),
		method:     codeOf(memoMethods, k.Method),
		status:     codeOf(memoStatuses, k.Status),
		caseStatus: codeOf(memoCaseStatus, k.CaseStatus),
	}
	if resultDone {
		m.flags |= memoResult
	}
	return m
}

// previous rebuilds the CaseState the memo stands for, as far as needed to
// fill an event's "previous" field.
func (m memo) previous(caseID string) *CaseState {
	st := &CaseState{CaseID: caseID, CaseStatus: textOf(memoCaseStatus, m.caseStatus)}
	if m.method != 0 {
		s := textOf(memoMethods, m.method)
		st.Method = &s
	}
	if m.status != 0 {
		s := textOf(memoStatuses, m.status)
		st.Status = &s
		if st.Method != nil {
			st.StatusType = string(StatusTypeOf(Method(*st.Method), s))
		}
	}
	if m.sub != 0 {
		v := int32(m.sub)
		st.SubStatusCode = &v
	}
	if m.reason != 0 {
		v := int32(m.reason)
		st.SubStatusReasonCode = &v
	}
	return st
}

// identKeyOfState rebuilds the IdentKey a stored CaseState was written for.
func identKeyOfState(s *CaseState) IdentKey {
	return identKeyOf(s.CaseStatus, s.Method, s.Status, s.SubStatusCode, s.SubStatusReasonCode, s.IdentModified)
}

// keyOfSnapshot is the IdentKey a reconcile snapshot stands for.
func keyOfSnapshot(s *StatusSnapshot) IdentKey {
	return identKeyOf(s.CaseStatus, s.Method, s.Status, s.SubStatusCode, s.SubStatusReasonCode, s.Modified)
}

// identKeyOf builds an IdentKey from the optional fields the state and
// snapshot records share.
func identKeyOf(caseStatus string, method, status *string, sub, reason *int32, modified *time.Time) IdentKey {
	k := IdentKey{CaseStatus: caseStatus}
	if method != nil {
		k.Method = *method
	}
	if status != nil {
		k.Status = *status
	}
	if sub != nil {
		k.SubStatus = int(*sub)
	}
	if reason != nil {
		k.Reason = int(*reason)
	}
	if modified != nil {
		k.Modified = *modified
	}
	return k
}

// State is the processor's memory of what it emitted per case, loaded from
// the compacted state topic at start and updated after every durable write.
// It is safe for concurrent use.
type State struct {
	mu    sync.RWMutex
	cases map[string]memo
}

// NewState returns an empty state.
func NewState() *State { return &State{cases: make(map[string]memo)} }

// Apply records a CaseState read from the state topic; a nil state (a
// tombstone) forgets the case. A state with ForgottenAt set marks the case
// as erased: it is never written again until the marker expires.
func (s *State) Apply(caseID string, st *CaseState) {
	if st == nil {
		s.mu.Lock()
		delete(s.cases, caseID)
		s.mu.Unlock()
		return
	}
	m := memoOf(identKeyOfState(st), st.ResultEventID != nil, st.UpdatedAt)
	if st.ForgottenAt != nil {
		m.flags |= memoForgotten
	}
	s.mu.Lock()
	s.cases[caseID] = m
	s.mu.Unlock()
}

// Len is the number of tracked cases.
func (s *State) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cases)
}

func (s *State) get(caseID string) (memo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.cases[caseID]
	return m, ok
}

func (s *State) put(caseID string, m memo) {
	s.mu.Lock()
	s.cases[caseID] = m
	s.mu.Unlock()
}

// Seen reports whether the case is tracked with the given identification
// state, and whether its result went out.
func (s *State) Seen(caseID string, k IdentKey) (same, resultDone bool) {
	m, ok := s.get(caseID)
	if !ok {
		return false, false
	}
	return m.fp == fingerprint(k), m.result()
}

// Forgotten reports whether the case was erased with `forget`: nothing may
// be written for it again.
func (s *State) Forgotten(caseID string) bool {
	m, ok := s.get(caseID)
	return ok && m.forgotten()
}

// LastChange returns when the case's state was last recorded (to the
// second), and whether the case is tracked.
func (s *State) LastChange(caseID string) (time.Time, bool) {
	m, ok := s.get(caseID)
	if !ok {
		return time.Time{}, false
	}
	return memoEpoch.Add(time.Duration(m.changed) * time.Second), true
}

// expirable returns the tracked cases whose last change is before cutoff
// and that keep(caseID) accepts, at most limit of them.
func (s *State) expirable(cutoff time.Time, keep func(string) bool, limit int) []string {
	c := secondsOf(cutoff)
	var out []string
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, m := range s.cases {
		if m.changed < c && keep(id) {
			out = append(out, id)
			if len(out) >= limit {
				break
			}
		}
	}
	return out
}

// expire drops caseID if its last change is still before cutoff (a state
// record written meanwhile keeps it).
func (s *State) expire(caseID string, cutoff time.Time) {
	c := secondsOf(cutoff)
	s.mu.Lock()
	if m, ok := s.cases[caseID]; ok && m.changed < c {
		delete(s.cases, caseID)
	}
	s.mu.Unlock()
}
