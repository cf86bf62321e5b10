package connector_test

import (
	"context"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/memory"
)

// TestProcessorTransientAloneIsParked: a case that POSTIDENT answers with
// 503 every time, alone in its batch (a quiet hour), is parked as transient
// once the retry budget is spent, because POSTIDENT answers other calls; it
// does not hold back the notifications behind it as an outage would.
func TestProcessorTransientAloneIsParked(t *testing.T) {
	e := newParkEnv(t, coPass)
	ids, _ := e.closed(3, 100)
	bad := ids[0]
	e.down.Store(&bad)
	pub := &memory.Publisher{}
	p := e.processor(pub, nil)
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second) // the budget is 300ms
	defer cancel()
	if err := p.HandleBatch(ctx, e.webhooksNow([]string{bad})); err != nil {
		t.Fatalf("a case failing alone: HandleBatch returned %v, want it parked", err)
	}
	dl := e.deadLetters(pub)
	if len(dl[bad]) != 1 || dl[bad][0].ErrorClass != connector.ClassTransient {
		t.Fatalf("dead letters %+v, want one transient entry", dl[bad])
	}
	// The notifications behind it go through.
	if err := p.HandleBatch(ctx, e.webhooksNow(ids[1:])); err != nil {
		t.Fatal(err)
	}
	if n := len(pub.Keys(e.topics.Result)); n != len(ids)-1 {
		t.Errorf("%d results, want %d", n, len(ids)-1)
	}
}
