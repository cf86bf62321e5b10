package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Reconcile measures reconciliation: N closed, never-notified cases in the
// simulator (an account without webhooks, or webhooks lost), one reconcile
// run (status list pages -> snapshot notifications), and the processor
// turning them into CaseResults; cases per second from the start of the run
// until the last CaseResult is consumed.
func (d *Driver) Reconcile(ctx context.Context) error {
	mode := "one GET per case (as shipped)"
	if d.o.Coalesce {
		mode = "processor list coalescing (ProcessorConfig.Coalesce)"
	}
	d.printf("\n== reconciliation of %d closed cases, RSA-%d, %s\n", d.o.ReconcileCases, d.o.KeyBits, mode)
	d.printf("load average before: %s\n", LoadAvg())
	topics, err := d.topics(ctx, "reconcile")
	if err != nil {
		return err
	}
	defer d.deleteTopics(topics)
	co := ConnectorOptions{Topics: topics, GroupPrefix: "bench-" + d.runID, Roles: []string{"processor", "reconciler", "archiver"}}
	so := SimOptions{RequireEncryption: true, ClockOffset: 10 * time.Minute}
	simURL, cr, stop, simc, _, err := d.startPair(ctx, so, co, false)
	if err != nil {
		return err
	}
	defer stop()
	adm := newSimAdmin(simURL)
	n := d.o.ReconcileCases
	prep := time.Now()
	if _, err := adm.create(ctx, n, 200, "eid", "success", true); err != nil {
		return err
	}
	d.printf("%d closed cases created in the simulator in %s\n", n, time.Since(prep).Round(time.Millisecond))
	cons, err := d.consume(ctx, topics.Result)
	if err != nil {
		return err
	}
	defer cons.close()

	before, err := childStats(ctx, cr.Control)
	if err != nil {
		return err
	}
	simBefore, _ := ProcCPU(simc.pid())
	start := time.Now()
	wait := d.profile(ctx, cr.Control, "reconcile", 10)
	var rr ReconcileResult
	if err := postJSON(ctx, cr.Control+"/bench/reconcile", &rr); err != nil {
		return err
	}
	if rr.Err != "" {
		return fmt.Errorf("reconcile: %s", rr.Err)
	}
	if err := cons.waitDistinct(ctx, topics.Result, n, 10*time.Minute); err != nil {
		return err
	}
	elapsed := time.Since(start)
	after, _ := childStats(ctx, cr.Control)
	simAfter, _ := ProcCPU(simc.pid())
	wait()
	cpu := after.CPU().Sub(before.CPU())
	rate := float64(n) / elapsed.Seconds()
	d.printf("reconcile run: %d cases listed in %d status list calls (%d incomplete windows), snapshots published in %s\n",
		rr.Stats.Cases, rr.Stats.Calls, rr.Stats.Incomplete, rr.Took.Round(time.Millisecond))
	d.printf("all %d CaseResults on Kafka after %s = %.0f cases/s\n", n, elapsed.Round(time.Millisecond), rate)
	d.printf("  connector CPU %.2fs = %.3f ms per case; simulator CPU %.2fs\n", cpu.Total().Seconds(), cpu.Total().Seconds()*1000/float64(n), simAfter.Sub(simBefore).Total().Seconds())
	d.printf("  POSTIDENT calls: %d single GETs, %d data lists (%d cases), %d status lists (%d cases, the reconciler's included); %d fetches served from lists\n",
		after.Source.Fetches-before.Source.Fetches, after.Source.Lists-before.Source.Lists, after.Source.ListCases-before.Source.ListCases,
		after.Source.StatusLists-before.Source.StatusLists, after.Source.StatusCases-before.Source.StatusCases, after.Source.FromLists-before.Source.FromLists)
	d.printf("  connector RSS %s, peak %s\n", mib(after.RSS), mib(after.HWM))
	d.figure("reconciliation, list to produce", ">= 10 000 cases/s", fmt.Sprintf("%.0f cases/s", rate), yes(rate >= 10000))
	return nil
}

func postJSON(ctx context.Context, url string, out any) error {
	return callJSON(ctx, http.MethodPost, url, out)
}
