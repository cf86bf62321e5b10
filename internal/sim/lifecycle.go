package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// This file moves simulated cases along their scenarios: one step at a
// time, applying each step to the case state, closing, touching and
// expiring cases, and queueing the webhooks a step fires.

// Step advances the case by one step of its scenario (firing webhooks as
// configured). done is true once the scenario is exhausted or the case is
// closed.
func (s *Sim) Step(caseID string) (done bool, err error) {
	s.processDue(s.clock.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.byID[caseID]
	if c == nil {
		return false, ErrNotFound
	}
	return s.stepLocked(c, s.clock.Now())
}

func (s *Sim) stepLocked(c *simCase, now time.Time) (bool, error) {
	if c.status == csClosed || c.pos >= len(c.steps) {
		return true, nil
	}
	st := c.steps[c.pos]
	c.pos++
	if err := s.apply(c, st, now); err != nil {
		return true, err
	}
	return c.status == csClosed || c.pos >= len(c.steps), nil
}

// RunToEnd steps the case until its scenario is exhausted or it is closed.
func (s *Sim) RunToEnd(caseID string) error {
	for {
		done, err := s.Step(caseID)
		if err != nil || done {
			return err
		}
	}
}

// apply moves the case into the state of st at time now. Caller holds mu.
func (s *Sim) apply(c *simCase, st step, now time.Time) error {
	if now.Before(c.modified) {
		now = c.modified
	}
	if c.status == csClosed {
		return errors.New("case is closed")
	}
	if st.status == stepExpire {
		c.validUntil = now
		s.expire(c, now)
		return nil
	}
	m := st.method
	if m == "" {
		m = c.method
	}
	if err := checkState(m, st.status, st.sub, st.reason); err != nil {
		return err
	}
	c.addMethod(m)
	id := c.ident(m)
	if id == nil {
		id = &identState{method: m, created: now}
		c.idents = append(c.idents, id)
	}
	if !id.open() {
		return fmt.Errorf("identification %s is %s already", m, id.st.status)
	}
	st.method = m
	s.setState(c, id, st, now)
	switch st.status {
	case connector.StatusSuccess, connector.StatusDeclined:
		s.close(c, now)
	case connector.StatusCancelled:
		if !c.remaining() {
			s.close(c, now)
		} else if c.status == csNew {
			c.status = csInProgress
		}
	default:
		if c.status == csNew {
			c.status = csInProgress
		}
	}
	s.touch(c, now)
	return nil
}

// setState records a new state of id and fires its webhook. Caller holds mu.
func (s *Sim) setState(c *simCase, id *identState, st step, now time.Time) {
	id.st = st
	id.modified = now
	id.dirty = true
	switch st.status {
	case connector.StatusIncomplete:
		id.attempts++
	case connector.StatusCouponRequested:
		id.coupons++
		id.couponAt = now
	case connector.StatusSuccess, connector.StatusDeclined:
		if connector.ResultExpected(id.method, st.status, st.sub) {
			id.identTime = now
		}
	}
	c.transitions = append(c.transitions, transition{ident: slices.Index(c.idents, id), method: id.method, st: st, at: now})
	if slices.Contains(s.cfg.WebhookTypes, connector.StatusTypeOf(id.method, st.status)) {
		s.notify(c, now)
	}
}

func (s *Sim) close(c *simCase, now time.Time) {
	c.status = csClosed
	c.closedAt = now
}

// touch marks the case modified at now. Caller holds mu.
func (s *Sim) touch(c *simCase, now time.Time) {
	c.modified = now
	c.version++
	s.st.update(c)
}

// expire lets validUntil pass: open identifications become declined with
// subStatus 12 and the case closes. A case without identification closes
// without one (the guide does not say what POSTIDENT shows then). Caller
// holds mu.
func (s *Sim) expire(c *simCase, now time.Time) {
	if c.status == csClosed {
		return
	}
	for _, id := range c.idents {
		if id.open() {
			s.setState(c, id, step{method: id.method, status: connector.StatusDeclined, sub: 12}, now)
		}
	}
	s.close(c, now)
	s.touch(c, now)
	s.expiredN.Add(1)
}

// notify queues the webhooks of the case. Caller holds mu.
func (s *Sim) notify(c *simCase, now time.Time) {
	var ref, url, partnerURL string
	if pd := c.order.ProcessData; pd != nil {
		ref, url, partnerURL = pd.ReferenceID, pd.WebHookURL, pd.WebHookURLPartner
	}
	if url == "" {
		url = s.cfg.WebhookURL
	}
	if url != "" {
		s.hooks.send(&notification{caseID: c.id, refID: ref, url: url, attempt: 1, at: now})
	}
	if partnerURL != "" {
		s.hooks.send(&notification{caseID: c.id, refID: ref, url: partnerURL, partner: true, attempt: 1, at: now})
	}
}
