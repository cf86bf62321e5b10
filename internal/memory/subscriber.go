package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/postident-connector/postident-connector/connector"
)

var _ connector.Subscriber = (*Subscriber)(nil)

// ErrClosed is wrapped by Fetch and Commit after Close.
var ErrClosed = errors.New("memory: subscriber closed")

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int
}

// Subscriber is an in-memory connector.Subscriber: Fetch hands out its
// records one at a time, in order; Commit records, per partition, the
// offset after the highest committed message, as a Kafka consumer group
// does. Nothing is committed unless Commit is called.
type Subscriber struct {
	mu        sync.Mutex
	queue     []connector.Message
	wake      chan struct{} // closed (and replaced) when queue or committed change
	next      map[TopicPartition]int64
	committed map[TopicPartition]int64
	fetched   int
	commits   int
	closed    bool

	// Set for a subscriber of a Publisher.
	pub    *Publisher
	group  string
	topics []string
}

// NewSubscriber returns a subscriber that hands out msgs, then waits for
// more (Add). Each message keeps its Topic and Partition; its Offset is set
// to its position among the messages of the same partition, from 0.
func NewSubscriber(msgs ...connector.Message) *Subscriber {
	s := &Subscriber{wake: make(chan struct{}), next: map[TopicPartition]int64{}, committed: map[TopicPartition]int64{}}
	s.Add(msgs...)
	return s
}

// Add appends msgs to what Fetch hands out, numbering their offsets after
// the messages already added to the same partition.
func (s *Subscriber) Add(msgs ...connector.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		m = clone(m)
		tp := TopicPartition{m.Topic, m.Partition}
		m.Offset = s.next[tp]
		s.next[tp]++
		s.queue = append(s.queue, m)
	}
	s.signal()
}

// Subscribe returns a subscriber of topics as member group: it starts, on
// each partition, after the offset the group last committed (at the first
// record when none), and then receives what is published. Commits are
// stored for the group, so a later Subscribe of the same group resumes
// there, as a Kafka consumer does after a restart. Close detaches it.
func (p *Publisher) Subscribe(group string, topics ...string) *Subscriber {
	s := NewSubscriber()
	s.pub, s.group, s.topics = p, group, slices.Clone(topics)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.groups == nil {
		p.groups = map[string]map[TopicPartition]int64{}
	}
	if p.groups[group] == nil {
		p.groups[group] = map[TopicPartition]int64{}
	}
	s.committed = maps.Clone(p.groups[group])
	for _, m := range p.all {
		if slices.Contains(topics, m.Topic) && m.Offset >= s.committed[TopicPartition{m.Topic, m.Partition}] {
			s.queue = append(s.queue, m)
		}
	}
	p.subs = append(p.subs, s)
	return s
}

// offer appends records a Publisher just stored (already cloned, with
// their offsets) when they are of the subscribed topics. Called with the
// Publisher's lock held.
func (s *Subscriber) offer(msgs []connector.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, m := range msgs {
		if slices.Contains(s.topics, m.Topic) {
			s.queue = append(s.queue, m)
		}
	}
	s.signal()
}

// signal wakes the waiters. Called with s.mu held.
func (s *Subscriber) signal() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// Fetch returns the next record, waiting for one until ctx ends (then it
// returns ctx's error).
func (s *Subscriber) Fetch(ctx context.Context) (connector.Message, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return connector.Message{}, fmt.Errorf("memory: fetch: %w", ErrClosed)
		}
		if len(s.queue) > 0 {
			m := s.queue[0]
			s.queue = s.queue[1:]
			s.fetched++
			s.mu.Unlock()
			return clone(m), nil
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return connector.Message{}, fmt.Errorf("memory: fetch: %w", ctx.Err())
		case <-wake:
		}
	}
}

// Commit stores, for each partition among msgs, the offset after the
// highest of its messages in this call; like a Kafka commit, it replaces
// what was stored before.
func (s *Subscriber) Commit(ctx context.Context, msgs ...connector.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: commit: %w", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	high := map[TopicPartition]int64{}
	for _, m := range msgs {
		if m.Topic == "" {
			return errors.New("memory: commit: message has no topic")
		}
		tp := TopicPartition{m.Topic, m.Partition}
		if o, ok := high[tp]; !ok || m.Offset+1 > o {
			high[tp] = m.Offset + 1
		}
	}
	if s.pub != nil {
		// The group's offsets live in the Publisher; lock order is
		// Publisher, then Subscriber (as in Publisher.store).
		s.pub.mu.Lock()
		defer s.pub.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("memory: commit: %w", ErrClosed)
	}
	maps.Copy(s.committed, high)
	if s.pub != nil {
		maps.Copy(s.pub.groups[s.group], high)
	}
	s.commits++
	s.signal()
	return nil
}

// Committed returns the committed position of every partition: the offset
// of the next record to read.
func (s *Subscriber) Committed() map[TopicPartition]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.committed)
}

// CommittedOffset returns the committed position of one partition and
// whether there is one.
func (s *Subscriber) CommittedOffset(topic string, partition int) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.committed[TopicPartition{topic, partition}]
	return o, ok
}

// WaitCommitted waits until the committed position of the partition is at
// least offset, or ctx ends (then it returns ctx's error).
func (s *Subscriber) WaitCommitted(ctx context.Context, topic string, partition int, offset int64) error {
	for {
		s.mu.Lock()
		done := s.committed[TopicPartition{topic, partition}] >= offset
		wake := s.wake
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("memory: waiting for offset %d of %s/%d to be committed: %w", offset, topic, partition, ctx.Err())
		case <-wake:
		}
	}
}

// Fetched returns how many records Fetch handed out.
func (s *Subscriber) Fetched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched
}

// Commits returns how many Commit calls stored offsets.
func (s *Subscriber) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// Pending returns how many records wait to be fetched.
func (s *Subscriber) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Close stops the subscriber: Fetch and Commit fail with ErrClosed, and a
// Publisher no longer feeds it. Uncommitted records go to the next
// subscriber of the group. Close is safe to call more than once.
func (s *Subscriber) Close() error {
	if s.pub != nil {
		s.pub.mu.Lock()
		defer s.pub.mu.Unlock()
		s.pub.subs = slices.DeleteFunc(s.pub.subs, func(x *Subscriber) bool { return x == s })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.signal()
	}
	return nil
}
