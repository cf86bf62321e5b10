package kafkatest

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

var validTopic = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

func TestTopicName(t *testing.T) {
	tests := []struct {
		name, base, prefix string
	}{
		{"plain", "notifications", "notifications-"},
		{"dots kept", "postident.case-state.v1", "postident.case-state.v1-"},
		{"invalid chars replaced", "a b/c:d", "a-b-c-d-"},
		{"subtest name", t.Name() + "/sub", "TestTopicName-sub-"},
		{"empty", "", "test-"},
		{"long", strings.Repeat("x", 400), strings.Repeat("x", 200) + "-"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 {
				got := TopicName(t, tt.base)
				if !validTopic.MatchString(got) || !strings.HasPrefix(got, tt.prefix) {
					t.Fatalf("TopicName(%q) = %q", tt.base, got)
				}
				if seen[got] {
					t.Fatalf("TopicName repeated %q", got)
				}
				seen[got] = true
			}
		})
	}
	if g := GroupID(t, "x"); !strings.HasPrefix(g, "group-x-") {
		t.Fatalf("GroupID = %q", g)
	}
}

func dial(t *testing.T, addrs []string) {
	t.Helper()
	if len(addrs) == 0 {
		t.Fatal("no addresses")
	}
	c, err := net.DialTimeout("tcp", addrs[0], 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addrs[0], err)
	}
	c.Close()
}

func TestBrokers(t *testing.T) {
	t.Setenv(EnvBrokers, "")
	addrs := Brokers(t)
	dial(t, addrs)

	t.Setenv(EnvBrokers, " h1:9092, ,h2:9093 ")
	if got := Brokers(t); strings.Join(got, ",") != "h1:9092,h2:9093" {
		t.Fatalf("Brokers with KAFKA_BROKERS = %v", got)
	}
}

func TestNewCluster(t *testing.T) {
	addrs, closeFn, err := NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	dial(t, addrs)
	closeFn()
	closeFn() // safe twice
	if c, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
		c.Close()
		t.Fatal("cluster still listening after close")
	}
}

func TestContext(t *testing.T) {
	ctx := Context(t, time.Hour)
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) > time.Hour {
		t.Fatalf("deadline %v, %v", dl, ok)
	}
	short := Context(t, time.Millisecond)
	<-short.Done()
	if short.Err() != context.DeadlineExceeded {
		t.Fatalf("Err = %v", short.Err())
	}
}
