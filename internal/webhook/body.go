package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// MaxCaseIDLen and MaxReferenceIDLen bound the two fields of a notification.
// POSTIDENT case ids are 12 characters today (e.g. YR9W91GEZK24); 64 leaves
// room for a change without letting arbitrary strings through. The guide does
// not specify referenceId; 256 characters covers any sane client reference.
const (
	MaxCaseIDLen      = 64
	MaxReferenceIDLen = 256
)

// Errors returned by ValidateCaseID. They never contain the rejected value.
var (
	ErrCaseIDEmpty   = errors.New("caseId is empty")
	ErrCaseIDTooLong = errors.New("caseId is longer than 64 characters")
	ErrCaseIDChars   = errors.New("caseId contains a character outside A-Z and 0-9")
)

// ValidateCaseID reports whether s has the shape of a POSTIDENT case id:
// 1 to 64 characters from A-Z and 0-9 (case ids such as YR9W91GEZK24 or
// KRZ1A8M4UBZZ are uppercase alphanumeric). Lowercase is refused rather than
// folded: the case id is the Kafka key and the path segment of later API
// calls, so it must reach them exactly as POSTIDENT issued it.
func ValidateCaseID(s string) error {
	if s == "" {
		return ErrCaseIDEmpty
	}
	if len(s) > MaxCaseIDLen {
		return ErrCaseIDTooLong
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return ErrCaseIDChars
		}
	}
	return nil
}

// validReferenceID reports whether s is an acceptable referenceId: at most
// 256 characters, all printable (no control or format characters).
func validReferenceID(s string) bool {
	if utf8.RuneCountInString(s) > MaxReferenceIDLen {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
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
	errBadReferenceID = &bodyError{"invalid referenceId", reasonBadJSON}
	errMissingCaseID  = &bodyError{"missing caseId", reasonBadCaseID}
	errBadCaseID      = &bodyError{"invalid caseId", reasonBadCaseID}
)

// parseBody decodes a POSTIDENT notification: exactly one JSON object, field
// names matched exactly ("caseId", "referenceId"), other fields ignored,
// nothing but whitespace after it. A field given twice is refused, so no
// later reader of the same bytes can see a different caseId than we did.
// referenceId may be absent or null.
func parseBody(body []byte) (caseID, referenceID string, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return "", "", errBadJSON
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", "", errNotObject
	}
	var haveCase, haveRef bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", "", errBadJSON
		}
		key, ok := tok.(string)
		if !ok {
			return "", "", errBadJSON
		}
		switch key {
		case "caseId":
			if haveCase {
				return "", "", errDuplicateField
			}
			haveCase = true
			var v *string
			if err := dec.Decode(&v); err != nil {
				if isSyntaxError(err) {
					return "", "", errBadJSON
				}
				return "", "", errBadCaseID // a number, object, ...
			}
			if v == nil {
				return "", "", errBadCaseID
			}
			caseID = *v
		case "referenceId":
			if haveRef {
				return "", "", errDuplicateField
			}
			haveRef = true
			var v *string
			if err := dec.Decode(&v); err != nil {
				if isSyntaxError(err) {
					return "", "", errBadJSON
				}
				return "", "", errBadReferenceID
			}
			if v != nil {
				referenceID = *v
			}
		default:
			// Unknown fields are tolerated (POSTIDENT may add some), but
			// must still be valid JSON.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", "", errBadJSON
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return "", "", errBadJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "", errTrailing
	}
	if !haveCase {
		return "", "", errMissingCaseID
	}
	if ValidateCaseID(caseID) != nil {
		return "", "", errBadCaseID
	}
	if !validReferenceID(referenceID) {
		return "", "", errBadReferenceID
	}
	return caseID, referenceID, nil
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
