package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Webhook retry schedule of guide 5: the first retry right after the first
// attempt, the second 900 s after the first retry, the last 3600 s after the
// second retry; then POSTIDENT gives up.
var retryDelays = []time.Duration{0, 900 * time.Second, 3600 * time.Second}

// WebhookDelivery is one entry of the delivery log.
type WebhookDelivery struct {
	CaseID string `json:"caseId"`
	URL    string `json:"url"`
	// Partner: sent to processData.webHookUrlPartner.
	Partner bool `json:"partner,omitempty"`
	// Attempt counts from 1 (first try) to 4 (third retry).
	Attempt int `json:"attempt"`
	// Time is the simulated time of the attempt as scheduled.
	Time time.Time `json:"time"`
	// HTTPStatus is the answer's status code, 0 when there was none.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Err is the transport error or "status N" when the answer was not 200.
	Err string `json:"error,omitempty"`
	// Dropped: lost by the DropWebhookRate fault; nothing was sent.
	Dropped bool `json:"dropped,omitempty"`
	// Duplicate: the extra copy sent by the DuplicateWebhookRate fault.
	Duplicate bool `json:"duplicate,omitempty"`
	// Final: no further retry follows (success, a duplicate, or the last
	// attempt failed).
	Final bool `json:"final"`
}

// OK reports whether the attempt was answered with 200.
func (d WebhookDelivery) OK() bool { return d.HTTPStatus == http.StatusOK && d.Err == "" }

// notification is one webhook attempt to one URL.
type notification struct {
	caseID, refID, url string
	partner, dup       bool
	attempt            int
	at                 time.Time // simulated time of this attempt
}

// hooks sends webhooks with a pool of workers fed by an unbounded queue, so
// that state changes (made under the case lock) never wait for the network.
type hooks struct {
	s       *Sim
	client  *http.Client
	timeout time.Duration // WebhookTimeout; shortened by tests only

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*notification
	head   int
	closed bool

	pending atomic.Int64 // queued, delayed or in flight
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	logMu sync.Mutex
	log   []WebhookDelivery // ring buffer
	logN  int               // entries written in total

	sent, ok, failed, dropped, duplicated, gaveUp atomic.Int64
}

func newHooks(s *Sim) *hooks {
	h := &hooks{s: s, client: s.cfg.WebhookClient, timeout: WebhookTimeout}
	if h.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 1024
		tr.MaxIdleConnsPerHost = 512
		h.client = &http.Client{Transport: tr}
	}
	h.cond = sync.NewCond(&h.mu)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	for range s.cfg.WebhookWorkers {
		h.wg.Add(1)
		go h.work()
	}
	return h
}

func (h *hooks) close() {
	h.cancel()
	h.mu.Lock()
	h.closed = true
	h.cond.Broadcast()
	h.mu.Unlock()
	h.wg.Wait()
}

// send hands a notification to the workers, applying the faults: a first
// attempt may be dropped or duplicated; any attempt may be delayed.
func (h *hooks) send(n *notification) {
	f := h.s.faults.Load()
	if n.attempt == 1 && !n.dup {
		if f.DropWebhookRate > 0 && h.s.faultRNG.Float64() < f.DropWebhookRate {
			h.dropped.Add(1)
			h.record(WebhookDelivery{CaseID: n.caseID, URL: n.url, Partner: n.partner, Attempt: 1, Time: n.at, Dropped: true, Final: true})
			return
		}
		if f.DuplicateWebhookRate > 0 && h.s.faultRNG.Float64() < f.DuplicateWebhookRate {
			d := *n
			d.dup = true
			h.duplicated.Add(1)
			h.send(&d)
		}
	}
	delay := f.WebhookDelay
	if f.ReorderWebhooks {
		delay = time.Duration(h.s.faultRNG.Int64N(int64(max(f.WebhookDelay, 50*time.Millisecond))))
	}
	h.pending.Add(1)
	if delay > 0 {
		time.AfterFunc(delay, func() { h.enqueue(n) })
		return
	}
	h.enqueue(n)
}

