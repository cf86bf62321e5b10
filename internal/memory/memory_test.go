package memory_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func values(msgs []connector.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	return out
}

func msgs(topic string, vs ...string) []connector.Message {
	out := make([]connector.Message, len(vs))
	for i, v := range vs {
		out[i] = connector.Message{Topic: topic, Key: []byte("K"), Value: []byte(v)}
	}
	return out
}

// TestPublisherFaults: FailCall and FailFirst fail calls and write
// nothing; TearCall writes part of a call and fails it; the other calls
// go through.
func TestPublisherFaults(t *testing.T) {
	ctx := testContext(t)
	for _, tc := range []struct {
		name   string
		fault  memory.Fault
		failed []bool // per call
		want   []string
	}{
		{"fail the second call", memory.FailCall(2, nil), []bool{false, true, false}, []string{"1a", "1b", "3a", "3b"}},
		{"fail the first two", memory.FailFirst(2, nil), []bool{true, true, false}, []string{"3a", "3b"}},
		{"tear the first call", memory.TearCall(1, func(m connector.Message) bool { return string(m.Value) == "1b" }, nil),
			[]bool{true, false, false}, []string{"1b", "2a", "2b", "3a", "3b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &memory.Publisher{Fault: tc.fault}
			for i, v := range []string{"1", "2", "3"} {
				err := p.Publish(ctx, msgs("t", v+"a", v+"b")...)
				if (err != nil) != tc.failed[i] || (err != nil && !errors.Is(err, memory.ErrInjected)) {
					t.Errorf("call %d: err %v, want failed=%v with ErrInjected", i+1, err, tc.failed[i])
				}
			}
			if got := values(p.Records("t")); !slices.Equal(got, tc.want) {
				t.Errorf("written %v, want %v", got, tc.want)
			}
			if p.Calls() != 3 || p.Count() != len(tc.want) {
				t.Errorf("%d calls, %d records; want 3 and %d", p.Calls(), p.Count(), len(tc.want))
			}
		})
	}
}

// TestPublisherDiscard counts without keeping.
func TestPublisherDiscard(t *testing.T) {
	p := &memory.Publisher{Discard: true}
	if err := p.Publish(testContext(t), msgs("t", "a", "b")...); err != nil {
		t.Fatal(err)
	}
	if p.Count() != 2 || len(p.All()) != 0 {
		t.Errorf("count %d, kept %d; want 2 and 0", p.Count(), len(p.All()))
	}
}

