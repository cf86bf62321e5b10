package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// The classification tests run the processor against the simulator over
// HTTP (encryption required), with per-case poison and, for transient
// failures, a front that answers 503 for chosen cases.

type parkEnv struct {
	*coEnv
	down     atomic.Pointer[string] // a caseId answered with 503, or "*" for every request
	refuse   atomic.Pointer[string] // a caseId answered with 400
	password string
}

func newParkEnv(t *testing.T, password string) *parkEnv {
	t.Helper()
	e := &parkEnv{coEnv: newCoEnv(t, sim.Config{}), password: password}
	api := e.calls.wrap(e.sim.Handler()) // counted, like the coalescing tests' server
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := e.refuse.Load(); d != nil && strings.Contains(r.URL.Path, "/cases/"+*d) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":400,"error":"Bad Request","message":"refused"}`))
			return
		}
		if d := e.down.Load(); d != nil && (*d == "*" || strings.Contains(r.URL.Path, "/cases/"+*d)) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":503,"error":"Service Unavailable","message":"down"}`))
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	client, err := scr.New(scr.Config{BaseURL: front.URL + "/api/scr/v1", ClientID: coClient, Username: coUser, Password: password,
		PrivateKey: coalesceKey(t), DataPassword: coData, RequireEncryption: true, Retry: scr.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	e.src = scr.NewSource(client)
	return e
}

func (e *parkEnv) processor(pub connector.Publisher, parked *connector.Parked) *connector.Processor {
	e.t.Helper()
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics, RetryBudget: 300 * time.Millisecond,
		Parked: parked, Version: "test"}, e.src, pub, e.codec, connector.NewState())
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// deadLetters decodes what pub holds on the dead-letter topic, by case; a
// tombstone is nil.
func (e *parkEnv) deadLetters(pub *memory.Publisher) map[string][]*connector.DeadLetter {
	e.t.Helper()
	out := map[string][]*connector.DeadLetter{}
	for _, m := range pub.All() {
		if m.Topic != e.topics.DeadLetter {
			continue
		}
		var d *connector.DeadLetter
		if m.Value != nil {
			d = &connector.DeadLetter{}
			if err := e.codec.Decode(e.ctx, m.Value, d); err != nil {
				e.t.Fatal(err)
			}
		}
		out[string(m.Key)] = append(out[string(m.Key)], d)
	}
	return out
}

func (e *parkEnv) webhooksNow(ids []string) []connector.Message {
	at := make([]time.Time, len(ids))
	for i := range at {
		at[i] = e.sim.Now()
	}
	return e.webhooks(ids, at)
}

// TestProcessorParksUnreadableCase: one case whose answer does not decode
// is parked with its class and the batch goes on; a later notification of
// it fetches nothing and writes no second record; a retry request after the
// fix emits its result and tombstones the dead-letter entry.
func TestProcessorParksUnreadableCase(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(12, 100)
	bad := ids[3]
	if err := e.sim.SetPoison(bad, sim.PoisonMalformed); err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	parked := connector.NewParked()
	p := e.processor(pub, parked)
	if err := p.HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	res := pub.Keys(e.topics.Result)
	if len(res) != len(ids)-1 || res[bad] != 0 {
		t.Fatalf("results for %d cases (poisoned: %d), want %d and 0", len(res), res[bad], len(ids)-1)
	}
	dl := e.deadLetters(pub)
	if len(dl) != 1 || len(dl[bad]) != 1 {
		t.Fatalf("dead letters %v", dl)
	}
	d := dl[bad][0]
	if d.ErrorClass != connector.ClassUnreadable || d.Attempts != 1 || d.Endpoint == nil || *d.Endpoint != "GET /cases/{caseId}" ||
		d.ConnectorVersion != "test" || !strings.Contains(d.Message, "invalid JSON") || d.EncryptedAnswer == nil {
		t.Errorf("dead letter %+v", d)
	}
	if parked.Len() != 1 || parked.Count(connector.ClassUnreadable) != 1 {
		t.Errorf("parked set: %d, unreadable %d", parked.Len(), parked.Count(connector.ClassUnreadable))
	}

	// Notified again: parked, left alone.
	e.calls.reset()
	if err := p.HandleBatch(e.ctx, e.webhooksNow([]string{bad})); err != nil {
		t.Fatal(err)
	}
	if get, _, _ := e.calls.snapshot(); get != 0 {
		t.Errorf("a parked case was fetched again (%d GETs)", get)
	}
	if n := len(e.deadLetters(pub)[bad]); n != 1 {
		t.Errorf("%d dead-letter records after a second notification", n)
	}

	// Fixed, and a retry is asked for.
	e.sim.CurePoison()
	retry := e.webhooksNow([]string{bad})
	retry[0].Headers = append(retry[0].Headers, connector.Header{Key: connector.HeaderRetry, Value: []byte("true")})
	if err := p.HandleBatch(e.ctx, retry); err != nil {
		t.Fatal(err)
	}
	if pub.Keys(e.topics.Result)[bad] != 1 {
		t.Error("no result after the retry")
	}
	recs := e.deadLetters(pub)[bad]
	if len(recs) != 2 || recs[1] != nil {
		t.Errorf("dead-letter entry not tombstoned: %v", recs)
	}
	if parked.Len() != 0 {
		t.Errorf("still parked: %d", parked.Len())
	}
}

