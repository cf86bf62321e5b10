package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// Config is the connector's configuration, read from the environment. Every
// variable can also be read from a file named by NAME_FILE (for secrets
// mounted as files); NAME itself wins when both are set.
type Config struct {
	Postident PostidentConfig
	Kafka     KafkaConfig
	Registry  RegistryConfig
	Topics    TopicsConfig
	Webhook   WebhookConfig

	// AdminAddr serves /healthz, /readyz and /metrics; default ":9090".
	AdminAddr string `env:"ADMIN_ADDR, default=:9090"`
	// Roles to run: webhook, processor, reconciler, archiver; default all.
	Roles []string `env:"ROLES, default=webhook,processor,reconciler,archiver"`
	// ReconcileInterval between reconcile runs; default 5m.
	ReconcileInterval time.Duration `env:"RECONCILE_INTERVAL, default=5m"`
	// ReconcileLookback is how far back (by creation date) the reconciler
	// lists; default 150 days (3600h), POSTIDENT's longest retention.
	ReconcileLookback time.Duration `env:"RECONCILE_LOOKBACK, default=3600h"`
	// StateExpiryMargin is added to RECONCILE_LOOKBACK (POSTIDENT's
	// retention) before a state entry whose case did not change for that
	// long is expired with a tombstone; default 30 days (720h).
	StateExpiryMargin time.Duration `env:"STATE_EXPIRY_MARGIN, default=720h"`
	// ArchiveEnabled turns the archiver role on; default true.
	ArchiveEnabled bool `env:"ARCHIVE_ENABLED, default=true"`
	// ArchiveSourceTopic, when set, makes the archiver wait for downstream
	// acknowledgements on this topic instead of reading the result topic.
	ArchiveSourceTopic string `env:"ARCHIVE_SOURCE_TOPIC"`
	// ArchiveLinger is how long a partial archive batch waits; default 2s.
	ArchiveLinger time.Duration `env:"ARCHIVE_LINGER, default=2s"`
	// ProcessorParallelism bounds concurrent POSTIDENT fetches; default 8.
	ProcessorParallelism int `env:"PROCESSOR_PARALLELISM, default=8"`
	// ProcessorCoalesce fetches bursts of closed cases with list calls (one
	// decryption for up to 1000 cases) instead of one GET each; default
	// true. Off, without error, in partner mode and with
	// POSTIDENT_INCLUDE_BINARY_DATA or POSTIDENT_INCLUDE_RESULT_PDF (lists
	// carry no binaries).
	ProcessorCoalesce bool `env:"PROCESSOR_COALESCE, default=true"`
	// ProcessorFollowState runs the processor on kafka.GroupSubscriber:
	// every replica follows the state topic and takes over a partition
	// only after reading what its previous owner wrote (no repeats on
	// rolling restarts; state expiry needs it). Off, the state is read
	// once at start: restarts do not re-emit, a rebalance
	// between replicas may (same ids), and nothing expires.
	ProcessorFollowState bool `env:"PROCESSOR_FOLLOW_STATE, default=true"`
	// ProcessorCoalesceCache is how many listed closed cases that no
	// notification asked for yet the processor keeps for its next batches;
	// default 5000 (about 8 KiB each).
	ProcessorCoalesceCache int `env:"PROCESSOR_COALESCE_CACHE, default=5000"`
	// ProcessorRetryBudget is how long the processor retries a case that
	// fails for a transient reason while the other cases of its batch go
	// through, before parking it on TOPIC_DEAD_LETTER as "transient" (and
	// fetching it again with backoff, from 30s up to
	// PROCESSOR_PARK_RETRY_INTERVAL); default 5s, so that only that case
	// waits. During a POSTIDENT outage (no case goes through) nothing is
	// parked and the batch waits.
	ProcessorRetryBudget time.Duration `env:"PROCESSOR_RETRY_BUDGET, default=5s"`
	// ProcessorParkRetryInterval is how long a parked case is left alone
	// before a notification fetches it again (a "transient" one: with
	// backoff, from 30s up to this); a changed `modified` or `dead-letter
	// retry` fetches it at once; default 1h.
	ProcessorParkRetryInterval time.Duration `env:"PROCESSOR_PARK_RETRY_INTERVAL, default=1h"`
	// LogLevel is debug, info, warn or error; default info.
	LogLevel string `env:"LOG_LEVEL, default=info"`
	// LogFormat is json or text; default json.
	LogFormat string `env:"LOG_FORMAT, default=json"`
	// ShutdownTimeout bounds a graceful shutdown; default 20s.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT, default=20s"`
}

