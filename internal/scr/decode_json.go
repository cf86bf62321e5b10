//go:build go1.27

package scr

import (
	"encoding/json"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/postident-connector/postident-connector/connector"
)

// This file needs Go 1.27's encoding/json/v2 (the engine of encoding/json
// since then; go.mod's toolchain line selects it); its build constraint
// lets it use that API while go.mod still says go 1.26.

// decodeOptions are encoding/json's own (v1) semantics, with errors
// reported the v2 way: a *jsonv2.SemanticError or *jsontext.SyntacticError
// carrying the JSON Pointer of the failing value. With v1 errors, a failure
// inside a type's own UnmarshalJSON (connector.Text, Int, Time) would come
// back without any field name.
// connectorPkg is the import path of the model's package.
var connectorPkg = reflect.TypeFor[connector.Text]().PkgPath()

var decodeOptions = jsonv2.JoinOptions(json.DefaultOptionsV1(), json.ReportErrorsWithLegacySemantics(false))

// jsonKinds names the kinds of JSON value in errors, as encoding/json's v1
// errors did ("a JSON array cannot be decoded into string").
var jsonKinds = map[jsontext.Kind]string{
	'n': "null", 'f': "boolean", 't': "boolean", '"': "string", '0': "number", '{': "object", '[': "array",
}

// unmarshal decodes JSON, keeping unknown members in the model's Unmapped
// slots, and reports failures by position and field path, never by value:
// the body carries personal data, and the decoder's own messages may quote
// it.
func unmarshal(b []byte, v any) error {
	err := jsonv2.Unmarshal(b, v, decodeOptions)
	if err == nil {
		return nil
	}
	var (
		syn *jsontext.SyntacticError
		sem *jsonv2.SemanticError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%w: invalid JSON at byte offset %d of %d", errDecode, syn.ByteOffset, len(b))
	case errors.As(err, &sem):
		field := strings.ReplaceAll(strings.TrimPrefix(string(sem.JSONPointer), "/"), "/", ".")
		if field == "" {
			field = "(top level)"
		}
		kind := jsonKinds[sem.JSONKind]
		if kind == "" {
			kind = "value"
		}
		into := "the model"
		if sem.GoType != nil {
			into = sem.GoType.String()
		}
		why := ""
		if sem.GoType != nil && sem.Err != nil && strings.HasPrefix(sem.GoType.PkgPath(), connectorPkg) {
			// The connector types' own UnmarshalJSON errors, which by
			// that package's rules carry no values (the decoder's own
			// may quote the input: they are left out).
			why = " (" + sem.Err.Error() + ")"
		}
		return fmt.Errorf("%w: field %s: a JSON %s cannot be decoded into %s%s (at byte offset %d)",
			errDecode, field, kind, into, why, sem.ByteOffset)
	default:
		// I/O-free decoding has no other errors; keep the class, not the text.
		return fmt.Errorf("%w: undecodable JSON", errDecode)
	}
}