// TestProcessorUndecryptable: one answer that does not decrypt while the
// others do is parked; several different cases failing so with nothing
// decrypting in between stop the processor for an operator, parking
// nothing.
func TestProcessorUndecryptable(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(8, 100)
	if err := e.sim.SetPoison(ids[0], sim.PoisonUndecryptable); err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	p := e.processor(pub, nil)
	if err := p.HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
		t.Fatalf("one undecryptable case among good ones: %v", err)
	}
	dl := e.deadLetters(pub)
	if len(dl[ids[0]]) != 1 || dl[ids[0]][0].ErrorClass != connector.ClassUndecryptable || dl[ids[0]][0].EncryptedAnswer == nil {
		t.Fatalf("dead letters %v", dl)
	}

	more, _ := e.closed(3, 100)
	for _, id := range more {
		if err := e.sim.SetPoison(id, sim.PoisonUndecryptable); err != nil {
			t.Fatal(err)
		}
	}
	pub2 := &memory.Publisher{}
	p2 := e.processor(pub2, nil)
	err := p2.HandleBatch(e.ctx, e.webhooksNow(more))
	if !errors.Is(err, connector.ErrNeedsOperator) || !connector.IsFatal(err) {
		t.Fatalf("three undecryptable cases and nothing else: %v, want ErrNeedsOperator", err)
	}
	if pub2.Count() != 0 {
		t.Errorf("published %d records while stopping for an operator", pub2.Count())
	}
}

// TestProcessorCredentialsRefused: a 401 stops the processor for an
// operator at once; nothing is published or parked.
func TestProcessorCredentialsRefused(t *testing.T) {
	e := newParkEnv(t, "wrong-password")
	ids, _ := e.closed(3, 100)
	pub := &memory.Publisher{}
	err := e.processor(pub, nil).HandleBatch(e.ctx, e.webhooksNow(ids))
	if !errors.Is(err, connector.ErrNeedsOperator) || !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("HandleBatch: %v", err)
	}
	if pub.Count() != 0 {
		t.Errorf("published %d records", pub.Count())
	}
}

// TestProcessorTransient: a case that keeps failing with 503 while the
// others go through is parked as transient after the retry budget; when
// every request fails (an outage) nothing is parked and the batch waits.
func TestProcessorTransient(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(6, 100)
	bad := ids[2]
	e.down.Store(&bad)
	pub := &memory.Publisher{}
	if err := e.processor(pub, nil).HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
		t.Fatal(err)
	}
	if n := len(pub.Keys(e.topics.Result)); n != len(ids)-1 {
		t.Errorf("%d results, want %d", n, len(ids)-1)
	}
	dl := e.deadLetters(pub)
	if len(dl[bad]) != 1 || dl[bad][0].ErrorClass != connector.ClassTransient || dl[bad][0].HTTPStatus == nil ||
		*dl[bad][0].HTTPStatus != 503 || dl[bad][0].Attempts < 2 {
		t.Fatalf("dead letters %+v", dl[bad])
	}

	all := "*"
	e.down.Store(&all)
	more, _ := e.closed(3, 100)
	pub2 := &memory.Publisher{}
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second) // ten times the budget
	defer cancel()
	err := e.processor(pub2, nil).HandleBatch(ctx, e.webhooksNow(more))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("an outage: HandleBatch returned %v, want it to keep waiting", err)
	}
	if pub2.Count() != 0 {
		t.Errorf("published (parked?) %d records during an outage", pub2.Count())
	}
}

