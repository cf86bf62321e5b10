package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// rsaDecryptCost measures one RSA-OAEP-256 decryption of a content key with
// a key of bits: what every single-case fetch costs on the connector.
func rsaDecryptCost(bits int) (time.Duration, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return 0, err
	}
	cek := make([]byte, 32)
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &key.PublicKey, cek, nil)
	if err != nil {
		return 0, err
	}
	const n = 60
	start := time.Now()
	for range n {
		if _, err := rsa.DecryptOAEP(sha256.New(), nil, key, ct, nil); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / n, nil
}

// RSA measures the decryption cost per key size.
func (d *Driver) RSA(ctx context.Context) error {
	d.printf("\n== RSA-OAEP-256 decryption of one content key (one per single-case fetch; one per list page)\n")
	for _, bits := range []int{2048, 3072, 4096} {
		c, err := rsaDecryptCost(bits)
		if err != nil {
			return err
		}
		d.printf("RSA-%d: %s\n", bits, ms(c))
	}
	return nil
}

// E2E measures the latency from a final status in the simulator to the
// CaseResult on Kafka at a fixed rate, then a burst's CPU per result.
func (d *Driver) E2E(ctx context.Context) error {
	mode := "one GET per case (as shipped)"
	if d.o.Coalesce {
		mode = "processor list coalescing (ProcessorConfig.Coalesce)"
	}
	d.printf("\n== end to end, RSA-%d, %s\n", d.o.KeyBits, mode)
	d.printf("load average before: %s\n", LoadAvg())
	topics, err := d.topics(ctx, "e2e")
	if err != nil {
		return err
	}
	defer d.deleteTopics(topics)
	co := ConnectorOptions{Topics: topics, GroupPrefix: "bench-" + d.runID, Roles: []string{"webhook", "processor", "archiver"}}
	so := SimOptions{RequireEncryption: true, ClockOffset: 10 * time.Minute}
	simURL, cr, stop, simc, _, err := d.startPair(ctx, so, co, true)
	if err != nil {
		return err
	}
	defer stop()
	adm := newSimAdmin(simURL)
	cons, err := d.consume(ctx, topics.Result, topics.Notifications)
	if err != nil {
		return err
	}
	defer cons.close()

	// Every case is created first, spread over simulated seconds (see
	// simAdmin.create), then the simulated clock catches up with real time
	// so that closing times and webhook arrival times agree.
	warm, err := adm.create(ctx, 50, 50, "eid", "success", false)
	if err != nil {
		return err
	}
	n := d.o.E2ERate * int(d.o.E2EDuration/time.Second)
	ids, err := adm.create(ctx, n, 250, "eid", "success", false)
	if err != nil {
		return err
	}
	m := d.o.Burst
	bids, err := adm.create(ctx, m, 250, "eid", "success", false)
	if err != nil {
		return err
	}
	if err := adm.syncClock(ctx); err != nil {
		return err
	}

	// Warm-up: connections, the consumer group, the broker.
	if err := d.runCases(ctx, adm, warm, 0, 16, nil); err != nil {
		return err
	}
	if err := cons.waitDistinct(ctx, topics.Result, len(warm), time.Minute); err != nil {
		return err
	}
	done := len(warm)

	// Phase 1: a steady rate.
	t0 := newStamps(n)
	before, err := childStats(ctx, cr.Control)
	if err != nil {
		return err
	}
	if err := d.runCases(ctx, adm, ids, d.o.E2ERate, 32, t0); err != nil {
		return err
	}
	if err := cons.waitDistinct(ctx, topics.Result, done+n, 2*time.Minute); err != nil {
		return err
	}
	after, _ := childStats(ctx, cr.Control)
	done += n
	lat := latencies(cons, topics.Result, ids, t0)
	cpu := after.CPU().Sub(before.CPU())
	d.printf("%d results at %d/s: final status -> CaseResult consumed: %s\n", n, d.o.E2ERate, lat)
	ingest, proc := splitLatencies(cons, topics.Notifications, topics.Result, ids, t0)
	d.printf("  of which final status -> its notification on Kafka (simulator webhook + ingest): %s\n", ingest)
	d.printf("  and notification -> CaseResult consumed (processor): %s\n", proc)
	d.printf("  connector CPU %.2fs = %.2f s per 1000 results; single GETs %d, list calls %d\n",
		cpu.Total().Seconds(), cpu.Total().Seconds()*1000/float64(n), after.Source.Fetches-before.Source.Fetches, after.Source.Lists-before.Source.Lists)
	d.figure(fmt.Sprintf("e2e p99 at %d results/s, RSA-%d", d.o.E2ERate, d.o.KeyBits), "< 250 ms",
		fmt.Sprintf("%s (p50 %s)", ms(lat.P99), ms(lat.P50)), yes(lat.P99 < 250*time.Millisecond))

	// Phase 2: a burst.
	bt0 := newStamps(m)
	before, err = childStats(ctx, cr.Control)
	if err != nil {
		return err
	}
	simBefore, _ := ProcCPU(simc.pid())
	start := time.Now()
	wait := d.profile(ctx, cr.Control, "e2e-burst", 10)
	if err := d.runCases(ctx, adm, bids, 0, 32, bt0); err != nil {
		return err
	}
	stepped := time.Since(start)
	if err := cons.waitDistinct(ctx, topics.Result, done+m, 5*time.Minute); err != nil {
		return err
	}
	elapsed := time.Since(start)
	after, _ = childStats(ctx, cr.Control)
	simAfter, _ := ProcCPU(simc.pid())
	wait()
	blat := latencies(cons, topics.Result, bids, bt0)
	cpu = after.CPU().Sub(before.CPU())
	per := cpu.Total() / time.Duration(m)
	rsaCost, err := rsaDecryptCost(d.o.KeyBits)
	if err != nil {
		return err
	}
	fetches, lists := after.Source.Fetches-before.Source.Fetches, after.Source.Lists-before.Source.Lists
	statusLists, statusCases := after.Source.StatusLists-before.Source.StatusLists, after.Source.StatusCases-before.Source.StatusCases
	d.printf("burst of %d final statuses (stepped in %s): all CaseResults on Kafka after %s = %.0f results/s; latency %s\n",
		m, stepped.Round(time.Millisecond), elapsed.Round(time.Millisecond), float64(m)/elapsed.Seconds(), blat)
	d.printf("  connector CPU %.2fs (user %.2fs, sys %.2fs) = %.3f ms per result = %.2f s per 1000; simulator CPU %.2fs\n",
		cpu.Total().Seconds(), cpu.User.Seconds(), cpu.Sys.Seconds(), float64(per)/1e6, cpu.Total().Seconds()*1000/float64(m), simAfter.Sub(simBefore).Total().Seconds())
	d.printf("  POSTIDENT calls: %d single GETs, %d data lists (%d cases), %d status lists (%d cases); %d fetches served from lists; RSA-%d decryption alone: %s per call\n",
		fetches, lists, after.Source.ListCases-before.Source.ListCases, statusLists, statusCases, after.Source.FromLists-before.Source.FromLists, d.o.KeyBits, ms(rsaCost))
	d.printf("  connector RSS %s, peak %s\n", mib(after.RSS), mib(after.HWM))
	ratio := float64(rsaCost) / float64(per)
	d.figure(fmt.Sprintf("CPU per result, burst of %d", m), fmt.Sprintf("<= 1/10 of one RSA-%d decryption (%s)", d.o.KeyBits, ms(rsaCost/10)),
		fmt.Sprintf("%.3f ms (decryption/CPU = %.1fx)", float64(per)/1e6, ratio), yes(ratio >= 10))
	d.figure("CPU seconds per 1000 results (burst)", "-", fmt.Sprintf("%.2f s", cpu.Total().Seconds()*1000/float64(m)), "-")
	d.figure("connector peak RSS (e2e + burst)", "-", mib(after.HWM), "-")
	return nil
}