// PostidentConfig is the SCR-Ident account.
type PostidentConfig struct {
	// BaseURL up to and including /api/scr/v1; default production.
	BaseURL  string `env:"POSTIDENT_BASE_URL, default=https://postident.deutschepost.de/api/scr/v1"`
	ClientID string `env:"POSTIDENT_CLIENT_ID"`
	Username string `env:"POSTIDENT_USERNAME"`
	Password string `env:"POSTIDENT_PASSWORD"`
	// PrivateKeyFile is the RSA private key (PEM, PKCS#1 or PKCS#8) whose
	// public half POSTIDENT encrypts results with.
	PrivateKeyFile string `env:"POSTIDENT_PRIVATE_KEY_FILE"`
	// DataPassword keys the x-scr-keyhash HMAC.
	DataPassword string `env:"POSTIDENT_DATA_PASSWORD"`
	// AllowInsecureHTTP permits an http:// POSTIDENT_BASE_URL that is not on
	// loopback (a simulator in another container). Off by default: the API
	// login and, without encryption, personal data would travel in clear.
	AllowInsecureHTTP bool `env:"POSTIDENT_ALLOW_INSECURE_HTTP, default=false"`
	// RequireEncryption: "true", "false" or "auto" (default): auto requires
	// encryption everywhere but on the integration host and loopback.
	RequireEncryption string `env:"POSTIDENT_REQUIRE_ENCRYPTION, default=auto"`
	// PartnerMode reads status only and emits status events only (guide 9).
	PartnerMode bool `env:"POSTIDENT_PARTNER_MODE, default=false"`
	// Timeout per HTTP attempt; default 10s.
	Timeout time.Duration `env:"POSTIDENT_TIMEOUT, default=10s"`
	// MaxConns bounds connections to POSTIDENT; default 16.
	MaxConns int `env:"POSTIDENT_MAX_CONNS, default=16"`
	// IncludeBinaryData fetches images with each result and publishes them
	// to TOPIC_RECORDS; default false (personal data: enable deliberately).
	IncludeBinaryData bool `env:"POSTIDENT_INCLUDE_BINARY_DATA, default=false"`
	// IncludeResultPDF fetches the result PDF with each result and
	// publishes it to TOPIC_RECORDS; default false.
	IncludeResultPDF bool `env:"POSTIDENT_INCLUDE_RESULT_PDF, default=false"`
}