// TestProcessorRetryDecodesStoredAnswer: a retry of a parked case that
// POSTIDENT no longer has (404 after its retention) decodes the answer
// stored on the dead-letter topic instead, here a corrected one (as after an
// upgrade of the connector): the normal events, with their normal ids, and
// the dead-letter entry tombstoned.
func TestProcessorRetryDecodesStoredAnswer(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(3, 100)
	bad := ids[1]
	want, _ := e.sim.Case(bad, false)
	if err := e.sim.SetPoison(bad, sim.PoisonMistyped); err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	parked := connector.NewParked()
	p := e.processor(pub, parked)
	if err := p.HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
		t.Fatal(err)
	}
	if parked.Len() != 1 {
		t.Fatalf("parked %d", parked.Len())
	}
	e.sim.Advance(sim.MaxRetention + 24*time.Hour) // POSTIDENT deletes the case
	if _, ok := e.sim.Case(bad, false); ok {
		t.Fatal("the case still exists at the simulator")
	}
	plain, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &coalesceKey(t).PublicKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := obj.CompactSerialize()
	retry := e.webhooksNow([]string{bad})
	retry[0].Headers = append(retry[0].Headers, connector.Header{Key: connector.HeaderRetry, Value: []byte("true")},
		connector.Header{Key: connector.HeaderStoredAnswer, Value: []byte(stored)})
	if err := p.HandleBatch(e.ctx, retry); err != nil {
		t.Fatal(err)
	}
	if pub.Keys(e.topics.Result)[bad] != 1 {
		t.Fatal("no result from the stored answer")
	}
	wantID := connector.ResultEventID(coClient, bad, connector.IdentKeyOf(want))
	found := false
	for _, m := range pub.All() {
		if m.Topic == e.topics.Result && string(m.Key) == bad && string(m.Header(connector.HeaderID)) == wantID {
			found = true
		}
	}
	if !found {
		t.Errorf("the result does not carry the id %s", wantID)
	}
	if recs := e.deadLetters(pub)[bad]; len(recs) != 2 || recs[1] != nil || parked.Len() != 0 {
		t.Errorf("dead-letter entry not tombstoned: %v, parked %d", recs, parked.Len())
	}
}

// TestProcessorParkedUntilModifiedChanges: a case parked from a webhook
// (which carries no `modified`) learns its version from the next reconcile
// snapshot; snapshots of that version fetch nothing, a snapshot with a new
// `modified` fetches the case again.
func TestProcessorParkedUntilModifiedChanges(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(2, 100)
	bad := ids[0]
	if err := e.sim.SetPoison(bad, sim.PoisonMalformed); err != nil {
		t.Fatal(err)
	}
	pub := &memory.Publisher{}
	p := e.processor(pub, nil)
	if err := p.HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
		t.Fatal(err)
	}
	snapshot := func(mod time.Time) []connector.Message {
		v, err := e.codec.Encode(e.ctx, e.topics.Notifications, &connector.Notification{CaseID: bad, Origin: string(connector.OriginReconcile),
			ReceivedAt: e.sim.Now().UTC().Truncate(time.Millisecond), Snapshot: &connector.StatusSnapshot{CaseStatus: connector.CaseClosed, Modified: &mod}})
		if err != nil {
			t.Fatal(err)
		}
		return []connector.Message{{Topic: e.topics.Notifications, Key: []byte(bad), Value: v}}
	}
	gets := func(msgs []connector.Message) int {
		e.calls.reset()
		if err := p.HandleBatch(e.ctx, msgs); err != nil {
			t.Fatal(err)
		}
		g, _, _ := e.calls.snapshot()
		return g
	}
	m1 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	if g := gets(snapshot(m1)); g != 0 {
		t.Errorf("first snapshot of a parked case: %d GETs", g)
	}
	if g := gets(snapshot(m1)); g != 0 {
		t.Errorf("same version again: %d GETs", g)
	}
	if g := gets(e.webhooksNow([]string{bad})); g != 0 {
		t.Errorf("webhook of a parked case: %d GETs", g)
	}
	if g := gets(snapshot(m1.Add(time.Minute))); g != 1 {
		t.Errorf("changed version: %d GETs, want 1", g)
	}
	// A snapshot of an overlapping reconcile run, arriving after the newer
	// one: its older version is no change. Before, any other `modified`
	// counted, and the case was fetched and parked again, a third record.
	if g := gets(snapshot(m1)); g != 0 {
		t.Errorf("an older version after the newer one: %d GETs, want 0", g)
	}
	if recs := e.deadLetters(pub)[bad]; len(recs) != 2 || recs[1].CaseModified == nil || !recs[1].CaseModified.Equal(m1.Add(time.Minute)) {
		t.Errorf("dead-letter records %v: want a second one for the new version", recs)
	}
}

