package connector

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// This file fills and writes back the model's Unmapped slots (unmapped.go)
// with the standard encoding/json of every Go release the module supports
// (1.26 and later). encoding/json drops members a struct has no field for;
// after it decoded a value, KeepUnmapped walks the same JSON once more,
// beside the decoded value, and appends each member the struct has no field
// for to that struct's Unmapped slot, verbatim. Marshal does the reverse
// for an encoded value. The walk reads object keys and skips values with a
// few byte scans; it needs no allocation unless a member is unmapped.
//
// The walk relies on the JSON being valid and decoded into (or encoded
// from) the value beside it without error, which is what Unmarshal and
// Marshal guarantee. It never panics on anything else either: it stops
// where the bytes stop making sense.

// Unmarshal decodes JSON into v like json.Unmarshal and keeps, in the
// model's Unmapped slots, every member the model has no field for
// (KeepUnmapped). Every decoder of a CaseResult calls it, then Normalize.
func Unmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	KeepUnmapped(b, v)
	return nil
}

// KeepUnmapped fills the Unmapped slots of v, a pointer, from b, the JSON
// that json.Unmarshal just decoded into v without error. Each member of an
// object whose struct has no field for it (matched by name as
// encoding/json matches: exactly, else case-insensitively) is appended to
// that struct's Unmapped object, in the order it arrived.
func KeepUnmapped(b []byte, v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return
	}
	s := schemaOf(rv.Type())
	if !s.keeps {
		return
	}
	w := jsonWalk{b: b, mode: walkKeep}
	w.value(s, rv)
}

// Marshal encodes v like json.Marshal and writes the members of every
// Unmapped slot back into the object that held them, after its fields, so
// a CaseResult that went through Unmarshal and Marshal carries everything
// it arrived with. (The simulator serves what it was loaded with this way.)
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return b, nil
	}
	s := schemaOf(rv.Type())
	if !s.keeps {
		return b, nil
	}
	w := jsonWalk{b: b, mode: walkMarshal}
	w.value(s, rv)
	if len(w.inserts) == 0 {
		return b, nil
	}
	n := len(b)
	for _, in := range w.inserts {
		n += len(in.members) + 1
	}
	out := make([]byte, 0, n)
	last := 0
	for _, in := range w.inserts {
		out = append(out, b[last:in.at]...)
		if in.comma {
			out = append(out, ',')
		}
		out = append(out, in.members...)
		last = in.at
	}
	return append(out, b[last:]...), nil
}

// FieldError is a value that a type's own UnmarshalJSON refused (Text,
// Int, Time and the like), located in the JSON: encoding/json reports such
// an error without saying where it happened.
type FieldError struct {
	Path   string       // member names and array indexes from the top, dotted: "caseStatus.created"
	Kind   string       // the JSON kind of the value: string, number, boolean, null, object or array
	Type   reflect.Type // the Go type that refused it
	Offset int          // byte offset of the value in the JSON
	Err    error        // the type's own error
}

// FindFieldError returns the first value of b that a type with its own
// UnmarshalJSON refuses when b is decoded into a value of type t, or nil.
// It is for reporting a failed decoding; b need not be valid JSON.
func FindFieldError(b []byte, t reflect.Type) *FieldError {
	if t == nil {
		return nil
	}
	w := jsonWalk{b: b, mode: walkCheck}
	w.value(schemaOf(t), reflect.Value{})
	return w.found
}

