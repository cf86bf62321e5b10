package kafka

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Brokers: []string{"127.0.0.1:9092"}}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string // substring; "" means valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"several brokers", func(c *Config) { c.Brokers = []string{"a:1", "b.example:9093", "[::1]:9092"} }, ""},
		{"no brokers", func(c *Config) { c.Brokers = nil }, "KAFKA_BROKERS"},
		{"broker without port", func(c *Config) { c.Brokers = []string{"localhost"} }, "not host:port"},
		{"broker with bad port", func(c *Config) { c.Brokers = []string{"localhost:x"} }, "invalid port"},
		{"broker without host", func(c *Config) { c.Brokers = []string{":9092"} }, "not host:port"},
		{"plain", func(c *Config) { c.SASL = SASL{Mechanism: "PLAIN", Username: "u", Password: "p"} }, ""},
		{"scram lower case", func(c *Config) { c.SASL = SASL{Mechanism: "scram-sha-512", Username: "u", Password: "p"} }, ""},
		{"sasl without user", func(c *Config) { c.SASL = SASL{Mechanism: "SCRAM-SHA-256"} }, "needs a username"},
		{"unknown mechanism", func(c *Config) { c.SASL = SASL{Mechanism: "GSSAPI", Username: "u"} }, "unknown SASL mechanism"},
		{"credentials without mechanism", func(c *Config) { c.SASL = SASL{Username: "u", Password: "p"} }, "without a SASL mechanism"},
		{"negative batch timeout", func(c *Config) { c.BatchTimeout = -time.Second }, "negative"},
		{"negative batch size", func(c *Config) { c.BatchSize = -1 }, "negative"},
		{"negative max message bytes", func(c *Config) { c.MaxMessageBytes = -1 }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Brokers: []string{"127.0.0.1:9092"}}.withDefaults()
	if c.BatchTimeout != 5*time.Millisecond || c.BatchSize != 1000 || c.MaxMessageBytes != 1<<20 || c.ClientID != DefaultClientID {
		t.Fatalf("defaults = %+v", c)
	}
	set := Config{Brokers: []string{"h:1"}, BatchTimeout: time.Second, BatchSize: 7, MaxMessageBytes: 99, ClientID: "x"}.withDefaults()
	if set.BatchTimeout != time.Second || set.BatchSize != 7 || set.MaxMessageBytes != 99 || set.ClientID != "x" {
		t.Fatalf("explicit values overwritten: %+v", set)
	}
}

func TestReaderConfigValidate(t *testing.T) {
	base := ReaderConfig{Config: Config{Brokers: []string{"h:1"}}, GroupID: "g", Topic: "t"}
	tests := []struct {
		name    string
		mutate  func(*ReaderConfig)
		wantErr string
	}{
		{"single topic", func(*ReaderConfig) {}, ""},
		{"topics list", func(c *ReaderConfig) { c.Topic, c.Topics = "", []string{"a", "b"} }, ""},
		{"no group", func(c *ReaderConfig) { c.GroupID = "" }, "group id"},
		{"no topic", func(c *ReaderConfig) { c.Topic = "" }, "at least one topic"},
		{"bad topic", func(c *ReaderConfig) { c.Topic = "a b" }, "invalid topic name"},
		{"bad start", func(c *ReaderConfig) { c.StartOffset = 7 }, "start offset"},
		{"negative wait", func(c *ReaderConfig) { c.MaxWait = -1 }, "negative"},
		{"bad base config", func(c *ReaderConfig) { c.Brokers = nil }, "no brokers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
	d := base.withDefaults()
	if d.MaxWait != DefaultFetchMaxWait || d.MinBytes != 1 || d.MaxBytes != 1<<20 || d.SessionTimeout != 6*time.Second || d.RebalanceTimeout != 3*time.Second {
		t.Fatalf("reader defaults = %+v", d)
	}
}
