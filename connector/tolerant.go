package connector

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// This file holds the two tolerant scalar types of the model (issue 13,
// "tolerant where the guide is loose"). The guide shows several values as
// bare digits or codes without saying whether they travel as JSON strings
// or numbers: postOffice 227208750 and checkoutNote 85014869 3013 (8.6.8),
// recordId (8.6.7), the document type "1" and other value/status pairs
// (8.6.2), subStatus codes (8.6.1), accountingNumber 7777777173701 (8.7).
// A case must not fail because POSTIDENT chose the other one.

// Text is a string the guide shows as digits or a code. It accepts a JSON
// string (kept as is), a JSON number (kept as its exact literal text:
// 227208750 becomes "227208750", 1.50 stays "1.50", nothing is reformatted)
// and null (""). true, false, an object or an array cannot be written as
// text without altering them, so they fail the decoding of the case with an
// error that names the field, never the value. It marshals as a JSON string.
type Text string

// Note is free text of the guide's post-office and video data (8.6.8:
// postOffice, postOfficeStreetAddress, postOfficeCity, checkoutNote, the
// ID card reader's additional information; 8.6.10:
// identificationServiceCenter, identificationAgentAlias), which nothing in
// the pipeline depends on. It accepts what Text accepts; any other JSON
// value (true, an object, an array) does not fail the case but degrades:
// CaseResult.Normalize moves it, verbatim, out of the field into the
// Unmapped slot of the object that holds it, where unmappedJson carries it
// under the field's own path, leaves the field empty, and reports the field
// in CaseResult.Degraded (counted by the decoder). Until Normalize runs, the
// field holds noteMark and the raw JSON; the event mapping treats such a
// value as absent.
type Note string

// noteMark starts a Note that holds a raw JSON value waiting for
// Normalize. 0xFF never occurs in UTF-8, and decoded JSON strings are
// always valid UTF-8, so no real value can start with it.
const noteMark = "\xff"

// Int is an integer the guide shows as a number (subStatus codes, coupon
// counts). It accepts a JSON integer and a JSON string holding one ("11"),
// and null (0). Anything else, including a fraction or a number outside the
// int32 range of the events, fails the decoding of the case: truncating it
// would alter it silently.
type Int int

var (
	errTextKind = errors.New("expected a JSON string or number")
	errIntKind  = errors.New("expected a 32-bit integer, as a JSON number or string")
)

// UnmarshalJSON implements json.Unmarshaler. b is one complete, valid JSON
// value (the decoder checked it).
func (t *Text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return errTextKind
	case b[0] == '"':
		if s, ok := plainString(b); ok {
			*t = Text(s)
			return nil
		}
		var s string // escapes: let encoding/json unquote it
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		*t = Text(b) // the number's literal text, unchanged
	case string(b) == "null":
		*t = ""
	default:
		return errTextKind
	}
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Note) UnmarshalJSON(b []byte) error {
	var t Text
	if err := t.UnmarshalJSON(b); err != nil {
		if len(b) == 0 {
			return err
		}
		*n = Note(noteMark + string(b)) // moved by Normalize
		return nil
	}
	*n = Note(t)
	return nil
}

// text is the value for the events: "" for a degraded value Normalize has
// not moved yet.
func (n Note) text() string {
	if strings.HasPrefix(string(n), noteMark) {
		return ""
	}
	return string(n)
}

// moveTo moves a degraded value (see Note) into the JSON object unmapped
// as the member name, and appends label, the field's name for the
// counter, to degraded. A Note that holds text is left alone, without
// allocating.
func (n *Note) moveTo(unmapped *json.RawMessage, name, label string, degraded *[]string) {
	if !strings.HasPrefix(string(*n), noteMark) {
		return
	}
	raw := string(*n)[len(noteMark):]
	*n = ""
	key, _ := json.Marshal(name) // a string: cannot fail
	obj := bytes.TrimSpace(*unmapped)
	var out []byte
	if len(obj) >= 2 && len(bytes.TrimSpace(obj[1:len(obj)-1])) > 0 {
		out = append(append(out, obj[:len(obj)-1]...), ',') // {"a":1 -> {"a":1,
	} else {
		out = append(out, '{')
	}
	out = append(append(append(out, key...), ':'), raw...)
	*unmapped = append(out, '}')
	*degraded = append(*degraded, label)
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = 0
		return nil
	}
	digits := b
	if len(b) >= 2 && b[0] == '"' {
		s, ok := plainString(b)
		if !ok {
			return errIntKind
		}
		digits = []byte(s)
	}
	v, err := strconv.ParseInt(string(digits), 10, 32)
	if err != nil {
		return errIntKind
	}
	*n = Int(v)
	return nil
}

// plainString returns the content of a quoted JSON string that needs no
// unescaping (no backslash, no control or non-ASCII byte), the shape of
// nearly every code and number POSTIDENT sends; ok is false otherwise.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return "", false
		}
	}
	return string(in), true
}
