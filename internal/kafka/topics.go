package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// adminTimeout bounds a single admin request when ctx has no earlier deadline.
const adminTimeout = 15 * time.Second

// TopicSpec describes a topic the connector needs.
type TopicSpec struct {
	// Name is the topic name. Required.
	Name string
	// Partitions is the partition count for a new topic. Default (0): the
	// broker's num.partitions.
	Partitions int
	// ReplicationFactor for a new topic. Default (0), or -1: the broker's
	// default.replication.factor (CreateTopics v4+, KIP-464, Kafka 2.4+).
	ReplicationFactor int
	// Compact selects cleanup.policy=compact (latest value per key, tombstones
	// delete); otherwise cleanup.policy=delete.
	Compact bool
	// RetentionMs sets retention.ms when non-zero (-1: keep forever). Default:
	// the broker's log.retention.*.
	RetentionMs int64
	// Configs are further topic configs, applied last (they may override
	// cleanup.policy, e.g. "compact,delete").
	Configs map[string]string
}

// cleanupPolicy is the policy the spec asks for.
func (s TopicSpec) cleanupPolicy() string {
	if p, ok := s.Configs["cleanup.policy"]; ok {
		return p
	}
	if s.Compact {
		return "compact"
	}
	return "delete"
}

func (s TopicSpec) configEntries() []kafkago.ConfigEntry {
	cfg := map[string]string{"cleanup.policy": s.cleanupPolicy()}
	if s.RetentionMs != 0 {
		cfg["retention.ms"] = strconv.FormatInt(s.RetentionMs, 10)
	}
	for k, v := range s.Configs {
		cfg[k] = v
	}
	names := make([]string, 0, len(cfg))
	for k := range cfg {
		names = append(names, k)
	}
	sort.Strings(names)
	entries := make([]kafkago.ConfigEntry, len(names))
	for i, k := range names {
		entries[i] = kafkago.ConfigEntry{ConfigName: k, ConfigValue: cfg[k]}
	}
	return entries
}

func (s TopicSpec) validate() error {
	if err := validTopicName(s.Name); err != nil {
		return err
	}
	if s.Partitions < 0 {
		return fmt.Errorf("kafka: topic %s: partitions %d is negative", s.Name, s.Partitions)
	}
	if s.ReplicationFactor < -1 || s.ReplicationFactor > 32767 {
		return fmt.Errorf("kafka: topic %s: replication factor %d out of range", s.Name, s.ReplicationFactor)
	}
	return nil
}

func validTopicName(name string) error {
	if name == "" {
		return errors.New("kafka: empty topic name")
	}
	if len(name) > 249 || name == "." || name == ".." {
		return fmt.Errorf("kafka: invalid topic name %q", name)
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("kafka: invalid topic name %q (allowed: letters, digits, '.', '_', '-')", name)
		}
	}
	return nil
}

// admin is a kafka-go Client on a private Transport. The Client API
// negotiates the newest protocol version both sides support (CreateTopics v5,
// DescribeConfigs v3, Metadata v8), so it works on Kafka 4, which removed the
// oldest versions (KIP-896), as well as on kfake.
type admin struct {
	c  *kafkago.Client
	tr *kafkago.Transport
}

func newAdmin(cfg Config) (*admin, error) {
	cfg, err := cfg.prepare()
	if err != nil {
		return nil, err
	}
	tr, err := cfg.transport()
	if err != nil {
		return nil, err
	}
	return &admin{c: &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Transport: tr, Timeout: adminTimeout}, tr: tr}, nil
}

// close stops the transport's background metadata refresh and its connections.
func (a *admin) close() { a.tr.CloseIdleConnections() }

