package connector_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
)

// bfFullCase decodes testdata/events/case_full.json, a closed case with a
// result.
func bfFullCase(t *testing.T) connector.CaseResult {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "case_full.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c connector.CaseResult
	if err := connector.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	c.Normalize()
	return c
}

// bfSource serves a fixed set of cases to list calls, by creation time
// (the window ListWindows asks for); it never answers partially.
type bfSource struct{ cases []connector.CaseResult }

func (s *bfSource) Fetch(context.Context, string, connector.FetchOptions) (*connector.CaseResult, error) {
	return nil, connector.ErrCaseGone
}

func (s *bfSource) List(_ context.Context, q connector.ListQuery) ([]connector.CaseResult, bool, error) {
	var out []connector.CaseResult
	for _, c := range s.cases {
		if at := c.CaseStatus.Created.Time; !at.Before(q.CreatedFrom) && !at.After(q.CreatedUntil) {
			out = append(out, c)
		}
	}
	return out, false, nil
}

func (s *bfSource) Archive(context.Context, []string) ([]connector.CaseStatus, error) {
	return nil, nil
}

// bfCodec counts what it encodes, by topic.
type bfCodec struct {
	connector.Codec
	mu      sync.Mutex
	encoded map[string]int
}

func (c *bfCodec) Encode(ctx context.Context, topic string, v any) ([]byte, error) {
	c.mu.Lock()
	c.encoded[topic]++
	c.mu.Unlock()
	return c.Codec.Encode(ctx, topic, v)
}

// bfPublisher keeps what it is given and acknowledges at once (its own
// type, so these tests do not lean on another file's helpers).
type bfPublisher struct {
	mu   sync.Mutex
	msgs []connector.Message
	n    int
	// countOnly keeps no messages (benchmarks).
	countOnly bool
}

func (p *bfPublisher) Publish(_ context.Context, msgs ...connector.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += len(msgs)
	if !p.countOnly {
		p.msgs = append(p.msgs, msgs...)
	}
	return nil
}

// TestBackfillPlansWithoutState: a backfill decides with the processor's
// planner as if nothing had been emitted (a status event for every case, a
// result for every closed one, with the processor's ids), and neither
// writes nor encodes a state record. Before the planner was pulled out of
// the Processor, Backfill built a Processor and encoded a state record per
// case only to drop it (failed before: "encoded 2 state records").
func TestBackfillPlansWithoutState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	open := bfFullCase(t)
	open.CaseStatus.Status, open.CaseStatus.Created = connector.CaseInProgress, connector.NewTime(created)
	open.CaseID = "BFOPEN000001"
	closed := bfFullCase(t)
	closed.CaseStatus.Status, closed.CaseStatus.Created = connector.CaseClosed, connector.NewTime(created.Add(time.Hour))
	closed.CaseID = "BFCLOSED0001"

	base, err := avro.New(avro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	codec := &bfCodec{Codec: base, encoded: map[string]int{}}
	pub := &bfPublisher{}
	topics := connector.DefaultTopics()
	prog, err := connector.Backfill(ctx, connector.BackfillConfig{ClientID: "1234ABCD", Topics: topics,
		CreatedFrom: created.Add(-time.Hour), CreatedUntil: created.Add(2 * time.Hour)},
		&bfSource{cases: []connector.CaseResult{open, closed}}, pub, codec)
	if err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	if prog.Done != 2 || prog.Events != 3 {
		t.Errorf("progress %+v, want 2 cases and 3 events", prog)
	}
	if n := codec.encoded[topics.State]; n != 0 {
		t.Errorf("encoded %d state records", n)
	}
	type rec struct{ topic, key, id, origin string }
	var got []rec
	for _, m := range pub.msgs {
		got = append(got, rec{m.Topic, string(m.Key), string(m.Header(connector.HeaderID)), string(m.Header(connector.HeaderOrigin))})
	}
	want := []rec{
		{topics.Status, open.CaseID, connector.StatusEventID("1234ABCD", open.CaseID, connector.IdentKeyOf(&open)), "backfill"},
		{topics.Status, closed.CaseID, connector.StatusEventID("1234ABCD", closed.CaseID, connector.IdentKeyOf(&closed)), "backfill"},
		{topics.Result, closed.CaseID, connector.ResultEventID("1234ABCD", closed.CaseID, connector.IdentKeyOf(&closed)), "backfill"},
	}
	slices.SortFunc(got, func(a, b rec) int { return strings.Compare(a.topic+a.key, b.topic+b.key) })
	slices.SortFunc(want, func(a, b rec) int { return strings.Compare(a.topic+a.key, b.topic+b.key) })
	if !slices.Equal(got, want) {
		t.Errorf("records\n got %v\nwant %v", got, want)
	}
}

// BenchmarkBackfillPage is a backfill's CPU per case for one page of 500
// closed cases: plan, build and encode the status event and the result.
// One op is one page.
func BenchmarkBackfillPage(b *testing.B) {
	const n = 500
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cases, _ := benchCases(b, n)
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src := &bfSource{}
	for i, c := range cases {
		c.CaseStatus.Status, c.CaseStatus.Created = connector.CaseClosed, connector.NewTime(created.Add(time.Duration(i)*time.Second))
		src.cases = append(src.cases, *c)
	}
	codec, err := avro.New(avro.Config{})
	if err != nil {
		b.Fatal(err)
	}
	pub := &bfPublisher{countOnly: true}
	cfg := connector.BackfillConfig{ClientID: "BENCHCLIENT1", CreatedFrom: created, CreatedUntil: created.Add(time.Hour), Window: time.Hour}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := connector.Backfill(ctx, cfg, src, pub, codec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/case")
	b.ReportMetric(float64(pub.n)/float64(b.N*n), "records/case")
}
