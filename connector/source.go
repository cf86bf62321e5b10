package connector

import (
	"context"
	"errors"
	"time"
)

// ErrCaseGone is returned (wrapped) by a Source when POSTIDENT does not know
// a case: never created for this client, or deleted after the retention
// period. Retrying cannot help.
var ErrCaseGone = errors.New("case not found at POSTIDENT")

// ErrUnauthorized is returned (wrapped) by a Source when POSTIDENT refuses
// the credentials or client id. Retrying cannot help; an operator must act.
var ErrUnauthorized = errors.New("POSTIDENT refused the credentials")

// ErrMisconfigured is returned (wrapped) by a Source when POSTIDENT's answer
// cannot be read with this configuration: it does not decrypt with the
// configured key, or arrives in plain JSON although encryption is required.
// Retrying cannot help; an operator must act.
var ErrMisconfigured = errors.New("POSTIDENT answer unreadable with this configuration")

// IsFatal reports whether err needs an operator: wrong credentials, a
// request POSTIDENT rejects as malformed (such as a wrong x-scr-keyhash from
// a wrong data password), or answers that do not decrypt.
func IsFatal(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrBadRequest) || errors.Is(err, ErrMisconfigured)
}

// ListQuery selects cases of the list endpoints (guide 7.5). Zero times are
// left out of the request.
type ListQuery struct {
	New, InProgress, Closed, Archived bool
	CreatedFrom, CreatedUntil         time.Time
	ClosedFrom, ClosedUntil           time.Time
	// StatusOnly asks the status list (no personal data, guide 7.5.2).
	StatusOnly bool
	// MaxResults caps the answer (status lists only); 0 leaves it out.
	MaxResults int
}

// FetchOptions chooses what Fetch reads.
type FetchOptions struct {
	// StatusOnly reads the status endpoint (no personal data; the only one
	// partner accounts may use).
	StatusOnly bool
	// IncludeBinaryData and IncludeResultPDF ask for the images and the
	// result PDF as base64 documentData (guide 7.4.1).
	IncludeBinaryData, IncludeResultPDF bool
}

// Source is the part of the SCR-Ident API the pipeline uses.
type Source interface {
	// Fetch reads one case with its primary identification.
	Fetch(ctx context.Context, caseID string, o FetchOptions) (*CaseResult, error)
	// List reads one page of cases; partial reports X-PARTIAL-DELIVERY.
	List(ctx context.Context, q ListQuery) (cases []CaseResult, partial bool, err error)
	// Archive marks closed cases archived and returns their statuses.
	Archive(ctx context.Context, caseIDs []string) ([]CaseStatus, error)
}