// TestProcessorParksLargeAnswerWithoutIt: an undecryptable answer larger
// than a Kafka record holds cannot travel on the dead-letter topic. The
// case is parked without it, its message says so, and the batch goes on,
// whether the processor knows the limit (MaxRecordBytes) or learns it from
// the broker's refusal (a topic set lower than KAFKA_MAX_MESSAGE_BYTES).
// Before: park returned the broker's error, and the batch was retried for
// good, holding back every case behind it.
func TestProcessorParksLargeAnswerWithoutIt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxRecord int // ProcessorConfig.MaxRecordBytes
		brokerMax int // what the broker takes
	}{
		{"known limit", 1 << 20, 1 << 20},
		{"broker refuses", 8 << 20, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newParkEnv(t, coPass)
			ids, _ := e.closed(6, 100)
			bad := ids[2]
			if err := e.sim.SetPoison(bad, sim.PoisonLargeUndecryptable); err != nil {
				t.Fatal(err)
			}
			pub := &memory.Publisher{MaxBytes: tc.brokerMax}
			p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics, RetryBudget: 300 * time.Millisecond,
				Version: "test", MaxRecordBytes: tc.maxRecord}, e.src, pub, e.codec, connector.NewState())
			if err != nil {
				t.Fatal(err)
			}
			if err := p.HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
				t.Fatalf("HandleBatch: %v", err)
			}
			if res := pub.Keys(e.topics.Result); len(res) != len(ids)-1 || res[bad] != 0 {
				t.Errorf("results for %d cases (poisoned: %d), want %d and 0", len(res), res[bad], len(ids)-1)
			}
			dl := e.deadLetters(pub)[bad]
			if len(dl) != 1 || dl[0] == nil {
				t.Fatalf("dead letters %v", dl)
			}
			if d := dl[0]; d.ErrorClass != connector.ClassUndecryptable || d.EncryptedAnswer != nil || !strings.Contains(d.Message, "is not kept") {
				t.Errorf("dead letter: class %s, answer kept %v, message %q", d.ErrorClass, d.EncryptedAnswer != nil, d.Message)
			}
		})
	}
}

// TestProcessorParkRetryAfter: a case parked as transient is fetched again
// by a notification once it has waited as long as it had been failing (at
// least TransientRetryMin); a case parked for another class waits the
// whole ParkRetryInterval, as the same answer would come. Before, a
// transient case waited the hour like any other, and the batch holding it
// waited a whole minute first.
func TestProcessorParkRetryAfter(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(6, 100)
	flaky, broken := ids[1], ids[4]
	e.down.Store(&flaky)
	if err := e.sim.SetPoison(broken, sim.PoisonMalformed); err != nil {
		t.Fatal(err)
	}
	var offset atomic.Int64 // the processor's clock runs ahead of the real one by this
	pub := &memory.Publisher{}
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics, RetryBudget: 200 * time.Millisecond,
		ParkRetryInterval: time.Hour, Version: "test", Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }},
		e.src, pub, e.codec, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	// A real bound, not a measurement: before, the default budget held
	// the batch for a minute; here it is 200ms.
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if err := p.HandleBatch(ctx, e.webhooksNow(ids)); err != nil {
		t.Fatal(err)
	}
	dl := e.deadLetters(pub)
	if len(dl[flaky]) != 1 || dl[flaky][0].ErrorClass != connector.ClassTransient || len(dl[broken]) != 1 {
		t.Fatalf("dead letters: flaky %v, broken %v", dl[flaky], dl[broken])
	}
	e.down.Store(nil)
	e.sim.CurePoison()
	notify := func(at time.Duration) (gets int) {
		t.Helper()
		offset.Store(int64(at))
		e.calls.reset()
		if err := p.HandleBatch(e.ctx, e.webhooksNow([]string{flaky, broken})); err != nil {
			t.Fatal(err)
		}
		gets, _, _ = e.calls.snapshot()
		return gets
	}
	if n := notify(10 * time.Second); n != 0 {
		t.Errorf("10s after parking: %d GETs, want none", n)
	}
	if n := notify(connector.TransientRetryMin + time.Second); n != 1 || pub.Keys(e.topics.Result)[flaky] != 1 {
		t.Errorf("after TransientRetryMin: %d GETs, result %d; want the transient case fetched", n, pub.Keys(e.topics.Result)[flaky])
	}
	if recs := e.deadLetters(pub)[flaky]; len(recs) != 2 || recs[1] != nil {
		t.Errorf("the transient case's entry not tombstoned: %v", recs)
	}
	if n := notify(59 * time.Minute); n != 0 {
		t.Errorf("59m after parking an unreadable case: %d GETs, want none", n)
	}
	if n := notify(time.Hour + time.Minute); n != 1 || pub.Keys(e.topics.Result)[broken] != 1 {
		t.Errorf("after ParkRetryInterval: %d GETs, result %d; want the unreadable case fetched", n, pub.Keys(e.topics.Result)[broken])
	}
}