// TestSubscriberList: a subscriber of a list numbers offsets per partition,
// hands the records out in order, and commits the highest offset per
// partition of each call.
func TestSubscriberList(t *testing.T) {
	ctx := testContext(t)
	in := append(msgs("a", "a0", "a1"), msgs("b", "b0")...)
	in = append(in, msgs("a", "a2")...)
	s := memory.NewSubscriber(in...)
	var got []connector.Message
	for range 4 {
		m, err := s.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if v := values(got); !slices.Equal(v, []string{"a0", "a1", "b0", "a2"}) {
		t.Fatalf("fetched %v", v)
	}
	if got[3].Offset != 2 || got[2].Offset != 0 {
		t.Errorf("offsets a2=%d b0=%d, want 2 and 0", got[3].Offset, got[2].Offset)
	}
	if _, ok := s.CommittedOffset("a", 0); ok {
		t.Error("committed before Commit")
	}
	if err := s.Commit(ctx, got[3], got[0], got[2]); err != nil {
		t.Fatal(err)
	}
	want := map[memory.TopicPartition]int64{{Topic: "a"}: 3, {Topic: "b"}: 1}
	if c := s.Committed(); len(c) != 2 || c[memory.TopicPartition{Topic: "a"}] != 3 || c[memory.TopicPartition{Topic: "b"}] != 1 {
		t.Errorf("committed %v, want %v", c, want)
	}
	if err := s.WaitCommitted(ctx, "a", 0, 3); err != nil {
		t.Error(err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := s.WaitCommitted(short, "a", 0, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitCommitted of an offset never committed = %v", err)
	}
	s.Add(msgs("a", "a3")...)
	if m, err := s.Fetch(ctx); err != nil || m.Offset != 3 {
		t.Errorf("added record: offset %d, err %v; want 3", m.Offset, err)
	}
	_ = s.Close()
	if _, err := s.Fetch(ctx); !errors.Is(err, memory.ErrClosed) {
		t.Errorf("Fetch after Close = %v", err)
	}
	if err := s.Commit(ctx, got[0]); !errors.Is(err, memory.ErrClosed) {
		t.Errorf("Commit after Close = %v", err)
	}
}

// TestSourceScript: scripted answers come in order and the last repeats;
// put cases answer otherwise; unknown ones are ErrGone.
func TestSourceScript(t *testing.T) {
	ctx := testContext(t)
	src := &memory.Source{}
	c := &connector.CaseResult{CaseID: "C1", CaseStatus: connector.CaseStatus{Status: connector.CaseClosed}}
	src.Put(&connector.CaseResult{CaseID: "P1"})
	src.Script("C1", memory.Answer{Err: memory.ErrTransient}, memory.Answer{Case: c})
	for i, wantErr := range []bool{true, false, false} {
		got, err := src.Fetch(ctx, "C1", connector.FetchOptions{})
		if (err != nil) != wantErr || (err == nil && got.CaseID != "C1") {
			t.Errorf("fetch %d: %+v, %v", i+1, got, err)
		}
	}
	if got, err := src.Fetch(ctx, "P1", connector.FetchOptions{}); err != nil || got.CaseID != "P1" {
		t.Errorf("put case: %+v, %v", got, err)
	}
	if _, err := src.Fetch(ctx, "NONE", connector.FetchOptions{}); !errors.Is(err, connector.ErrCaseGone) {
		t.Errorf("unknown case: %v, want ErrCaseGone", err)
	}
	if src.Fetches("C1") != 3 {
		t.Errorf("%d fetches of C1, want 3", src.Fetches("C1"))
	}
	for _, tc := range []struct {
		err      error
		sentinel error
	}{
		{memory.ErrGone, connector.ErrCaseGone},
		{memory.ErrUnreadable, connector.ErrCaseUnreadable},
		{memory.ErrUndecryptable, connector.ErrUndecryptable},
		{memory.ErrUnauthorized, connector.ErrUnauthorized},
		{memory.ErrBadRequest, connector.ErrBadRequest},
	} {
		if !errors.Is(tc.err, tc.sentinel) {
			t.Errorf("%v does not wrap %v", tc.err, tc.sentinel)
		}
	}
	if connector.IsFatal(memory.ErrTransient) || !connector.IsFatal(memory.ErrUnauthorized) {
		t.Error("ErrTransient must not be fatal, ErrUnauthorized must")
	}
}

// TestSourceList: lists select by status, archived and creation date, in
// creation order, status only on request, and cut partial pages.
func TestSourceList(t *testing.T) {
	ctx := testContext(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &memory.Source{PageSize: 2}
	put := func(id, status string, archived bool, created time.Duration) {
		src.Put(&connector.CaseResult{CaseID: id, OrderData: &connector.OrderData{},
			CaseStatus: connector.CaseStatus{Status: status, Archived: archived, Created: connector.NewTime(t0.Add(created)), Modified: connector.NewTime(t0.Add(created))}})
	}
	put("C3", connector.CaseClosed, false, 3*time.Hour)
	put("C1", connector.CaseClosed, false, time.Hour)
	put("N2", connector.CaseNew, false, 2*time.Hour)
	put("A4", connector.CaseClosed, true, 4*time.Hour)
	ids := func(cs []connector.CaseResult) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.CaseID)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		q       connector.ListQuery
		want    []string
		partial bool
	}{
		{"closed", connector.ListQuery{Closed: true}, []string{"C1", "C3"}, false},
		{"all, a page", connector.ListQuery{New: true, Closed: true, Archived: true}, []string{"C1", "N2"}, true},
		{"created window", connector.ListQuery{New: true, Closed: true, CreatedFrom: t0.Add(2 * time.Hour), CreatedUntil: t0.Add(3 * time.Hour)}, []string{"N2", "C3"}, false},
		{"max results", connector.ListQuery{Closed: true, Archived: true, StatusOnly: true, MaxResults: 1}, []string{"C1"}, true},
	} {
		got, partial, err := src.List(ctx, tc.q)
		if err != nil || !slices.Equal(ids(got), tc.want) || partial != tc.partial {
			t.Errorf("%s: %v partial=%v err=%v, want %v partial=%v", tc.name, ids(got), partial, err, tc.want, tc.partial)
		}
		if tc.q.StatusOnly && len(got) > 0 && got[0].OrderData != nil {
			t.Errorf("%s: a status list carries order data", tc.name)
		}
	}
	st, err := src.Archive(ctx, []string{"C1", "N2", "NONE"})
	if err != nil || len(st) != 2 || !st[0].Archived || st[1].Archived {
		t.Errorf("Archive: %+v, %v; want C1 archived, N2 not (not closed), NONE left out", st, err)
	}
	if !src.Archived("C1") || src.Archived("N2") {
		t.Error("Archived does not reflect the archive call")
	}
}
