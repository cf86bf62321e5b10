package sim

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

type evKind uint8

const (
	evExpire   evKind = iota + 1 // validUntil of a case passed
	evAutoStep                   // next scenario step of a streamed case
	evRetry                      // webhook retry attempt
)

// event is something due at a simulated time.
type event struct {
	at     time.Time
	seq    uint64
	kind   evKind
	caseID string
	n      *notification
}

type evHeap []*event

func (h evHeap) Len() int { return len(h) }
func (h evHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h evHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *evHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}

// push schedules e and wakes the scheduler when e is the new earliest.
// Every write of nextDue happens under evMu, so none is lost.
func (s *Sim) push(e *event) {
	s.evMu.Lock()
	s.evSeq++
	e.seq = s.evSeq
	heap.Push(&s.events, e)
	earliest := false
	if at := e.at.UnixNano(); at < s.nextDue.Load() {
		s.nextDue.Store(at)
		earliest = true
	}
	s.evMu.Unlock()
	if earliest {
		s.wake()
	}
}

// lowerRetention records that a case created at created is stored, so the
// retention sweep is due at created+Retention at the latest. Caller holds mu.
func (s *Sim) lowerRetention(created time.Time) {
	t := created.Add(s.cfg.Retention).UnixNano()
	if t >= s.retentionDue.Load() {
		return
	}
	s.retentionDue.Store(t)
	s.evMu.Lock()
	if t < s.nextDue.Load() {
		s.nextDue.Store(t)
	}
	s.evMu.Unlock()
	s.wake()
}

func (s *Sim) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// updateNextDue recomputes the earliest time something is due: the top
// event or the retention deadline of the oldest case.
func (s *Sim) updateNextDue() {
	s.evMu.Lock()
	next := s.retentionDue.Load()
	if len(s.events) > 0 {
		next = min(next, s.events[0].at.UnixNano())
	}
	s.nextDue.Store(next)
	s.evMu.Unlock()
}

// processDue applies everything due at or before now, in time order. It is
// cheap when nothing is due (one atomic load), so every API call runs it and
// reads are consistent with the simulated clock.
func (s *Sim) processDue(now time.Time) {
	if now.UnixNano() < s.nextDue.Load() {
		return
	}
	s.dueMu.Lock()
	defer s.dueMu.Unlock()
	for {
		s.evMu.Lock()
		if len(s.events) == 0 || s.events[0].at.After(now) {
			s.evMu.Unlock()
			break
		}
		e := heap.Pop(&s.events).(*event)
		s.evMu.Unlock()
		s.run(e)
	}
	s.mu.Lock()
	if n := s.st.deleteCreatedUpTo(now.Add(-s.cfg.Retention)); n > 0 {
		s.deleted.Add(int64(n))
	}
	if t, ok := s.st.oldest(); ok {
		s.retentionDue.Store(t.Add(s.cfg.Retention).UnixNano())
	} else {
		s.retentionDue.Store(math.MaxInt64)
	}
	s.mu.Unlock()
	s.updateNextDue()
}

// run applies one due event.
func (s *Sim) run(e *event) {
	switch e.kind {
	case evRetry:
		s.hooks.send(e.n)
	case evExpire:
		s.mu.Lock()
		if c := s.st.byID[e.caseID]; c != nil && c.status != csClosed && !c.validUntil.After(e.at) {
			s.expire(c, e.at)
		}
		s.mu.Unlock()
	case evAutoStep:
		s.mu.Lock()
		c := s.st.byID[e.caseID]
		if c == nil {
			s.mu.Unlock()
			return
		}
		done, err := s.stepLocked(c, e.at)
		s.mu.Unlock()
		if !done && err == nil {
			s.push(&event{at: e.at.Add(s.autoDelay(c.id, c.pos)), kind: evAutoStep, caseID: e.caseID})
		}
	}
}

// autoDelay is the simulated time a streamed case waits before step pos:
// between 30 s and 10 min, reproducible per case.
func (s *Sim) autoDelay(caseID string, pos int) time.Duration {
	r := s.caseRand(caseID, "delay")
	for range pos {
		r.Uint64()
	}
	return 30*time.Second + time.Duration(r.Int64N(int64(570*time.Second)))
}

// schedule is the scheduler goroutine: it sleeps until the next event is due
// in simulated time (converted to real time by TimeScale), at most a second
// so that a Config.Now that moves by itself is followed too.
func (s *Sim) schedule() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		wait := time.Second
		if next := s.nextDue.Load(); next != math.MaxInt64 {
			d := time.Duration(next - s.clock.Now().UnixNano())
			if d <= 0 {
				s.processDue(s.clock.Now())
				continue
			}
			wait = min(max(s.clock.real(d), time.Millisecond), time.Second)
		}
		t.Reset(wait)
		select {
		case <-s.done:
			return
		case <-s.kick:
		case <-t.C:
		}
		s.processDue(s.clock.Now())
	}
}

// lockedRand is a random source safe for concurrent use.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) Float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func (l *lockedRand) Int64N(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int64N(n)
}

func (l *lockedRand) IntN(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.IntN(n)
}
