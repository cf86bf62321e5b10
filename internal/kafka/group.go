package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// GroupConfig configures a GroupSubscriber. Zero durations take the defaults
// named in the comments.
type GroupConfig struct {
	Config
	// GroupID is the consumer group; Topic the topic it consumes
	// (notifications). Required.
	GroupID string
	Topic   string
	// StateTopic is followed from its start by every replica; Apply receives
	// each of its records, in offset order per partition (a tombstone has a
	// nil Value). Required.
	StateTopic string
	Apply      func(connector.Message)
	// OwnWrite reports whether a state record was written by this replica's
	// own processor, which put it in memory as soon as Kafka acknowledged
	// it. Such records of a partition this replica owns are not
	// applied again while it owns it: the follower reads a moment behind,
	// and re-applying an older write of a case over a newer one would make
	// the next notification of the case look new. Nil: everything is applied.
	OwnWrite func(connector.Message) bool
	// HeartbeatInterval, SessionTimeout and RebalanceTimeout tune group
	// membership. Defaults 1s, 6s, 6s: a replica that crashes is replaced
	// after 6s (the smallest session Kafka accepts by default,
	// group.min.session.timeout.ms); a rebalance is noticed within a second
	// by every member, and a member that does not rejoin within 6s is
	// dropped from the new generation. A member killed while joining holds
	// a rebalance up to RebalanceTimeout, so it is kept short (see the
	// package documentation, "Group timeouts").
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
	// HandoverTimeout bounds how long a member that loses its partitions
	// waits for the records it handed out to be committed before it
	// rejoins. Default 4s, below SessionTimeout and RebalanceTimeout so the
	// member is never dropped for waiting.
	HandoverTimeout time.Duration
	// MaxWait is how long a fetch waits for new records. Default
	// DefaultFetchMaxWait (see there why not less).
	MaxWait time.Duration
}

func (c GroupConfig) withDefaults() GroupConfig {
	c.HeartbeatInterval = orDuration(c.HeartbeatInterval, time.Second)
	c.SessionTimeout = orDuration(c.SessionTimeout, 6*time.Second)
	c.RebalanceTimeout = orDuration(c.RebalanceTimeout, 6*time.Second)
	c.HandoverTimeout = orDuration(c.HandoverTimeout, 4*time.Second)
	c.MaxWait = orDuration(c.MaxWait, DefaultFetchMaxWait)
	return c
}

// Validate reports the first configuration problem.
func (c GroupConfig) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.GroupID == "" {
		return errors.New("kafka: group subscriber needs a consumer group id")
	}
	for _, t := range []string{c.Topic, c.StateTopic} {
		if err := validTopicName(t); err != nil {
			return err
		}
	}
	if c.Apply == nil {
		return errors.New("kafka: group subscriber needs an Apply function for the state topic")
	}
	if c.HeartbeatInterval < 0 || c.SessionTimeout < 0 || c.RebalanceTimeout < 0 || c.HandoverTimeout < 0 || c.MaxWait < 0 {
		return errors.New("kafka: group subscriber durations must not be negative")
	}
	return nil
}

// GroupSubscriber is the processor's connector.Subscriber: a consumer group
// member whose records are handed out only once the replica's copy of the
// state is complete for them, and which hands its partitions over only once
// what it handed out is committed. See the package documentation ("State
// that follows ownership") for why this removes the repeats after a
// rebalance.
//
// Fetch is meant for one goroutine; Commit, Owns, Drain and Lag are safe
// from any.
type GroupSubscriber struct {
	cfg GroupConfig
	cg  *kafkago.ConsumerGroup
	fol *follower
	log kafkago.Logger
	// info is for routine lines (an assignment), log for what needs a look.
	info kafkago.Logger

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	records chan fetched // from the current generation's partition readers
	ready   chan struct{}
	readyMu sync.Once

	mu  sync.Mutex
	gen *kafkago.Generation // current generation once its state is complete; nil otherwise
	// epoch counts generations; records of an older one are dropped.
	epoch int64
	// owned are the partitions of Topic assigned in gen; partIDs lists Topic's
	// partition count at assignment (for Owns).
	owned   map[int]bool
	partIDs []int // 0..n-1 for Topic's n partitions
	// ownedFrom is, per owned partition of the state topic, the end offset
	// taken at assignment: from there on this replica is the only writer.
	ownedFrom map[int]int64
	// handed and committed are, per partition, the offset after the last
	// record handed out by Fetch and the last committed offset, in gen.
	handed, committed map[int]int64
	draining          bool
	lag               map[int]int64
	changed           chan struct{} // closed and replaced when committed or draining changes

	closeOnce sync.Once
	closed    atomic.Bool
}

