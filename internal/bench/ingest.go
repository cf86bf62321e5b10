package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is one phase of webhook load.
type loadResult struct {
	Offered  float64 // requests per second asked for (0: closed loop)
	Sent     int64
	OK       int64 // 200: acknowledged by Kafka
	Rejected int64 // any other status
	Errors   int64 // transport errors
	Elapsed  time.Duration
	Lat      Summary // of 200 answers, from the intended send time
}

func (r loadResult) rate() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

// hookClient sends webhooks over a pool of keep-alive connections, as
// POSTIDENT's senders would.
type hookClient struct {
	url string
	hc  *http.Client
	seq atomic.Uint64
}

func newHookClient(url string, conns int) *hookClient {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true, IdleConnTimeout: time.Minute}
	return &hookClient{url: url, hc: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// nextID returns a fresh 12-character caseId (upper-case base 36 of a
// scrambled counter), so keys spread over partitions.
func (h *hookClient) nextID() string {
	const space = 4738381338321616896 // 36^12
	n := (h.seq.Add(1) * 0x9E3779B97F4A7C15) % space
	s := strings.ToUpper(strconv.FormatUint(n, 36))
	return strings.Repeat("0", 12-len(s)) + s
}

// send posts one notification and reports the status (0 on transport error).
func (h *hookClient) send(ctx context.Context) int {
	body := `{"caseId":"` + h.nextID() + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(hookUser, hookPassword)
	resp, err := h.hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (h *hookClient) tally(r *loadResult, lat *Latencies, status int, d time.Duration) {
	switch status {
	case http.StatusOK:
		atomic.AddInt64(&r.OK, 1)
		lat.Add(d)
	case 0:
		atomic.AddInt64(&r.Errors, 1)
	default:
		atomic.AddInt64(&r.Rejected, 1)
	}
	atomic.AddInt64(&r.Sent, 1)
}

// openLoop offers rate requests per second for dur, whatever the answers
// take: latency is measured from the time each request was due, so a slow
// server is not hidden by a waiting client (no coordinated omission).
func (h *hookClient) openLoop(ctx context.Context, rate int, dur time.Duration, workers int) loadResult {
	res := loadResult{Offered: float64(rate)}
	var lat Latencies
	jobs := make(chan time.Time, rate*int(dur/time.Second+1))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for due := range jobs {
				st := h.send(ctx)
				h.tally(&res, &lat, st, time.Since(due))
			}
		}()
	}
	start := time.Now()
	total := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	tick := time.NewTicker(time.Millisecond)
	issued := 0
	for issued < total && ctx.Err() == nil {
		now := <-tick.C
		for issued < total {
			due := start.Add(time.Duration(issued) * interval)
			if due.After(now) {
				break
			}
			jobs <- due
			issued++
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	res.Elapsed = max(time.Since(start), dur)
	res.Lat = lat.Summary()
	return res
}

// closedLoop keeps conns requests in flight for dur: the saturation
// throughput.
func (h *hookClient) closedLoop(ctx context.Context, conns int, dur time.Duration) loadResult {
	var res loadResult
	var lat Latencies
	start := time.Now()
	end := start.Add(dur)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				st := h.send(ctx)
				h.tally(&res, &lat, st, time.Since(t))
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Lat = lat.Summary()
	return res
}

// Ingest measures the webhook path: HTTP, Basic auth, body checks,
// connector.Ingest (Avro, CloudEvents headers, trace context) and a
// synchronous acks=all produce, answered 200 only once Kafka acknowledged.
func (d *Driver) Ingest(ctx context.Context) error {
	d.printf("\n== webhook ingest (connector child: webhook role only; load generator in the driver process, same machine)\n")
	d.printf("load average before: %s\n", LoadAvg())
	topics, err := d.topics(ctx, "ingest")
	if err != nil {
		return err
	}
	defer d.deleteTopics(topics)
	co := ConnectorOptions{Topics: topics, GroupPrefix: "bench-" + d.runID, Roles: []string{"webhook"}}
	_, cr, stop, _, conn, err := d.startPair(ctx, SimOptions{}, co, false)
	if err != nil {
		return err
	}
	defer stop()
	_ = conn
	h := newHookClient(cr.Webhook, max(d.o.Conns, d.o.SatConns))
	defer h.hc.CloseIdleConnections()

	h.openLoop(ctx, 1000, 2*time.Second, d.o.Conns) // warm-up: connections, metadata, JIT of the broker
	for _, rate := range d.o.Rates {
		r := h.openLoop(ctx, rate, d.o.Duration, d.o.Conns)
		d.printf("offered %5d/s for %s: accepted %.0f/s (%d ok, %d rejected, %d errors); latency %s\n",
			rate, d.o.Duration, r.rate(), r.OK, r.Rejected, r.Errors, r.Lat)
		if rate == 2000 {
			d.figure("webhook p99 at 2 000/s", "< 25 ms", fmt.Sprintf("%s (p50 %s)", ms(r.Lat.P99), ms(r.Lat.P50)),
				yes(r.Lat.P99 < 25*time.Millisecond && r.Rejected+r.Errors == 0))
		}
	}
	before, err := childStats(ctx, cr.Control)
	if err != nil {
		return err
	}
	drvBefore := SelfCPU()
	wait := d.profile(ctx, cr.Control, "ingest-saturation", int(d.o.SatDuration/time.Second))
	r := h.closedLoop(ctx, d.o.SatConns, d.o.SatDuration)
	wait()
	after, err := childStats(ctx, cr.Control)
	if err != nil {
		return err
	}
	drv := SelfCPU().Sub(drvBefore)
	cpu := after.CPU().Sub(before.CPU())
	d.printf("saturation, %d connections for %s: accepted %.0f/s (%d ok, %d rejected, %d errors); latency %s\n",
		d.o.SatConns, d.o.SatDuration, r.rate(), r.OK, r.Rejected, r.Errors, r.Lat)
	d.printf("  connector CPU %.2fs (%.3f ms per accepted webhook, %.0f%% of 2 cores), load generator CPU %.2fs; connector RSS %s (peak %s)\n",
		cpu.Total().Seconds(), cpu.Total().Seconds()*1000/float64(max(r.OK, 1)), 100*cpu.Total().Seconds()/r.Elapsed.Seconds()/2,
		drv.Total().Seconds(), mib(after.RSS), mib(after.HWM))
	if n, err := d.endOffsets(ctx, topics.Notifications); err == nil {
		d.printf("  notifications on Kafka: %d (every 200 is one acknowledged record)\n", n)
	}
	d.figure("webhook ingest at saturation", ">= 10 000/s", fmt.Sprintf("%.0f/s (p99 %s)", r.rate(), ms(r.Lat.P99)), yes(r.rate() >= 10000))
	return nil
}