// jsonKindName names the JSON kind of the value starting with c.
func jsonKindName(c byte) string {
	switch c {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "number"
}

// The schema of a Go type as encoding/json sees it, built once per type.

type schemaKind uint8

const (
	schemaSkip        schemaKind = iota // scalars, maps, interfaces, []byte: nothing to walk
	schemaUnmarshaler                   // a type with its own UnmarshalJSON
	schemaStruct
	schemaSlice // slices and arrays
	schemaPointer
)

type jsonSchema struct {
	kind     schemaKind
	typ      reflect.Type
	elem     *jsonSchema // schemaSlice, schemaPointer
	fields   []schemaField
	folded   map[string]int // folded JSON name -> 1 + index in fields (case-insensitive match)
	unmapped int            // index of the Unmapped field, -1 when the struct has none
	keeps    bool           // an Unmapped slot somewhere in a value of this type
}

type schemaField struct {
	name   string // the JSON name
	index  int    // in the Go struct
	schema *jsonSchema
}

var (
	schemas          sync.Map // reflect.Type -> *jsonSchema
	schemaMu         sync.Mutex
	unmarshalerType  = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType   = reflect.TypeFor[json.RawMessage]()
	unmappedSlotName = "Unmapped"
)

func schemaOf(t reflect.Type) *jsonSchema {
	if s, ok := schemas.Load(t); ok {
		return s.(*jsonSchema)
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	building := map[reflect.Type]*jsonSchema{}
	s := buildSchema(t, building)
	for t, s := range building {
		schemas.Store(t, s)
	}
	return s
}

// buildSchema follows encoding/json's rules: exported fields, the name of
// the json tag or else the field's name, "-" skipped. A struct with an
// embedded struct is not walked (the model has none), so it keeps nothing
// rather than something wrong.
func buildSchema(t reflect.Type, building map[reflect.Type]*jsonSchema) *jsonSchema {
	if s, ok := schemas.Load(t); ok {
		return s.(*jsonSchema)
	}
	if s, ok := building[t]; ok {
		return s // a recursive type: its flags are settled by the outer call
	}
	s := &jsonSchema{typ: t, unmapped: -1}
	building[t] = s
	switch {
	case t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType):
		s.kind = schemaUnmarshaler
	case t.Kind() == reflect.Pointer:
		s.kind = schemaPointer
		s.elem = buildSchema(t.Elem(), building)
		s.keeps = s.elem.keeps
	case (t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8) || t.Kind() == reflect.Array:
		s.kind = schemaSlice
		s.elem = buildSchema(t.Elem(), building)
		s.keeps = s.elem.keeps
	case t.Kind() == reflect.Struct:
		buildStruct(s, t, building)
	}
	return s
}

func buildStruct(s *jsonSchema, t reflect.Type, building map[reflect.Type]*jsonSchema) {
	for i := range t.NumField() {
		if t.Field(i).Anonymous {
			return // schemaSkip: see buildSchema
		}
	}
	s.kind = schemaStruct
	s.folded = map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if f.Name == unmappedSlotName && f.Type == rawMessageType && tag == "-" {
			s.unmapped = i
			s.keeps = true
			continue
		}
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fs := buildSchema(f.Type, building)
		s.keeps = s.keeps || fs.keeps
		if folded := string(foldName(nil, []byte(name))); s.folded[folded] == 0 {
			s.folded[folded] = len(s.fields) + 1 // the first field wins, as in encoding/json
		}
		s.fields = append(s.fields, schemaField{name: name, index: i, schema: fs})
	}
}

// field returns the index in s.fields of the field a member named by the
// quoted JSON string key (with escapes when escaped) decodes into, matched
// as encoding/json matches, or -1. Members usually arrive in the order of the fields, so the field
// after the previous match (next) is tried first.
func (s *jsonSchema) field(key []byte, escaped bool, next int) int {
	name := key[1 : len(key)-1]
	if escaped {
		var u string
		if json.Unmarshal(key, &u) != nil {
			return -1
		}
		name = []byte(u)
	}
	if next < len(s.fields) && s.fields[next].name == string(name) {
		return next
	}
	for i := range s.fields {
		if len(s.fields[i].name) == len(name) && s.fields[i].name == string(name) {
			return i
		}
	}
	var buf [64]byte
	if i := s.folded[string(foldName(buf[:0], name))]; i > 0 {
		return i - 1
	}
	return -1
}

// foldName is encoding/json's case folding of member names: ASCII upper
// case, and each other rune to the smallest rune of its simple fold orbit.
func foldName(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}

// The walk.

type walkMode uint8

const (
	walkKeep    walkMode = iota // fill Unmapped slots from decoded JSON
	walkMarshal                 // note where Unmapped members go in encoded JSON
	walkCheck                   // find the value an UnmarshalJSON refuses
)

type jsonWalk struct {
	b       []byte
	i       int
	mode    walkMode
	inserts []insert    // walkMarshal
	path    []string    // walkCheck
	found   *FieldError // walkCheck
	escaped bool        // the last string skipped had an escape
}

// insert is where Marshal writes an object's unmapped members: before the
// closing brace at at, after a comma when the object has fields.
type insert struct {
	at      int
	comma   bool
	members []byte
}

func (w *jsonWalk) peek() byte {
	for w.i < len(w.b) {
		switch c := w.b[w.i]; c {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return c
		}
	}
	return 0
}

// value walks the JSON value at w.i, decoded into (or encoded from) v, a
// value of schema s (v is not used by walkCheck).
func (w *jsonWalk) value(s *jsonSchema, v reflect.Value) {
	c := w.peek()
	if w.found != nil || c == 'n' || (w.mode != walkCheck && !s.keeps) {
		w.skip()
		return
	}
	switch s.kind {
	case schemaPointer:
		if w.mode != walkCheck {
			if v.IsNil() {
				w.skip()
				return
			}
			v = v.Elem()
		}
		w.value(s.elem, v)
	case schemaStruct:
		if c != '{' {
			w.skip()
			return
		}
		w.object(s, v)
	case schemaSlice:
		if c != '[' {
			w.skip()
			return
		}
		w.array(s, v)
	case schemaUnmarshaler:
		start := w.i
		w.skip()
		if w.mode == walkCheck {
			w.check(s, start)
		}
	default:
		w.skip()
	}
}