type fetched struct {
	epoch int64
	m     kafkago.Message
}

// NewGroupSubscriber starts following the state topic and joining the group
// in the background. Create the topics first (EnsureTopics): kafka-go's
// group leader looks partitions up with auto-creation allowed.
func NewGroupSubscriber(cfg GroupConfig) (*GroupSubscriber, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	kc, err := cfg.Config.prepare()
	if err != nil {
		return nil, err
	}
	cfg.Config = kc
	d, err := kc.dialer()
	if err != nil {
		return nil, err
	}
	s := &GroupSubscriber{cfg: cfg, log: kc.errorLogger("kafka-group"), info: kc.infoLogger("kafka-group"), records: make(chan fetched),
		ready: make(chan struct{}), changed: make(chan struct{}), lag: map[int]int64{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.fol = newFollower(kc, d, cfg.StateTopic, cfg.Apply, s.ownWrite)
	cg, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                cfg.GroupID,
		Brokers:           kc.Brokers,
		Dialer:            d,
		Topics:            []string{cfg.Topic},
		HeartbeatInterval: cfg.HeartbeatInterval,
		SessionTimeout:    cfg.SessionTimeout,
		RebalanceTimeout:  cfg.RebalanceTimeout,
		// kafka-go's default is 5s between failed join attempts; a member
		// that lost its coordinator (broker restart) rejoins sooner.
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		StartOffset:           kafkago.FirstOffset,
		// The deadline of each coordinator request; a JoinGroup's is this
		// plus RebalanceTimeout. A member whose join times out abandons
		// it and joins afresh as a new member, and the abandoned one
		// lingers in the group until the next rebalance deadline: on a
		// broker that restarts that deadline at every membership change
		// (kfake), short join deadlines fed a rebalance that never ended
		// after a few kill -9. 10s is ample for a healthy coordinator.
		Timeout:     10 * time.Second,
		ErrorLogger: s.log,
	})
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("kafka: group %s: %w", cfg.GroupID, err)
	}
	s.cg = cg
	s.wg.Go(s.run)
	return s, nil
}

// Ready is closed once the state topic has been read to the end offsets it
// had when the subscriber started (the initial load).
func (s *GroupSubscriber) Ready() <-chan struct{} { return s.ready }

// StateRecords is how many state records the follower has read so far.
func (s *GroupSubscriber) StateRecords() int64 {
	s.fol.mu.Lock()
	defer s.fol.mu.Unlock()
	return s.fol.applied
}

func (s *GroupSubscriber) run() {
	defer s.fol.stop()
	if err := s.fol.start(s.ctx); err != nil {
		return // Close was called
	}
	s.wg.Go(s.initialLoad)
	for {
		gen, err := s.cg.Next(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				return
			}
			// Join or sync failed; kafka-go backs off and retries.
			if s.log != nil {
				s.log.Printf("group %s: joining, will retry: %v", s.cfg.GroupID, err)
			}
			continue
		}
		gen.Start(func(gctx context.Context) { s.generation(gctx, gen) })
	}
}

// initialLoad closes ready once the state is read to the ends it had at
// start.
func (s *GroupSubscriber) initialLoad() {
	ends, err := s.stateRanges(s.ctx)
	if err != nil {
		return
	}
	if err := s.fol.waitFor(s.ctx, ends); err == nil {
		s.readyMu.Do(func() { close(s.ready) })
	}
}

