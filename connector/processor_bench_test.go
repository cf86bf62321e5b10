package connector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// benchCases decodes testdata/events/case_full.json n times with distinct
// caseIds.
func benchCases(b *testing.B, n int) ([]*connector.CaseResult, []byte) {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "case_full.json"))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]*connector.CaseResult, n)
	for i := range out {
		var c connector.CaseResult
		if err := json.Unmarshal(raw, &c); err != nil {
			b.Fatal(err)
		}
		c.Normalize()
		c.CaseID = fmt.Sprintf("B%011d", i)
		out[i] = &c
	}
	return out, raw
}

// memSource serves already decoded cases: the processor's work without
// POSTIDENT's (decryption and JSON have their own benchmarks in internal/scr
// and BenchmarkDecodeCaseJSON).
type memSource struct {
	byID map[string]*connector.CaseResult
}

func (s *memSource) Fetch(_ context.Context, id string, _ connector.FetchOptions) (*connector.CaseResult, error) {
	c, ok := s.byID[id]
	if !ok {
		return nil, connector.ErrCaseGone
	}
	return c, nil
}

func (s *memSource) List(context.Context, connector.ListQuery) ([]connector.CaseResult, bool, error) {
	return nil, false, nil
}

func (s *memSource) Archive(context.Context, []string) ([]connector.CaseStatus, error) {
	return nil, nil
}

// benchBatch is what both HandleBatch benchmarks start from: n cases the
// source serves and one encoded notification for each, a webhook or (with
// snapshots) a reconcile snapshot of the case.
func benchBatch(b *testing.B, ctx context.Context, n int, snapshots bool) (connector.Codec, connector.Topics, *memSource, []connector.Message) {
	b.Helper()
	codec, err := avro.New(avro.Config{})
	if err != nil {
		b.Fatal(err)
	}
	topics := connector.DefaultTopics()
	cases, _ := benchCases(b, n)
	src := &memSource{byID: map[string]*connector.CaseResult{}}
	msgs := make([]connector.Message, n)
	for i, c := range cases {
		src.byID[c.CaseID] = c
		note := &connector.Notification{CaseID: c.CaseID, Origin: string(connector.OriginWebhook), ReceivedAt: time.Now().UTC().Truncate(time.Millisecond)}
		if snapshots {
			note.Origin, note.Snapshot = string(connector.OriginReconcile), connector.SnapshotOf(c)
		}
		val, err := codec.Encode(ctx, topics.Notifications, note)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = connector.Message{Topic: topics.Notifications, Key: []byte(c.CaseID), Value: val}
	}
	return codec, topics, src, msgs
}

// BenchmarkHandleBatchClosed is the processor's CPU per case for a batch of
// 500 webhook notifications of closed cases it never saw: decode each
// notification (Avro), diff against the state, build CaseStatusChanged,
// CaseResult and CaseState, encode all three (Avro single-object), headers
// and trace context. One op is one batch; ns/case is per case.
func BenchmarkHandleBatchClosed(b *testing.B) {
	const n = 500
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	codec, topics, src, msgs := benchBatch(b, ctx, n, false)
	// Acknowledged at once: Kafka has its own benchmarks (internal/kafka
	// BenchmarkPublishBatch).
	pub := &memory.Publisher{Discard: true}
	b.ReportAllocs()
	for b.Loop() {
		// A fresh state each time: every case is new, so every batch emits.
		p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: "BENCHCLIENT1", Topics: topics}, src, pub, codec, connector.NewState())
		if err != nil {
			b.Fatal(err)
		}
		if err := p.HandleBatch(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/case")
	b.ReportMetric(float64(pub.Count())/float64(b.N*n), "records/case")
}

// BenchmarkHandleBatchUnchangedSnapshots is a reconcile run over cases whose
// results went out: the processor decodes each snapshot notification and
// skips it without a fetch.
func BenchmarkHandleBatchUnchangedSnapshots(b *testing.B) {
	const n = 500
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	codec, topics, src, msgs := benchBatch(b, ctx, n, true)
	// Acknowledged at once: Kafka has its own benchmarks (internal/kafka
	// BenchmarkPublishBatch).
	pub := &memory.Publisher{Discard: true}
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: "BENCHCLIENT1", Topics: topics}, src, pub, codec, connector.NewState())
	if err != nil {
		b.Fatal(err)
	}
	if err := p.HandleBatch(ctx, msgs); err != nil { // emit once: now every case is tracked
		b.Fatal(err)
	}
	emitted := pub.Count()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.HandleBatch(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	if pub.Count() != emitted {
		b.Fatalf("unchanged snapshots emitted %d records", pub.Count()-emitted)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/case")
}

// BenchmarkDecodeCaseJSON is the JSON half of a fetch: one case of
// testdata/events/case_full.json (8 KiB) into CaseResult with
// encoding/json and Normalize, alone and as part of a 1000-case list.
func BenchmarkDecodeCaseJSON(b *testing.B) {
	_, raw := benchCases(b, 1)
	b.Run("single", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			var c connector.CaseResult
			if err := json.Unmarshal(raw, &c); err != nil {
				b.Fatal(err)
			}
			c.Normalize()
		}
	})
	b.Run("list1000", func(b *testing.B) {
		list := []byte{'['}
		for i := range 1000 {
			if i > 0 {
				list = append(list, ',')
			}
			list = append(list, raw...)
		}
		list = append(list, ']')
		b.SetBytes(int64(len(list)))
		b.ReportAllocs()
		for b.Loop() {
			var cs []connector.CaseResult
			if err := json.Unmarshal(list, &cs); err != nil {
				b.Fatal(err)
			}
			connector.NormalizeCases(cs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/case")
	})
}
