package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// What the connector asks a cluster about itself: a topic's settings
// (DescribeTopic, for check and the partition-alignment test) and whether a
// broker answers (Ping, for start-up and the readiness check).

// TopicInfo is what DescribeTopic reports about one topic.
type TopicInfo struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	// Configs holds every topic config the broker returned, defaults
	// included.
	Configs map[string]string
}

// DescribeTopic returns the partition count, replication factor and configs
// of an existing topic. A missing topic yields an error wrapping kafka-go's
// UnknownTopicOrPartition. Used by the check command and the tests.
func DescribeTopic(ctx context.Context, cfg Config, name string) (TopicInfo, error) {
	if err := validTopicName(name); err != nil {
		return TopicInfo{}, err
	}
	a, err := newAdmin(cfg)
	if err != nil {
		return TopicInfo{}, err
	}
	defer a.close()

	md, err := a.c.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{name}})
	if err != nil {
		return TopicInfo{}, fmt.Errorf("kafka: describe topic %s: metadata: %w", name, err)
	}
	info := TopicInfo{Name: name, Configs: map[string]string{}}
	found := false
	for _, t := range md.Topics {
		if t.Name != name {
			continue
		}
		if t.Error != nil {
			return TopicInfo{}, fmt.Errorf("kafka: describe topic %s: %w", name, t.Error)
		}
		found = true
		info.Partitions = len(t.Partitions)
		for _, p := range t.Partitions {
			info.ReplicationFactor = max(info.ReplicationFactor, len(p.Replicas))
		}
	}
	if !found {
		return TopicInfo{}, fmt.Errorf("kafka: describe topic %s: %w", name, kafkago.UnknownTopicOrPartition)
	}
	res, err := a.c.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{
		Resources: []kafkago.DescribeConfigRequestResource{{ResourceType: kafkago.ResourceTypeTopic, ResourceName: name}},
	})
	if err != nil {
		return TopicInfo{}, fmt.Errorf("kafka: describe topic %s: configs: %w", name, err)
	}
	for _, r := range res.Resources {
		if r.Error != nil {
			return TopicInfo{}, fmt.Errorf("kafka: describe topic %s: configs: %w", name, r.Error)
		}
		for _, e := range r.ConfigEntries {
			info.Configs[e.ConfigName] = e.ConfigValue
		}
	}
	return info, nil
}

// Ping checks that a broker answers a metadata request (with the configured
// TLS and SASL), trying the brokers in order until one does. It is what the
// readiness probe and the check command call.
func Ping(ctx context.Context, cfg Config) error {
	cfg, err := cfg.prepare()
	if err != nil {
		return err
	}
	d, err := cfg.dialer()
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range cfg.Brokers {
		if err := pingOne(ctx, d, b); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		return nil
	}
	return fmt.Errorf("kafka: ping: no broker answered: %w", errors.Join(errs...))
}

func pingOne(ctx context.Context, d *kafkago.Dialer, broker string) error {
	conn, err := d.DialContext(ctx, "tcp", broker)
	if err != nil {
		return fmt.Errorf("%s: %w", broker, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	dl := time.Now().Add(adminTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if err := conn.SetDeadline(dl); err != nil {
		return fmt.Errorf("%s: %w", broker, err)
	}
	if _, err := conn.Brokers(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", broker, ctx.Err())
		}
		return fmt.Errorf("%s: metadata: %w", broker, err)
	}
	return nil
}
