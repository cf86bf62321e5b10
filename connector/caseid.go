package connector

import "errors"

// The case-id rule, one place for the webhook (which accepts a caseId from
// the internet), the SCR client (which puts it into a request path) and the
// processor (which keys Kafka records by it).
//
// The guide gives caseId no format of its own. Every caseId it shows is 12
// upper-case letters and digits (YR9W91GEZK24 in 7.4.1, KRZ1A8M4UBZZ in the
// archive call of 7.6, the 12345678ABCD_... file names of 8.6.7), its one
// stated identifier format, the clientId's, is "alphanumeric, uppercase
// (case sensitive)" (7.2.3), and a caseId reaches the connector only as
// POSTIDENT issued it (webhook, list, result).
// So the rule is A-Z and 0-9, as POSTIDENT writes them; 64 characters leave
// room for longer ids without letting arbitrary strings through. Lower case
// is refused rather than folded: the caseId is the Kafka key and the path
// segment of later API calls, so it must reach them unchanged.

// MaxCaseIDLen is the longest caseId accepted.
const MaxCaseIDLen = 64

// Errors returned by CheckCaseID. They never contain the rejected value,
// which may be anything a caller sent.
var (
	ErrCaseIDEmpty   = errors.New("caseId is empty")
	ErrCaseIDTooLong = errors.New("caseId is longer than 64 characters")
	ErrCaseIDChars   = errors.New("caseId contains a character outside A-Z and 0-9")
)

// CheckCaseID reports whether s has the shape of a POSTIDENT caseId: 1 to
// MaxCaseIDLen characters from A-Z and 0-9. The error is one of
// ErrCaseIDEmpty, ErrCaseIDTooLong and ErrCaseIDChars.
func CheckCaseID(s string) error {
	if s == "" {
		return ErrCaseIDEmpty
	}
	if len(s) > MaxCaseIDLen {
		return ErrCaseIDTooLong
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return ErrCaseIDChars
		}
	}
	return nil
}

// ValidCaseID reports whether s passes CheckCaseID.
func ValidCaseID(s string) bool { return CheckCaseID(s) == nil }
