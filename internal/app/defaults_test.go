package app

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/internal/webhook"
)

// TestEnvDefaultsArePackageDefaults: a default is stated twice, as the
// env tag's default= and as what a package applies to a zero field (for
// its other callers: tests, the load tool, library use). Every env default
// with a package counterpart must equal it, so the two cannot drift; every
// other default= tag must be listed as the connector's own, so a new one
// is classified on purpose.
func TestEnvDefaultsArePackageDefaults(t *testing.T) {
	cfg, err := LoadConfigFrom(t.Context(), map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	proc := connector.ProcessorConfig{}.WithDefaults()
	rec := connector.ReconcilerConfig{}.WithDefaults()
	exp := connector.ExpiryConfig{}.WithDefaults()
	coal := connector.CoalesceConfig{}.WithDefaults()
	arc := connector.ArchiverConfig{}.WithDefaults()
	topics := connector.DefaultTopics()
	shared := []struct {
		env       string
		got, want any
	}{
		{"PROCESSOR_PARALLELISM", cfg.ProcessorParallelism, proc.Parallelism},
		{"PROCESSOR_COALESCE_CACHE", cfg.ProcessorCoalesceCache, coal.Cache},
		{"PROCESSOR_RETRY_BUDGET", cfg.ProcessorRetryBudget, proc.RetryBudget},
		{"PROCESSOR_PARK_RETRY_INTERVAL", cfg.ProcessorParkRetryInterval, proc.ParkRetryInterval},
		{"RECONCILE_INTERVAL", cfg.ReconcileInterval, rec.Interval},
		{"RECONCILE_LOOKBACK", cfg.ReconcileLookback, rec.Lookback},
		{"RECONCILE_LOOKBACK", cfg.ReconcileLookback, exp.Retention},
		{"RECONCILE_LOOKBACK", cfg.ReconcileLookback, coal.Lookback},
		{"STATE_EXPIRY_MARGIN", cfg.StateExpiryMargin, exp.Margin},
		{"ARCHIVE_LINGER", cfg.ArchiveLinger, arc.Linger},
		{"POSTIDENT_TIMEOUT", cfg.Postident.Timeout, scr.DefaultTimeout},
		{"POSTIDENT_MAX_CONNS", cfg.Postident.MaxConns, scr.DefaultMaxConns},
		{"KAFKA_CLIENT_ID", cfg.Kafka.ClientID, kafka.DefaultClientID},
		{"KAFKA_MAX_MESSAGE_BYTES", cfg.Kafka.MaxMessageBytes, kafka.DefaultMaxMessageBytes},
		{"KAFKA_MAX_MESSAGE_BYTES", cfg.Kafka.MaxMessageBytes, proc.MaxRecordBytes},
		{"WEBHOOK_PATH", cfg.Webhook.Path, webhook.DefaultPath},
		{"WEBHOOK_MAX_IN_FLIGHT", cfg.Webhook.MaxInFlight, webhook.DefaultMaxInFlight},
		{"WEBHOOK_DEADLINE", cfg.Webhook.Deadline, webhook.DefaultDeadline},
		{"TOPIC_STATUS", cfg.Topics.Status, topics.Status},
		{"TOPIC_RESULT", cfg.Topics.Result, topics.Result},
		{"TOPIC_NOTIFICATIONS", cfg.Topics.Notifications, topics.Notifications},
		{"TOPIC_STATE", cfg.Topics.State, topics.State},
		{"TOPIC_RECORDS", cfg.Topics.Records, topics.Records},
		{"TOPIC_DEAD_LETTER", cfg.Topics.DeadLetter, topics.DeadLetter},
	}
	covered := map[string]bool{}
	for _, s := range shared {
		covered[s.env] = true
		if fmt.Sprint(s.got) != fmt.Sprint(s.want) {
			t.Errorf("%s: the env default is %v, the package default %v", s.env, s.got, s.want)
		}
	}
	// The connector's own: no package applies a default for them, or the
	// package's zero value means something else on purpose (coalescing is
	// off in a zero ProcessorConfig, on in the connector; the Kafka adapter
	// needs brokers named; webhook rate limit 0 is none in both).
	own := "ADMIN_ADDR ROLES ARCHIVE_ENABLED PROCESSOR_COALESCE PROCESSOR_FOLLOW_STATE LOG_LEVEL LOG_FORMAT SHUTDOWN_TIMEOUT " +
		"POSTIDENT_BASE_URL POSTIDENT_ALLOW_INSECURE_HTTP POSTIDENT_REQUIRE_ENCRYPTION POSTIDENT_PARTNER_MODE " +
		"POSTIDENT_INCLUDE_BINARY_DATA POSTIDENT_INCLUDE_RESULT_PDF KAFKA_BROKERS KAFKA_GROUP_PREFIX KAFKA_TOPIC_PARTITIONS " +
		"KAFKA_REPLICATION_FACTOR KAFKA_CREATE_TOPICS KAFKA_RETENTION KAFKA_RESULT_RETENTION KAFKA_RECORDS_RETENTION " +
		"KAFKA_RECORDS_MAX_BYTES KAFKA_TLS_ENABLED KAFKA_TLS_INSECURE_SKIP_VERIFY KAFKA_SASL_ALLOW_PLAINTEXT " +
		"SCHEMA_REGISTRY_ALLOW_INSECURE_HTTP SCHEMA_REGISTRY_AUTO_REGISTER TOPIC_LEASE WEBHOOK_ADDR " +
		"WEBHOOK_ALLOW_UNAUTHENTICATED WEBHOOK_RATE_LIMIT"
	for _, s := range strings.Fields(own) {
		covered[s] = true
	}
	tags := envDefaults()
	if len(tags) < len(shared) {
		t.Fatalf("found %d default= tags: the walk of Config is broken", len(tags))
	}
	for _, name := range tags {
		if !covered[name] {
			t.Errorf("%s has a default= tag but is neither compared with a package default here nor listed as the connector's own", name)
		}
	}
	for name := range covered {
		if _, ok := envTypes()[name]; !ok {
			t.Errorf("%s is listed here but is no variable of Config", name)
		}
	}
}

// envDefaults lists the variables of Config whose env tag has a default.
func envDefaults() []string {
	var out []string
	walkEnv(func(name, opts string, _ reflect.StructField) {
		if strings.Contains(opts, "default=") {
			out = append(out, name)
		}
	})
	return out
}
