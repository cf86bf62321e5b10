package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// OldestUncommitted returns the Kafka time of the oldest record of topic
// that group has not committed yet, over every partition, or the zero time
// when the group is at the end of each. It asks the broker (committed
// offsets, end offsets, and one record at the committed offset of each
// partition behind), not the group's members, so it tells the age of a
// backlog even while a member's fetches fail or a partition is assigned but
// never read: the stall during which consumer lag, which members compute
// from what they fetch, stays 0.
func OldestUncommitted(ctx context.Context, cfg Config, group, topic string) (time.Time, error) {
	ranges, err := topicRanges(ctx, cfg, topic)
	if err != nil {
		return time.Time{}, err
	}
	a, err := newAdmin(cfg)
	if err != nil {
		return time.Time{}, err
	}
	defer a.close()
	parts := make([]int, 0, len(ranges))
	for p := range ranges {
		parts = append(parts, p)
	}
	res, err := a.c.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return time.Time{}, fmt.Errorf("committed offsets of %s on %s: %w", group, topic, err)
	}
	committed := make(map[int]int64, len(ranges)) // -1: nothing committed yet
	for p := range ranges {
		committed[p] = -1
	}
	switch {
	case errors.Is(res.Error, kafkago.GroupIdNotFound):
		// A group that never committed (kfake says so; Apache Kafka
		// answers -1 for each partition).
	case res.Error != nil:
		return time.Time{}, fmt.Errorf("committed offsets of %s on %s: %w", group, topic, res.Error)
	default:
		for _, po := range res.Topics[topic] {
			if po.Error != nil {
				return time.Time{}, fmt.Errorf("committed offset of %s on %s/%d: %w", group, topic, po.Partition, po.Error)
			}
			committed[po.Partition] = po.CommittedOffset
		}
	}
	var oldest time.Time
	for p, r := range ranges {
		from := max(committed[p], r.first)
		if from >= r.end {
			continue
		}
		t, err := a.recordTime(ctx, topic, p, from)
		if err != nil {
			return time.Time{}, err
		}
		if !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	return oldest, nil
}

// recordTime is the time of the first record of topic/partition at or
// after offset (zero if there is none).
func (a *admin) recordTime(ctx context.Context, topic string, partition int, offset int64) (time.Time, error) {
	res, err := a.c.Fetch(ctx, &kafkago.FetchRequest{Topic: topic, Partition: partition, Offset: offset,
		MinBytes: 1, MaxBytes: 64 << 10, MaxWait: 100 * time.Millisecond})
	if err != nil {
		return time.Time{}, fmt.Errorf("fetch %s/%d at %d: %w", topic, partition, offset, err)
	}
	if res.Error != nil {
		return time.Time{}, fmt.Errorf("fetch %s/%d at %d: %w", topic, partition, offset, res.Error)
	}
	if res.Records == nil {
		return time.Time{}, nil
	}
	for {
		rec, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("fetch %s/%d at %d: %w", topic, partition, offset, err)
		}
		if rec.Offset >= offset { // a batch may start before offset
			return rec.Time, nil
		}
	}
}
