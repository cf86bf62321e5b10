package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/postident-connector/postident-connector/connector"
)

var _ connector.Publisher = (*Publisher)(nil)

// ErrInjected is the error of the failures the Fault helpers inject.
var ErrInjected = errors.New("memory: injected failure")

// Fault decides the fate of one Publish call: call counts the calls from 1,
// msgs are the call's records. It returns the records that are written
// anyway and the error the call returns; a nil error writes all of msgs
// and ignores written.
type Fault func(call int, msgs []connector.Message) (written []connector.Message, err error)

// FailCall fails call n (counted from 1) with err (ErrInjected when nil),
// writing nothing.
func FailCall(n int, err error) Fault {
	return func(call int, _ []connector.Message) ([]connector.Message, error) {
		if call != n {
			return nil, nil
		}
		return nil, orInjected(err)
	}
}

// FailFirst fails the first n calls with err (ErrInjected when nil),
// writing nothing: a broker that is away for a while.
func FailFirst(n int, err error) Fault {
	return func(call int, _ []connector.Message) ([]connector.Message, error) {
		if call > n {
			return nil, nil
		}
		return nil, orInjected(err)
	}
}

// TearCall makes call n (counted from 1) a torn write: the records for
// which keep reports true are written, the others are not, and the call
// returns err (ErrInjected when nil). A producer writes each partition
// with its own request, so a crash in the middle leaves exactly this.
func TearCall(n int, keep func(connector.Message) bool, err error) Fault {
	return func(call int, msgs []connector.Message) ([]connector.Message, error) {
		if call != n {
			return nil, nil
		}
		var w []connector.Message
		for _, m := range msgs {
			if keep(m) {
				w = append(w, m)
			}
		}
		return w, orInjected(err)
	}
}

func orInjected(err error) error {
	if err == nil {
		return ErrInjected
	}
	return err
}

// Publisher is an in-memory connector.Publisher. Publish returns once the
// records are stored (acknowledged); records get per-topic offsets from 0,
// partition 0. The zero value is ready to use.
type Publisher struct {
	// Fault, when set, decides each call's failure (see Fault). Set it
	// before the first Publish.
	Fault Fault
	// Discard acknowledges records without keeping them (Count still
	// counts them; Records, All and subscribers see none): for benchmarks,
	// whose loops would otherwise keep every record of every iteration.
	Discard bool
	// MaxBytes, when above 0, refuses a call with a record whose key,
	// value and headers add up to more, as a broker's max.message.bytes
	// does: nothing of the call is stored, and the error wraps
	// connector.ErrRecordTooLarge.
	MaxBytes int

	mu     sync.Mutex
	calls  int
	count  int
	all    []connector.Message
	topics map[string][]connector.Message
	subs   []*Subscriber
	groups map[string]map[TopicPartition]int64
}

// Publish stores msgs, in order, unless the Fault says otherwise. Each
// message needs a Topic, as with the Kafka adapter. Keys, values and headers
// are copied: the caller may reuse its buffers once Publish returns.
func (p *Publisher) Publish(ctx context.Context, msgs ...connector.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Topic == "" {
			return errors.New("memory: publish: message has no topic")
		}
		if p.MaxBytes > 0 && recordBytes(m) > p.MaxBytes {
			return fmt.Errorf("memory: publish: %w: %d bytes, the limit is %d", connector.ErrRecordTooLarge, recordBytes(m), p.MaxBytes)
		}
	}
	p.mu.Lock()
	p.calls++
	call := p.calls
	fault := p.Fault
	p.mu.Unlock()
	write, err := msgs, error(nil)
	if fault != nil {
		var w []connector.Message
		if w, err = fault(call, msgs); err != nil {
			write = w
		}
	}
	p.store(write)
	return err
}

// recordBytes is a record's size as a broker would count it, roughly.
func recordBytes(m connector.Message) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

func (p *Publisher) store(msgs []connector.Message) {
	if len(msgs) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count += len(msgs)
	if p.Discard {
		return
	}
	if p.topics == nil {
		p.topics = map[string][]connector.Message{}
	}
	stored := make([]connector.Message, len(msgs))
	for i, m := range msgs {
		m = clone(m)
		m.Partition, m.Offset = 0, int64(len(p.topics[m.Topic]))
		p.topics[m.Topic] = append(p.topics[m.Topic], m)
		p.all = append(p.all, m)
		stored[i] = m
	}
	for _, s := range p.subs {
		s.offer(stored)
	}
}

// clone copies m's key, value and headers, keeping nil apart from empty (a
// nil Value is a tombstone).
func clone(m connector.Message) connector.Message {
	if m.Key != nil {
		m.Key = slices.Clone(m.Key)
	}
	if m.Value != nil {
		m.Value = slices.Clone(m.Value)
	}
	if m.Headers != nil {
		hs := make([]connector.Header, len(m.Headers))
		for i, h := range m.Headers {
			hs[i] = connector.Header{Key: h.Key, Value: slices.Clone(h.Value)}
		}
		m.Headers = hs
	}
	return m
}

// Records returns the records written to topic, in order.
func (p *Publisher) Records(topic string) []connector.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.topics[topic])
}

// All returns every record written, in the order of writing.
func (p *Publisher) All() []connector.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.all)
}

// Count returns how many records were written (also with Discard).
func (p *Publisher) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// Calls returns how many times Publish was called, failed calls included.
func (p *Publisher) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Keys counts the records of topic per key.
func (p *Publisher) Keys(topic string) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := map[string]int{}
	for _, m := range p.topics[topic] {
		n[string(m.Key)]++
	}
	return n
}
