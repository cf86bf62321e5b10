package scr

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// peakRSSMiB is the process's peak resident set (VmHWM) in MiB, or 0 where
// /proc is missing. Run one benchmark per process for a meaningful figure.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// benchOversized fetches a case whose answer never ends (no Content-Length)
// and reports bytes allocated per fetch and the process's peak RSS. The
// fetch fails at the endpoint's cap.
func benchOversized(b *testing.B, o GetOptions) {
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	f := newFake(b, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.WriteString(w, "{")
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	c := newTestClient(b, f, nil, nil)
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetCase(ctx, testCaseID, o); err == nil {
			b.Fatal("an endless answer was accepted")
		}
	}
	b.ReportMetric(peakRSSMiB(), "peakRSS-MiB")
}

// Run each alone: go test ./internal/scr -run XXX -bench 'BenchmarkOversizedCase$' -benchmem
func BenchmarkOversizedCase(b *testing.B) { benchOversized(b, GetOptions{}) }

// go test ./internal/scr -run XXX -bench 'BenchmarkOversizedBinaryCase$' -benchmem
func BenchmarkOversizedBinaryCase(b *testing.B) {
	benchOversized(b, GetOptions{IncludeBinaryData: true})
}
