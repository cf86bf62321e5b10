package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Latencies collects durations from many goroutines and reports
// percentiles. It keeps every sample: a run of a few hundred thousand
// requests costs a few MiB, and exact percentiles need no histogram tuning.
type Latencies struct {
	mu sync.Mutex
	ds []time.Duration
}

// Add records one sample.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.ds = append(l.ds, d)
	l.mu.Unlock()
}

// Summary is the distribution of a set of latencies.
type Summary struct {
	N                        int
	P50, P90, P99, P999, Max time.Duration
}

// Summary sorts the samples and returns the percentiles (nearest rank).
func (l *Latencies) Summary() Summary {
	l.mu.Lock()
	ds := slices.Clone(l.ds)
	l.mu.Unlock()
	slices.Sort(ds)
	s := Summary{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	at := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.5) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	s.P50, s.P90, s.P99, s.P999, s.Max = at(0.50), at(0.90), at(0.99), at(0.999), ds[len(ds)-1]
	return s
}

func (s Summary) String() string {
	if s.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s p99.9=%s max=%s", s.N, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.P999), ms(s.Max))
}

// ms prints a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// CPU is user and system CPU time.
type CPU struct{ User, Sys time.Duration }

// Total is user plus system time.
func (c CPU) Total() time.Duration { return c.User + c.Sys }

// Sub returns c minus o.
func (c CPU) Sub(o CPU) CPU { return CPU{User: c.User - o.User, Sys: c.Sys - o.Sys} }

// SelfCPU returns this process's CPU time from getrusage(RUSAGE_SELF).
func SelfCPU() CPU {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return CPU{}
	}
	return CPU{User: time.Duration(ru.Utime.Nano()), Sys: time.Duration(ru.Stime.Nano())}
}

// ProcCPU reads the CPU time of another process from /proc/<pid>/stat
// (clock ticks, 10 ms resolution at the usual USER_HZ of 100).
func ProcCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, err
	}
	// The command name may hold spaces; fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return CPU{}, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return CPU{}, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	// Fields 14 and 15 of stat(5) (utime, stime) are f[11], f[12] here.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100
	return CPU{User: time.Duration(ut) * time.Second / hz, Sys: time.Duration(st) * time.Second / hz}, nil
}

// Mem is what /proc/<pid>/status says about resident memory.
type Mem struct {
	RSS, HWM int64 // bytes: VmRSS (now) and VmHWM (peak)
}

// ProcMem reads VmRSS and VmHWM of pid ("self" for this process).
func ProcMem(pid string) (Mem, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return Mem{}, err
	}
	defer f.Close()
	var m Mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &m.RSS
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &m.HWM
		default:
			continue
		}
		fs := strings.Fields(line)
		if len(fs) >= 2 {
			kb, _ := strconv.ParseInt(fs[1], 10, 64)
			*dst = kb << 10
		}
	}
	return m, sc.Err()
}

// ChildStats is what the connector child's control endpoint reports.
type ChildStats struct {
	CPUUser, CPUSys time.Duration
	RSS, HWM        int64
	HeapAlloc       uint64
	HeapInuse       uint64
	HeapSys         uint64
	NumGC           uint32
	Goroutines      int
	StateCases      int
	Source          SourceCounts
}

// SourceCounts counts the POSTIDENT calls of the connector child.
type SourceCounts struct {
	Fetches     int64 // single-case GETs (each one RSA decryption)
	Lists       int64 // data list GETs (each one RSA decryption)
	ListCases   int64 // cases delivered by those lists
	StatusLists int64 // status list GETs (each one RSA decryption; no personal data)
	StatusCases int64 // cases delivered by those
	FromLists   int64 // cases the processor took from list calls (its fetches_total{outcome="list"})
	FetchErrs   int64
	ListErrors  int64
}

// CPU returns the CPU part of s.
func (s ChildStats) CPU() CPU { return CPU{User: s.CPUUser, Sys: s.CPUSys} }

// collectSelf fills the process part of ChildStats.
func collectSelf() ChildStats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu := SelfCPU()
	mem, _ := ProcMem("self")
	return ChildStats{
		CPUUser: cpu.User, CPUSys: cpu.Sys, RSS: mem.RSS, HWM: mem.HWM,
		HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, HeapSys: ms.HeapSys, NumGC: ms.NumGC,
		Goroutines: runtime.NumGoroutine(),
	}
}

// mib prints bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