func (h *hooks) enqueue(n *notification) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.pending.Add(-1)
		return
	}
	h.queue = append(h.queue, n)
	h.cond.Signal()
	h.mu.Unlock()
}

func (h *hooks) next() *notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.head == len(h.queue) && !h.closed {
		h.cond.Wait()
	}
	if h.closed {
		return nil
	}
	n := h.queue[h.head]
	h.queue[h.head] = nil
	h.head++
	if h.head == len(h.queue) {
		h.queue, h.head = h.queue[:0], 0
	} else if h.head > 4096 && h.head*2 > len(h.queue) {
		h.queue, h.head = append([]*notification(nil), h.queue[h.head:]...), 0
	}
	return n
}

func (h *hooks) work() {
	defer h.wg.Done()
	for {
		n := h.next()
		if n == nil {
			return
		}
		h.deliver(n)
		h.pending.Add(-1)
	}
}

// webhookBody is the POST body of guide 5.
type webhookBody struct {
	CaseID      string  `json:"caseId"`
	ReferenceID *string `json:"referenceId,omitempty"`
}

// deliver makes one attempt and schedules the next on failure.
func (h *hooks) deliver(n *notification) {
	body := webhookBody{CaseID: n.caseID}
	if h.s.cfg.WebhookReferenceID {
		body.ReferenceID = new(n.refID)
	}
	b, _ := json.Marshal(body)
	d := WebhookDelivery{CaseID: n.caseID, URL: n.url, Partner: n.partner, Attempt: n.attempt, Time: n.at, Duplicate: n.dup}
	h.sent.Add(1)
	status, err := h.post(n.url, b)
	d.HTTPStatus = status
	switch {
	case err != nil:
		d.Err = err.Error()
	case status != http.StatusOK:
		// POSTIDENT expects exactly 200 (guide 5); 204 and friends count as
		// failures, so the connector must answer 200.
		d.Err = fmt.Sprintf("status %d", status)
	}
	if d.Err == "" {
		h.ok.Add(1)
		d.Final = true
		h.record(d)
		return
	}
	h.failed.Add(1)
	if n.dup || n.attempt > len(retryDelays) {
		d.Final = true
		h.gaveUp.Add(1)
		h.record(d)
		return
	}
	h.record(d)
	next := *n
	next.attempt++
	next.at = n.at.Add(retryDelays[n.attempt-1])
	if retryDelays[n.attempt-1] == 0 {
		h.send(&next)
		return
	}
	h.s.push(&event{at: next.at, kind: evRetry, n: &next})
}

func (h *hooks) post(url string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "postident-sim")
	if h.s.cfg.WebhookUsername != "" {
		req.SetBasicAuth(h.s.cfg.WebhookUsername, h.s.cfg.WebhookPassword)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, errors.New("no answer within 2 s")
		}
		return 0, fmt.Errorf("post webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func (h *hooks) record(d WebhookDelivery) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	size := h.s.cfg.WebhookLogSize
	if len(h.log) < size {
		h.log = append(h.log, d)
	} else {
		h.log[h.logN%size] = d
	}
	h.logN++
}

// Webhooks returns the delivery log, oldest first (at most
// Config.WebhookLogSize entries, the newest).
func (s *Sim) Webhooks() []WebhookDelivery {
	h := s.hooks
	h.logMu.Lock()
	defer h.logMu.Unlock()
	size := s.cfg.WebhookLogSize
	if h.logN <= size {
		return append([]WebhookDelivery(nil), h.log...)
	}
	out := make([]WebhookDelivery, 0, size)
	start := h.logN % size
	out = append(out, h.log[start:]...)
	return append(out, h.log[:start]...)
}

// WaitIdle blocks until no webhook is queued, delayed or in flight (retries
// scheduled for a later simulated time do not count), or ctx is done.
func (s *Sim) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.hooks.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for webhooks: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
