package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EnvBrokers names the environment variable that switches the tests to a real
// broker: a comma separated list of host:port.
const EnvBrokers = "KAFKA_BROKERS"

// defaultOpts configures every in-process cluster. One broker keeps the
// footprint small and matches the single-node broker of
// deploy/kafka/kafka-local.sh; three default partitions match its
// num.partitions. kfake needs nothing extra for classic consumer groups; the
// cleaner interval makes compacted topics actually compact in long-running dev
// mode (tests call Cluster.Compact directly).
func defaultOpts() []kfake.Opt {
	return []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(3),
		kfake.ClusterID("kafkatest"),
		kfake.BrokerConfigs(map[string]string{
			"log.cleaner.backoff.ms": "15000",
		}),
	}
}

// External returns the broker addresses from KAFKA_BROKERS, or nil when it is
// unset or blank.
func External() []string {
	var addrs []string
	for _, a := range strings.Split(os.Getenv(EnvBrokers), ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// Brokers returns broker addresses for a test: KAFKA_BROKERS when set, else
// those of a fresh in-process kfake cluster (one broker) that t.Cleanup
// closes. Tests on a shared real broker must use TopicName and unique group
// ids so they do not see each other's data.
func Brokers(t testing.TB) []string {
	t.Helper()
	if addrs := External(); len(addrs) > 0 {
		t.Logf("kafkatest: real broker %s", strings.Join(addrs, ","))
		return addrs
	}
	return Fake(t).ListenAddrs()
}

// Fake always starts an in-process kfake cluster (closed by t.Cleanup), for
// the few tests that need kfake-only controls such as Cluster.Compact or a
// SASL-enabled listener. opts are applied after the defaults.
func Fake(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append(defaultOpts(), opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// NewCluster starts an in-process kfake cluster (one broker on a random
// loopback port) for non-test use, such as the connector's dev mode. The
// caller must call close when done; close is safe to call more than once.
func NewCluster() (addrs []string, close func(), err error) {
	c, err := kfake.NewCluster(defaultOpts()...)
	if err != nil {
		return nil, nil, fmt.Errorf("start in-process kafka: %w", err)
	}
	return c.ListenAddrs(), c.Close, nil
}

// TopicName returns a topic name unique to this call: base, a dash and 12
// random hex digits. Invalid characters in base are replaced with '-' and base
// is shortened so the result stays a valid Kafka topic name (at most 249 of
// [a-zA-Z0-9._-]). Dots are avoided in the suffix because Kafka treats '.'
// and '_' as colliding.
func TopicName(t testing.TB, base string) string {
	t.Helper()
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("kafkatest: random topic suffix: %v", err)
	}
	return sanitize(base, 200) + "-" + hex.EncodeToString(suffix[:])
}

// GroupID returns a consumer group id unique to this call, built like
// TopicName.
func GroupID(t testing.TB, base string) string {
	t.Helper()
	return "group-" + TopicName(t, base)
}

func sanitize(s string, max int) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			b[i] = '-'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	if len(b) == 0 {
		return "test"
	}
	return string(b)
}

// Context returns a context that ends after d or when the test ends
// (t.Context), whichever comes first. When the test has a deadline (go test -timeout), the context
// ends a little before it so the test can still report what it was waiting
// for.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	if dl, ok := deadline(t); ok {
		if left := time.Until(dl) - 2*time.Second; left < d {
			d = max(left, time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func deadline(t testing.TB) (time.Time, bool) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		return d.Deadline()
	}
	return time.Time{}, false
}