// check calls the UnmarshalJSON of s's type on the value at b[start:w.i].
func (w *jsonWalk) check(s *jsonSchema, start int) {
	p := reflect.New(s.typ)
	u, ok := p.Interface().(json.Unmarshaler)
	if !ok || start >= w.i {
		return
	}
	if err := u.UnmarshalJSON(w.b[start:w.i]); err != nil {
		w.found = &FieldError{Path: strings.Join(w.path, "."), Kind: jsonKindName(w.b[start]),
			Type: s.typ, Offset: start, Err: err}
	}
}

func (w *jsonWalk) object(s *jsonSchema, v reflect.Value) {
	w.i++ // {
	fields := false
	next := 0 // the field expected next
	for w.found == nil {
		c := w.peek()
		if c == ',' {
			w.i++
			c = w.peek()
		}
		if c != '"' {
			break // } or the end
		}
		ks := w.i
		w.skipString()
		key := w.b[ks:w.i]
		if w.peek() != ':' {
			return
		}
		w.i++
		fields = true
		if fi := s.field(key, w.escaped, next); fi >= 0 {
			next = fi + 1
			f := &s.fields[fi]
			switch {
			case w.mode == walkCheck:
				w.path = append(w.path, memberName(key))
				w.value(f.schema, v)
				w.path = w.path[:len(w.path)-1]
			case !f.schema.keeps:
				w.skip() // most members: a scalar, no reflection needed
			default:
				w.value(f.schema, v.Field(f.index))
			}
			continue
		}
		w.peek()
		vs := w.i
		w.skip()
		if w.mode == walkKeep && s.unmapped >= 0 {
			appendMember(v.Field(s.unmapped), key, w.b[vs:w.i])
		}
	}
	if w.i >= len(w.b) || w.b[w.i] != '}' {
		return
	}
	if w.mode == walkMarshal && s.unmapped >= 0 {
		if m := members(v.Field(s.unmapped).Bytes()); len(m) > 0 {
			w.inserts = append(w.inserts, insert{at: w.i, comma: fields, members: m})
		}
	}
	w.i++
}

func (w *jsonWalk) array(s *jsonSchema, v reflect.Value) {
	w.i++ // [
	for n := 0; w.found == nil; n++ {
		c := w.peek()
		if c == ',' {
			w.i++
			c = w.peek()
		}
		if c == ']' || c == 0 {
			break
		}
		switch {
		case w.mode == walkCheck:
			w.path = append(w.path, strconv.Itoa(n))
			w.value(s.elem, v)
			w.path = w.path[:len(w.path)-1]
		case n < v.Len():
			w.value(s.elem, v.Index(n))
		default:
			w.skip()
		}
	}
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
	}
}

// memberName is the unquoted name of a member for a FieldError's path.
func memberName(key []byte) string {
	var s string
	if json.Unmarshal(key, &s) != nil {
		return string(key)
	}
	return s
}

// appendMember adds "key":value to the JSON object in slot (a
// json.RawMessage), creating it if empty. The bytes are copied: they
// belong to the caller's buffer.
func appendMember(slot reflect.Value, key, value []byte) {
	cur := slot.Bytes()
	var out []byte
	if len(cur) < 2 {
		out = make([]byte, 0, len(key)+len(value)+3)
		out = append(out, '{')
	} else {
		out = make([]byte, 0, len(cur)+len(key)+len(value)+2)
		out = append(append(out, cur[:len(cur)-1]...), ',')
	}
	out = append(append(append(out, key...), ':'), value...)
	slot.SetBytes(append(out, '}'))
}

// members returns the members of a JSON object without its braces, or nil
// when it has none.
func members(obj []byte) []byte {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' {
		return nil
	}
	return bytes.TrimSpace(obj[1 : len(obj)-1])
}

// skip moves past the JSON value at w.i.
func (w *jsonWalk) skip() {
	switch w.peek() {
	case 0:
		return
	case '"':
		w.skipString()
	case '{', '[':
		depth := 0
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case '"':
				w.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					w.i++
					return
				}
			}
			w.i++
		}
	default: // a number, true, false or null
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			w.i++
		}
	}
}

// skipString moves past the JSON string whose opening quote is at w.i.
// A byte loop: most strings of a case are a few bytes long, shorter than
// what a call to bytes.IndexByte costs.
func (w *jsonWalk) skipString() {
	b := w.b
	w.escaped = false
	for i := w.i + 1; i < len(b); i++ {
		switch b[i] {
		case '"':
			w.i = i + 1
			return
		case '\\':
			w.escaped = true
			i++
		}
	}
	w.i = len(b)
}
