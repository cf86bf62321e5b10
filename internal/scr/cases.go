package scr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// MaxArchiveIDs is the most caseIds POSTIDENT accepts in one archive call
// (guide 7.6); Archive splits longer lists.
const MaxArchiveIDs = 10000

// GetOptions selects the variant of a single-case call.
type GetOptions struct {
	// Full returns all identifications (/cases/{caseId}/full) instead of
	// the primary one only.
	Full bool
	// IncludeResultPDF embeds the result PDF as base64 (includeResultPdf).
	IncludeResultPDF bool
	// IncludeBinaryData embeds images as base64 (includeBinaryData), as far
	// as the regulatory class allows (guide 8.6.7).
	IncludeBinaryData bool
}

// GetCase returns a case with its result data (guide 7.4.1):
// GET /{clientId}/cases/{caseId}, or .../full with o.Full. The response is
// decrypted when a PrivateKey is configured.
func (c *Client) GetCase(ctx context.Context, caseID string, o GetOptions) (*connector.CaseResult, error) {
	cl := &call{op: "get case", method: "GET", endpoint: "GET /cases/{caseId}", caseID: caseID,
		path: "/cases/" + caseID, encrypt: true, limit: maxCaseBody}
	if o.IncludeResultPDF || o.IncludeBinaryData {
		cl.limit = maxBinaryBody
	}
	if o.Full {
		cl.endpoint += "/full"
		cl.path += "/full"
	}
	q := url.Values{}
	if o.IncludeResultPDF {
		q.Set("includeResultPdf", "true")
	}
	if o.IncludeBinaryData {
		q.Set("includeBinaryData", "true")
	}
	cl.query = q
	return c.getOne(ctx, cl)
}

// GetCaseStatus returns a case with only its status data (guide 7.4.2):
// caseId, caseStatus, orderData.customData, the identification method and
// status, accountingData. GET /{clientId}/cases/{caseId}/status, or
// .../status/full with full. Partner accounts may call only these and the
// status list (guide chapter 9).
func (c *Client) GetCaseStatus(ctx context.Context, caseID string, full bool) (*connector.CaseResult, error) {
	cl := &call{op: "get case status", method: "GET", endpoint: "GET /cases/{caseId}/status", caseID: caseID,
		path: "/cases/" + caseID + "/status", encrypt: true, statusOnly: true, limit: maxCaseBody}
	if full {
		cl.endpoint += "/full"
		cl.path += "/full"
	}
	return c.getOne(ctx, cl)
}

