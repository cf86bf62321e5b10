package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"

	"github.com/postident-connector/postident-connector/connector"
)

// MaxCaseIDLen and MaxReferenceIDLen bound the two fields of a notification.
// The caseId follows the connector's one rule (connector.CheckCaseID). The
// guide does not specify referenceId; 256 characters covers any sane client
// reference. A longer or otherwise unusable referenceId is dropped, not
// refused: see refDrop.
const (
	MaxCaseIDLen      = connector.MaxCaseIDLen
	MaxReferenceIDLen = 256
)

// Errors returned by ValidateCaseID (the connector's, so errors.Is matches
// either name). They never contain the rejected value.
var (
	ErrCaseIDEmpty   = connector.ErrCaseIDEmpty
	ErrCaseIDTooLong = connector.ErrCaseIDTooLong
	ErrCaseIDChars   = connector.ErrCaseIDChars
)

// ValidateCaseID reports whether s has the shape of a POSTIDENT case id:
// 1 to 64 characters from A-Z and 0-9 (connector.CheckCaseID, where the rule
// and its reasons live). Lowercase is refused rather than folded: the case id
// is the Kafka key and the path segment of later API calls, so it must reach
// them exactly as POSTIDENT issued it.
func ValidateCaseID(s string) error { return connector.CheckCaseID(s) }

// refDrop says why a referenceId was dropped. Guide chapter 5 gives the
// referenceId no format ("the case ID and reference ID if configured"), so
// one the connector cannot pass on is no reason to refuse the notification:
// a 400 would fail POSTIDENT's three retries alike and leave the case to the
// reconciler. The caseId is accepted and the referenceId dropped, counted and
// logged without its value. Dropped, not truncated: a cut reference could
// name another order, an absent one names none.
type refDrop uint8

const (
	refKept         refDrop = iota
	refTooLong              // more than MaxReferenceIDLen characters
	refNotPrintable         // a control or format character, or invalid UTF-8
	refNotString            // a number, object, array or boolean
	refDuplicate            // given twice: which one is meant is unknown
	numRefDrops
)

var refDropNames = [numRefDrops]string{refKept: "", refTooLong: "too_long", refNotPrintable: "not_printable",
	refNotString: "not_a_string", refDuplicate: "duplicate"}

func (d refDrop) String() string { return refDropNames[d] }

// checkReferenceID reports whether s can be passed on as a referenceId: at
// most 256 characters, all printable (no control or format characters, no
// invalid UTF-8, which encoding/json turns into U+FFFD).
func checkReferenceID(s string) refDrop {
	if utf8.RuneCountInString(s) > MaxReferenceIDLen {
		return refTooLong
	}
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return refNotPrintable
		}
	}
	return refKept
}

// bodyError is a parse failure with the reason sent to the caller and the
// metric reason. Its text is fixed: it never quotes the body.
type bodyError struct {
	text   string
	reason reason
}

func (e *bodyError) Error() string { return e.text }

var (
	errBadJSON        = &bodyError{"invalid JSON", reasonBadJSON}
	errNotObject      = &bodyError{"body must be a single JSON object", reasonBadJSON}
	errTrailing       = &bodyError{"unexpected data after the JSON object", reasonBadJSON}
	errDuplicateField = &bodyError{"duplicate field", reasonBadJSON}
	errMissingCaseID  = &bodyError{"missing caseId", reasonBadCaseID}
	errBadCaseID      = &bodyError{"invalid caseId", reasonBadCaseID}
)

// parseBody decodes a POSTIDENT notification: exactly one JSON object, field
// names matched exactly ("caseId", "referenceId"), other fields ignored,
// nothing but whitespace after it. A caseId given twice is refused, so no
// later reader of the same bytes can see a different caseId than we did; a
// referenceId given twice is dropped. referenceId may be absent or null; one
// that cannot be passed on is dropped (referenceID "", and dropped says
// why) while the caseId is still accepted.
func parseBody(body []byte) (caseID, referenceID string, dropped refDrop, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return "", "", refKept, errBadJSON
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", "", refKept, errNotObject
	}
	var haveCase, haveRef bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", "", refKept, errBadJSON
		}
		key, ok := tok.(string)
		if !ok {
			return "", "", refKept, errBadJSON
		}
		switch key {
		case "caseId":
			if haveCase {
				return "", "", refKept, errDuplicateField
			}
			haveCase = true
			var v *string
			if err := dec.Decode(&v); err != nil {
				if isSyntaxError(err) {
					return "", "", refKept, errBadJSON
				}
				return "", "", refKept, errBadCaseID // a number, object, ...
			}
			if v == nil {
				return "", "", refKept, errBadCaseID
			}
			caseID = *v
		case "referenceId":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return "", "", refKept, errBadJSON
			}
			if haveRef {
				dropped = refDuplicate
				continue
			}
			haveRef = true
			var v *string
			if err := json.Unmarshal(raw, &v); err != nil {
				dropped = refNotString
			} else if v != nil {
				referenceID = *v
			}
		default:
			// Unknown fields are tolerated (POSTIDENT may add some), but
			// must still be valid JSON.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", "", refKept, errBadJSON
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return "", "", refKept, errBadJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "", refKept, errTrailing
	}
	if !haveCase {
		return "", "", refKept, errMissingCaseID
	}
	if ValidateCaseID(caseID) != nil {
		return "", "", refKept, errBadCaseID
	}
	if dropped == refKept {
		dropped = checkReferenceID(referenceID)
	}
	if dropped != refKept {
		referenceID = ""
	}
	return caseID, referenceID, dropped, nil
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
