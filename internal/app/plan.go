package app

import (
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/webhook"
)

// Plan is what an App runs for its Config and Options, decided before
// anything starts: the roles, and the configuration Run hands to each
// role's constructor (processor, reconciler, archiver, webhook, the Kafka,
// POSTIDENT and Avro clients). The load tool's test compares its child's
// Plan with the one of `run`. Loggers, callbacks, listen addresses and what
// is loaded at start (state, parked cases, the private key) are not part
// of it.
type Plan struct {
	// Roles that run, in start order.
	Roles []string
	Kafka kafka.Config
	// Topics are created on start when KAFKA_CREATE_TOPICS is set (nil
	// otherwise).
	Topics []kafka.TopicSpec
	Codec  avro.Config
	SCR    scr.Config

	Processor      connector.ProcessorConfig
	ProcessorGroup string
	// FollowState runs the processor on kafka.GroupSubscriber, which
	// follows the state topic (PROCESSOR_FOLLOW_STATE); otherwise the state
	// is read once at start.
	FollowState bool

	Reconciler connector.ReconcilerConfig
	// LeaseTopic and LeaseGroup elect the single active reconciler.
	LeaseTopic, LeaseGroup string

	Archiver connector.ArchiverConfig
	// ArchiverTopic is what the archiver reads: the result topic or
	// ARCHIVE_SOURCE_TOPIC.
	ArchiverTopic, ArchiverGroup string

	Webhook webhook.Config
}

// Tuning holds settings that have no environment variable: the load tool
// varies them to compare figures; `run` and dev mode leave them zero (the
// packages' defaults).
type Tuning struct {
	// CoalesceMin is connector.CoalesceConfig.Min.
	CoalesceMin int
	// WriterBatchTimeout is kafka.Config.BatchTimeout of the writer.
	WriterBatchTimeout time.Duration
}

// makePlan derives the Plan from the Config and Options; it reads the Kafka
// TLS files named in the Config, nothing else.
func (a *App) makePlan() (Plan, error) {
	c := a.cfg
	kcfg, err := c.KafkaClientConfig()
	if err != nil {
		return Plan{}, err
	}
	kcfg.BatchTimeout = a.opts.Tuning.WriterBatchTimeout
	topics := c.PipelineTopics()
	p := Plan{Kafka: kcfg, Codec: c.avroConfig(), SCR: c.scrConfig(a.opts.Version)}
	for _, r := range []string{"webhook", "processor", "reconciler", "archiver"} {
		if c.HasRole(r) {
			p.Roles = append(p.Roles, r)
		}
	}
	if c.Kafka.CreateTopics {
		p.Topics = c.topicSpecs()
	}
	p.Processor = connector.ProcessorConfig{ClientID: c.Postident.ClientID, PartnerMode: c.Postident.PartnerMode,
		Topics: topics, Parallelism: c.ProcessorParallelism,
		IncludeBinaryData: c.Postident.IncludeBinaryData, IncludeResultPDF: c.Postident.IncludeResultPDF,
		MaxRecordBytes: c.recordsMaxBytes(),
		Expiry:         connector.ExpiryConfig{Retention: c.ReconcileLookback, Margin: c.StateExpiryMargin},
		Coalesce:       connector.CoalesceConfig{Enabled: c.ProcessorCoalesce, Cache: c.ProcessorCoalesceCache, Min: a.opts.Tuning.CoalesceMin},
		RetryBudget:    c.ProcessorRetryBudget, ParkRetryInterval: c.ProcessorParkRetryInterval,
		Version: a.opts.Version}
	p.ProcessorGroup = c.Kafka.GroupPrefix + ".processor"
	p.FollowState = c.ProcessorFollowState
	p.Reconciler = connector.ReconcilerConfig{ClientID: c.Postident.ClientID, Topics: topics,
		Interval: c.ReconcileInterval, Lookback: c.ReconcileLookback}
	p.LeaseTopic, p.LeaseGroup = c.Topics.Lease, c.Kafka.GroupPrefix+".reconciler-lease"
	p.Archiver = connector.ArchiverConfig{Linger: c.ArchiveLinger}
	p.ArchiverTopic, p.ArchiverGroup = topics.Result, c.Kafka.GroupPrefix+".archiver"
	if c.ArchiveSourceTopic != "" {
		p.ArchiverTopic = c.ArchiveSourceTopic
	}
	w := c.Webhook
	allowed, _ := parsePrefixes(w.AllowedCIDRs) // Validate refused bad ones
	trusted, _ := parsePrefixes(w.TrustedProxies)
	p.Webhook = webhook.Config{Path: w.Path, Username: w.Username, Password: w.Password, AllowedCIDRs: allowed, TrustedProxies: trusted,
		Deadline: w.Deadline, MaxInFlight: w.MaxInFlight, RatePerSecond: w.RateLimit, AllowUnauthenticated: w.AllowUnauthenticated}
	return p, nil
}

// Plan returns what the App runs (or would run) for its Config and
// Options.
func (a *App) Plan() (Plan, error) { return a.makePlan() }
