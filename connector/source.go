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

// Source is the part of the SCR-Ident API the pipeline uses.
type Source interface {
	// Fetch reads one case with its primary identification: the full result,
	// or only the status when statusOnly is set (partner accounts).
	Fetch(ctx context.Context, caseID string, statusOnly bool) (*CaseResult, error)
	// List reads one page of cases; partial reports X-PARTIAL-DELIVERY.
	List(ctx context.Context, q ListQuery) (cases []CaseResult, partial bool, err error)
	// Archive marks closed cases archived and returns their statuses.
	Archive(ctx context.Context, caseIDs []string) ([]CaseStatus, error)
}
