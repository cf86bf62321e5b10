package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// TestNoPersonalDataInTelemetry runs the connector end to end over cases of
// every method and class (with some 5xx answers and duplicated webhooks, so
// that error and retry paths log too), with its log at debug level in JSON,
// spans recorded, /metrics scraped and the dev-mode live view printing, and
// then greps all of it for every name, birth date, birth place, document
// number, address, email and phone number the simulator generated for the
// cases. None may appear: logs, traces and metrics leave the regulated
// perimeter (log shipping, tracing backends, dashboards); only the Kafka
// topics carry personal data.
func TestNoPersonalDataInTelemetry(t *testing.T) {
	tel, rec := telemetry.SetupForTest()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	logs := &lockedBuffer{}
	log, err := telemetry.NewLogger(logs, "json", "debug")
	if err != nil {
		t.Fatal(err)
	}
	e := newE2E(t, envOpts{tel: tel, noStart: true, env: map[string]string{"RECONCILE_INTERVAL": "2s", "LOG_LEVEL": "debug"}})
	e.startLogged(log)
	col := e.collect()

	view := &lockedBuffer{}
	vctx, stopView := context.WithCancel(e.ctx)
	viewDone := make(chan struct{})
	go func() { defer close(viewDone); liveView(vctx, e.config(), view) }()

	e.sim.SetFaults(sim.Faults{ErrorRate: 0.1, DuplicateWebhookRate: 0.2})
	ids := createMixed(t, e.sim, 60, 2024)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.sim.RunToEnd(id); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.sim.SetFaults(sim.Faults{})
	closed := 0
	for _, id := range ids {
		if c, _ := e.sim.Case(id, false); c.CaseStatus.Status == connector.CaseClosed {
			closed++
		}
	}
	eventually(t, 90*time.Second, "a result for every closed case", func() (bool, string) {
		_, results := col.snapshot()
		n := 0
		for _, id := range ids {
			if len(results[id]) > 0 {
				n++
			}
		}
		return n >= closed, fmt.Sprintf("%d of %d closed cases have a result", n, closed)
	})
	eventually(t, 30*time.Second, "the live view shows the results", func() (bool, string) {
		n := strings.Count(view.String(), "RESULT")
		return n >= closed, fmt.Sprintf("%d of %d results in the live view", n, closed)
	})
	e.reconcile()

	resp, err := http.Get(e.adminURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stopView()
	<-viewDone
	e.stop()

	values := e.sim.PersonalValues(ids)
	if len(values) < 100 {
		t.Fatalf("only %d personal values to look for; the grep would prove little", len(values))
	}
	// The results on Kafka do carry them: the values are real.
	_, results := col.snapshot()
	if len(results) == 0 {
		t.Fatal("no results")
	}

	var spanText strings.Builder
	spans := rec.Ended()
	for _, s := range spans {
		fmt.Fprintf(&spanText, "span %s status %q\n", s.Name(), s.Status().Description)
		for _, a := range s.Attributes() {
			fmt.Fprintf(&spanText, "  attr %s=%s\n", a.Key, a.Value.String())
		}
		for _, ev := range s.Events() {
			fmt.Fprintf(&spanText, "  event %s\n", ev.Name)
			for _, a := range ev.Attributes {
				fmt.Fprintf(&spanText, "    attr %s=%s\n", a.Key, a.Value.String())
			}
		}
		for _, l := range s.Links() {
			for _, a := range l.Attributes {
				fmt.Fprintf(&spanText, "  link attr %s=%s\n", a.Key, a.Value.String())
			}
		}
		for _, a := range s.Resource().Attributes() {
			fmt.Fprintf(&spanText, "  resource %s=%s\n", a.Key, a.Value.String())
		}
	}
	outputs := []struct{ name, text string }{
		{"log", logs.String()},
		{"spans", spanText.String()},
		{"metrics", string(metrics)},
		{"live view", view.String()},
	}
	for _, o := range outputs {
		if o.text == "" {
			t.Errorf("%s: empty; nothing was checked", o.name)
			continue
		}
		hits := 0
		for _, line := range strings.Split(o.text, "\n") {
			for _, v := range values {
				if strings.Contains(line, v) {
					if hits < 5 {
						t.Errorf("%s: personal value %q in: %s", o.name, v, line)
					}
					hits++
					break
				}
			}
		}
		t.Logf("%s: %d bytes, %d lines with personal data", o.name, len(o.text), hits)
	}
	if !strings.Contains(logs.String(), `"level":"DEBUG"`) {
		t.Error("no debug line was logged: the test would not see what debug logging leaks")
	}
	t.Logf("%d cases (%d closed), %d personal values, %d spans", len(ids), closed, len(values), len(spans))
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