// partitionsOf returns the partitions of topics, with their current leaders,
// sorted by id, from a fresh metadata request. A missing topic yields an
// error wrapping UnknownTopicOrPartition.
//
// It deliberately avoids kafka-go's Conn.ReadPartitions (and so
// Dialer.LookupPartitions/DialLeader): that sends Metadata v6 with
// allow_auto_topic_creation=true, which on a broker with
// auto.create.topics.enable=true (Kafka's default) would create a missing
// topic with the broker defaults - a compacted state topic as a deleting one.
func partitionsOf(ctx context.Context, cfg Config, topics ...string) (map[string][]kafkago.Partition, error) {
	a, err := newAdmin(cfg)
	if err != nil {
		return nil, err
	}
	defer a.close()
	// Only these topics: the transport's first (and here only) metadata
	// request is then small, and allow_auto_topic_creation stays false.
	a.tr.MetadataTopics = topics
	md, err := a.c.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	out := make(map[string][]kafkago.Partition, len(topics))
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		ps := append([]kafkago.Partition(nil), t.Partitions...)
		sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
		out[t.Name] = ps
	}
	for _, t := range topics {
		if len(out[t]) == 0 {
			return nil, fmt.Errorf("topic %s: %w", t, kafkago.UnknownTopicOrPartition)
		}
	}
	return out, nil
}

// waitForLeaders polls until every partition of topics has a leader: right
// after CreateTopics a real broker still answers LEADER_NOT_AVAILABLE or
// NOT_LEADER_OR_FOLLOWER for a moment, and callers expect a topic that
// EnsureTopics returned to be usable. Gives up quietly after
// leaderWaitTimeout (the clients retry such errors anyway).
func waitForLeaders(ctx context.Context, cfg Config, topics []string) {
	ctx, cancel := context.WithTimeout(ctx, leaderWaitTimeout)
	defer cancel()
	for {
		if parts, err := partitionsOf(ctx, cfg, topics...); err == nil && allLed(parts) {
			return
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

const leaderWaitTimeout = 10 * time.Second

func allLed(parts map[string][]kafkago.Partition) bool {
	for _, ps := range parts {
		for _, p := range ps {
			if p.Error != nil || p.Leader.Host == "" || p.Leader.ID < 0 {
				return false
			}
		}
	}
	return true
}

// EnsureTopics creates the topics in specs that do not exist yet, with
// cleanup.policy (compact or delete), retention.ms and Configs. Existing
// topics are left alone, but EnsureTopics reports an error for each one whose
// cleanup.policy differs from the spec (a compacted topic that deletes, or the
// reverse, silently loses or keeps data). A topic created concurrently by
// another replica counts as existing. Broker refusals are returned with the
// broker's error code and message, e.g. "[38] Invalid Replication Factor".
// All problems are reported together (errors.Join).
func EnsureTopics(ctx context.Context, cfg Config, specs ...TopicSpec) error {
	if len(specs) == 0 {
		return nil
	}
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return err
		}
		if slices.Contains(names, s.Name) {
			return fmt.Errorf("kafka: topic %s listed twice", s.Name)
		}
		names = append(names, s.Name)
	}
	a, err := newAdmin(cfg)
	if err != nil {
		return err
	}
	defer a.close()

	md, err := a.c.Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
	if err != nil {
		return fmt.Errorf("kafka: ensure topics: metadata: %w", err)
	}
	exists := make(map[string]bool, len(specs))
	var errs []error
	for _, t := range md.Topics {
		switch {
		case t.Error == nil:
			exists[t.Name] = true
		case errors.Is(t.Error, kafkago.UnknownTopicOrPartition):
		default:
			errs = append(errs, fmt.Errorf("kafka: topic %s: metadata: %w", t.Name, t.Error))
			exists[t.Name] = true // neither create nor check it
		}
	}

	var create []kafkago.TopicConfig
	var check []TopicSpec
	for _, s := range specs {
		if exists[s.Name] {
			check = append(check, s)
			continue
		}
		create = append(create, kafkago.TopicConfig{
			Topic:             s.Name,
			NumPartitions:     orDefault(s.Partitions),
			ReplicationFactor: orDefault(s.ReplicationFactor),
			ConfigEntries:     s.configEntries(),
		})
	}
	if len(create) > 0 {
		res, err := a.c.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: create})
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("kafka: ensure topics: create: %w", err))...)
		}
		var created []string
		for _, tc := range create {
			err, ok := res.Errors[tc.Topic]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("kafka: create topic %s: no answer from broker", tc.Topic))
			case err == nil:
				created = append(created, tc.Topic)
			case errors.Is(err, kafkago.TopicAlreadyExists):
				// Another replica won the race: verify what it created.
				check = append(check, specByName(specs, tc.Topic))
			case errors.Is(err, kafkago.InvalidReplicationFactor):
				errs = append(errs, &ReplicationFactorError{Topic: tc.Topic, Requested: tc.ReplicationFactor, Brokers: len(md.Brokers), Err: err})
			default:
				errs = append(errs, fmt.Errorf("kafka: create topic %s: %w", tc.Topic, err))
			}
		}
		if len(created) > 0 {
			waitForLeaders(ctx, cfg, created)
		}
	}
	if len(check) > 0 {
		errs = append(errs, checkPolicies(ctx, a, check))
	}
	return errors.Join(errs...)
}

