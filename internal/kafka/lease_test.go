package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestLeaseExclusiveTakeover: two replicas compete; at most one runs its
// work at any time, the holder keeps the lease when the other joins, and when
// the holder stops the other takes over.
func TestLeaseExclusiveTakeover(t *testing.T) {
	ctx := kafkatest.Context(t, 90*time.Second)
	cfg := testConfig(t)
	topic := kafkatest.TopicName(t, "lease")
	deleteAtCleanup(t, cfg, topic)
	group := kafkatest.GroupID(t, "reconciler")

	var (
		active     atomic.Int32 // holders running whileHeld right now
		overlaps   atomic.Int32
		running    [2]atomic.Bool
		acquired   = make(chan int, 64)
		runResults [2]chan error
		cancels    [2]context.CancelFunc
		leases     [2]*Lease
	)
	start := func(id int) {
		rctx, cancel := context.WithCancel(ctx)
		cancels[id] = cancel
		leases[id] = NewLease(cfg, topic, group)
		runResults[id] = make(chan error, 1)
		go func() {
			err := leases[id].Run(rctx, func(hctx context.Context) error {
				if active.Add(1) > 1 {
					overlaps.Add(1)
				}
				running[id].Store(true)
				acquired <- id
				<-hctx.Done()
				running[id].Store(false)
				active.Add(-1)
				return nil
			})
			if running[id].Load() {
				err = errors.Join(err, fmt.Errorf("lease %d: Run returned while whileHeld still ran", id))
			}
			runResults[id] <- err
		}()
	}
	defer func() {
		for _, c := range cancels {
			if c != nil {
				c()
			}
		}
	}()
	wait := func(what string) int {
		t.Helper()
		select {
		case id := <-acquired:
			return id
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
			return -1
		}
	}

	start(0)
	if id := wait("the first holder"); id != 0 {
		t.Fatalf("lease %d acquired, only 0 runs", id)
	}
	if !leases[0].Held() {
		t.Fatal("holder: Held() = false")
	}
	// Replica 1 joins: the group rebalances, which interrupts the holder,
	// and the lease goes back to it (the assignment prefers the last holder).
	start(1)
	if id := wait("the rebalance after the second replica joined"); id != 0 {
		t.Fatalf("lease moved to %d when a replica joined; want it to stay with 0", id)
	}
	if leases[1].Held() {
		t.Fatal("non-holder: Held() = true")
	}

	// The holder stops: Run returns only after its work stopped, and the
	// other replica takes over.
	cancels[0]()
	if err := <-runResults[0]; err != nil {
		t.Fatalf("Run of the stopped holder: %v", err)
	}
	if leases[0].Held() {
		t.Fatal("stopped replica still reports Held")
	}
	if id := wait("the takeover"); id != 1 {
		t.Fatalf("lease %d acquired after 0 stopped", id)
	}
	cancels[1]()
	if err := <-runResults[1]; err != nil {
		t.Fatalf("Run of the second holder: %v", err)
	}
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d times two holders were active at once", n)
	}
}

func TestLeaseWorkError(t *testing.T) {
	ctx := kafkatest.Context(t, 60*time.Second)
	cfg := testConfig(t)
	topic := kafkatest.TopicName(t, "lease-err")
	deleteAtCleanup(t, cfg, topic)
	l := NewLease(cfg, topic, kafkatest.GroupID(t, "lease-err"))

	errWork := errors.New("work failed")
	err := l.Run(ctx, func(context.Context) error { return errWork })
	if !errors.Is(err, errWork) {
		t.Fatalf("Run = %v, want the work's error", err)
	}
	if l.Held() {
		t.Fatal("Held() after Run returned")
	}
	// Run cannot be entered twice at once; a returned Run can be run again.
	idle := make(chan struct{})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- l.Run(rctx, func(context.Context) error { close(idle); return nil })
	}()
	select {
	case <-idle:
	case <-ctx.Done():
		t.Fatal("lease not re-acquired")
	}
	if err := l.Run(ctx, func(context.Context) error { return nil }); err == nil {
		t.Fatal("concurrent Run succeeded")
	}
	if !l.Held() {
		t.Fatal("lease released after whileHeld returned nil; it should stay held until lost")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

func TestLeaseBalancer(t *testing.T) {
	gen := func(g uint32) []byte { return binary.BigEndian.AppendUint32(nil, g) }
	parts := []kafkago.Partition{{Topic: "lease", ID: 0}, {Topic: "lease", ID: 1}, {Topic: "other", ID: 0}}
	tests := []struct {
		name    string
		members []kafkago.GroupMember
		want    string // member holding lease/0
	}{
		{"smallest id when nobody held it", []kafkago.GroupMember{
			{ID: "m-b", Topics: []string{"lease"}}, {ID: "m-a", Topics: []string{"lease"}, UserData: gen(0)},
		}, "m-a"},
		{"previous holder keeps it", []kafkago.GroupMember{
			{ID: "m-a", Topics: []string{"lease"}, UserData: gen(0)}, {ID: "m-b", Topics: []string{"lease"}, UserData: gen(4)},
		}, "m-b"},
		{"most recent holder wins", []kafkago.GroupMember{
			{ID: "m-a", Topics: []string{"lease"}, UserData: gen(7)}, {ID: "m-b", Topics: []string{"lease"}, UserData: gen(4)},
		}, "m-a"},
		{"only subscribers", []kafkago.GroupMember{
			{ID: "m-a", Topics: []string{"other"}, UserData: gen(9)}, {ID: "m-z", Topics: []string{"lease"}},
		}, "m-z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := leaseBalancer{}.AssignGroups(tt.members, parts)
			holders := 0
			for id, topics := range got {
				for _, p := range topics["lease"] {
					if p != 0 {
						t.Fatalf("partition %d assigned; only 0 is the lease", p)
					}
					holders++
					if id != tt.want {
						t.Fatalf("lease assigned to %s, want %s", id, tt.want)
					}
				}
			}
			if holders != 1 {
				t.Fatalf("%d holders", holders)
			}
			if len(got) != len(tt.members) {
				t.Fatalf("assignments for %d members, want all %d", len(got), len(tt.members))
			}
		})
	}
}
