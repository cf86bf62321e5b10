package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/postident-connector/postident-connector/connector"
)

var _ connector.Source = (*Source)(nil)

// Answer is one scripted answer of Source.Fetch: a case, or an error.
type Answer struct {
	Case *connector.CaseResult
	Err  error
}

// Injected errors, wrapped as an adapter wraps POSTIDENT's answers (the
// scr client returns the same sentinels, in a *connector.CaseError for the
// per-case ones).
var (
	// ErrTransient is a 503: retrying helps.
	ErrTransient = &connector.CaseError{Endpoint: "GET /cases/{caseId}", StatusCode: 503,
		Err: fmt.Errorf("memory: injected 503 Service Unavailable")}
	// ErrGone is a 404: POSTIDENT does not know the case.
	ErrGone = &connector.CaseError{Endpoint: "GET /cases/{caseId}", StatusCode: 404,
		Err: fmt.Errorf("%w: memory: injected 404", connector.ErrCaseGone)}
	// ErrUnreadable is an answer that arrived but does not decode.
	ErrUnreadable = &connector.CaseError{Endpoint: "GET /cases/{caseId}", EncryptedAnswer: []byte("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"),
		Err: fmt.Errorf("%w: memory: injected malformed JSON", connector.ErrCaseUnreadable)}
	// ErrUndecryptable is an answer that does not decrypt with the key.
	ErrUndecryptable = &connector.CaseError{Endpoint: "GET /cases/{caseId}", EncryptedAnswer: []byte("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"),
		Err: fmt.Errorf("%w: memory: injected decryption failure", connector.ErrUndecryptable)}
	// ErrUnauthorized is a 401: the credentials are refused.
	ErrUnauthorized = fmt.Errorf("%w: memory: injected 401", connector.ErrUnauthorized)
	// ErrBadRequest is a 400.
	ErrBadRequest = fmt.Errorf("%w: memory: injected 400", connector.ErrBadRequest)
)

// Source is an in-memory connector.Source. Fetch answers from the cases Put
// into it, or from a Script of answers per caseId; an unknown caseId is
// ErrGone. List lists the put cases; Archive marks closed ones archived. The
// zero value is an empty source.
type Source struct {
	// PageSize, when positive, caps a List answer: more matching cases
	// than that come as the PageSize earliest created, with partial set
	// (X-PARTIAL-DELIVERY).
	PageSize int
	// ListErr, when set, is returned by every List call.
	ListErr error
	// ArchiveFault, when set, decides each Archive call: a non-nil error
	// is returned and nothing is archived. call counts from 1.
	ArchiveFault func(call int, ids []string) error

	mu       sync.Mutex
	cases    map[string]*connector.CaseResult
	scripts  map[string][]Answer
	fetches  map[string]int
	lists    []connector.ListQuery
	archives [][]string
}

// Put adds or replaces cases (keyed by their CaseID). Fetch and List
// return copies: a caller may change the top-level fields of what it gets.
func (s *Source) Put(cases ...*connector.CaseResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cases == nil {
		s.cases = map[string]*connector.CaseResult{}
	}
	for _, c := range cases {
		cp := *c
		s.cases[c.CaseID] = &cp
	}
}

// Script sets the answers of the next Fetch calls for caseID, one per call
// in order; the last one repeats. A script wins over a put case.
func (s *Source) Script(caseID string, answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scripts == nil {
		s.scripts = map[string][]Answer{}
	}
	s.scripts[caseID] = slices.Clone(answers)
}

// Fetch answers the next scripted answer of caseID, else the put case,
// else ErrGone. Options are ignored: a case answers the same with or without
// binaries.
func (s *Source) Fetch(ctx context.Context, caseID string, _ connector.FetchOptions) (*connector.CaseResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetches == nil {
		s.fetches = map[string]int{}
	}
	s.fetches[caseID]++
	if sc := s.scripts[caseID]; len(sc) > 0 {
		a := sc[0]
		if len(sc) > 1 {
			s.scripts[caseID] = sc[1:]
		}
		if a.Err != nil {
			return nil, a.Err
		}
		if a.Case == nil {
			return nil, fmt.Errorf("memory: the script of case %s has an answer with neither case nor error", caseID)
		}
		cp := *a.Case
		return &cp, nil
	}
	if c, ok := s.cases[caseID]; ok {
		cp := *c
		return &cp, nil
	}
	return nil, ErrGone
}

