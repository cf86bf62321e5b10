package connector

import (
	"context"
	"errors"
	"time"
)

// This file holds the domain's ports: the interfaces the roles (Processor,
// Archiver, Reconciler, Backfill, Ingest) need from the outside world, and
// the sentinel errors through which adapters tell them what went wrong.
// Adapters implement them (internal/kafka: Publisher, Subscriber,
// Ownership; internal/scr: Source, StoredDecoder; internal/avro: Codec);
// internal/memory implements them in memory for unit tests, and
// connector/porttest is the contract both kinds must meet.

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is one record as the pipeline hands it to a Publisher or receives
// it from a Subscriber. Key is the caseId as UTF-8 bytes; a nil Value is a
// tombstone on a compacted topic.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time
}

// Header returns the value of the first header named key, or nil.
func (m *Message) Header(key string) []byte {
	for _, h := range m.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return nil
}

// Publisher writes records durably. Publish returns nil only after every
// message was acknowledged by all in-sync replicas (acks=all); it is safe for
// concurrent use. Messages with the same key keep their order.
type Publisher interface {
	Publish(ctx context.Context, msgs ...Message) error
}

// Subscriber is a consumer-group reader: fetch, handle, commit.
type Subscriber interface {
	Fetch(ctx context.Context) (Message, error)
	Commit(ctx context.Context, msgs ...Message) error
}

// Ownership is implemented by a Subscriber that knows which cases it
// handles: Owns reports whether the notifications partition of caseID is
// assigned to this replica now. The processor expires state entries only
// for the cases it owns, so that exactly one replica writes the tombstone of
// each entry.
type Ownership interface {
	Owns(caseID string) bool
}

// Topics names the Kafka topics of the pipeline.
type Topics struct {
	Status        string // every observed transition (delete policy)
	Result        string // one result per closed case (compacted)
	Notifications string // webhook and reconcile notifications (delete policy)
	State         string // last emitted state per case (compacted)
	Records       string // binary records, when enabled (compacted)
	DeadLetter    string // parked cases (compacted; a tombstone once resolved)
}

// DefaultTopics are the topic names of DESIGN.md.
func DefaultTopics() Topics {
	return Topics{
		Status:        "postident.case-status-changed.v1",
		Result:        "postident.case-result.v1",
		Notifications: "postident.notifications.v1",
		State:         "postident.case-state.v1",
		Records:       "postident.case-records.v1",
		DeadLetter:    "postident.case-dead-letter.v1",
	}
}

// ErrCodecUnavailable is wrapped by a Codec's error when a record could not
// be encoded or decoded because a dependency (the schema registry) is
// unreachable or failing: the same bytes will work later, so the record
// must be retried, never skipped.
var ErrCodecUnavailable = errors.New("codec dependency unavailable")

// ErrRecordTooLarge is wrapped by a Publisher's error when the broker (or
// the producer's own limit) refuses a record for its size: publishing the
// same record again cannot succeed.
var ErrRecordTooLarge = errors.New("record larger than the broker takes")

// Codec turns events into record values and back. Encode chooses the schema
// from the Go type of v (CaseStatusChanged, CaseResultEvent, Notification,
// CaseState) and frames the bytes for the topic (schema registry or Avro
// single-object encoding).
type Codec interface {
	Encode(ctx context.Context, topic string, v any) ([]byte, error)
	Decode(ctx context.Context, data []byte, v any) error
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

// DecodeStored decodes a stored answer (the EncryptedAnswer of a
// dead-letter record) for caseID with this build's decoder and key. A Source
// that can do so implements it; `dead-letter retry` uses it when POSTIDENT
// no longer has the case.
type StoredDecoder interface {
	DecodeStored(caseID string, answer []byte) (*CaseResult, error)
}

// ErrCaseGone is returned (wrapped) by a Source when POSTIDENT does not know
// a case: never created for this client, or deleted after the retention
// period. Retrying cannot help.
var ErrCaseGone = errors.New("case not found at POSTIDENT")

// ErrUnauthorized is returned (wrapped) by a Source when POSTIDENT refuses
// the credentials or client id. Retrying cannot help; an operator must act.
var ErrUnauthorized = errors.New("POSTIDENT refused the credentials")

// ErrBadRequest is returned (wrapped) by a Source when POSTIDENT answers 400.
var ErrBadRequest = errors.New("POSTIDENT rejected the request")

// ErrMisconfigured is returned (wrapped) by a Source when POSTIDENT's answer
// cannot be read with this configuration: it does not decrypt with the
// configured key, or arrives in plain JSON although encryption is required.
// Retrying cannot help; an operator must act.
var ErrMisconfigured = errors.New("POSTIDENT answer unreadable with this configuration")

// ErrCaseUnreadable is returned (wrapped) by a Source when POSTIDENT's
// answer for one case arrived but cannot be used: malformed JSON, a member
// of the wrong JSON type, a body over the size cap, or an answer for another
// caseId. The same bytes would come again: retrying cannot help, but it
// concerns this case only. The processor parks the case (dead-letter
// topic) and goes on with the others.
var ErrCaseUnreadable = errors.New("POSTIDENT answer for this case is unreadable")

// ErrUndecryptable is returned (wrapped) by a Source when the answer for one
// case does not decrypt (or arrives in plain JSON although encryption is
// required). One such case is a broken or hostile answer and is parked;
// several different cases failing with no successful fetch in between mean
// the key or data password is wrong, which needs an operator (see
// Processor).
var ErrUndecryptable = errors.New("POSTIDENT answer for this case does not decrypt")

// ErrNeedsOperator marks the error with which the processor stops pulling:
// retrying cannot help until the configuration is fixed.
var ErrNeedsOperator = errors.New("processor stopped for an operator")

// IsFatal reports whether err needs an operator: wrong credentials, a
// request POSTIDENT rejects as malformed (such as a wrong x-scr-keyhash from
// a wrong data password), or answers that do not decrypt. The processor
// judges ErrBadRequest and ErrUndecryptable of single-case fetches over
// several cases instead (see Processor); other callers (archiver, backfill,
// CLI) treat them as fatal at once.
func IsFatal(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrBadRequest) || errors.Is(err, ErrMisconfigured) ||
		errors.Is(err, ErrUndecryptable)
}

// CaseError is what a Source knows about the failed fetch of one case,
// beyond its message: it fills the dead-letter record. Error() is the
// cause's text only; EncryptedAnswer, the raw compact JWE POSTIDENT sent
// (when there was one), never appears in it.
type CaseError struct {
	// Endpoint is the method and path template, e.g. "GET /cases/{caseId}".
	Endpoint string
	// StatusCode is the HTTP status of an unsuccessful answer, else 0.
	StatusCode int
	// EncryptedAnswer is the still-encrypted answer (compact JWE) of a
	// response that arrived but could not be used; nil otherwise.
	EncryptedAnswer []byte
	// Err is the cause, wrapping one of this package's sentinels.
	Err error
}

func (e *CaseError) Error() string { return e.Err.Error() }
func (e *CaseError) Unwrap() error { return e.Err }
