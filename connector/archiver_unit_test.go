package connector_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// resultRecords returns one record per id as the archiver reads them from
// the result topic (keyed by caseId).
func resultRecords(topic string, ids ...string) []connector.Message {
	msgs := make([]connector.Message, len(ids))
	for i, id := range ids {
		msgs[i] = connector.Message{Topic: topic, Key: []byte(id), Value: []byte("result")}
	}
	return msgs
}

// newArchiver returns an archiver with batches of size and a short linger:
// the tests queue every record before Run, so a batch never waits for it.
func newArchiver(t *testing.T, size int, src connector.Source) *connector.Archiver {
	t.Helper()
	a, err := connector.NewArchiver(connector.ArchiverConfig{BatchSize: size, Linger: 20 * time.Millisecond, Logger: quiet}, src)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runArchiver runs a until the subscriber committed offset n of the topic,
// then stops it and returns Run's error.
func runArchiver(t *testing.T, e *unitEnv, a *connector.Archiver, sub *memory.Subscriber, topic string, n int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, sub) }()
	if err := sub.WaitCommitted(e.ctx, topic, 0, n); err != nil {
		cancel()
		t.Fatalf("%v (Run: %v)", err, <-done)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// checkArchives fails unless the archive calls were want and every id of
// archived was archived.
func checkArchives(t *testing.T, src *memory.Source, want [][]string, archived []string) {
	t.Helper()
	if got := src.Archives(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("archive calls %v, want %v", got, want)
	}
	for _, id := range archived {
		if !src.Archived(id) {
			t.Errorf("case %s not archived", id)
		}
	}
}

// TestArchiverUnitBatches: queued result records are archived in batches
// of BatchSize, and committed once POSTIDENT confirmed them.
func TestArchiverUnitBatches(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "ARCH", 7)
	sub := memory.NewSubscriber(resultRecords(e.topics.Result, ids...)...)
	runArchiver(t, e, newArchiver(t, 3, src), sub, e.topics.Result, 7)
	checkArchives(t, src, [][]string{ids[0:3], ids[3:6], ids[6:7]}, ids)
}

// TestArchiverUnitIDs: ids come from the key, or from the JSON value of a
// keyless acknowledgement; tombstones and repeats are skipped.
func TestArchiverUnitIDs(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "ACK", 3)
	msgs := []connector.Message{
		{Topic: "acks", Key: []byte(ids[0]), Value: []byte("{}")},
		{Topic: "acks", Key: []byte(ids[1])}, // a tombstone from an erasure
		{Topic: "acks", Value: []byte(fmt.Sprintf(`{"caseId":%q}`, ids[2]))},
		{Topic: "acks", Key: []byte(ids[0]), Value: []byte("{}")},
	}
	sub := memory.NewSubscriber(msgs...)
	runArchiver(t, e, newArchiver(t, 10, src), sub, "acks", 4)
	checkArchives(t, src, [][]string{{ids[0], ids[2]}}, []string{ids[0], ids[2]})
}

// TestArchiverUnitSplitsOn400: a batch POSTIDENT rejects with 400 is split
// in halves until the bad id is alone; it is left unarchived, every other
// id is archived, and the batch is committed.
func TestArchiverUnitSplitsOn400(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{}
	ids := e.closedCases(src, "SPLIT", 4)
	const bad = "REJECTED0001"
	src.ArchiveFault = func(_ int, batch []string) error {
		if slices.Contains(batch, bad) {
			return memory.ErrBadRequest
		}
		return nil
	}
	all := []string{ids[0], ids[1], bad, ids[2], ids[3]}
	sub := memory.NewSubscriber(resultRecords(e.topics.Result, all...)...)
	runArchiver(t, e, newArchiver(t, 10, src), sub, e.topics.Result, 5)
	want := [][]string{
		all,      // 400
		all[:2],  // ok
		all[2:],  // 400
		all[2:3], // 400: the bad id alone, given up
		all[3:],  // ok
	}
	checkArchives(t, src, want, ids) // every id but the rejected one
}

// TestArchiverUnitStopsOn401: refused credentials stop the archiver with an
// error naming them, and nothing is committed.
func TestArchiverUnitStopsOn401(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{ArchiveFault: func(int, []string) error { return memory.ErrUnauthorized }}
	ids := e.closedCases(src, "DENIED", 2)
	sub := memory.NewSubscriber(resultRecords(e.topics.Result, ids...)...)
	err := newArchiver(t, 10, src).Run(e.ctx, sub)
	if !errors.Is(err, connector.ErrUnauthorized) || !strings.Contains(err.Error(), "archiver stopped") {
		t.Errorf("Run = %v, want an error wrapping ErrUnauthorized", err)
	}
	if n := sub.Commits(); n != 0 {
		t.Errorf("%d commits after a refused archive call", n)
	}
}

// TestArchiverUnitRetriesTransient: a failed archive call (POSTIDENT
// away) is retried with the same ids; the batch is committed only after
// it succeeded.
func TestArchiverUnitRetriesTransient(t *testing.T) {
	e := newUnitEnv(t)
	src := &memory.Source{ArchiveFault: func(call int, _ []string) error {
		if call <= 2 {
			return memory.ErrTransient
		}
		return nil
	}}
	ids := e.closedCases(src, "AGAIN", 2)
	sub := memory.NewSubscriber(resultRecords(e.topics.Result, ids...)...)
	runArchiver(t, e, newArchiver(t, 10, src), sub, e.topics.Result, 2)
	checkArchives(t, src, [][]string{ids, ids, ids}, ids)
}