// List returns the put cases that q selects, sorted by creation: by status
// (New, InProgress, Closed; archived ones only with Archived), creation
// (CreatedFrom and CreatedUntil, inclusive, when set) and, for closed
// cases, the last modification (ClosedFrom and ClosedUntil). StatusOnly
// answers the status only. With PageSize, a longer answer is cut and
// partial.
func (s *Source) List(ctx context.Context, q connector.ListQuery) ([]connector.CaseResult, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists = append(s.lists, q)
	if s.ListErr != nil {
		return nil, false, s.ListErr
	}
	var out []connector.CaseResult
	for _, c := range s.cases {
		if selects(q, c) {
			if q.StatusOnly {
				out = append(out, connector.CaseResult{CaseID: c.CaseID, CaseStatus: c.CaseStatus})
			} else {
				out = append(out, *c)
			}
		}
	}
	slices.SortFunc(out, func(a, b connector.CaseResult) int {
		return cmp.Or(a.CaseStatus.Created.Compare(b.CaseStatus.Created.Time), cmp.Compare(a.CaseID, b.CaseID))
	})
	limit := s.PageSize
	if q.MaxResults > 0 && (limit == 0 || q.MaxResults < limit) {
		limit = q.MaxResults
	}
	if limit > 0 && len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

func selects(q connector.ListQuery, c *connector.CaseResult) bool {
	st := c.CaseStatus
	if st.Archived && !q.Archived {
		return false
	}
	switch st.Status {
	case connector.CaseNew:
		if !q.New {
			return false
		}
	case connector.CaseInProgress:
		if !q.InProgress {
			return false
		}
	case connector.CaseClosed:
		if !q.Closed {
			return false
		}
		if !q.ClosedFrom.IsZero() && st.Modified.Before(q.ClosedFrom) || !q.ClosedUntil.IsZero() && st.Modified.After(q.ClosedUntil) {
			return false
		}
	default:
		return false
	}
	if !q.CreatedFrom.IsZero() && st.Created.Before(q.CreatedFrom) || !q.CreatedUntil.IsZero() && st.Created.After(q.CreatedUntil) {
		return false
	}
	return true
}

// Archive marks the closed put cases among caseIDs archived and returns the
// status of each known one, as POSTIDENT does (guide 7.6); a case that is
// not closed stays unarchived. ArchiveFault may fail the call first.
func (s *Source) Archive(ctx context.Context, caseIDs []string) ([]connector.CaseStatus, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.archives = append(s.archives, slices.Clone(caseIDs))
	if s.ArchiveFault != nil {
		if err := s.ArchiveFault(len(s.archives), caseIDs); err != nil {
			return nil, err
		}
	}
	var out []connector.CaseStatus
	for _, id := range caseIDs {
		c, ok := s.cases[id]
		if !ok {
			continue
		}
		if c.CaseStatus.Status == connector.CaseClosed {
			c.CaseStatus.Archived = true
		}
		st := c.CaseStatus
		st.CaseID = id
		out = append(out, st)
	}
	return out, nil
}

// Fetches returns how many times caseID was fetched.
func (s *Source) Fetches(caseID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[caseID]
}

// Lists returns the queries of every List call, in order.
func (s *Source) Lists() []connector.ListQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lists)
}

// Archives returns the ids of every Archive call, in order (failed calls
// included).
func (s *Source) Archives() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]string, len(s.archives))
	for i, ids := range s.archives {
		out[i] = slices.Clone(ids)
	}
	return out
}

// Archived reports whether caseID was archived.
func (s *Source) Archived(caseID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cases[caseID]
	return ok && c.CaseStatus.Archived
}