// stamps records when each case was driven to its final status.
type stamps struct {
	mu sync.Mutex
	t  map[string]time.Time
}

func newStamps(n int) *stamps { return &stamps{t: make(map[string]time.Time, n)} }

func (s *stamps) set(id string, t time.Time) {
	s.mu.Lock()
	s.t[id] = t
	s.mu.Unlock()
}

// runCases drives every case to its final status: at rate per second (open
// loop) or, with rate 0, as fast as workers allow. t0 records the time each
// call was made.
func (d *Driver) runCases(ctx context.Context, adm *simAdmin, ids []string, rate, workers int, t0 *stamps) error {
	jobs := make(chan string, len(ids))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				t := time.Now()
				if t0 != nil {
					t0.set(id, t)
				}
				if err := adm.run(ctx, id); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	if rate <= 0 {
		for _, id := range ids {
			jobs <- id
		}
	} else {
		start := time.Now()
		interval := time.Second / time.Duration(rate)
		for i, id := range ids {
			if w := time.Until(start.Add(time.Duration(i) * interval)); w > 0 {
				time.Sleep(w)
			}
			jobs <- id
		}
	}
	close(jobs)
	wg.Wait()
	return first
}

// latencies pairs each case's final-status time with the arrival of its
// CaseResult.
// splitLatencies splits each case's latency at the latest notification
// that arrived before its result: the final status's webhook.
func splitLatencies(c *consumer, notes, results string, ids []string, t0 *stamps) (ingest, processor Summary) {
	var a, b Latencies
	t0.mu.Lock()
	defer t0.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		st, ok1 := t0.t[id]
		nt, ok2 := c.last[notes][id]
		rt, ok3 := c.seen[results][id]
		if ok1 && ok2 && ok3 && !nt.Before(st) && !rt.Before(nt) {
			a.Add(nt.Sub(st))
			b.Add(rt.Sub(nt))
		}
	}
	return a.Summary(), b.Summary()
}

func latencies(c *consumer, topic string, ids []string, t0 *stamps) Summary {
	var l Latencies
	t0.mu.Lock()
	defer t0.mu.Unlock()
	for _, id := range ids {
		at, ok := c.arrival(topic, id)
		st, ok2 := t0.t[id]
		if ok && ok2 {
			l.Add(at.Sub(st))
		}
	}
	return l.Summary()
}
