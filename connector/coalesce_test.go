package connector_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// The coalescing tests run the processor against the simulator over HTTP
// with encryption required, and count the requests that reach it by
// endpoint. A processor with coalescing and one without handle the same
// notifications on fresh states; what they publish must be the same.

const (
	coClient = "COALESCE01"
	coUser   = "coalesce"
	coPass   = "coalesce-password"
	coData   = "coalesce-data-password"
)

var (
	coKeyOnce sync.Once
	coKey     *rsa.PrivateKey
)

func coalesceKey(t *testing.T) *rsa.PrivateKey {
	coKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		coKey = k
	})
	return coKey
}

// calls counts the simulator's requests by endpoint.
type calls struct {
	mu                           sync.Mutex
	get, dataList, statusList, n int
}

func (c *calls) reset() {
	c.mu.Lock()
	c.get, c.dataList, c.statusList, c.n = 0, 0, 0, 0
	c.mu.Unlock()
}

func (c *calls) snapshot() (get, dataList, statusList int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get, c.dataList, c.statusList
}

func (c *calls) wrap(h http.Handler) http.Handler {
	prefix := "/api/scr/v1/" + coClient + "/cases"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, prefix) {
			rest := strings.Trim(strings.TrimPrefix(r.URL.Path, prefix), "/")
			c.mu.Lock()
			switch rest {
			case "", "full":
				c.dataList++
			case "status", "status/full":
				c.statusList++
			default:
				c.get++ // cases/{id}[/full|/status]
			}
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

type coEnv struct {
	t      *testing.T
	ctx    context.Context
	sim    *sim.Sim
	src    connector.Source
	calls  *calls
	codec  *avro.Codec
	topics connector.Topics
}

func newCoEnv(t *testing.T, sc sim.Config) *coEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	sc.ClientID, sc.Username, sc.Password, sc.DataPassword, sc.RequireEncryption = coClient, coUser, coPass, coData, true
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cl := &calls{}
	srv := httptest.NewServer(cl.wrap(s.Handler()))
	t.Cleanup(srv.Close)
	client, err := scr.New(scr.Config{BaseURL: srv.URL + "/api/scr/v1", ClientID: coClient, Username: coUser, Password: coPass,
		PrivateKey: coalesceKey(t), DataPassword: coData, RequireEncryption: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	codec, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &coEnv{t: t, ctx: ctx, sim: s, src: scr.NewSource(client), calls: cl, codec: codec, topics: connector.DefaultTopics()}
}

// closed creates n eID cases and runs each to success, perSecond of them
// per simulated second, and returns their ids with the simulated time each
// closed at (what a webhook's receivedAt would say).
func (e *coEnv) closed(n, perSecond int) ([]string, []time.Time) {
	e.t.Helper()
	var ids []string
	var at []time.Time
	for i := range n {
		if i > 0 && i%perSecond == 0 {
			e.sim.Advance(time.Second)
		}
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Scenario: "success", ReferenceID: fmt.Sprintf("REF-%d", i)})
		if err != nil {
			e.t.Fatal(err)
		}
		if err := e.sim.RunToEnd(id); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
		at = append(at, e.sim.Now())
	}
	return ids, at
}

// open creates n cases left in progress.
func (e *coEnv) open(n int) []string {
	e.t.Helper()
	var ids []string
	for range n {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodVideo, Scenario: "success"})
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.sim.Step(id); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// webhooks encodes one webhook notification per case, received at at[i].
func (e *coEnv) webhooks(ids []string, at []time.Time) []connector.Message {
	e.t.Helper()
	msgs := make([]connector.Message, len(ids))
	for i, id := range ids {
		v, err := e.codec.Encode(e.ctx, e.topics.Notifications, &connector.Notification{CaseID: id, Origin: string(connector.OriginWebhook),
			ReceivedAt: at[i].UTC().Truncate(time.Millisecond)})
		if err != nil {
			e.t.Fatal(err)
		}
		msgs[i] = connector.Message{Topic: e.topics.Notifications, Key: []byte(id), Value: v}
	}
	return msgs
}

// records is what pub holds, topic/key/value sorted, without headers
// (they carry trace ids).
func records(pub *memory.Publisher) []string {
	msgs := pub.All()
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%s/%s/%x", m.Topic, m.Key, m.Value)
	}
	slices.Sort(out)
	return out
}