// TestProcessorRejectedCaseParked: POSTIDENT answers 400 to one case's GET
// while the others of the batch go through: the x-scr-keyhash and the
// credentials are right, so the case is parked as rejected (with the
// status) and the batch goes on; nothing stops for an operator.
func TestProcessorRejectedCaseParked(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(6, 100)
	bad := ids[3]
	e.refuse.Store(&bad)
	pub := &memory.Publisher{}
	if err := e.processor(pub, nil).HandleBatch(e.ctx, e.webhooksNow(ids)); err != nil {
		t.Fatalf("one refused case among good ones: %v", err)
	}
	if res := pub.Keys(e.topics.Result); len(res) != len(ids)-1 || res[bad] != 0 {
		t.Errorf("results for %d cases (refused: %d), want %d and 0", len(res), res[bad], len(ids)-1)
	}
	dl := e.deadLetters(pub)[bad]
	if len(dl) != 1 || dl[0].ErrorClass != connector.ClassRejected || dl[0].HTTPStatus == nil || *dl[0].HTTPStatus != 400 {
		t.Fatalf("dead letters %+v", dl)
	}
}

// TestProcessorRedrivesTransientCase: the processor that parked a case as
// transient asks for it again itself once its backoff has passed (a retry
// notification on the notifications topic), without waiting for the
// reconciler's next snapshot (every RECONCILE_INTERVAL, 5 minutes by
// default); here there is no reconciler at all. Failed before: the case
// stayed parked until some notification came.
func TestProcessorRedrivesTransientCase(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(5, 100)
	flaky := ids[2]
	e.down.Store(&flaky)
	var offset atomic.Int64
	pub := &memory.Publisher{}
	sub := pub.Subscribe("processor", e.topics.Notifications)
	p, err := connector.NewProcessor(connector.ProcessorConfig{ClientID: coClient, Topics: e.topics, RetryBudget: 200 * time.Millisecond,
		RedriveEvery: 20 * time.Millisecond, ParkRetryInterval: time.Hour, Version: "test",
		Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }},
		e.src, pub, e.codec, connector.NewState())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, sub) }()
	if err := pub.Publish(ctx, e.webhooksNow(ids)...); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: not reached", what)
			case err := <-done:
				t.Fatalf("%s: the processor stopped: %v", what, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	waitFor("the flaky case parked, the others' results", func() bool {
		return len(e.deadLetters(pub)[flaky]) == 1 && len(pub.Keys(e.topics.Result)) == len(ids)-1
	})
	retries := func() (n int) {
		for _, m := range pub.Records(e.topics.Notifications) {
			if string(m.Header(connector.HeaderRetry)) == "true" {
				n++
			}
		}
		return n
	}
	e.down.Store(nil) // POSTIDENT serves it again
	time.Sleep(200 * time.Millisecond)
	if n := retries(); n != 0 {
		t.Fatalf("%d retry notifications before the backoff passed", n)
	}
	offset.Store(int64(connector.TransientRetryMin + time.Second))
	waitFor("the flaky case's result after the re-drive", func() bool { return pub.Keys(e.topics.Result)[flaky] == 1 })
	if n := retries(); n != 1 {
		t.Errorf("%d retry notifications, want 1", n)
	}
	if recs := e.deadLetters(pub)[flaky]; len(recs) != 2 || recs[1] != nil {
		t.Errorf("dead-letter entry not tombstoned: %v", recs)
	}
	cancel()
	<-done
}