// KafkaConfig is the Kafka cluster.
type KafkaConfig struct {
	// Brokers is a comma list of host:port; default localhost:9092.
	Brokers  []string `env:"KAFKA_BROKERS, default=localhost:9092"`
	ClientID string   `env:"KAFKA_CLIENT_ID, default=postident-connector"`
	// GroupPrefix names the consumer groups: PREFIX.processor,
	// PREFIX.archiver, PREFIX.reconciler-lease; default postident-connector.
	GroupPrefix string `env:"KAFKA_GROUP_PREFIX, default=postident-connector"`
	// Partitions of topics the connector creates; default 6.
	Partitions int `env:"KAFKA_TOPIC_PARTITIONS, default=6"`
	// ReplicationFactor of topics the connector creates; default -1: the
	// broker's default.replication.factor (CreateTopics since Kafka 2.4,
	// KIP-464), so a single local broker works without setting anything
	// and a production cluster uses the replication its operators chose.
	// 1 in dev mode.
	ReplicationFactor int `env:"KAFKA_REPLICATION_FACTOR, default=-1"`
	// CreateTopics creates missing topics on start; default true.
	CreateTopics bool `env:"KAFKA_CREATE_TOPICS, default=true"`
	// Retention of the status and notification topics; default 7 days.
	Retention time.Duration `env:"KAFKA_RETENTION, default=168h"`
	// ResultRetention, when set, gives a result topic the connector creates
	// cleanup.policy=compact,delete with this retention.ms; default none
	// (compacted, kept for replays).
	ResultRetention time.Duration `env:"KAFKA_RESULT_RETENTION, default=0s"`
	// RecordsRetention of the binary records topic (delete policy: several
	// files share a caseId key, so it cannot be compacted); default 7 days.
	RecordsRetention time.Duration `env:"KAFKA_RECORDS_RETENTION, default=168h"`
	// MaxMessageBytes is the largest record the brokers take (their
	// message.max.bytes); larger binary records are reported and skipped.
	// Default 1048576.
	MaxMessageBytes int `env:"KAFKA_MAX_MESSAGE_BYTES, default=1048576"`
	// RecordsMaxBytes caps a binary record below KAFKA_MAX_MESSAGE_BYTES
	// (0: no cap of its own); larger files are reported and skipped.
	RecordsMaxBytes int `env:"KAFKA_RECORDS_MAX_BYTES, default=0"`

	TLSEnabled            bool   `env:"KAFKA_TLS_ENABLED, default=false"`
	TLSCAFile             string `env:"KAFKA_TLS_CA_FILE"`
	TLSCertFile           string `env:"KAFKA_TLS_CERT_FILE"`
	TLSKeyFile            string `env:"KAFKA_TLS_KEY_FILE"`
	TLSInsecureSkipVerify bool   `env:"KAFKA_TLS_INSECURE_SKIP_VERIFY, default=false"`

	// SASLMechanism is "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	SASLMechanism string `env:"KAFKA_SASL_MECHANISM"`
	SASLUsername  string `env:"KAFKA_SASL_USERNAME"`
	SASLPassword  string `env:"KAFKA_SASL_PASSWORD"`
	// SASLAllowPlaintext lets SASL PLAIN send its password over a connection
	// without TLS. Off by default: PLAIN puts the password on the wire as is.
	SASLAllowPlaintext bool `env:"KAFKA_SASL_ALLOW_PLAINTEXT, default=false"`
}

// RegistryConfig is the optional Confluent-compatible schema registry.
type RegistryConfig struct {
	// URL of the registry; empty: Avro single-object encoding, no registry.
	URL      string `env:"SCHEMA_REGISTRY_URL"`
	Username string `env:"SCHEMA_REGISTRY_USERNAME"`
	Password string `env:"SCHEMA_REGISTRY_PASSWORD"`
	// AllowInsecureHTTP lets credentials go to an http:// registry that is
	// not on loopback. Off by default: Basic auth over http is readable.
	AllowInsecureHTTP bool `env:"SCHEMA_REGISTRY_ALLOW_INSECURE_HTTP, default=false"`
	// AutoRegister registers the schemas on first use; default true.
	AutoRegister bool `env:"SCHEMA_REGISTRY_AUTO_REGISTER, default=true"`
}

// TopicsConfig names the topics.
type TopicsConfig struct {
	Status        string `env:"TOPIC_STATUS, default=postident.case-status-changed.v1"`
	Result        string `env:"TOPIC_RESULT, default=postident.case-result.v1"`
	Notifications string `env:"TOPIC_NOTIFICATIONS, default=postident.notifications.v1"`
	State         string `env:"TOPIC_STATE, default=postident.case-state.v1"`
	Records       string `env:"TOPIC_RECORDS, default=postident.case-records.v1"`
	// DeadLetter holds the parked cases (compacted, key caseId).
	DeadLetter string `env:"TOPIC_DEAD_LETTER, default=postident.case-dead-letter.v1"`
	// Lease is the one-partition topic whose consumer group elects the
	// single active reconciler.
	Lease string `env:"TOPIC_LEASE, default=postident.reconciler-lease.v1"`
}

