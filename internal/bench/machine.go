package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPUs       int
	CPUModel   string
	MemTotal   string
	Kernel     string
	GoVersion  string
	Brokers    string
	Kafka      string // version guessed from the broker's ApiVersions
	LoadBefore string // /proc/loadavg when the run started: other load skews figures
}

// DescribeMachine gathers the machine description; the Kafka version is
// guessed from the ApiVersions the broker advertises (franz-go kversion).
func DescribeMachine(ctx context.Context, brokers []string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Brokers: strings.Join(brokers, ",")}
	m.CPUModel = firstField("/proc/cpuinfo", "model name")
	m.MemTotal = firstField("/proc/meminfo", "MemTotal")
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.LoadBefore = LoadAvg()
	m.Kafka = kafkaVersion(ctx, brokers)
	return m
}

func (m Machine) String() string {
	return fmt.Sprintf("machine: %d CPUs (%s), %s RAM, Linux %s, %s\nkafka: %s at %s\nload average at start: %s",
		m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, m.Kafka, m.Brokers, m.LoadBefore)
}

// LoadAvg returns /proc/loadavg's 1, 5 and 15 minute load averages: on a
// shared machine, other work skews every figure.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func firstField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func kafkaVersion(ctx context.Context, brokers []string) string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return "unknown"
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return "Apache Kafka " + kversion.FromApiVersionsResponse(resp).VersionGuess()
}
