package connector_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// The unit tests of the roles (processor_unit_test.go, archiver_unit_test.go,
// backfill_unit_test.go) run them on the in-memory ports of
// internal/memory with the real Avro codec: no simulator, no HTTP, no
// broker, so each runs in milliseconds. internal/memory passes the same
// contract (connector/porttest) as the Kafka adapter.

const unitClient = "UNITCLIENT01"

// quiet drops the roles' log lines: the unit tests check outcomes.
var quiet = slog.New(slog.DiscardHandler)

var (
	unitCaseOnce sync.Once
	unitCaseRaw  []byte
	unitCaseErr  error
)

// unitEnv is one unit test's codec, topics and context.
type unitEnv struct {
	t      *testing.T
	ctx    context.Context
	codec  connector.Codec
	topics connector.Topics
	now    time.Time
}

func newUnitEnv(t *testing.T) *unitEnv {
	t.Helper()
	codec, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return &unitEnv{t: t, ctx: ctx, codec: codec, topics: connector.DefaultTopics(),
		now: time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC)}
}

// newCase returns the case of testdata/events/case_full.json (a closed
// eID identification) as caseID, with the given status, not archived,
// created and modified at the given times.
func (e *unitEnv) newCase(caseID, status string, created, modified time.Time) *connector.CaseResult {
	e.t.Helper()
	unitCaseOnce.Do(func() {
		unitCaseRaw, unitCaseErr = os.ReadFile(filepath.Join("testdata", "events", "case_full.json"))
	})
	if unitCaseErr != nil {
		e.t.Fatal(unitCaseErr)
	}
	var c connector.CaseResult
	if err := connector.Unmarshal(unitCaseRaw, &c); err != nil {
		e.t.Fatal(err)
	}
	c.Normalize()
	c.CaseID = caseID
	c.CaseStatus.Status = status
	c.CaseStatus.Archived = false
	c.CaseStatus.Created = connector.NewTime(created)
	c.CaseStatus.Modified = connector.NewTime(modified)
	// One custom field: Avro writes a map in Go's random iteration order,
	// and the tests compare record bytes.
	c.OrderData.CustomData = map[string]string{"custom1": "REF-1"}
	return &c
}

// closedCases puts n closed cases into src, created an hour before e.now
// and closed at e.now, and returns their ids.
func (e *unitEnv) closedCases(src *memory.Source, prefix string, n int) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%08d", prefix, i)
		src.Put(e.newCase(ids[i], connector.CaseClosed, e.now.Add(-time.Hour), e.now))
	}
	return ids
}

// webhooks encodes one webhook notification per case, received at e.now.
func (e *unitEnv) webhooks(ids ...string) []connector.Message {
	e.t.Helper()
	msgs := make([]connector.Message, len(ids))
	for i, id := range ids {
		v, err := e.codec.Encode(e.ctx, e.topics.Notifications, &connector.Notification{CaseID: id, Origin: string(connector.OriginWebhook), ReceivedAt: e.now})
		if err != nil {
			e.t.Fatal(err)
		}
		msgs[i] = connector.Message{Topic: e.topics.Notifications, Key: []byte(id), Value: v}
	}
	return msgs
}

// processor returns a processor with cfg completed by the env's client,
// topics, clock and a quiet logger, over a fresh state.
func (e *unitEnv) processor(cfg connector.ProcessorConfig, src connector.Source, pub connector.Publisher) *connector.Processor {
	e.t.Helper()
	return e.processorOver(cfg, src, pub, connector.NewState())
}

// processorOver is processor over a given state.
func (e *unitEnv) processorOver(cfg connector.ProcessorConfig, src connector.Source, pub connector.Publisher, state *connector.State) *connector.Processor {
	e.t.Helper()
	cfg.ClientID, cfg.Topics = unitClient, e.topics
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return e.now }
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	p, err := connector.NewProcessor(cfg, src, pub, e.codec, state)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// run starts p.Run on sub and returns a function that stops it and
// returns Run's error.
func (e *unitEnv) run(p *connector.Processor, sub connector.Subscriber) (stop func() error) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, sub) }()
	return func() error {
		cancel()
		return <-done
	}
}

// waitFor polls cond until it holds or the env's context ends (a bound, not
// a timing assertion).
func (e *unitEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	for !cond() {
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("gave up waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
