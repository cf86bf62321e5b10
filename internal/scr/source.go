package scr

import (
	"context"
	"errors"
	"fmt"

	"github.com/postident-connector/postident-connector/connector"
)

// Source adapts a Client to the pipeline's connector.Source, translating
// this package's errors into the domain's (ErrCaseGone, ErrUnauthorized,
// ErrBadRequest) while keeping the original in the chain.
type Source struct{ c *Client }

var _ connector.Source = (*Source)(nil)

// NewSource wraps c.
func NewSource(c *Client) *Source { return &Source{c: c} }

// Fetch reads one case with its primary identification: the full result, or
// the status endpoint when o.StatusOnly is set.
func (s *Source) Fetch(ctx context.Context, caseID string, o connector.FetchOptions) (*connector.CaseResult, error) {
	var c *connector.CaseResult
	var err error
	if o.StatusOnly {
		c, err = s.c.GetCaseStatus(ctx, caseID, false)
	} else {
		c, err = s.c.GetCase(ctx, caseID, GetOptions{IncludeBinaryData: o.IncludeBinaryData, IncludeResultPDF: o.IncludeResultPDF})
	}
	return c, caseErr(err)
}

// DecodeStored decrypts and decodes an answer kept on the dead-letter topic
// with this client's key and this build's decoder: `dead-letter retry` uses
// it when POSTIDENT no longer has the case (retention) but the stored JWE
// does.
func (s *Source) DecodeStored(caseID string, answer []byte) (*connector.CaseResult, error) {
	if err := checkCaseID(caseID); err != nil {
		return nil, caseErr(&Error{Op: "decode stored answer", Endpoint: "stored", Err: err})
	}
	plain, err := s.c.plaintext(answer)
	if err == nil {
		var cr *connector.CaseResult
		if cr, err = decodeCase(plain, caseID); err == nil {
			return cr, nil
		}
	}
	return nil, caseErr(&Error{Op: "decode stored answer", Endpoint: "stored", CaseID: caseID, Err: err})
}

// List reads one page of a list endpoint. A page with entries that do not
// decode returns the others with a *connector.ListEntriesError.
func (s *Source) List(ctx context.Context, q connector.ListQuery) ([]connector.CaseResult, bool, error) {
	t, f := true, false
	b := func(v bool) *bool {
		if v {
			return &t
		}
		return &f
	}
	filter := ListFilter{New: b(q.New), InProgress: b(q.InProgress), Closed: b(q.Closed), Archived: b(q.Archived),
		CreatedFrom: q.CreatedFrom, CreatedUntil: q.CreatedUntil, ClosedFrom: q.ClosedFrom, ClosedUntil: q.ClosedUntil,
		MaxResults: q.MaxResults}
	var l *List
	var err error
	if q.StatusOnly {
		l, err = s.c.ListCaseStatus(ctx, filter, false)
	} else {
		l, err = s.c.ListCases(ctx, filter, false)
	}
	if err != nil {
		return nil, false, domainErr(err)
	}
	if l.Unreadable != nil {
		// The readable cases, and which were not (see
		// connector.ListEntriesError).
		return l.Cases, l.Partial, l.Unreadable
	}
	return l.Cases, l.Partial, nil
}

// Archive marks cases archived (in calls of at most 10000 ids).
func (s *Source) Archive(ctx context.Context, caseIDs []string) ([]connector.CaseStatus, error) {
	st, err := s.c.Archive(ctx, caseIDs)
	return st, domainErr(err)
}

// caseErr translates the error of a single-case call: like domainErr, and
// an answer that arrived but cannot be used is ErrCaseUnreadable or
// ErrUndecryptable for this one case, with the details of a
// connector.CaseError (endpoint, status, the still-encrypted answer).
func caseErr(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return domainErr(err)
	}
	var d error
	switch {
	case errors.Is(err, errDecode):
		d = fmt.Errorf("%w: %w", connector.ErrCaseUnreadable, err)
	case errors.Is(err, ErrDecrypt), errors.Is(err, ErrNotEncrypted):
		d = fmt.Errorf("%w: %w", connector.ErrUndecryptable, err)
	default:
		d = domainErr(err)
	}
	return &connector.CaseError{Endpoint: e.Endpoint, StatusCode: e.StatusCode, EncryptedAnswer: e.answer, Err: d}
}

func domainErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w: %w", connector.ErrCaseGone, err)
	case errors.Is(err, ErrUnauthorized):
		return fmt.Errorf("%w: %w", connector.ErrUnauthorized, err)
	case errors.Is(err, ErrBadRequest):
		return fmt.Errorf("%w: %w", connector.ErrBadRequest, err)
	case errors.Is(err, ErrDecrypt), errors.Is(err, ErrNotEncrypted):
		return fmt.Errorf("%w: %w", connector.ErrMisconfigured, err)
	case errors.Is(err, ErrRedirect):
		// A redirect answers every call alike: POSTIDENT_BASE_URL points
		// at the wrong place. Parking cases one by one would not fix it;
		// the operator must.
		return fmt.Errorf("%w: %w", connector.ErrMisconfigured, err)
	}
	return err
}
