package connector

import (
	"encoding/binary"
	"hash/fnv"
	"sync"
	"time"
)

// memo is what the processor remembers of one case: a fingerprint of the
// identification state it last emitted, whether the case's result went out,
// the previous state in small codes for the next event's "previous" field,
// the day the case last changed (for expiry) and whether it was forgotten on
// request. It is kept small on purpose (16 bytes) because the processor holds
// one per tracked case in memory: the codes are packed, and the last change
// is kept in days, enough for a horizon of months.
type memo struct {
	fp         uint64
	sub        uint16
	reason     uint16
	day        uint16 // days since memoEpoch of the last state record (15 bits) | memoForgotten
	caseStatus uint8
	ident      uint8 // method (3 bits) | status (4 bits) << 3 | memoResult
}

const (
	memoForgotten = 1 << 15 // in day: erased by `forget`, never written again
	memoDayMask   = memoForgotten - 1
	memoResult    = 1 << 7 // in ident: the case's result went out
	// "other" codes of the packed method and status (codeOf's 255).
	memoMethodOther = 7
	memoStatusOther = 15
)

// memoEpoch is the zero of memo.day: 15 bits of days from 2020 last until
// 2109, and no POSTIDENT case predates 2020.
var memoEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// daysOf converts t to memo.day, rounding down; times before the epoch (a
// state record without a usable updatedAt) count as the epoch, the oldest.
func daysOf(t time.Time) uint16 {
	d := t.Sub(memoEpoch)
	switch {
	case d <= 0:
		return 0
	case d >= memoDayMask*24*time.Hour:
		return memoDayMask
	}
	return uint16(d / (24 * time.Hour))
}

func (m memo) result() bool    { return m.ident&memoResult != 0 }
func (m memo) forgotten() bool { return m.day&memoForgotten != 0 }
func (m memo) days() uint16    { return m.day & memoDayMask }

// method and status unpack the codes of memoMethods and memoStatuses (255
// for a value outside the tables, as codeOf).
func (m memo) method() uint8 {
	if c := m.ident & 7; c != memoMethodOther {
		return c
	}
	return 255
}

func (m memo) status() uint8 {
	if c := (m.ident >> 3) & 15; c != memoStatusOther {
		return c
	}
	return 255
}

// packIdent packs method and status codes (codeOf results) into memo.ident.
func packIdent(method, status uint8) uint8 {
	if method >= memoMethodOther {
		method = memoMethodOther
	}
	if status >= memoStatusOther {
		status = memoStatusOther
	}
	return method | status<<3
}

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
		sub:        uint16(k.SubStatus),
		reason:     uint16(k.Reason),
		day:        daysOf(changed),
		caseStatus: codeOf(memoCaseStatus, k.CaseStatus),
		ident:      packIdent(codeOf(memoMethods, k.Method), codeOf(memoStatuses, k.Status)),
	}
	if resultDone {
		m.ident |= memoResult
	}
	return m
}

// previous rebuilds the CaseState the memo stands for, as far as needed to
// fill an event's "previous" field.
func (m memo) previous(caseID string) *CaseState {
	st := &CaseState{CaseID: caseID, CaseStatus: textOf(memoCaseStatus, m.caseStatus)}
	if m.method() != 0 {
		st.Method = new(textOf(memoMethods, m.method()))
	}
	if m.status() != 0 {
		s := textOf(memoStatuses, m.status())
		st.Status = &s
		if st.Method != nil {
			st.StatusType = string(StatusTypeOf(Method(*st.Method), s))
		}
	}
	if m.sub != 0 {
		st.SubStatusCode = new(int32(m.sub))
	}
	if m.reason != 0 {
		st.SubStatusReasonCode = new(int32(m.reason))
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
		m.day |= memoForgotten
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

// LastChange returns the day (00:00 UTC) the case's state was last
// recorded, and whether the case is tracked.
func (s *State) LastChange(caseID string) (time.Time, bool) {
	m, ok := s.get(caseID)
	if !ok {
		return time.Time{}, false
	}
	return memoEpoch.Add(time.Duration(m.days()) * 24 * time.Hour), true
}

// expirable returns the tracked cases last changed on a day before the day
// of cutoff (so at most a day later than cutoff itself) that keep(caseID)
// accepts, at most limit of them.
func (s *State) expirable(cutoff time.Time, keep func(string) bool, limit int) []string {
	c := daysOf(cutoff)
	var out []string
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, m := range s.cases {
		if m.days() < c && keep(id) {
			out = append(out, id)
			if len(out) >= limit {
				break
			}
		}
	}
	return out
}

// expire drops caseID if its last change is still before the day of cutoff
// (a state record written meanwhile keeps it).
func (s *State) expire(caseID string, cutoff time.Time) {
	c := daysOf(cutoff)
	s.mu.Lock()
	if m, ok := s.cases[caseID]; ok && m.days() < c {
		delete(s.cases, caseID)
	}
	s.mu.Unlock()
}