// WebhookConfig is the POSTIDENT-facing ingress.
type WebhookConfig struct {
	Addr     string `env:"WEBHOOK_ADDR, default=:8080"`
	Path     string `env:"WEBHOOK_PATH, default=/postident/webhook"`
	Username string `env:"WEBHOOK_USERNAME"`
	Password string `env:"WEBHOOK_PASSWORD"`
	// AllowUnauthenticated lets the webhook run without Basic auth outside
	// dev mode; default false.
	AllowUnauthenticated bool `env:"WEBHOOK_ALLOW_UNAUTHENTICATED, default=false"`
	// AllowedCIDRs limits source addresses; empty allows any. POSTIDENT's
	// production senders: 165.72.200.13/32,199.40.127.49/32,156.137.9.65/32.
	AllowedCIDRs []string `env:"WEBHOOK_ALLOWED_CIDRS"`
	// TrustedProxies whose X-Forwarded-For is believed.
	TrustedProxies []string `env:"WEBHOOK_TRUSTED_PROXIES"`
	TLSCertFile    string   `env:"WEBHOOK_TLS_CERT_FILE"`
	TLSKeyFile     string   `env:"WEBHOOK_TLS_KEY_FILE"`
	// MaxInFlight webhooks before shedding load with 503; default 1024.
	MaxInFlight int `env:"WEBHOOK_MAX_IN_FLIGHT, default=1024"`
	// RateLimit per second (0: none) before answering 429.
	RateLimit float64 `env:"WEBHOOK_RATE_LIMIT, default=0"`
	// Deadline for Kafka to acknowledge before answering 503; default 1.5s.
	Deadline time.Duration `env:"WEBHOOK_DEADLINE, default=1500ms"`
}

// fileLookuper reads NAME from the environment, or else the file named by
// NAME_FILE, so secrets can be mounted as files.
type fileLookuper struct{ errs *[]error }

func (l fileLookuper) Lookup(key string) (string, bool) {
	if v, ok := os.LookupEnv(key); ok {
		return v, true
	}
	path, ok := os.LookupEnv(key + "_FILE")
	if !ok || path == "" {
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		*l.errs = append(*l.errs, fmt.Errorf("%s_FILE: %w", key, err))
		return "", false
	}
	return strings.TrimRight(string(b), "\r\n"), true
}

// LoadConfig reads the configuration from the environment.
func LoadConfig(ctx context.Context) (*Config, error) {
	var errs []error
	return loadConfig(ctx, fileLookuper{&errs}, &errs)
}

// LoadConfigFrom reads the configuration from a map (tests).
func LoadConfigFrom(ctx context.Context, env map[string]string) (*Config, error) {
	var errs []error
	return loadConfig(ctx, envconfig.MapLookuper(env), &errs)
}

func loadConfig(ctx context.Context, l envconfig.Lookuper, errsp *[]error) (*Config, error) {
	var cfg Config
	if err := processEnv(ctx, &cfg, l); err != nil {
		return nil, err
	}
	if len(*errsp) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(*errsp...))
	}
	return &cfg, nil
}

// hasRole reports whether role is enabled.
func (c *Config) HasRole(role string) bool {
	for _, r := range c.Roles {
		if strings.EqualFold(strings.TrimSpace(r), role) {
			return role != "archiver" || c.ArchiveEnabled
		}
	}
	return false
}

var knownRoles = map[string]bool{"webhook": true, "processor": true, "reconciler": true, "archiver": true}

