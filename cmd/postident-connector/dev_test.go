package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDevModeSubprocess runs the README's first command as a user would:
// the binary, `dev`, nothing else. Events must flow within seconds, the
// printed endpoints must answer (metrics counting events), personal data in
// the live view must be masked, and Ctrl-C must stop it cleanly.
func TestDevModeSubprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "postident-connector")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "dev", "--rate", "20",
		"--webhook-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS=") // dev mode ignores any configured Kafka
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var all []string
	var metricsURL string
	statuses, results := 0, 0
	deadline := time.After(90 * time.Second)
	for statuses < 5 || results < 2 || metricsURL == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("dev mode ended early; output:\n%s\nstderr:\n%s", strings.Join(all, "\n"), stderr.String())
			}
			all = append(all, l)
			if m := regexp.MustCompile(`metrics\s+(http://\S+/metrics)`).FindStringSubmatch(l); m != nil {
				metricsURL = m[1]
			}
			if strings.Contains(l, "  status  ") {
				statuses++
			}
			if strings.Contains(l, "  RESULT  ") {
				results++
				// Names are masked: a capital followed only by stars.
				if !regexp.MustCompile(`RESULT\s+\S+\s+\S+\s+\S+\s+([A-Z]\*+ [A-Z]\*+|), born \*{4}-\*{2}-\*{2}`).MatchString(l) {
					t.Errorf("result line not masked as expected: %q", l)
				}
			}
		case <-deadline:
			t.Fatalf("no events within 90s; output:\n%s\nstderr:\n%s", strings.Join(all, "\n"), stderr.String())
		}
	}
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := counterSum(string(body), "postident_events_produced_total"); n <= 0 {
		t.Errorf("metrics: postident_events_produced_total = %v", n)
	}
	if n := counterSum(string(body), "postident_webhooks_total"); n <= 0 {
		t.Errorf("metrics: postident_webhooks_total = %v", n)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		all = append(all, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("dev mode did not stop cleanly on Ctrl-C: %v\nstderr:\n%s", err, stderr.String())
	}
	if last := all[len(all)-1]; !strings.Contains(last, "stopped") {
		t.Errorf("last line %q, want the stop message", last)
	}
}

// counterSum adds the values of every sample of a Prometheus metric family.
func counterSum(exposition, name string) float64 {
	sum := 0.0
	for _, l := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(l, name) || strings.HasPrefix(l, "#") {
			continue
		}
		rest := l[len(name):]
		if rest != "" && rest[0] != '{' && rest[0] != ' ' {
			continue
		}
		f := strings.Fields(l)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