func (s *GroupSubscriber) stateRanges(ctx context.Context) (map[int]partitionRange, error) {
	var ends map[int]partitionRange
	err := retryFast(ctx, func() error {
		var err error
		ends, err = topicRanges(ctx, s.cfg.Config, s.cfg.StateTopic)
		if err != nil && s.log != nil {
			s.log.Printf("group %s: end offsets of %s, will retry: %v", s.cfg.GroupID, s.cfg.StateTopic, err)
		}
		return err
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return ends, err
}

// generation runs one generation: wait until the state includes everything
// written before the assignment, hand out the assigned partitions' records,
// and when the generation ends, wait (bounded) for what was handed out to be
// committed before returning, which is what lets kafka-go rejoin.
func (s *GroupSubscriber) generation(gctx context.Context, gen *kafkago.Generation) {
	assigned := gen.Assignments[s.cfg.Topic]
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	stop := context.AfterFunc(gctx, cancel)
	defer stop()

	// State first: everything written to the state topic before this
	// assignment, by whichever member owned a partition before, must be
	// applied before a record of that partition is handled here.
	ends, err := s.stateRanges(ctx)
	if err != nil {
		<-gctx.Done()
		return
	}
	if err := s.fol.waitFor(ctx, ends); err != nil {
		<-gctx.Done()
		return
	}
	nparts, err := s.partitionCount(ctx)
	if err != nil {
		<-gctx.Done()
		return
	}
	s.mu.Lock()
	s.epoch++
	epoch := s.epoch
	s.gen = gen
	s.partIDs = make([]int, nparts)
	for i := range s.partIDs {
		s.partIDs[i] = i
	}
	s.owned = map[int]bool{}
	s.ownedFrom = map[int]int64{}
	s.handed = map[int]int64{}
	s.committed = map[int]int64{}
	aligned := len(ends) == nparts
	for _, a := range assigned {
		s.owned[a.ID] = true
		if r, ok := ends[a.ID]; ok && aligned {
			s.ownedFrom[a.ID] = r.end
		}
	}
	s.mu.Unlock()
	if s.info != nil {
		s.info.Printf("group %s: generation %d, %d partitions of %s assigned, state complete", s.cfg.GroupID, gen.ID, len(assigned), s.cfg.Topic)
	}

	var readers sync.WaitGroup
	for _, a := range assigned {
		readers.Go(func() { s.readPartition(ctx, epoch, a) })
	}
	<-gctx.Done()
	cancel()
	readers.Wait()
	s.handover(gen)
}

// handover stops handing out records of gen and waits, at most
// HandoverTimeout, until every record handed out is committed.
func (s *GroupSubscriber) handover(gen *kafkago.Generation) {
	s.mu.Lock()
	s.epoch++ // records still in flight from gen's readers are dropped
	done := s.gen == gen
	s.mu.Unlock()
	if !done {
		return
	}
	wait := s.cfg.HandoverTimeout
	if s.ctx.Err() != nil {
		// Close without Drain: nothing will commit any more.
		wait = 0
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		s.mu.Lock()
		pending := s.pendingLocked()
		changed := s.changed
		if pending == 0 {
			s.gen, s.owned, s.ownedFrom = nil, nil, nil
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-t.C:
			s.mu.Lock()
			s.gen, s.owned, s.ownedFrom = nil, nil, nil
			s.mu.Unlock()
			if s.log != nil {
				s.log.Printf("group %s: handing partitions over with %d partitions uncommitted after %s; the next owner re-reads them", s.cfg.GroupID, pending, s.cfg.HandoverTimeout)
			}
			return
		}
	}
}

// pendingLocked counts partitions with records handed out but not committed.
func (s *GroupSubscriber) pendingLocked() int {
	n := 0
	for p, off := range s.handed {
		if s.committed[p] < off {
			n++
		}
	}
	return n
}

func (s *GroupSubscriber) partitionCount(ctx context.Context) (int, error) {
	var n int
	err := retryFast(ctx, func() error {
		ps, err := partitionsOf(ctx, s.cfg.Config, s.cfg.Topic)
		if err != nil {
			return err
		}
		n = len(ps[s.cfg.Topic])
		return nil
	})
	return n, err
}

// retryFast calls fn until it succeeds or ctx ends, backing off from 100ms
// to 1s: a generation waits on these calls, so a transient failure (a
// metadata or ListOffsets timeout on a busy broker) must not add the long
// backoff of retry to every notification's latency.
func retryFast(ctx context.Context, fn func() error) error {
	backoff := 100 * time.Millisecond
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
		backoff = min(2*backoff, time.Second)
	}
}

// readPartition feeds one assigned partition's records to Fetch, starting
// at the group's committed offset.
func (s *GroupSubscriber) readPartition(ctx context.Context, epoch int64, a kafkago.PartitionAssignment) {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: s.cfg.Brokers, Topic: s.cfg.Topic, Partition: a.ID, Dialer: s.fol.d,
		MinBytes: 1, MaxBytes: max(s.cfg.MaxMessageBytes, 1<<20), MaxWait: s.cfg.MaxWait,
		ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
		StartOffset: kafkago.FirstOffset, ErrorLogger: s.log,
	})
	defer r.Close()
	if err := r.SetOffset(a.Offset); err != nil {
		return
	}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if s.log != nil {
				s.log.Printf("group %s: read %s/%d: %v", s.cfg.GroupID, s.cfg.Topic, a.ID, err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case s.records <- fetched{epoch: epoch, m: m}:
		case <-ctx.Done():
			return
		}
	}
}

// Close leaves the group at once (the partitions move without waiting for
// the session timeout) and stops following the state topic. Call Drain
// first for a handover without re-deliveries. Safe to call twice.
func (s *GroupSubscriber) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.cancel()
		_ = s.cg.Close()
		s.wg.Wait()
	})
	return nil
}
