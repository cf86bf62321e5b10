package connector

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// This file holds what the Processor does with the notifications of one
// case: whether they need a fetch, the fetch (or a list call's answer), and
// the records the planner (plan.go) calls for.

// needsFetch returns the state last emitted for the case and whether its
// notifications need a fetch at all (planFetch).
func (p *Processor) needsFetch(w *caseWork) (prev memo, tracked, need bool) {
	prev, tracked = p.state.get(w.caseID)
	return prev, tracked, planFetch(prev, tracked, p.cfg.PartnerMode, w.notes)
}

// handleCase decides what one case's notifications produce; pre, when set,
// is the case as a list call delivered it, used instead of a fetch.
func (p *Processor) handleCase(ctx context.Context, w *caseWork, pre *CaseResult) (outcome, error) {
	last := w.notes[len(w.notes)-1]
	origin := Origin(last.Origin)
	if origin == "" {
		origin = OriginWebhook
	}
	// Continue the trace of the last notification, and link the traces of
	// the others handled together with it.
	prop := otel.GetTextMapPropagator()
	var links []trace.Link
	for _, m := range w.msgs[:len(w.msgs)-1] {
		if sc := trace.SpanContextFromContext(prop.Extract(ctx, HeaderCarrier{Headers: &m.Headers})); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	ctx = prop.Extract(ctx, HeaderCarrier{Headers: &w.msgs[len(w.msgs)-1].Headers})
	ctx, span := p.tracer.Start(ctx, "processor.case", trace.WithLinks(links...), trace.WithAttributes(
		attribute.String("postident.case_id", w.caseID),
		attribute.String("postident.origin", string(origin)),
		attribute.Int("postident.notifications", len(w.notes))))
	defer span.End()

	prev, tracked, need := p.needsFetch(w)
	if !need {
		p.skipped.Add(ctx, int64(len(w.notes)), p.skipAttr(prev))
		return outcome{}, nil
	}
	if p.parked.Len() > 0 && p.parkedSkip(w) {
		// Parked: left alone until it changes, a retry is asked for, or
		// the park interval passes (see parkedSkip).
		span.SetAttributes(attribute.Bool("postident.parked", true))
		p.skipped.Add(ctx, int64(len(w.notes)))
		oc := outcome{caseID: w.caseID}
		if e, _ := p.parked.get(w.caseID); e.modified == 0 {
			// Parked from a webhook, which carries no `modified`: the first
			// snapshot tells what the parked version is.
			if m := lastModified(w); m != nil {
				oc.learnModified = m.UnixMilli()
			}
		}
		return oc, nil
	}

	c, err := pre, error(nil)
	if c != nil {
		span.SetAttributes(attribute.Bool("postident.listed", true))
		p.fetches.Add(ctx, 1, p.fetchAttrs["list"])
	} else {
		c, err = p.fetch(ctx, w.caseID)
	}
	if errors.Is(err, ErrCaseGone) {
		c, err = p.decodeStored(ctx, w, c, err)
	}
	if err != nil {
		if errors.Is(err, ErrCaseGone) {
			p.cfg.Logger.WarnContext(ctx, "case no longer known to POSTIDENT; notification dropped", "case_id", w.caseID)
			span.SetStatus(codes.Error, "case gone")
			return outcome{}, nil
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, "fetch failed")
		return outcome{}, err
	}
	if c.CaseID == "" {
		c.CaseID = w.caseID
	}
	if last.ReferenceID != nil && c.OrderData != nil && c.OrderData.ProcessData != nil && c.OrderData.ProcessData.ReferenceID == "" {
		c.OrderData.ProcessData.ReferenceID = *last.ReferenceID
	}
	oc, err := p.emit(ctx, c, prev, tracked, origin)
	oc.fetched = true
	return oc, err
}

func (p *Processor) fetch(ctx context.Context, caseID string) (*CaseResult, error) {
	ctx, span := p.tracer.Start(ctx, "postident.fetch", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("postident.case_id", caseID), attribute.Bool("postident.status_only", p.cfg.PartnerMode)))
	defer span.End()
	c, err := p.src.Fetch(ctx, caseID, FetchOptions{StatusOnly: p.cfg.PartnerMode,
		IncludeBinaryData: p.cfg.IncludeBinaryData, IncludeResultPDF: p.cfg.IncludeResultPDF})
	outcomeAttr := "ok"
	switch {
	case errors.Is(err, ErrCaseGone):
		outcomeAttr = "gone"
	case err != nil:
		outcomeAttr = "error"
		span.RecordError(err)
		span.SetStatus(codes.Error, "fetch failed")
	}
	p.fetches.Add(ctx, 1, p.fetchAttrs[outcomeAttr])
	return c, err
}

// emit decides with planCase what a fetched case produces and builds the
// records: its events (binary records after the result), then its state.
func (p *Processor) emit(ctx context.Context, c *CaseResult, prev memo, tracked bool, origin Origin) (outcome, error) {
	now := p.cfg.Now()
	pl := planCase(p.cfg.ClientID, p.cfg.PartnerMode, c, prev, tracked, now)
	oc := outcome{caseID: c.CaseID, memo: prev}
	var err error
	if oc.out, err = p.rec.appendEvents(ctx, oc.out, p.cfg.Topics, c, &pl, origin, now); err != nil {
		return oc, err
	}
	if pl.status {
		p.events.Add(ctx, 1, p.eventAttr("status-changed", origin))
	}
	if pl.result {
		oc.out = append(oc.out, p.binaryRecords(ctx, c, now, origin)...)
		p.events.Add(ctx, 1, p.eventAttr("result", origin))
	}
	if !pl.state {
		return oc, nil // nothing new: no state write either
	}
	st := StateAfter(c, pl.statusID, pl.resultID, now)
	if oc.out, err = p.rec.appendEvent(ctx, oc.out, p.cfg.Topics.State, TypeCaseState, pl.statusID, c.CaseID, now, origin, st); err != nil {
		return oc, err
	}
	oc.memo = pl.memo
	oc.keep = true
	return oc, nil
}
