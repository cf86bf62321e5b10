package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
)

// loadState starts the processor's group subscriber, which follows the
// compacted state topic for as long as the processor runs (so that a
// partition moving here is handled with the state its previous owner
// wrote), and waits until it has read the topic to its end before the
// processor starts, so that restarts do not re-emit.
func (a *App) loadState(ctx context.Context) error {
	start := time.Now()
	a.state = connector.NewState()
	a.procStopped, a.procHalted = make(chan struct{}), make(chan struct{})
	if !a.cfg.ProcessorFollowState {
		return a.readState(ctx, start)
	}
	sub, err := kafka.NewGroupSubscriber(kafka.GroupConfig{Config: a.kcfg, GroupID: a.plan.ProcessorGroup,
		Topic: a.cfg.Topics.Notifications, StateTopic: a.cfg.Topics.State, Apply: a.applyState, OwnWrite: ownStateWrite})
	if err != nil {
		return err
	}
	select {
	case <-sub.Ready():
	case <-ctx.Done():
		_ = sub.Close()
		return fmt.Errorf("load state from %s: %w", a.cfg.Topics.State, ctx.Err())
	}
	a.sub = sub
	a.stateLoaded(sub.StateRecords(), start)
	return nil
}

// readState reads the compacted state topic to its end once, before the
// processor starts (PROCESSOR_FOLLOW_STATE off): restarts do not re-emit,
// a rebalance between replicas may (same ids).
func (a *App) readState(ctx context.Context, start time.Time) error {
	n, err := ReadState(ctx, a.kcfg, a.cfg.Topics.State, a.codec, a.state, a.log)
	if err != nil {
		return fmt.Errorf("load state from %s: %w", a.cfg.Topics.State, err)
	}
	a.stateLoaded(n, start)
	return nil
}

func (a *App) stateLoaded(records int64, start time.Time) {
	a.stateRecords, a.stateTook = records, time.Since(start)
	a.log.Info("state loaded", "records", records, "cases", a.state.Len(), "took", a.stateTook.Round(time.Millisecond))
}

// applyState applies one record of the state topic; the subscriber calls it
// for every record, in offset order per partition, for as long as it runs.
func (a *App) applyState(m connector.Message) {
	applyStateRecord(context.Background(), a.codec, a.state, a.log, m)
}

// ReadState reads the compacted state topic to its end into st, as the
// processor loads it at start (backfill uses it to find forgotten cases),
// and returns how many records it read. Undecodable records are logged
// (by position, never by content) and skipped.
func ReadState(ctx context.Context, kcfg kafka.Config, topic string, codec *avro.Codec, st *connector.State, log *slog.Logger) (int64, error) {
	var n atomic.Int64 // fn runs concurrently for different partitions
	err := kafka.ReadAll(ctx, kcfg, topic, func(m connector.Message) error {
		n.Add(1)
		applyStateRecord(ctx, codec, st, log, m)
		return nil
	}, kafka.ConcurrentPartitions())
	return n.Load(), err
}

// applyStateRecord applies one record of the state topic to st: a
// tombstone removes the case, a CaseState replaces it.
func applyStateRecord(ctx context.Context, codec *avro.Codec, st *connector.State, log *slog.Logger, m connector.Message) {
	if m.Value == nil {
		st.Apply(string(m.Key), nil)
		return
	}
	var cs connector.CaseState
	if err := codec.Decode(ctx, m.Value, &cs); err != nil {
		log.Warn("skipping undecodable state record", "partition", m.Partition, "offset", m.Offset, "err", err)
		return
	}
	st.Apply(string(m.Key), &cs)
}

// ownStateWrite reports whether a state record was written by a processor
// (which put it in its memory before writing it).
func ownStateWrite(m connector.Message) bool {
	return m.Value != nil && string(m.Header(connector.HeaderType)) == connector.TypeCaseState
}

// loadParked reads the compacted dead-letter topic to its end, so that the
// processor leaves parked cases alone after a restart too, and then follows
// it until Close: what another replica parks, or `dead-letter retry`
// resolves, reaches this one's set too. Without that, a case whose
// partition moves to this replica would be fetched and parked again, and
// every replica's gauge would keep a case another one had resolved.
func (a *App) loadParked(ctx context.Context) error {
	a.parked = connector.NewParked()
	fctx, cancel := context.WithCancel(ctx)
	stop, err := kafka.Follow(fctx, a.kcfg, a.cfg.Topics.DeadLetter, func(m connector.Message) {
		if m.Value == nil {
			a.parked.Apply(string(m.Key), nil)
			return
		}
		var d connector.DeadLetter
		if err := a.codec.Decode(fctx, m.Value, &d); err != nil {
			a.log.Warn("skipping undecodable dead-letter record", "partition", m.Partition, "offset", m.Offset, "err", err)
			return
		}
		a.parked.Apply(string(m.Key), &d)
	})
	a.stopParked = func() { cancel(); stop() }
	if err != nil {
		return fmt.Errorf("load parked cases from %s: %w", a.cfg.Topics.DeadLetter, err)
	}
	if n := a.parked.Len(); n > 0 {
		a.log.Warn("cases parked on the dead-letter topic", "cases", n, "topic", a.cfg.Topics.DeadLetter)
	}
	return nil
}