// run handles the batches with a fresh processor and state and returns
// what it published and the requests it made.
func (e *coEnv) run(cfg connector.ProcessorConfig, now time.Time, batches ...[]connector.Message) (pub *memory.Publisher, get, dataList, statusList int) {
	e.t.Helper()
	cfg.ClientID, cfg.Topics = coClient, e.topics
	cfg.Now = func() time.Time { return now }
	pub = &memory.Publisher{}
	p, err := connector.NewProcessor(cfg, e.src, pub, e.codec, connector.NewState())
	if err != nil {
		e.t.Fatal(err)
	}
	e.calls.reset()
	for _, b := range batches {
		if err := p.HandleBatch(e.ctx, b); err != nil {
			e.t.Fatal(err)
		}
	}
	get, dataList, statusList = e.calls.snapshot()
	return pub, get, dataList, statusList
}

var coalesceOn = connector.ProcessorConfig{Coalesce: connector.CoalesceConfig{Enabled: true}}

// TestCoalesceWebhookBurst: a burst of webhooks for closed cases is served
// by list calls; every closed case gets exactly one CaseResult, and the
// processor publishes exactly what it publishes with one GET per case.
// Cases a closed-case list cannot hold (still open, archived, closed
// outside the window of a delayed webhook) fall back to single GETs.
func TestCoalesceWebhookBurst(t *testing.T) {
	const burst = 150
	for _, tc := range []struct {
		name string
		page int // sim.Faults.PartialPageSize; 0: 1000
		// second picks the burst cases whose webhooks come in a second
		// batch; nil: one batch.
		second   func(i int) bool
		maxLists int
	}{
		{"one batch", 0, nil, 2},
		{"partial deliveries of 60", 60, nil, 16},
		// The first batch's lists carry the second batch's cases too: the
		// second is served from the cache, without a call.
		{"interleaved second batch from the cache", 0, func(i int) bool { return i%5 == 0 }, 2},
		{"two consecutive batches", 0, func(i int) bool { return i >= burst/3 }, 2 * 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCoEnv(t, sim.Config{})
			e.sim.SetFaults(sim.Faults{PartialPageSize: tc.page})
			// Closed ten minutes before the burst; their webhook retry
			// arrives with the burst.
			late, _ := e.closed(3, 10)
			e.sim.Advance(10 * time.Minute)
			ids, at := e.closed(burst, 20)
			archived, _ := e.closed(3, 10)
			if _, err := e.src.Archive(e.ctx, archived); err != nil {
				t.Fatal(err)
			}
			open := e.open(4)
			now := e.sim.Now()
			fallback := slices.Concat(late, archived, open)
			all := slices.Concat(ids, fallback)
			hints := slices.Clone(at)
			for range fallback {
				hints = append(hints, now)
			}
			msgs := e.webhooks(all, hints)
			batches := [][]connector.Message{msgs}
			if tc.second != nil {
				var first, second []connector.Message
				for i, m := range msgs {
					if i < burst && tc.second(i) {
						second = append(second, m)
					} else {
						first = append(first, m)
					}
				}
				batches = [][]connector.Message{first, second}
			}

			single, singleGets, _, _ := e.run(connector.ProcessorConfig{}, now, batches...)
			co, gets, dataLists, statusLists := e.run(coalesceOn, now, batches...)
			t.Logf("coalesced: %d GETs, %d data lists, %d status lists; single: %d GETs", gets, dataLists, statusLists, singleGets)

			if singleGets != len(all) {
				t.Errorf("without coalescing: %d GETs, want %d", singleGets, len(all))
			}
			if gets != len(fallback) {
				t.Errorf("with coalescing: %d GETs, want %d (only the cases no list can hold)", gets, len(fallback))
			}
			if dataLists == 0 || dataLists+statusLists > tc.maxLists {
				t.Errorf("with coalescing: %d data lists and %d status lists, want at least one data list and at most %d lists", dataLists, statusLists, tc.maxLists)
			}
			res := co.Keys(e.topics.Result)
			for _, id := range slices.Concat(ids, late, archived) {
				if res[id] != 1 {
					t.Errorf("case %s: %d results, want 1", id, res[id])
				}
			}
			for _, id := range open {
				if res[id] != 0 {
					t.Errorf("open case %s: %d results", id, res[id])
				}
			}
			if a, b := records(co), records(single); !slices.Equal(a, b) {
				t.Errorf("coalesced processor published %d records, single GETs %d; they differ", len(a), len(b))
			}
		})
	}
}