func (c *Client) getOne(ctx context.Context, cl *call) (*connector.CaseResult, error) {
	if err := checkCaseID(cl.caseID); err != nil {
		cl.caseID = "" // not echoed: it failed validation and may be anything
		return nil, c.fail(cl, 0, err)
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	plain, derr := c.open(ctx, cl, resp.body)
	if derr == nil {
		var cr *connector.CaseResult
		if cr, derr = decodeCase(plain, cl.caseID); derr == nil {
			c.metrics.noteCase(ctx, cr)
			return cr, nil
		}
	}
	e := c.fail(cl, resp.attempts, derr)
	if looksLikeJWE(resp.body) {
		e.answer = resp.body // still encrypted: safe to keep (see Error.answer)
	}
	return nil, e
}

// looksLikeJWE reports whether body has the shape of a compact JWE: five
// base64url parts, the first starting with "ey" (a JSON header). Anything
// else might be plain personal data and is never kept.
func looksLikeJWE(body []byte) bool {
	b := bytes.TrimSpace(body)
	if !bytes.HasPrefix(b, []byte("ey")) || bytes.Count(b, []byte(".")) != 4 {
		return false
	}
	for _, ch := range b {
		if (ch < 'A' || ch > 'Z') && (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') && ch != '-' && ch != '_' && ch != '.' {
			return false
		}
	}
	return true
}

// checkCaseID refuses, before any request, a caseId that could not be a
// POSTIDENT caseId (connector.CheckCaseID): the webhook and the processor
// would never pass one on, and it would change the request path. The error
// wraps ErrBadRequest and the rule's error, and never contains the caseId.
func checkCaseID(id string) error {
	if err := connector.CheckCaseID(id); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return nil
}

// ListFilter holds the filter parameters of the list calls (guide 7.5.1 and
// 7.5.2). Nil flags and zero times are left out, so the server's defaults
// apply: new=false, inProgress=false, closed=true, archived=false.
type ListFilter struct {
	// New, InProgress and Closed select cases by case status; Archived
	// includes archived cases.
	New, InProgress, Closed, Archived *bool
	// CreatedFrom, CreatedUntil, ClosedFrom and ClosedUntil bound the
	// creation and closing time. They are sent as ISO 8601 with the value's
	// own offset (2016-12-26T00:00:00+02:00; UTC as +00:00), truncated to
	// the second.
	CreatedFrom, CreatedUntil, ClosedFrom, ClosedUntil time.Time
	// MaxResults limits the number of cases (maxResults); 0 leaves it out.
	// The guide documents it for the status lists only (7.5.2):
	// ListCases refuses a non-zero value with ErrBadRequest before sending.
	MaxResults int
}

// timeParam is how filter dates are written: ISO 8601, seconds, ±hh:mm.
const timeParam = "2006-01-02T15:04:05-07:00"

func (f ListFilter) values() (url.Values, error) {
	q := url.Values{}
	for _, p := range []struct {
		name string
		v    *bool
	}{{"new", f.New}, {"inProgress", f.InProgress}, {"closed", f.Closed}, {"archived", f.Archived}} {
		if p.v != nil {
			q.Set(p.name, strconv.FormatBool(*p.v))
		}
	}
	for _, p := range []struct {
		name string
		t    time.Time
	}{{"createdFrom", f.CreatedFrom}, {"createdUntil", f.CreatedUntil}, {"closedFrom", f.ClosedFrom}, {"closedUntil", f.ClosedUntil}} {
		if !p.t.IsZero() {
			q.Set(p.name, p.t.Format(timeParam))
		}
	}
	switch {
	case f.MaxResults < 0:
		return nil, fmt.Errorf("%w: MaxResults must not be negative", ErrBadRequest)
	case f.MaxResults > 0:
		q.Set("maxResults", strconv.Itoa(f.MaxResults))
	}
	return q, nil
}

// List is one page of a list call.
type List struct {
	// Cases holds up to 1000 cases (POSTIDENT's page size).
	Cases []connector.CaseResult
	// Partial reports X-PARTIAL-DELIVERY: true: more cases match. Archive
	// the delivered ones and list again, or narrow the filter (guide 7.5.1).
	Partial bool
	// Unreadable, when not nil, reports entries of the page that could not
	// be decoded; Cases holds the others.
	Unreadable *connector.ListEntriesError
}

// ListCases lists cases with their result data (guide 7.5.1): GET
// /{clientId}/cases, or /cases/full with full. Lists carry no binary data;
// use GetCase for images and PDFs.
func (c *Client) ListCases(ctx context.Context, f ListFilter, full bool) (*List, error) {
	cl := &call{op: "list cases", method: "GET", endpoint: "GET /cases", path: "/cases", encrypt: true, limit: maxListBody}
	if full {
		cl.endpoint += "/full"
		cl.path += "/full"
	}
	if f.MaxResults != 0 {
		// What POSTIDENT would do with it is undocumented: it might cap
		// the page silently, and X-PARTIAL-DELIVERY would not tell.
		return nil, c.fail(cl, 0, fmt.Errorf("%w: maxResults is documented for the status lists only (guide 7.5.2); leave MaxResults at 0 for ListCases", ErrBadRequest))
	}
	return c.list(ctx, cl, f)
}

// ListCaseStatus lists cases with their status data only (guide 7.5.2): GET
// /{clientId}/cases/status, or /cases/status/full with full.
func (c *Client) ListCaseStatus(ctx context.Context, f ListFilter, full bool) (*List, error) {
	cl := &call{op: "list case status", method: "GET", endpoint: "GET /cases/status", path: "/cases/status", encrypt: true, statusOnly: true, limit: maxListBody}
	if full {
		cl.endpoint += "/full"
		cl.path += "/full"
	}
	return c.list(ctx, cl, f)
}

func (c *Client) list(ctx context.Context, cl *call, f ListFilter) (*List, error) {
	q, err := f.values()
	if err != nil {
		return nil, c.fail(cl, 0, err)
	}
	cl.query = q
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	plain, derr := c.open(ctx, cl, resp.body)
	if derr != nil {
		return nil, c.fail(cl, resp.attempts, derr)
	}
	cases, bad, derr := decodeList(plain)
	if derr != nil {
		return nil, c.fail(cl, resp.attempts, derr)
	}
	for i := range cases {
		c.metrics.noteCase(ctx, &cases[i])
	}
	partial := strings.EqualFold(strings.TrimSpace(resp.header.Get("X-PARTIAL-DELIVERY")), "true")
	return &List{Cases: cases, Partial: partial, Unreadable: bad}, nil
}

// Archive marks closed cases as archived (guide 7.6): PATCH
// /{clientId}/cases/archive with a JSON array of caseIds, at most
// MaxArchiveIDs per call; longer lists are split into several calls, made
// in order. It returns the statuses of all calls, concatenated (one per
// updated case; cases that are not closed are ignored by POSTIDENT).
// Archiving is idempotent, so failed calls are retried like GETs. If a call
// fails, the statuses of the calls before it are returned with the error.
// The request is not encrypted: the key headers go only on GETs of result
// data.
func (c *Client) Archive(ctx context.Context, caseIDs []string) ([]connector.CaseStatus, error) {
	const endpoint = "PATCH /cases/archive"
	for _, id := range caseIDs {
		if err := checkCaseID(id); err != nil {
			return nil, &Error{Op: "archive", Endpoint: endpoint, Err: err}
		}
	}
	var out []connector.CaseStatus
	batches := (len(caseIDs) + MaxArchiveIDs - 1) / MaxArchiveIDs
	for i := 0; i < batches; i++ {
		ids := caseIDs[i*MaxArchiveIDs : min((i+1)*MaxArchiveIDs, len(caseIDs))]
		op := "archive"
		if batches > 1 {
			op = fmt.Sprintf("archive batch %d of %d", i+1, batches)
		}
		body, err := json.Marshal(ids)
		if err != nil {
			return out, &Error{Op: op, Endpoint: endpoint, Err: err}
		}
		cl := &call{op: op, method: "PATCH", endpoint: endpoint, path: "/cases/archive", body: body, limit: maxArchiveBody}
		resp, rerr := c.do(ctx, cl)
		if rerr != nil {
			return out, rerr
		}
		var statuses []connector.CaseStatus
		if len(strings.TrimSpace(string(resp.body))) > 0 {
			if derr := unmarshal(resp.body, &statuses); derr != nil {
				return out, c.fail(cl, resp.attempts, derr)
			}
		}
		out = append(out, statuses...)
	}
	return out, nil
}