// Validate checks the configuration and says what to change.
func (c *Config) Validate(devMode bool) error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for i, r := range c.Roles {
		if !knownRoles[strings.ToLower(strings.TrimSpace(r))] {
			// The position, not the value: a secret pasted into the wrong
			// variable must not reach a log.
			add("ROLES: entry %d is not a role (use webhook, processor, reconciler, archiver)", i+1)
		}
	}
	if c.Postident.ClientID == "" {
		add("POSTIDENT_CLIENT_ID is required (the client id Deutsche Post gave you, e.g. 1234ABCD)")
	}
	if c.Postident.Username == "" || c.Postident.Password == "" {
		add("POSTIDENT_USERNAME and POSTIDENT_PASSWORD are required (the SCR-Ident API credentials)")
	}
	if u, err := url.Parse(c.Postident.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("POSTIDENT_BASE_URL must be an absolute http(s) URL up to and including /api/scr/v1")
	} else if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) && !c.Postident.AllowInsecureHTTP && !devMode {
		add("POSTIDENT_BASE_URL is http:// to %s: the API login would travel in clear; use https, or set POSTIDENT_ALLOW_INSECURE_HTTP=true for a simulator on a private network", u.Hostname())
	}
	switch strings.ToLower(c.Postident.RequireEncryption) {
	case "auto", "true", "false":
	default:
		add("POSTIDENT_REQUIRE_ENCRYPTION must be auto, true or false")
	}
	if c.RequireEncryption() && c.Postident.PrivateKeyFile == "" {
		add("POSTIDENT_PRIVATE_KEY_FILE is required: POSTIDENT encrypts results in production (set POSTIDENT_REQUIRE_ENCRYPTION=false only for an integration environment without encryption)")
	}
	if c.Postident.PrivateKeyFile != "" && c.Postident.DataPassword == "" {
		add("POSTIDENT_DATA_PASSWORD is required with POSTIDENT_PRIVATE_KEY_FILE (it keys the x-scr-keyhash header)")
	}
	if c.Postident.PartnerMode && (c.Postident.IncludeBinaryData || c.Postident.IncludeResultPDF) {
		add("POSTIDENT_PARTNER_MODE=true reads status only: partner accounts get no results, images or PDFs; unset POSTIDENT_INCLUDE_BINARY_DATA and POSTIDENT_INCLUDE_RESULT_PDF")
	}
	if c.Postident.PartnerMode && c.ArchiveEnabled && c.HasRole("archiver") {
		add("POSTIDENT_PARTNER_MODE=true reads status only: partner accounts cannot archive, set ARCHIVE_ENABLED=false or remove archiver from ROLES")
	}
	if len(c.Kafka.Brokers) == 0 && !devMode {
		add("KAFKA_BROKERS is required (comma list of host:port)")
	}
	switch strings.ToUpper(c.Kafka.SASLMechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		add("KAFKA_SASL_MECHANISM must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}
	if strings.EqualFold(c.Kafka.SASLMechanism, "PLAIN") && !c.Kafka.TLSEnabled && !c.Kafka.SASLAllowPlaintext && !devMode {
		add("KAFKA_SASL_MECHANISM=PLAIN without KAFKA_TLS_ENABLED=true would send the Kafka password in clear: enable TLS, use SCRAM-SHA-512, or set KAFKA_SASL_ALLOW_PLAINTEXT=true")
	}
	if u, err := url.Parse(c.Registry.URL); c.Registry.URL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		add("SCHEMA_REGISTRY_URL must be an absolute http(s) URL")
	} else if c.Registry.URL != "" && u.Scheme == "http" && (c.Registry.Username != "" || c.Registry.Password != "") && !isLoopbackHost(u.Hostname()) && !c.Registry.AllowInsecureHTTP && !devMode {
		add("SCHEMA_REGISTRY_URL is http:// to %s with SCHEMA_REGISTRY_USERNAME/PASSWORD: the credentials would travel in clear; use https, or set SCHEMA_REGISTRY_ALLOW_INSECURE_HTTP=true", u.Hostname())
	}
	if !devMode && c.HasRole("webhook") && c.Webhook.Username == "" && !c.Webhook.AllowUnauthenticated {
		add("WEBHOOK_USERNAME and WEBHOOK_PASSWORD are required so that only POSTIDENT can call the webhook (configure the same Basic auth for your client id at POSTIDENT), or set WEBHOOK_ALLOW_UNAUTHENTICATED=true to accept anyone")
	}
	if _, err := parsePrefixes(c.Webhook.AllowedCIDRs); err != nil {
		add("WEBHOOK_ALLOWED_CIDRS: %v", err)
	}
	if _, err := parsePrefixes(c.Webhook.TrustedProxies); err != nil {
		add("WEBHOOK_TRUSTED_PROXIES: %v", err)
	}
	if (c.Webhook.TLSCertFile == "") != (c.Webhook.TLSKeyFile == "") {
		add("WEBHOOK_TLS_CERT_FILE and WEBHOOK_TLS_KEY_FILE go together")
	}
	if c.Kafka.ReplicationFactor < -1 || c.Kafka.ReplicationFactor == 0 || c.Kafka.ReplicationFactor > 32767 {
		add("KAFKA_REPLICATION_FACTOR must be -1 (the broker's default.replication.factor) or a number of replicas from 1 to the number of brokers")
	}
	if c.ReconcileInterval < time.Second {
		add("RECONCILE_INTERVAL must be at least 1s")
	}
	if c.StateExpiryMargin < time.Hour {
		add("STATE_EXPIRY_MARGIN must be at least 1h (default 720h): it is added to RECONCILE_LOOKBACK before an unchanged case's state expires")
	}
	if c.Kafka.ResultRetention < 0 {
		add("KAFKA_RESULT_RETENTION must be 0 (compacted, kept for replays) or a positive duration such as 2160h")
	}
	return errors.Join(errs...)
}

