package bench

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// caseID returns the i-th synthetic 12-character caseId.
func caseID(i int) string {
	const space = 4738381338321616896 // 36^12
	n := (uint64(i+1) * 0x9E3779B97F4A7C15) % space
	s := strings.ToUpper(strconv.FormatUint(n, 36))
	return strings.Repeat("0", 12-len(s)) + s
}

// closedState is the CaseState of a case whose result went out: the
// common entry of a grown state.
func closedState(id string, t time.Time) *connector.CaseState {
	m, st := "eid", "success"
	res := "5f0e6c1e-8a55-5d1a-9c7a-" + strings.ToLower(id)
	return &connector.CaseState{CaseID: id, CaseStatus: connector.CaseClosed, Method: &m, Status: &st, IdentModified: &t,
		StatusType: "final", LastStatusEventID: "0b7d3c4e-2f7b-5c3a-8e21-" + strings.ToLower(id), ResultEventID: &res, UpdatedAt: t}
}

// Memory measures the processor state in this process: the heap it takes
// per tracked case after a garbage collection, for StateCases cases with
// 12-character caseIds (POSTIDENT's), built through State.Apply as the
// state loader does.
func (d *Driver) Memory(ctx context.Context) error {
	n := d.o.StateCases
	d.printf("\n== memory of the processor state (in the driver process, %d cases)\n", n)
	d.printf("load average before: %s\n", LoadAvg())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rssBefore, _ := ProcMem("self")
	st := connector.NewState()
	t := time.Now().UTC().Truncate(time.Millisecond)
	start := time.Now()
	for i := range n {
		id := caseID(i)
		// A fresh key per record, as string(m.Key) in the loader makes.
		st.Apply(string([]byte(id)), closedState(id, t))
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	rssAfter, _ := ProcMem("self")
	runtime.KeepAlive(st)
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	d.printf("State of %d cases: heap %s = %.0f bytes per case (memo 16 B + map slot + key); RSS grew %s; Apply %s per case\n",
		st.Len(), mib(int64(after.HeapAlloc-before.HeapAlloc)), per, mib(rssAfter.RSS-rssBefore.RSS), time.Duration(int64(took)/int64(n)))
	d.figure("state memory per tracked case", "< 200 B", fmt.Sprintf("%.0f B", per), yes(per < 200))
	return nil
}

// Reload writes StateCases CaseState records to a compacted topic and
// starts a connector child with the processor role, which loads them as
// `run` does (internal/app: kafka.ReadAll, Codec.Decode, State.Apply) before
// it is ready; then reads its memory.
func (d *Driver) Reload(ctx context.Context) error {
	n := d.o.StateCases
	d.printf("\n== state reload: %d CaseState records on a compacted topic\n", n)
	d.printf("load average before: %s\n", LoadAvg())
	w, codec, err := d.stateWriter()
	if err != nil {
		return err
	}
	defer w.Close()
	topics, err := d.topics(ctx, "reload")
	if err != nil {
		return err
	}
	defer d.deleteTopics(topics)
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := d.writeStates(ctx, w, codec, topics.State, n, func(int) time.Time { return now }); err != nil {
		return err
	}
	wrote := time.Since(start)
	d.printf("wrote %d records in %s (%.0f/s, 4 goroutines x Publish of %d)\n", n, wrote.Round(time.Millisecond), float64(n)/wrote.Seconds(), stateChunk)

	cr, raw, gc, stop, err := d.reloadChild(ctx, topics, "bench-"+d.runID)
	if err != nil {
		return err
	}
	defer stop()
	d.printf("connector child loaded %d records -> %d cases in %s (%.0f records/s)\n", cr.StateRecords, cr.StateCases, cr.StateLoad.Round(time.Millisecond),
		float64(cr.StateRecords)/cr.StateLoad.Seconds())
	d.printf("  RSS right after loading %s (peak during load %s); after GC and FreeOSMemory: RSS %s, heap in use %s\n",
		mib(raw.RSS), mib(raw.HWM), mib(gc.RSS), mib(int64(gc.HeapInuse)))
	d.figure(fmt.Sprintf("state reload, %d cases", n), "-", fmt.Sprintf("%s (%.0f records/s)", cr.StateLoad.Round(time.Millisecond), float64(cr.StateRecords)/cr.StateLoad.Seconds()), "-")
	d.figure(fmt.Sprintf("connector RSS with %d tracked cases", n), "< 256 MiB",
		fmt.Sprintf("%s steady (peak during reload %s)", mib(gc.RSS), mib(raw.HWM)), yes(gc.RSS < 256<<20 && raw.HWM < 256<<20))
	return nil
}

// reloadChild starts a connector child with the processor role on topics,
// which loads their state before it is ready, and reads its memory right
// after loading (raw) and after a garbage collection (gc).
func (d *Driver) reloadChild(ctx context.Context, topics connector.Topics, groupPrefix string) (cr connectorReady, raw, gc ChildStats, stop func(), err error) {
	co := ConnectorOptions{Topics: topics, GroupPrefix: groupPrefix, Roles: []string{"processor"}}
	_, cr, stop, _, _, err = d.startPair(ctx, SimOptions{}, co, false)
	if err != nil {
		return cr, raw, gc, nil, err
	}
	if raw, err = childStats(ctx, cr.Control); err == nil {
		err = getJSON(ctx, cr.Control+"/bench/stats?gc=1", &gc)
	}
	if err != nil {
		stop()
		return cr, raw, gc, nil, err
	}
	return cr, raw, gc, stop, nil
}
