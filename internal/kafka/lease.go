package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// Lease elects at most one active holder among the replicas that share topic
// and group, with nothing but Kafka: every replica joins the consumer group
// on a one-partition topic, and the member assigned partition 0 holds the
// lease. The group coordinator never hands a partition to two members of the
// same generation, and a member must give its partitions back (stop working)
// before it rejoins, which is what makes the lease exclusive.
//
// The guarantee has the usual limits of such leases, so whileHeld must honour
// its ctx:
//   - A holder that loses contact with the coordinator notices at its next
//     failed heartbeat (HeartbeatInterval plus the network timeout, about 3s)
//     and its ctx is cancelled then; the coordinator gives the partition away
//     only after SessionTimeout (6s).
//   - In a rebalance the coordinator waits RebalanceTimeout (3s) for the
//     holder to stop and rejoin; if whileHeld ignores its ctx longer than
//     that, the next holder may start while it still runs.
//
// A holder keeps the lease across rebalances where it can (the assignment
// prefers the previous holder), but whileHeld is cancelled and called again
// around every rebalance, e.g. when a replica starts or stops.
type Lease struct {
	cfg   Config
	topic string
	group string

	// Timings of group membership; see ReaderConfig for their meaning.
	HeartbeatInterval time.Duration // default 1s
	SessionTimeout    time.Duration // default 6s
	RebalanceTimeout  time.Duration // default 3s

	held atomic.Bool
	// heldGen is the generation in which this member last held the lease
	// (0: never); it is sent to the group leader, which prefers the member
	// that held it most recently.
	heldGen atomic.Int32
	running sync.Mutex
}

// NewLease returns a Lease on topic (created with one partition if missing)
// for the consumer group group. Nothing happens until Run.
func NewLease(cfg Config, topic, group string) *Lease {
	return &Lease{cfg: cfg, topic: topic, group: group}
}

// Held reports whether this replica holds the lease now (for readiness and
// metrics).
func (l *Lease) Held() bool { return l.held.Load() }

// Run joins the group and blocks until ctx ends, then leaves the group and
// returns nil. Whenever this replica is assigned the lease, Run calls
// whileHeld with a ctx that is cancelled when the lease is lost (or ctx
// ends), and calls it again when the lease is re-acquired. If whileHeld
// returns nil while the lease is still held, Run keeps the lease idle until
// it is lost. If it returns an error while the lease is still held, Run
// releases the lease and returns that error. Errors talking to Kafka are
// retried: the replica just does not hold the lease meanwhile.
//
// Run must not be called concurrently on one Lease.
func (l *Lease) Run(ctx context.Context, whileHeld func(ctx context.Context) error) error {
	if !l.running.TryLock() {
		return errors.New("kafka: lease: Run called concurrently")
	}
	defer l.running.Unlock()

	cfg, err := l.cfg.prepare()
	if err != nil {
		return err
	}
	if err := validTopicName(l.topic); err != nil {
		return err
	}
	if l.group == "" {
		return errors.New("kafka: lease needs a consumer group id")
	}
	d, err := cfg.dialer()
	if err != nil {
		return err
	}
	// The group leader needs the topic's partitions to assign them.
	logErr := cfg.errorLogger("kafka-lease")
	if err := retry(ctx, func() error {
		err := EnsureTopics(ctx, cfg, TopicSpec{Name: l.topic, Partitions: 1, Compact: true})
		if errors.Is(err, ErrTopicConfig) {
			return nil // the lease topic holds no data: its cleanup policy does not matter
		}
		if err != nil && logErr != nil {
			logErr.Printf("lease %s: preparing topic %s, will retry: %v", l.group, l.topic, err)
		}
		return err
	}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("kafka: lease %s: %w", l.group, err)
	}
	cg, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                l.group,
		Brokers:           cfg.Brokers,
		Dialer:            d,
		Topics:            []string{l.topic},
		GroupBalancers:    []kafkago.GroupBalancer{leaseBalancer{l}},
		HeartbeatInterval: orDuration(l.HeartbeatInterval, time.Second),
		SessionTimeout:    orDuration(l.SessionTimeout, 6*time.Second),
		RebalanceTimeout:  orDuration(l.RebalanceTimeout, 3*time.Second),
		JoinGroupBackoff:  time.Second,
		// The network timeout of each coordinator request, heartbeats
		// included: it bounds how long a cut-off holder keeps running.
		Timeout:     2 * time.Second,
		ErrorLogger: logErr,
	})
	if err != nil {
		return fmt.Errorf("kafka: lease %s: %w", l.group, err)
	}
	defer cg.Close() // leaves the group: the next holder takes over at once

	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Join or sync failed; kafka-go backs off and retries.
			continue
		}
		if !holdsPartitionZero(gen, l.topic) {
			continue // Next blocks until this generation ends
		}
		l.heldGen.Store(gen.ID)
		if err := l.hold(ctx, gen, whileHeld); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// hold runs whileHeld for the duration of generation gen. It returns
