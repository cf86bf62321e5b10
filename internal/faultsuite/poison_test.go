//go:build faults

package faultsuite

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// TestPoison: a few per cent of the cases, chosen at random, get answers
// that do not decode (malformed JSON, or caseStatus.status as an array) in
// single GETs and in data lists, while every case progresses. Every normal
// result must arrive (verify over the normal cases: 0 lost), every poisoned
// case must be parked on the dead-letter topic exactly once, and the
// connector must not exit. The longest time a notification waited in the
// processor (postident_oldest_unhandled_notification_seconds, scraped every
// 200ms) and how often it exceeded PROCESSOR_RETRY_BUDGET are reported as
// figures (timings are not asserted on a shared machine).
func TestPoison(t *testing.T) {
	start := time.Now()
	f := figures{Scenario: "poison", Runs: 1}
	rng := rand.New(rand.NewPCG(seed, 500))
	const budget = 5 * time.Second
	e := newEnv(t, "poison", opts{env: map[string]string{"PROCESSOR_RETRY_BUDGET": budget.String(), "RECONCILE_INTERVAL": "2s"}}, 6*time.Minute)
	e.mustStart()
	e.col.begin()
	ids := e.createMixed(n(600), rng)
	var normal, poisoned []string
	kinds := []sim.Poison{sim.PoisonMalformed, sim.PoisonMistyped}
	for _, id := range ids {
		if rng.Float64() < 0.04 {
			if err := e.sim.SetPoison(id, kinds[rng.IntN(len(kinds))]); err != nil {
				t.Fatal(err)
			}
			poisoned = append(poisoned, id)
			continue
		}
		normal = append(normal, id)
	}
	if len(poisoned) == 0 {
		t.Fatal("no case poisoned")
	}

	// Scrape the age of the oldest unhandled notification while it runs.
	sctx, stopScrape := context.WithCancel(e.ctx)
	var mu sync.Mutex
	var longest float64
	stalls, above := 0, false
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sctx.Err() == nil {
			if v, ok := scrapeGauge(sctx, e.admin+"/metrics", "postident_oldest_unhandled_notification_seconds"); ok {
				mu.Lock()
				longest = max(longest, v)
				if v > budget.Seconds() && !above {
					stalls++
				}
				above = v > budget.Seconds()
				mu.Unlock()
			}
			select {
			case <-sctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()

	done := e.drive(ids, 30*time.Second, rng)
	for !closed(done) {
		e.sleep(200 * time.Millisecond)
	}
	e.verify(normal, &f, 150*time.Second)
	stopScrape()
	wg.Wait()

	// Every poisoned case is parked, once per version; no normal case is.
	var dmu sync.Mutex
	// records counts dead-letter records per case and per version of the
	// case (its identification modified): a poisoned case that POSTIDENT
	// changes again is fetched again (it stays parked only while it does
	// not change) and, still poisoned, parked again with the new version.
	// That is one record per version; the same version twice is a bug.
	records := map[string]map[string]int{}
	err := kafka.ReadAll(e.ctx, kafka.Config{Brokers: e.brokers, ClientID: "faults-poison"}, e.cenv["TOPIC_DEAD_LETTER"], func(m connector.Message) error {
		if m.Value == nil {
			return nil
		}
		var d connector.DeadLetter
		if err := e.codec.Decode(e.ctx, m.Value, &d); err != nil {
			return err
		}
		dmu.Lock()
		version := "unknown"
		if d.CaseModified != nil {
			version = d.CaseModified.UTC().Format(time.RFC3339Nano)
		}
		if records[string(m.Key)] == nil {
			records[string(m.Key)] = map[string]int{}
		}
		records[string(m.Key)][version]++
		dmu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatalf("read the dead-letter topic: %v", err)
	}
	parked, twice, newer, withResult := 0, 0, 0, 0
	rs, _ := e.col.snapshot()
	for _, id := range poisoned {
		if len(records[id]) > 0 {
			parked++
		}
		if len(records[id]) > 1 {
			newer++
		}
		for _, n := range records[id] {
			if n > 1 {
				twice++
				break
			}
		}
		if len(rs[id]) > 0 {
			withResult++
		}
	}
	for id := range records {
		if !contains(poisoned, id) {
			t.Errorf("%s: a normal case was parked", id)
		}
	}
	if parked != len(poisoned) || twice != 0 || withResult != 0 {
		t.Errorf("poisoned cases: %d, parked %d (%d with the same version more than once), %d with a result", len(poisoned), parked, twice, withResult)
	}
	mu.Lock()
	f.Faults = len(poisoned)
	f.Detail = fmt.Sprintf("%d of %d cases poisoned (malformed or mistyped, single GETs and data lists): %d parked (%d parked again at a newer version, %d twice at the same version), %d with a result; %d normal results lost; longest wait of a notification %.1fs, %d stalls longer than the retry budget (%s)",
		len(poisoned), len(ids), parked, newer, twice, withResult, f.Lost, longest, stalls, budget)
	mu.Unlock()
	t.Log(f.Detail)
	f.Took = time.Since(start)
	record(f)
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// scrapeGauge reads the largest sample of a gauge from a Prometheus text
// page.
func scrapeGauge(ctx context.Context, url, name string) (float64, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	found, best := false, 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			found, best = true, max(best, v)
		}
	}
	return best, found
}
