package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// The first run of a new user: one local broker, the README's variables and
// nothing else, help that is success, errors that name what to change.

// TestSubcommandHelpExitsZero runs the binary as a user would: every
// subcommand with --help and -h exits 0 and prints its usage on stdout, and
// `run --help` does not start anything.
func TestSubcommandHelpExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "postident-connector")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	subcommands := [][]string{{"run"}, {"dev"}, {"case"}, {"case", "get"}, {"check"}, {"backfill"},
		{"forget"}, {"schemas"}, {"schemas", "register"}, {"dead-letter"}, {"dead-letter", "list"}, {"dead-letter", "retry"},
		{"version"}, {"help"}}
	for _, sub := range subcommands {
		for _, flag := range []string{"--help", "-h"} {
			args := append(append([]string(nil), sub...), flag)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, args...)
				// Nothing configured, and a broker that does not exist: help
				// must not need either.
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "KAFKA_BROKERS=127.0.0.1:1", "HOME=" + t.TempDir()}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if ctx.Err() != nil {
					t.Fatalf("%v did not return (it ran instead of printing help)", args)
				}
				if err != nil {
					t.Fatalf("%v: %v (want exit 0)\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
				}
				out := stdout.String()
				if sub[0] == "version" {
					if !strings.Contains(out, "postident-connector") {
						t.Errorf("version %s printed %q", flag, out)
					}
					return
				}
				if !strings.Contains(strings.ToLower(out), "usage:") || !strings.Contains(out, "postident-connector") {
					t.Errorf("%v printed no usage on stdout:\n%s\nstderr: %s", args, out, stderr.String())
				}
				if sub[0] != "help" && !strings.Contains(out, sub[0]) {
					t.Errorf("%v: usage does not name the subcommand:\n%s", args, out)
				}
			})
		}
	}
	// A wrong flag is still a usage error (exit 2).
	cmd := exec.Command(bin, "backfill", "--no-such-flag")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("backfill --no-such-flag: %v, want exit 2", err)
	}
}

// TestConfigErrorNamesVariableNotValue: SECURITY.md promises that
// configuration errors name the variable, not its value. A value that does
// not parse may be a secret put in the wrong variable.
func TestConfigErrorNamesVariableNotValue(t *testing.T) {
	const secret = "S3cr3t-P4ssw0rd-xyz"
	for _, name := range []string{"KAFKA_TOPIC_PARTITIONS", "KAFKA_REPLICATION_FACTOR", "POSTIDENT_TIMEOUT",
		"KAFKA_TLS_ENABLED", "WEBHOOK_RATE_LIMIT", "RECONCILE_INTERVAL", "PROCESSOR_COALESCE"} {
		t.Run(name, func(t *testing.T) {
			_, err := app.LoadConfigFrom(context.Background(), map[string]string{name: secret})
			if err == nil {
				t.Fatalf("%s=<bad> accepted", name)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "S3cr3t") {
				t.Errorf("the error echoes the value: %v", err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("the error does not name %s: %v", name, err)
			}
		})
	}
	// Also through the real environment and NAME_FILE, as `run` reads it.
	p := filepath.Join(t.TempDir(), "partitions")
	if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAFKA_TOPIC_PARTITIONS_FILE", p)
	_, err := app.LoadConfig(context.Background())
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "KAFKA_TOPIC_PARTITIONS") {
		t.Errorf("KAFKA_TOPIC_PARTITIONS_FILE with a bad value: %v", err)
	}
}

// TestFirstRunSingleBroker: with the README's variables and no
// KAFKA_REPLICATION_FACTOR, the connector runs on a single broker (kfake, or
// the real one with KAFKA_BROKERS): the default is the broker's own
// default.replication.factor. A factor the cluster cannot hold fails with an
// error that says which variable to set, and to what.
func TestFirstRunSingleBroker(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true})
	delete(e.cfgEnv, "KAFKA_REPLICATION_FACTOR")
	delete(e.cfgEnv, "KAFKA_TOPIC_PARTITIONS")
	if rf := e.config().Kafka.ReplicationFactor; rf != -1 {
		t.Fatalf("default KAFKA_REPLICATION_FACTOR = %d, want -1 (the broker's default)", rf)
	}
	e.start()
	info, err := kafka.DescribeTopic(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_STATE"])
	if err != nil {
		t.Fatal(err)
	}
	if info.ReplicationFactor < 1 || info.Configs["cleanup.policy"] != "compact" {
		t.Errorf("state topic: replication %d, cleanup.policy %q", info.ReplicationFactor, info.Configs["cleanup.policy"])
	}
	e.stop()
	// EnsureTopics' policy check still runs on the topics created with -1:
	// an existing topic with the wrong cleanup.policy is refused.
	wrong := e.config()
	err = kafka.EnsureTopics(e.ctx, e.kcfg(), kafka.TopicSpec{Name: wrong.Topics.Status, ReplicationFactor: -1, Compact: true})
	if !errors.Is(err, kafka.ErrTopicConfig) {
		t.Errorf("EnsureTopics of an existing delete topic as compact: %v, want ErrTopicConfig", err)
	}

	// A factor larger than the cluster: the error names the variable.
	e.cfgEnv["KAFKA_REPLICATION_FACTOR"] = "7"
	e.cfgEnv["TOPIC_STATUS"] = e.cfgEnv["TOPIC_STATUS"] + "-rf7"
	cfg := e.config()
	a := app.New(cfg, slog.New(slog.NewTextHandler(testLogWriter(t), nil)), e.tel, app.Options{PrivateKey: e2eKey(t), Version: version})
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	err = a.Run(ctx)
	if err == nil {
		t.Fatal("a replication factor of 7 on a small cluster was accepted")
	}
	t.Logf("as the user sees it: %v", err)
	if !errors.Is(err, kafkago.InvalidReplicationFactor) || !strings.Contains(err.Error(), "KAFKA_REPLICATION_FACTOR=-1") {
		t.Errorf("error does not say what to set: %v", err)
	}
}

// TestPrivateKeyFilePermissions: a private key readable by group or others
// is reported by `check` (and logged at start) with the variable's name and
// the mode; 0600 passes quietly. It is a warning, not a refusal: Kubernetes
// secret volumes need 0440 with an fsGroup for a non-root container.
func TestPrivateKeyFilePermissions(t *testing.T) {
	e := newE2E(t, envOpts{noStart: true})
	key := e.cfgEnv["POSTIDENT_PRIVATE_KEY_FILE"]
	out, err := e.cli("check")
	if err != nil || strings.Contains(out, "WARN") {
		t.Fatalf("check with a 0600 key: %v\n%s", err, out)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(key, mode); err != nil {
			t.Fatal(err)
		}
		out, err := e.cli("check")
		if err != nil {
			t.Fatalf("check with a %04o key: %v\n%s", mode, err, out)
		}
		if !strings.Contains(out, "WARN  key file") || !strings.Contains(out, "POSTIDENT_PRIVATE_KEY_FILE") || !strings.Contains(out, fmt.Sprintf("%04o", mode)) {
			t.Errorf("check with a %04o key does not warn:\n%s", mode, out)
		}
		if w := app.KeyFileWarning(key); w == "" || !strings.Contains(w, "chmod") {
			t.Errorf("app.KeyFileWarning(%04o) = %q", mode, w)
		}
	}
	// The running connector logs the same warning.
	var logs syncBuffer
	e.startLogged(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	e.stop()
	if !strings.Contains(logs.String(), "POSTIDENT_PRIVATE_KEY_FILE") {
		t.Errorf("no warning logged at start:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the connector's goroutines to log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