// TestCoalesceReconcileSnapshots: snapshots of closed cases carry their
// creation time, so the processor fetches them with data lists over their
// creation range and needs no status list; open cases are fetched singly.
func TestCoalesceReconcileSnapshots(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, _ := e.closed(120, 30)
	open := e.open(5)
	now := e.sim.Now().Add(time.Second)
	rpub := &memory.Publisher{}
	rec, err := connector.NewReconciler(connector.ReconcilerConfig{ClientID: coClient, Topics: e.topics, Now: func() time.Time { return now }}, e.src, rpub, e.codec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.RunOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
	var notes []connector.Message
	for _, m := range rpub.All() {
		if m.Topic != e.topics.Notifications {
			continue
		}
		var n connector.Notification
		if err := e.codec.Decode(e.ctx, m.Value, &n); err != nil {
			t.Fatal(err)
		}
		if n.Snapshot == nil || n.Snapshot.Created == nil {
			t.Fatalf("case %s: snapshot without creation time: %+v", n.CaseID, n.Snapshot)
		}
		notes = append(notes, m)
	}
	if len(notes) != len(ids)+len(open) {
		t.Fatalf("reconciler wrote %d notifications, want %d", len(notes), len(ids)+len(open))
	}

	single, singleGets, _, _ := e.run(connector.ProcessorConfig{}, now, notes)
	co, gets, dataLists, statusLists := e.run(coalesceOn, now, notes)
	t.Logf("coalesced: %d GETs, %d data lists, %d status lists; single: %d GETs", gets, dataLists, statusLists, singleGets)
	if gets != len(open) {
		t.Errorf("%d GETs, want %d (the open cases)", gets, len(open))
	}
	if statusLists != 0 || dataLists == 0 {
		t.Errorf("%d status lists and %d data lists; want none and at least one", statusLists, dataLists)
	}
	res := co.Keys(e.topics.Result)
	for _, id := range ids {
		if res[id] != 1 {
			t.Errorf("case %s: %d results, want 1", id, res[id])
		}
	}
	if a, b := records(co), records(single); !slices.Equal(a, b) {
		t.Errorf("coalesced processor published %d records, single GETs %d; they differ", len(a), len(b))
	}
	// The same snapshots twice: the second time every result is out and
	// every open snapshot unchanged, so nothing is fetched.
	e.calls.reset()
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics, Coalesce: connector.CoalesceConfig{Enabled: true}}, e.src, &memory.Publisher{}, e.codec, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p.HandleBatch(e.ctx, notes); err != nil {
			t.Fatal(err)
		}
	}
	if g, d, s := e.calls.snapshot(); g != len(open) || d+s > 16 {
		t.Errorf("twice the same snapshots: %d GETs, %d lists; want %d GETs (the open cases, once) and lists only the first time", g, d+s, len(open))
	}
}

// TestCoalesceOff: partner mode, binary data and the result PDF keep one
// GET per case (lists carry no binaries; partners may not read them), as
// does the zero configuration.
func TestCoalesceOff(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, at := e.closed(24, 24)
	msgs := e.webhooks(ids, at)
	now := e.sim.Now()
	on := connector.CoalesceConfig{Enabled: true}
	for _, tc := range []struct {
		name string
		cfg  connector.ProcessorConfig
	}{
		{"zero value", connector.ProcessorConfig{}},
		{"partner mode", connector.ProcessorConfig{PartnerMode: true, Coalesce: on}},
		{"binary data", connector.ProcessorConfig{IncludeBinaryData: true, Coalesce: on}},
		{"result PDF", connector.ProcessorConfig{IncludeResultPDF: true, Coalesce: on}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.CoalesceActive() {
				t.Error("CoalesceActive() = true")
			}
			pub, gets, dataLists, statusLists := e.run(tc.cfg, now, msgs)
			if gets != len(ids) || dataLists+statusLists != 0 {
				t.Errorf("%d GETs and %d lists; want %d GETs and no list", gets, dataLists+statusLists, len(ids))
			}
			if n := len(records(pub)); n == 0 {
				t.Error("nothing published")
			}
		})
	}
}

// TestCoalesceSmallBatch: fewer hinted cases than Min are fetched singly,
// without a list call.
func TestCoalesceSmallBatch(t *testing.T) {
	e := newCoEnv(t, sim.Config{})
	ids, at := e.closed(3, 3)
	_, gets, dataLists, statusLists := e.run(coalesceOn, e.sim.Now(), e.webhooks(ids, at))
	if gets != len(ids) || dataLists+statusLists != 0 {
		t.Errorf("%d GETs and %d lists; want %d GETs and no list", gets, dataLists+statusLists, len(ids))
	}
}
