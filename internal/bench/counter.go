package bench

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postident-connector/postident-connector/connector"
)

// sourceCounter counts the calls that reach POSTIDENT.
type sourceCounter struct {
	src                                  connector.Source
	fetches, lists, listCases, fetchErrs atomic.Int64
	statusLists, statusCases             atomic.Int64
	listErrs                             atomic.Int64
}

var _ connector.Source = (*sourceCounter)(nil)

func (s *sourceCounter) Fetch(ctx context.Context, id string, o connector.FetchOptions) (*connector.CaseResult, error) {
	s.fetches.Add(1)
	c, err := s.src.Fetch(ctx, id, o)
	if err != nil {
		s.fetchErrs.Add(1)
	}
	return c, err
}

func (s *sourceCounter) List(ctx context.Context, q connector.ListQuery) ([]connector.CaseResult, bool, error) {
	cs, partial, err := s.src.List(ctx, q)
	if err != nil {
		s.listErrs.Add(1)
	}
	if q.StatusOnly {
		s.statusLists.Add(1)
		s.statusCases.Add(int64(len(cs)))
	} else {
		s.lists.Add(1)
		s.listCases.Add(int64(len(cs)))
	}
	return cs, partial, err
}

func (s *sourceCounter) Archive(ctx context.Context, ids []string) ([]connector.CaseStatus, error) {
	return s.src.Archive(ctx, ids)
}

func (s *sourceCounter) snapshot() SourceCounts {
	return SourceCounts{Fetches: s.fetches.Load(), Lists: s.lists.Load(), ListCases: s.listCases.Load(),
		StatusLists: s.statusLists.Load(), StatusCases: s.statusCases.Load(),
		FetchErrs: s.fetchErrs.Load(), ListErrors: s.listErrs.Load()}
}

// servedFromLists reads the processor's own count of cases it took from
// list calls: postident_processor_fetches_total{outcome="list"}.
func servedFromLists(reg *prometheus.Registry) int64 {
	if reg == nil {
		return 0
	}
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "postident_processor_fetches_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == "list" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return int64(n)
}