// requireEncryption resolves POSTIDENT_REQUIRE_ENCRYPTION=auto: only the
// integration host and loopback may answer in plain JSON.
func (c *Config) RequireEncryption() bool {
	switch strings.ToLower(c.Postident.RequireEncryption) {
	case "true":
		return true
	case "false":
		return false
	}
	u, err := url.Parse(c.Postident.BaseURL)
	if err != nil {
		return true
	}
	host := u.Hostname()
	return host != "postident-itu.deutschepost.de" && !isLoopbackHost(host)
}

// isLoopbackHost reports whether host names this machine: localhost or a
// loopback address. Names are not resolved: a name that resolves to
// loopback is still treated as remote.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("entry %d is not an address or CIDR", i+1)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("entry %d is not a CIDR", i+1)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// topics maps the configuration to the pipeline's topic names.
func (c *Config) PipelineTopics() connector.Topics {
	return connector.Topics{Status: c.Topics.Status, Result: c.Topics.Result, Notifications: c.Topics.Notifications, State: c.Topics.State, Records: c.Topics.Records,
		DeadLetter: c.Topics.DeadLetter}
}

// recordsMaxBytes is the largest binary record to publish.
func (c *Config) recordsMaxBytes() int {
	if c.Kafka.RecordsMaxBytes > 0 && c.Kafka.RecordsMaxBytes < c.Kafka.MaxMessageBytes {
		return c.Kafka.RecordsMaxBytes
	}
	return c.Kafka.MaxMessageBytes
}

// kafkaConfig builds the Kafka client configuration.
func (c *Config) KafkaClientConfig() (kafka.Config, error) {
	tlsCfg, err := c.kafkaTLS()
	if err != nil {
		return kafka.Config{}, err
	}
	k := kafka.Config{Brokers: c.Kafka.Brokers, ClientID: c.Kafka.ClientID, TLS: tlsCfg, MaxMessageBytes: c.Kafka.MaxMessageBytes}
	k.SASL.Mechanism = strings.ToUpper(c.Kafka.SASLMechanism)
	k.SASL.Username, k.SASL.Password = c.Kafka.SASLUsername, c.Kafka.SASLPassword
	return k, nil
}

// kafkaTLS builds the TLS configuration for Kafka, or nil when off.
func (c *Config) kafkaTLS() (*tls.Config, error) {
	k := c.Kafka
	if !k.TLSEnabled {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: k.TLSInsecureSkipVerify} //nolint:gosec // opt-in by the operator, documented
	if k.TLSCAFile != "" {
		pem, err := os.ReadFile(k.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("KAFKA_TLS_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("KAFKA_TLS_CA_FILE holds no PEM certificate")
		}
		t.RootCAs = pool
	}
	if k.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(k.TLSCertFile, k.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("KAFKA_TLS_CERT_FILE/KAFKA_TLS_KEY_FILE: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}
