package app

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// startRoles starts processor, reconciler and archiver goroutines. A fatal
// processor error stops the App; an archiver that POSTIDENT refuses stops
// alone, and the rest keeps running.
func (a *App) startRoles(ctx context.Context, fatal chan<- error) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.rolesCancel = cancel
	if a.cfg.HasRole("processor") {
		a.goRole("processor", func() error {
			defer close(a.procStopped)
			var r interface {
				connector.Subscriber
				Lag() int64
				Close() error
			}
			if a.sub != nil {
				r = a.sub
			} else {
				rd, err := kafka.NewReader(kafka.ReaderConfig{Config: a.kcfg, GroupID: a.plan.ProcessorGroup, Topic: a.plan.Processor.Topics.Notifications})
				if err != nil {
					return err
				}
				r = rd
			}
			defer func() { _ = r.Close() }() // leaves the group at once
			a.observeLag("processor", r)
			pc := a.plan.Processor
			pc.Logger, pc.Parked, pc.OnReady = a.log, a.parked, a.processorReady
			pc.Backlog = a.watchBacklog(rctx, a.plan.ProcessorGroup, pc.Topics.Notifications)
			p, err := connector.NewProcessor(pc, a.src, a.writer, a.codec, a.state)
			if err != nil {
				return err
			}
			return p.Run(rctx, r)
		}, fatal)
	}
	if a.cfg.HasRole("reconciler") {
		a.goRole("reconciler", func() error {
			rec, err := a.Reconciler()
			if err != nil {
				return err
			}
			lease := kafka.NewLease(a.kcfg, a.plan.LeaseTopic, a.plan.LeaseGroup)
			return lease.Run(rctx, func(ctx context.Context) error {
				a.log.Info("reconciler lease acquired")
				return rec.Run(ctx)
			})
		}, fatal)
	}
	if a.cfg.HasRole("archiver") {
		a.goRole("archiver", func() error {
			r, err := kafka.NewReader(kafka.ReaderConfig{Config: a.kcfg, GroupID: a.plan.ArchiverGroup, Topic: a.plan.ArchiverTopic})
			if err != nil {
				return err
			}
			defer r.Close()
			a.observeLag("archiver", r)
			ac := a.plan.Archiver
			ac.Logger = a.log
			arc, err := connector.NewArchiver(ac, a.src)
			if err != nil {
				return err
			}
			err = arc.Run(rctx, r)
			if err != nil {
				// The archiver stops alone: results keep flowing, the list
				// just stops shrinking. Operators see it in the log and the
				// archive metrics.
				a.log.Error("archiver stopped; other roles keep running", "err", err)
				a.health.SetReady("archiver", true, "stopped: "+err.Error())
			}
			return nil
		}, nil)
	}
}

// Reconciler returns a reconciler as the reconciler role runs it (without
// its lease), on the App's source, writer and codec; valid once Started is
// closed. Tests and the load tool run it on demand with RunOnce.
func (a *App) Reconciler() (*connector.Reconciler, error) {
	rc := a.plan.Reconciler
	rc.Logger = a.log
	return connector.NewReconciler(rc, a.src, a.writer, a.codec)
}

// processorReady reports the processor's readiness on /readyz; a processor
// that stopped for an operator also releases Close from waiting for its
// handover.
func (a *App) processorReady(ready bool, reason string) {
	a.health.SetReady("processor", ready, reason)
	if !ready && a.procHalted != nil {
		a.haltOnce.Do(func() { close(a.procHalted) })
	}
}

// backlogEvery is how often the processor's backlog is asked of the broker.
const backlogEvery = 15 * time.Second

// watchBacklog asks the broker, every backlogEvery until ctx ends, for the
// time of the oldest notification group has not committed (see
// kafka.OldestUncommitted), and returns a function that reads how old that
// notification was when the broker was last asked: the processor's
// postident_oldest_unhandled_notification_seconds then grows during a
// stall in which nothing is fetched at all. The age is taken at the ask,
// not aged on between asks: a notification committed a moment after an
// ask must not look like one waiting for 15 seconds. A failed ask keeps
// the previous answer and logs at debug level.
func (a *App) watchBacklog(ctx context.Context, group, topic string) func() time.Duration {
	var age atomic.Int64 // ns
	ask := func() {
		actx, cancel := context.WithTimeout(ctx, backlogEvery)
		defer cancel()
		asked := time.Now()
		t, err := kafka.OldestUncommitted(actx, a.kcfg, group, topic)
		switch {
		case err != nil:
			a.log.Debug("processor backlog not known this time", "err", err)
		case t.IsZero():
			age.Store(0)
		default:
			age.Store(int64(max(asked.Sub(t), 0)))
		}
	}
	go func() {
		tick := time.NewTicker(backlogEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				ask()
			}
		}
	}()
	return func() time.Duration { return time.Duration(age.Load()) }
}

// observeLag exports the reader's consumer lag as postident_consumer_lag.
func (a *App) observeLag(role string, r interface{ Lag() int64 }) {
	group := attribute.String("group", a.cfg.Kafka.GroupPrefix+"."+role)
	_, err := otel.Meter("github.com/postident-connector/postident-connector/cmd/postident-connector").Int64ObservableGauge("postident_consumer_lag",
		metric.WithDescription("Messages behind the end of the topic, per consumer group (this replica's partitions)."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(r.Lag(), metric.WithAttributes(group))
			return nil
		}))
	if err != nil {
		a.log.Warn("consumer lag metric unavailable", "err", err)
	}
}

func (a *App) goRole(name string, fn func() error, fatal chan<- error) {
	a.rolesWG.Add(1)
	go func() {
		defer a.rolesWG.Done()
		if err := fn(); err != nil && fatal != nil {
			fatal <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}
