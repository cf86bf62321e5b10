package connector

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchCaseID returns the i-th distinct 12-character caseId (POSTIDENT's
// length), so keys cost what real ones cost.
func benchCaseID(i int) string {
	const space = 4738381338321616896 // 36^12
	n := (uint64(i+1) * 0x9E3779B97F4A7C15) % space
	s := strings.ToUpper(strconv.FormatUint(n, 36))
	return strings.Repeat("0", 12-len(s)) + s
}

// benchClosedState is the CaseState of a closed case whose result went out,
// the common entry of a grown state topic.
func benchClosedState(id string) *CaseState {
	m, st, res := string(MethodEID), StatusSuccess, "5f0e6c1e-8a55-5d1a-9c7a-000000000000"
	t := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	return &CaseState{CaseID: id, CaseStatus: CaseClosed, Method: &m, Status: &st, IdentModified: &t,
		StatusType: string(StatusTypeFinal), LastStatusEventID: "0b7d3c4e-2f7b-5c3a-8e21-000000000000", ResultEventID: &res, UpdatedAt: t}
}

// BenchmarkStateApply is the state loader's per-record work after decoding:
// rebuild the IdentKey, fingerprint it, store the memo.
func BenchmarkStateApply(b *testing.B) {
	const n = 1 << 16
	ids := make([]string, n)
	states := make([]*CaseState, n)
	for i := range ids {
		ids[i] = benchCaseID(i)
		states[i] = benchClosedState(ids[i])
	}
	s := NewState()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Apply(ids[i%n], states[i%n])
		i++
	}
}

// BenchmarkStateSeen is the processor's lookup: get the memo and compare
// fingerprints.
func BenchmarkStateSeen(b *testing.B) {
	const n = 1 << 16
	s := NewState()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = benchCaseID(i)
		s.Apply(ids[i], benchClosedState(ids[i]))
	}
	k := identKeyOfState(benchClosedState(ids[0]))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Seen(ids[i%n], k)
		i++
	}
}

// BenchmarkFingerprint hashes one identification state.
func BenchmarkFingerprint(b *testing.B) {
	k := identKeyOfState(benchClosedState("YR9W91GEZK24"))
	b.ReportAllocs()
	for b.Loop() {
		fingerprint(k)
	}
}

// BenchmarkStateBytesPerCase builds states of n cases (fresh key strings,
// as the loader's string(m.Key) makes) and reports the live heap per case
// after a garbage collection. One op builds one state of n cases.
func BenchmarkStateBytesPerCase(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			states := make([]*CaseState, 0, 1)
			states = append(states, benchClosedState("YR9W91GEZK24"))
			var perCase float64
			for b.Loop() {
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				s := NewState()
				for i := range n {
					s.Apply(benchCaseID(i), states[0])
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				perCase = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(s)
				b.StartTimer()
			}
			b.ReportMetric(perCase, "B/case")
		})
	}
}
