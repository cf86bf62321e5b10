package kafka

import (
	"context"
	"fmt"
	"io"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/connector"
)

// This file is the GroupSubscriber's side that the processor sees: records
// handed out (Fetch), committed (Commit), the handover on shutdown (Drain),
// and what the replica owns (Owns, for state expiry). group.go is the
// membership side: generations, the state barrier at assignment, the
// partition readers.

// Fetch blocks until the next record of an assigned partition is available.
// Records are handed out only while the state is complete for the current
// generation, and not at all once Drain was called. After Close it returns
// an error wrapping ErrClosed and io.EOF.
func (s *GroupSubscriber) Fetch(ctx context.Context) (connector.Message, error) {
	for {
		select {
		case <-ctx.Done():
			return connector.Message{}, fmt.Errorf("kafka: fetch: %w", ctx.Err())
		case <-s.ctx.Done():
			return connector.Message{}, fmt.Errorf("kafka: fetch: %w: %w", ErrClosed, io.EOF)
		case f := <-s.records:
			s.mu.Lock()
			if f.epoch != s.epoch || s.draining || s.gen == nil {
				s.mu.Unlock()
				continue // from an ended generation: the next owner reads it
			}
			s.handed[f.m.Partition] = f.m.Offset + 1
			if f.m.HighWaterMark > 0 {
				s.lag[f.m.Partition] = max(f.m.HighWaterMark-f.m.Offset-1, 0)
			}
			s.mu.Unlock()
			return fromKafkaMessage(f.m), nil
		}
	}
}

// Commit stores, for each partition among msgs, the offset after the
// highest message as the group's position. Only records handed out in the
// current generation can be committed: a partition that moved on is the new
// owner's to commit.
func (s *GroupSubscriber) Commit(ctx context.Context, msgs ...connector.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	offs := map[int]int64{}
	for i, m := range msgs {
		if m.Topic != s.cfg.Topic {
			return fmt.Errorf("kafka: commit: message %d is of topic %q, not %q", i, m.Topic, s.cfg.Topic)
		}
		offs[m.Partition] = max(offs[m.Partition], m.Offset+1)
	}
	s.mu.Lock()
	gen := s.gen
	for p, off := range offs {
		if gen == nil || off > s.handed[p] {
			s.mu.Unlock()
			return fmt.Errorf("kafka: commit: partition %d of %s is no longer assigned here: %w", p, s.cfg.Topic, kafkago.RebalanceInProgress)
		}
	}
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- gen.CommitOffsets(map[string]map[int]int64{s.cfg.Topic: offs}) }()
	select {
	case <-ctx.Done():
		return fmt.Errorf("kafka: commit: %w", ctx.Err())
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("kafka: commit: %w", err)
		}
	}
	s.mu.Lock()
	if s.gen == gen {
		for p, off := range offs {
			s.committed[p] = max(s.committed[p], off)
		}
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	return nil
}

// Drain stops handing out records and waits until every record handed out
// has been committed, or ctx ends. Call it on shutdown before stopping the
// processor: the batch in hand is finished and committed, so the next owner
// starts exactly where this replica stopped.
func (s *GroupSubscriber) Drain(ctx context.Context) error {
	for {
		s.mu.Lock()
		s.draining = true
		pending := s.pendingLocked()
		changed := s.changed
		s.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka: drain: %d partitions uncommitted: %w", pending, ctx.Err())
		case <-changed:
		}
	}
}

// Owns reports whether caseID's partition (murmur2 of the key, as the
// Writer partitions) is assigned to this member in the current generation
// and its state is complete. It implements connector.Ownership.
func (s *GroupSubscriber) Owns(caseID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == nil || s.draining || len(s.partIDs) == 0 {
		return false
	}
	return s.owned[partitionOf([]byte(caseID), s.partIDs)]
}

// partitionOf is the partition the Writer (Murmur2Balancer) picks for key
// among parts (0..n-1).
func partitionOf(key []byte, parts []int) int {
	return kafkago.Murmur2Balancer{Consistent: true}.Balance(kafkago.Message{Key: key}, parts...)
}

// ownWrite reports whether the follower leaves m out: a record this
// replica's processor wrote (cfg.OwnWrite) on a state partition it owns,
// at or after the end offset taken when it was assigned.
func (s *GroupSubscriber) ownWrite(m connector.Message) bool {
	if s.cfg.OwnWrite == nil {
		return false
	}
	s.mu.Lock()
	from, ok := s.ownedFrom[m.Partition]
	s.mu.Unlock()
	return ok && m.Offset >= from && s.cfg.OwnWrite(m)
}

// Lag returns, best effort, the records behind the end of the partitions
// this member read in the current generation (for metrics).
func (s *GroupSubscriber) Lag() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum int64
	for p, l := range s.lag {
		if s.owned[p] {
			sum += l
		}
	}
	return sum
}
