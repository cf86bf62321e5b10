package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// runRefused runs an App on e's configuration with env on top and returns
// the error it stops with; it fails the test if the App starts instead.
func (e *e2eEnv) runRefused(env map[string]string) error {
	e.t.Helper()
	merged := map[string]string{}
	for k, v := range e.cfgEnv {
		merged[k] = v
	}
	for k, v := range env {
		merged[k] = v
	}
	cfg, err := app.LoadConfigFrom(e.ctx, merged)
	if err != nil {
		e.t.Fatal(err)
	}
	a := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, app.Options{PrivateKey: e2eKey(e.t), Version: version})
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-a.Started():
		cancel()
		<-done
		e.t.Fatal("the connector started")
	}
	return nil
}

// TestPartitionAlignmentRefused: the processor refuses a state topic whose
// partition count differs from the notifications topic's, and says what to
// do in either direction; equal counts start.
func TestPartitionAlignmentRefused(t *testing.T) {
	for _, tc := range []struct {
		name          string
		notes, states int
		want          []string
	}{
		{"fewer notification partitions", 2, 3, []string{"has 2 partitions", "has 3", "kafka-topics.sh --alter --topic", "--partitions 3"}},
		{"fewer state partitions", 3, 2, []string{"has 3 partitions", "has 2", "Do not add partitions", "with 3 partitions", "TOPIC_STATE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newE2E(t, envOpts{noStart: true, roles: "processor"})
			if err := kafka.EnsureTopics(e.ctx, e.kcfg(),
				kafka.TopicSpec{Name: e.cfgEnv["TOPIC_NOTIFICATIONS"], Partitions: tc.notes, ReplicationFactor: 1},
				kafka.TopicSpec{Name: e.cfgEnv["TOPIC_STATE"], Partitions: tc.states, ReplicationFactor: 1, Compact: true}); err != nil {
				t.Fatal(err)
			}
			err := e.runRefused(nil)
			if err == nil {
				t.Fatal("a misaligned state topic was accepted")
			}
			for _, w := range append(tc.want, e.cfgEnv["TOPIC_NOTIFICATIONS"], e.cfgEnv["TOPIC_STATE"]) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
	t.Run("aligned", func(t *testing.T) {
		e := newE2E(t, envOpts{noStart: true, roles: "processor"})
		if err := kafka.EnsureTopics(e.ctx, e.kcfg(),
			kafka.TopicSpec{Name: e.cfgEnv["TOPIC_NOTIFICATIONS"], Partitions: 2, ReplicationFactor: 1},
			kafka.TopicSpec{Name: e.cfgEnv["TOPIC_STATE"], Partitions: 2, ReplicationFactor: 1, Compact: true}); err != nil {
			t.Fatal(err)
		}
		e.start()
	})
}

// TestResultRetentionOption: KAFKA_RESULT_RETENTION creates the result topic
// with cleanup.policy=compact,delete and that retention.ms; without it the
// topic is compacted only, and a connector configured the other way round
// than the existing topic refuses to start and names the fix.
func TestResultRetentionOption(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true, roles: "processor", env: map[string]string{"KAFKA_RESULT_RETENTION": "2160h"}})
	e.start()
	info, err := kafka.DescribeTopic(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_RESULT"])
	if err != nil {
		t.Fatal(err)
	}
	if p := info.Configs["cleanup.policy"]; !samePolicySet(p, "compact,delete") {
		t.Errorf("cleanup.policy %q, want compact,delete", p)
	}
	if r := info.Configs["retention.ms"]; r != "7776000000" {
		t.Errorf("retention.ms %q, want 7776000000 (90 days)", r)
	}
	e.stop()
	err = e.runRefused(map[string]string{"KAFKA_RESULT_RETENTION": "0s"})
	if err == nil || !strings.Contains(err.Error(), "want compact") || !strings.Contains(err.Error(), "kafka-configs") {
		t.Errorf("a compact,delete result topic without KAFKA_RESULT_RETENTION: %v", err)
	}

	plain := newE2E(t, envOpts{noStart: true, roles: "processor"})
	plain.start()
	info, err = kafka.DescribeTopic(plain.ctx, plain.kcfg(), plain.cfgEnv["TOPIC_RESULT"])
	if err != nil {
		t.Fatal(err)
	}
	if p := info.Configs["cleanup.policy"]; p != "compact" {
		t.Errorf("default result topic cleanup.policy %q, want compact", p)
	}
	plain.stop()
	err = plain.runRefused(map[string]string{"KAFKA_RESULT_RETENTION": "2160h"})
	if err == nil || !strings.Contains(err.Error(), "want compact,delete") {
		t.Errorf("KAFKA_RESULT_RETENTION on a compact-only result topic: %v", err)
	}
}

func samePolicySet(a, b string) bool {
	norm := func(s string) string {
		parts := strings.Split(strings.ReplaceAll(s, " ", ""), ",")
		if len(parts) == 2 && parts[0] > parts[1] {
			parts[0], parts[1] = parts[1], parts[0]
		}
		return strings.Join(parts, ",")
	}
	return norm(a) == norm(b)
}
