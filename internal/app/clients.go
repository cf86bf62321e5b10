package app

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
)

// waitKafka pings the brokers until they answer or ctx ends, so that a
// connector started together with its broker does not fail at once.
func (a *App) waitKafka(ctx context.Context) error {
	for {
		err := kafka.Ping(ctx, a.kcfg)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka brokers %s do not answer: %w", strings.Join(a.cfg.Kafka.Brokers, ","), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// topicSpecs are the topics the connector creates on start
// (KAFKA_CREATE_TOPICS).
func (c *Config) topicSpecs() []kafka.TopicSpec {
	k := c.Kafka
	rf := k.ReplicationFactor
	ret := k.Retention.Milliseconds()
	t := c.Topics
	specs := []kafka.TopicSpec{
		{Name: t.Status, Partitions: k.Partitions, ReplicationFactor: rf, RetentionMs: ret},
		ResultTopicSpec(c, t.Result),
		{Name: t.Notifications, Partitions: k.Partitions, ReplicationFactor: rf, RetentionMs: ret},
		{Name: t.State, Partitions: k.Partitions, ReplicationFactor: rf, Compact: true},
		// Compacted by caseId, with a tombstone once a case went through:
		// the topic is the set of cases parked now, whatever its age.
		{Name: t.DeadLetter, Partitions: k.Partitions, ReplicationFactor: rf, Compact: true},
		{Name: t.Lease, Partitions: 1, ReplicationFactor: rf, RetentionMs: ret},
	}
	if c.Postident.IncludeBinaryData || c.Postident.IncludeResultPDF {
		specs = append(specs, kafka.TopicSpec{Name: t.Records, Partitions: k.Partitions, ReplicationFactor: rf,
			RetentionMs: k.RecordsRetention.Milliseconds(), Configs: map[string]string{"max.message.bytes": strconv.Itoa(k.MaxMessageBytes)}})
	}
	return specs
}

// scrConfig is the POSTIDENT client's configuration, without the key.
func (c *Config) scrConfig(version string) scr.Config {
	p := c.Postident
	return scr.Config{BaseURL: p.BaseURL, ClientID: p.ClientID, Username: p.Username, Password: p.Password,
		DataPassword: p.DataPassword, RequireEncryption: c.RequireEncryption(),
		Timeout: p.Timeout, MaxConns: p.MaxConns, UserAgent: "postident-connector/" + version}
}

// avroConfig is the codec's configuration: the schema registry, or Avro
// single-object encoding without one.
func (c *Config) avroConfig() avro.Config {
	r := c.Registry
	return avro.Config{RegistryURL: r.URL, RegistryUsername: r.Username, RegistryPassword: r.Password, AutoRegister: r.AutoRegister}
}

// NewCodec returns the Avro codec of the configuration.
func (c *Config) NewCodec() (*avro.Codec, error) { return avro.New(c.avroConfig()) }

// NewSCRClient returns the POSTIDENT client of cfg; key, when set, is used
// instead of POSTIDENT_PRIVATE_KEY_FILE.
func NewSCRClient(cfg *Config, key *rsa.PrivateKey, version string) (*scr.Client, error) {
	if key == nil && cfg.Postident.PrivateKeyFile != "" {
		pem, err := os.ReadFile(cfg.Postident.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("POSTIDENT_PRIVATE_KEY_FILE: %w", err)
		}
		if key, err = scr.LoadPrivateKey(pem); err != nil {
			return nil, fmt.Errorf("POSTIDENT_PRIVATE_KEY_FILE: %w", err)
		}
	}
	sc := cfg.scrConfig(version)
	sc.PrivateKey = key
	c, err := scr.New(sc)
	if err != nil {
		return nil, fmt.Errorf("postident: %w", err)
	}
	return c, nil
}
