package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// SASL mechanisms accepted in Config.SASL.Mechanism.
const (
	SASLNone        = ""
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Defaults applied by NewWriter, NewReader and the other entry points when the
// corresponding Config field is zero.
const (
	DefaultBatchTimeout    = 5 * time.Millisecond
	DefaultBatchSize       = 1000
	DefaultMaxMessageBytes = 1 << 20
	DefaultClientID        = "postident-connector"

	// dialTimeout bounds connection set-up including TLS and SASL.
	dialTimeout = 10 * time.Second
)

// SASL holds the SASL/PLAIN or SASL/SCRAM credentials.
type SASL struct {
	// Mechanism is "" (no SASL), "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	Mechanism string
	Username  string
	Password  string
}

// Config is what every adapter in this package needs to reach the cluster.
// The zero value of each optional field selects the default named in its
// comment. A Config is read, never modified, by the adapters, so one value can
// be shared.
type Config struct {
	// Brokers are the bootstrap addresses, host:port. Required.
	Brokers []string
	// ClientID is sent to the brokers for their logs and quotas.
	// Default "postident-connector".
	ClientID string
	// TLS enables TLS when non-nil. Default: plaintext.
	TLS *tls.Config
	// SASL enables SASL authentication when SASL.Mechanism is set.
	SASL SASL
	// BatchTimeout is how long the Writer waits to fill a batch before sending
	// it. Default 5ms: kafka-go's own 1s default would make every synchronous
	// Publish take a second.
	BatchTimeout time.Duration
	// BatchSize is the most messages in one produce batch per partition.
	// Default 1000.
	BatchSize int
	// MaxMessageBytes is the largest record batch the Writer sends, and so the
	// largest single message (key, value and headers). Keep it at or below the
	// broker's message.max.bytes. Default 1 MiB.
	MaxMessageBytes int
	// Logger receives kafka-go's error log lines (connection failures,
	// rebalances). They carry topics, partitions and offsets, never record
	// contents. Default: discarded.
	Logger *slog.Logger
}

// Validate reports the first configuration problem, phrased so an operator
// knows which setting to fix. It does not contact the cluster; use Ping.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers configured (set KAFKA_BROKERS to a comma separated host:port list)")
	}
	for i, b := range c.Brokers {
		// Positions, not values: a secret pasted into KAFKA_BROKERS must
		// not reach a log.
		host, port, err := net.SplitHostPort(b)
		if err != nil || host == "" {
			return fmt.Errorf("kafka: broker address %d of KAFKA_BROKERS is not host:port", i+1)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("kafka: broker address %d of KAFKA_BROKERS has an invalid port", i+1)
		}
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case SASLNone:
		if c.SASL.Username != "" || c.SASL.Password != "" {
			return errors.New("kafka: SASL username or password set without a SASL mechanism (set KAFKA_SASL_MECHANISM to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if c.SASL.Username == "" {
			return fmt.Errorf("kafka: SASL mechanism %s needs a username", c.SASL.Mechanism)
		}
	default:
		return errors.New("kafka: unknown SASL mechanism (KAFKA_SASL_MECHANISM: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
	}
	if c.BatchTimeout < 0 {
		return fmt.Errorf("kafka: batch timeout %s is negative", c.BatchTimeout)
	}
	if c.BatchSize < 0 {
		return fmt.Errorf("kafka: batch size %d is negative", c.BatchSize)
	}
	if c.MaxMessageBytes < 0 {
		return fmt.Errorf("kafka: max message bytes %d is negative", c.MaxMessageBytes)
	}
	return nil
}

// withDefaults returns c with every zero optional field set to its default.
func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return c
}

// prepare validates c and fills in defaults; every entry point starts here.
func (c Config) prepare() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c.withDefaults(), nil
}

func (c Config) mechanism() (sasl.Mechanism, error) {
	switch strings.ToUpper(c.SASL.Mechanism) {
	case SASLNone:
		return nil, nil
	case SASLPlain:
		return plain.Mechanism{Username: c.SASL.Username, Password: c.SASL.Password}, nil
	case SASLScramSHA256:
		m, err := scram.Mechanism(scram.SHA256, c.SASL.Username, c.SASL.Password)
		if err != nil {
			return nil, fmt.Errorf("kafka: sasl scram-sha-256: %w", err)
		}
		return m, nil
	case SASLScramSHA512:
		m, err := scram.Mechanism(scram.SHA512, c.SASL.Username, c.SASL.Password)
		if err != nil {
			return nil, fmt.Errorf("kafka: sasl scram-sha-512: %w", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("kafka: unknown SASL mechanism %q", c.SASL.Mechanism)
}

// transport builds the kafka-go Transport used by the Writer and the admin
// calls (Client API: negotiates the newest protocol versions both sides
// support, which is what keeps them working on Kafka 4).
func (c Config) transport() (*kafkago.Transport, error) {
	m, err := c.mechanism()
	if err != nil {
		return nil, err
	}
	return &kafkago.Transport{
		Dial:        (&net.Dialer{Timeout: dialTimeout}).DialContext,
		DialTimeout: dialTimeout,
		ClientID:    c.ClientID,
		TLS:         c.TLS,
		SASL:        m,
		// kafka-go answers "unknown topic" from this cache until it is
		// refreshed; a short TTL lets a topic created a moment ago (by
		// EnsureTopics, or another process) be written within a second.
		MetadataTTL: time.Second,
	}, nil
}

// dialer builds the kafka-go Dialer used by the connection-oriented APIs
// (Reader, ConsumerGroup, per-partition reads).
func (c Config) dialer() (*kafkago.Dialer, error) {
	m, err := c.mechanism()
	if err != nil {
		return nil, err
	}
	return &kafkago.Dialer{
		ClientID:      c.ClientID,
		Timeout:       dialTimeout,
		DualStack:     true,
		TLS:           c.TLS,
		SASLMechanism: m,
	}, nil
}

// errorLogger adapts Config.Logger to kafka-go's Logger, or returns nil.
func (c Config) errorLogger(component string) kafkago.Logger {
	return c.levelLogger(component, slog.LevelWarn)
}

// infoLogger is errorLogger for routine lines (a group's new assignment):
// they are not for an operator's attention, so a warn-level log (the
// default of `dev`) leaves them out.
func (c Config) infoLogger(component string) kafkago.Logger {
	return c.levelLogger(component, slog.LevelInfo)
}

func (c Config) levelLogger(component string, level slog.Level) kafkago.Logger {
	if c.Logger == nil {
		return nil
	}
	l := c.Logger.With("component", component)
	return kafkago.LoggerFunc(func(format string, args ...any) {
		l.LogAttrs(context.Background(), level, fmt.Sprintf(format, args...))
	})
}
