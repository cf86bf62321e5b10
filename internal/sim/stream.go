package sim

import (
	"context"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// stream is a running StartStream.
type stream struct {
	cancel  context.CancelFunc
	done    chan struct{}
	rate    float64
	methods []connector.Method
	classes []connector.Class
}

// autoRun lets the case advance through its scenario by itself: its first
// step 5-60 simulated seconds from now, then a step every 30 s to 10 min.
func (s *Sim) autoRun(caseID string) {
	r := s.caseRand(caseID, "start")
	s.mu.Lock()
	if c := s.st.byID[caseID]; c != nil {
		c.auto = true
	}
	s.mu.Unlock()
	at := s.clock.Now().Add(5*time.Second + time.Duration(r.Int64N(int64(55*time.Second))))
	s.push(&event{at: at, kind: evAutoStep, caseID: caseID})
}

// StartStream creates random cases at ratePerSec (real time) until ctx is
// done, StopStream or Close; each runs a "random" scenario of its method on
// the simulated clock (see autoRun). Methods and classes are picked
// uniformly from the given lists; empty lists mean all methods and all
// classes. A running stream is replaced.
func (s *Sim) StartStream(ctx context.Context, ratePerSec float64, methods []connector.Method, classes []connector.Class) {
	s.StopStream()
	if ratePerSec <= 0 {
		return
	}
	if len(methods) == 0 {
		methods = connector.Methods()
	}
	if len(classes) == 0 {
		classes = connector.Classes()
	}
	ctx, cancel := context.WithCancel(ctx)
	st := &stream{cancel: cancel, done: make(chan struct{}), rate: ratePerSec, methods: methods, classes: classes}
	s.streamMu.Lock()
	select {
	case <-s.done:
		s.streamMu.Unlock()
		cancel()
		return
	default:
	}
	s.stream = st
	s.streamMu.Unlock()
	go s.runStream(ctx, st)
}

// StopStream stops the running stream, if any, and waits for it to end.
func (s *Sim) StopStream() {
	s.streamMu.Lock()
	st := s.stream
	s.stream = nil
	s.streamMu.Unlock()
	if st != nil {
		st.cancel()
		<-st.done
	}
}

func (s *Sim) runStream(ctx context.Context, st *stream) {
	defer close(st.done)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	acc := 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case now := <-tick.C:
			acc += st.rate * now.Sub(last).Seconds()
			last = now
			for ; acc >= 1; acc-- {
				spec := CaseSpec{
					Method:   st.methods[s.faultRNG.IntN(len(st.methods))],
					Class:    st.classes[s.faultRNG.IntN(len(st.classes))],
					Scenario: ScenarioRandom,
				}
				c, err := s.newCase(spec, nil, false)
				if err != nil {
					return
				}
				s.autoRun(c.id)
			}
		}
	}
}

// Stats is a summary of the simulator's state.
type Stats struct {
	Now        time.Time `json:"now"`
	Cases      int       `json:"cases"`
	New        int       `json:"new"`
	InProgress int       `json:"inProgress"`
	Closed     int       `json:"closed"`
	Archived   int       `json:"archived"`
	Created    int64     `json:"created"`
	Expired    int64     `json:"expired"`
	Deleted    int64     `json:"deleted"`
	Requests   int64     `json:"requests"`
	Webhooks   struct {
		Attempts   int64 `json:"attempts"`
		OK         int64 `json:"ok"`
		Failed     int64 `json:"failed"`
		GaveUp     int64 `json:"gaveUp"`
		Dropped    int64 `json:"dropped"`
		Duplicated int64 `json:"duplicated"`
		Pending    int64 `json:"pending"`
	} `json:"webhooks"`
	StreamRate float64 `json:"streamRate"`
}

// Stats returns counts of cases, requests and webhooks.
func (s *Sim) Stats() Stats {
	var st Stats
	st.Now = s.clock.Now().In(berlin).Truncate(time.Second)
	s.mu.RLock()
	st.Cases = len(s.st.ord)
	for _, f := range s.st.flags {
		switch {
		case f&flagNew != 0:
			st.New++
		case f&flagInProgress != 0:
			st.InProgress++
		default:
			st.Closed++
		}
		if f&flagArchived != 0 {
			st.Archived++
		}
	}
	s.mu.RUnlock()
	st.Created, st.Expired, st.Deleted, st.Requests = s.created.Load(), s.expiredN.Load(), s.deleted.Load(), s.requests.Load()
	h := s.hooks
	st.Webhooks.Attempts, st.Webhooks.OK, st.Webhooks.Failed = h.sent.Load(), h.ok.Load(), h.failed.Load()
	st.Webhooks.GaveUp, st.Webhooks.Dropped, st.Webhooks.Duplicated = h.gaveUp.Load(), h.dropped.Load(), h.duplicated.Load()
	st.Webhooks.Pending = h.pending.Load()
	s.streamMu.Lock()
	if s.stream != nil {
		st.StreamRate = s.stream.rate
	}
	s.streamMu.Unlock()
	return st
}
