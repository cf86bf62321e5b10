//go:build !go1.27

package scr

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/postident-connector/postident-connector/connector"
)

// This file is the decoder for Go 1.26, with encoding/json's v1 engine;
// decode_json_v2.go is the one for Go 1.27 and later (the release
// toolchain). Both report the same errors.

// unmarshal decodes JSON with encoding/json, keeping unknown members in the
// model's Unmapped slots (connector.KeepUnmapped), and reports failures by
// position and field path, never by value: the body carries personal data,
// and the decoder's own messages may quote it (a number's text, for one).
func unmarshal(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		connector.KeepUnmapped(b, v)
		return nil
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the bad one included; report the
		// bad byte's own offset (the end for a truncated body).
		off := syn.Offset
		if off > 0 && off < int64(len(b)) {
			off--
		}
		return fmt.Errorf("%w: invalid JSON at byte offset %d of %d", errDecode, off, len(b))
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ") // "number 4711": the kind only
		if kind == "bool" {
			kind = "boolean"
		}
		return fieldError(typ.Field, kind, typ.Type, "", typ.Offset)
	}
	// An error of a type's own UnmarshalJSON (connector.Text, Int, Time),
	// which encoding/json returns without saying where: find where.
	if fe := connector.FindFieldError(b, reflect.TypeOf(v)); fe != nil {
		why := ""
		if strings.HasPrefix(fe.Type.PkgPath(), connectorPkg) {
			// The connector types' own errors carry no values, by that
			// package's rules; other types' might: they are left out.
			why = fe.Err.Error()
		}
		return fieldError(fe.Path, fe.Kind, fe.Type, why, int64(fe.Offset))
	}
	// No other errors come out of decoding bytes; keep the class, not the text.
	return fmt.Errorf("%w: undecodable JSON", errDecode)
}