// whileHeld's error if it failed while the lease was still held, and nil when
// the generation ended or ctx ended. The generation is only ever ended by
// kafka-go (rebalance, lost coordinator) or by ConsumerGroup.Close, never by
// whileHeld returning: otherwise kafka-go would rejoin the group at once, even
// while Run is shutting down, and cause an extra rebalance.
func (l *Lease) hold(ctx context.Context, gen *kafkago.Generation, whileHeld func(context.Context) error) error {
	done := make(chan error, 1)
	ended := make(chan struct{})
	gen.Start(func(genCtx context.Context) {
		defer close(ended)
		// genCtx is kafka-go's generation context (Done only); combine it
		// with ctx so either ending cancels the holder.
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(genCtx, cancel)
		defer stop()

		l.held.Store(true)
		defer l.held.Store(false)
		err := whileHeld(hctx)
		if err != nil && hctx.Err() != nil {
			err = nil // stopped because the lease or Run ended: not a failure
		}
		done <- err
		<-genCtx.Done()
	})
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("kafka: lease %s: %w", l.group, err)
		}
		select {
		case <-ended:
		case <-ctx.Done():
		}
		return nil
	case <-ctx.Done():
		// Run returns and closes the group, which ends the generation and
		// waits for whileHeld (cancelled through ctx) to return.
		return nil
	}
}

func holdsPartitionZero(gen *kafkago.Generation, topic string) bool {
	for _, p := range gen.Assignments[topic] {
		if p.ID == 0 {
			return true
		}
	}
	return false
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// retry calls fn until it succeeds or ctx ends, backing off from 500ms to 10s.
func retry(ctx context.Context, fn func() error) error {
	backoff := 500 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// leaseBalancer assigns partition 0 of each topic to one member: the one that
// held the lease in the most recent generation (its UserData), else the
// member with the smallest id. Other partitions stay unassigned. Every
// replica offers only this protocol, so the group's leader, whichever replica
// it is, runs this code.
type leaseBalancer struct{ l *Lease }

const leaseProtocol = "postident-lease-v1"

func (leaseBalancer) ProtocolName() string { return leaseProtocol }

func (b leaseBalancer) UserData() ([]byte, error) {
	return binary.BigEndian.AppendUint32(nil, uint32(b.l.heldGen.Load())), nil
}

func (leaseBalancer) AssignGroups(members []kafkago.GroupMember, partitions []kafkago.Partition) kafkago.GroupMemberAssignments {
	out := kafkago.GroupMemberAssignments{}
	for _, m := range members {
		out[m.ID] = map[string][]int{}
	}
	sorted := append([]kafkago.GroupMember(nil), members...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	topics := map[string]bool{}
	for _, p := range partitions {
		if p.ID == 0 {
			topics[p.Topic] = true
		}
	}
	for topic := range topics {
		var best *kafkago.GroupMember
		var bestGen uint32
		for i := range sorted {
			m := &sorted[i]
			if !subscribes(m, topic) {
				continue
			}
			var g uint32
			if len(m.UserData) >= 4 {
				g = binary.BigEndian.Uint32(m.UserData)
			}
			if best == nil || g > bestGen {
				best, bestGen = m, g
			}
		}
		if best != nil {
			out[best.ID][topic] = []int{0}
		}
	}
	return out
}

func subscribes(m *kafkago.GroupMember, topic string) bool {
	for _, t := range m.Topics {
		if t == topic {
			return true
		}
	}
	return false
}
