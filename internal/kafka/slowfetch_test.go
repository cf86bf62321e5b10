package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// TestReaderSurvivesSlowFetchAnswers: every fetch answer reaches the client
// 300ms late, as from a loaded broker or one a few tens of milliseconds
// away. The reader must still read every record. With the 100ms MaxWait
// this package had, kafka-go's socket deadline left a fetch 25ms for the
// trip back: every fetch failed with "i/o timeout" at the same offset and
// nothing was ever read (the fault suite's stalled consumer groups).
func TestReaderSurvivesSlowFetchAnswers(t *testing.T) {
	c := kafkatest.Fake(t)
	cfg := Config{Brokers: c.ListenAddrs(), ClientID: "slow-fetch-test"}
	ctx := kafkatest.Context(t, 90*time.Second)
	topic := newTopic(t, ctx, cfg, TopicSpec{Name: "slow-fetch", Partitions: 1, ReplicationFactor: 1})
	w := newWriter(t, cfg)
	const n = 20
	msgs := make([]connector.Message, n)
	for i := range msgs {
		msgs[i] = connector.Message{Topic: topic, Key: []byte(fmt.Sprintf("K%02d", i)), Value: []byte("v")}
	}
	if err := w.Publish(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { time.Sleep(300 * time.Millisecond) })
		return nil, nil, false // then answered as usual
	})
	r := newReader(t, ReaderConfig{Config: cfg, GroupID: kafkatest.GroupID(t, "slow-fetch"), Topic: topic})
	for i := range n {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := r.Fetch(fctx)
		cancel()
		if err != nil {
			t.Fatalf("record %d of %d: %v", i+1, n, err)
		}
		if got, want := string(m.Key), fmt.Sprintf("K%02d", i); got != want {
			t.Fatalf("record %d: key %s, want %s", i+1, got, want)
		}
	}
}