func specByName(specs []TopicSpec, name string) TopicSpec {
	for _, s := range specs {
		if s.Name == name {
			return s
		}
	}
	return TopicSpec{Name: name}
}

// ReplicationFactorError is a topic the broker refused to create with
// "[38] Invalid Replication Factor": more replicas than brokers, or (with -1)
// a default.replication.factor the cluster cannot hold. It says how many
// brokers the cluster reported, so the caller can say what to set.
type ReplicationFactorError struct {
	Topic string
	// Requested is the factor asked for; -1 is the broker's default.
	Requested int
	// Brokers is the number of brokers in the metadata answer.
	Brokers int
	Err     error
}

func (e *ReplicationFactorError) Error() string {
	asked := strconv.Itoa(e.Requested)
	if e.Requested < 0 {
		asked = "the broker's default.replication.factor"
	}
	return fmt.Sprintf("kafka: create topic %s: %v (replication factor %s; the cluster has %d broker(s))", e.Topic, e.Err, asked, e.Brokers)
}

func (e *ReplicationFactorError) Unwrap() error { return e.Err }

// orDefault maps "unset" to -1, which CreateTopics v4+ reads as "use the
// broker default" (KIP-464).
func orDefault(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// ErrTopicConfig is wrapped by EnsureTopics when an existing topic's
// configuration contradicts its spec.
var ErrTopicConfig = errors.New("topic configuration mismatch")

func checkPolicies(ctx context.Context, a *admin, specs []TopicSpec) error {
	req := &kafkago.DescribeConfigsRequest{}
	for _, s := range specs {
		req.Resources = append(req.Resources, kafkago.DescribeConfigRequestResource{
			ResourceType: kafkago.ResourceTypeTopic,
			ResourceName: s.Name,
			ConfigNames:  []string{"cleanup.policy"},
		})
	}
	res, err := a.c.DescribeConfigs(ctx, req)
	if err != nil {
		return fmt.Errorf("kafka: ensure topics: describe configs: %w", err)
	}
	got := make(map[string]describeResult, len(res.Resources))
	for _, r := range res.Resources {
		got[r.ResourceName] = describeResult{r.Error, r.ConfigEntries}
	}
	var errs []error
	for _, s := range specs {
		r, ok := got[s.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("kafka: topic %s: describe configs: no answer from broker", s.Name))
			continue
		}
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("kafka: topic %s: describe configs: %w", s.Name, r.Err))
			continue
		}
		actual := "delete" // Kafka's default when the entry is absent
		for _, e := range r.Entries {
			if e.ConfigName == "cleanup.policy" {
				actual = e.ConfigValue
			}
		}
		if want := s.cleanupPolicy(); !samePolicy(actual, want) {
			errs = append(errs, fmt.Errorf("kafka: topic %s exists with cleanup.policy=%s, want %s (fix the topic with kafka-configs --alter, or recreate it): %w",
				s.Name, actual, want, ErrTopicConfig))
		}
	}
	return errors.Join(errs...)
}

// describeResult pairs a describe error with the returned entries.
type describeResult struct {
	Err     error
	Entries []kafkago.DescribeConfigResponseConfigEntry
}

// samePolicy compares cleanup.policy values as sets ("compact,delete" equals
// "delete, compact").
func samePolicy(a, b string) bool {
	return slices.Equal(policySet(a), policySet(b))
}

func policySet(p string) []string {
	var out []string
	for _, s := range strings.Split(p, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
