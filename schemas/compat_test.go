package schemas_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
	"github.com/postident-connector/postident-connector/schemas"
)

// TestCompatibleWithReleased: every current schema reads data written with
// every released version (backward) and every released version reads data
// written with the current one (forward), by the rules of the checker and by
// an actual round trip of a populated record in both directions.
func TestCompatibleWithReleased(t *testing.T) {
	if len(schemas.ReleasedVersions()) == 0 {
		t.Fatal("no released versions embedded")
	}
	for _, version := range schemas.ReleasedVersions() {
		for name, ev := range avrotest.Events() {
			t.Run(version+"/"+name, func(t *testing.T) {
				released, _, ok := schemas.Released(version, name)
				if !ok && schemas.Since(name) > version {
					return // newer than this release: nothing to stay compatible with
				}
				if !ok {
					t.Fatalf("%s has no %s", version, name)
				}
				current := schemas.All()[name]
				compat := avro.NewSchemaCompatibility()
				if err := compat.Compatible(current, released); err != nil {
					t.Errorf("backward: current cannot read %s data: %v", version, err)
				}
				if err := compat.Compatible(released, current); err != nil {
					t.Errorf("forward: %s cannot read current data: %v", version, err)
				}
				roundTrip(t, "backward", released, current, ev)
				roundTrip(t, "forward", current, released, ev)
			})
		}
	}
}

// roundTrip writes ev with writer and reads it with reader (through the
// resolved schema, as a consumer does); every field both schemas know must
// survive.
func roundTrip(t *testing.T, dir string, writer, reader avro.Schema, ev any) {
	t.Helper()
	data, err := avro.Marshal(writer, ev)
	if err != nil {
		t.Fatalf("%s: write: %v", dir, err)
	}
	// Identical schemas need no resolution, and the codec does none
	// (internal/avro reads with its own schema when the fingerprints
	// match): hamba's Resolve of two identical schemas reads set optional
	// fields back as null, which a consumer must not rely on either.
	resolved := reader
	if writer.Fingerprint() != reader.Fingerprint() {
		var err error
		if resolved, err = avro.NewSchemaCompatibility().Resolve(reader, writer); err != nil {
			t.Fatalf("%s: resolve: %v", dir, err)
		}
	}
	got := avrotest.New(ev)
	if err := avro.Unmarshal(resolved, data, got); err != nil {
		t.Fatalf("%s: read: %v", dir, err)
	}
	if writer.Fingerprint() == reader.Fingerprint() {
		if d := avrotest.Diff(ev, got); d != "" {
			t.Fatalf("%s: %s", dir, d)
		}
		return
	}
	// Different versions: compare the fields both sides have.
	if d := avrotest.Diff(project(ev, writer, reader), project(got, writer, reader)); d != "" {
		t.Fatalf("%s: %s", dir, d)
	}
}

// project keeps only the fields named in both schemas, descending into
// nested records (such as Notification.snapshot); enough for the additive
// changes the compatibility rules allow.
func project(v any, a, b avro.Schema) any {
	rv := reflect.ValueOf(v).Elem()
	out := reflect.New(rv.Type())
	projectInto(out.Elem(), rv, a, b)
	return out.Interface()
}

func projectInto(dst, src reflect.Value, a, b avro.Schema) {
	ra, rb := recordOf(a), recordOf(b)
	fa, fb := map[string]avro.Schema{}, map[string]avro.Schema{}
	for _, f := range ra.Fields() {
		fa[f.Name()] = f.Type()
	}
	for _, f := range rb.Fields() {
		fb[f.Name()] = f.Type()
	}
	for i := range src.NumField() {
		name := strings.Split(src.Type().Field(i).Tag.Get("avro"), ",")[0]
		sa, okA := fa[name]
		sb, okB := fb[name]
		if !okA || !okB {
			continue
		}
		sf := src.Field(i)
		nested := recordOf(sa) != nil && recordOf(sb) != nil
		switch {
		case nested && sf.Kind() == reflect.Pointer && sf.Type().Elem().Kind() == reflect.Struct:
			if sf.IsNil() {
				continue
			}
			p := reflect.New(sf.Type().Elem())
			projectInto(p.Elem(), sf.Elem(), sa, sb)
			dst.Field(i).Set(p)
		case nested && sf.Kind() == reflect.Struct:
			projectInto(dst.Field(i), sf, sa, sb)
		default:
			dst.Field(i).Set(sf)
		}
	}
}

// recordOf returns the record schema s is, refers to, or holds in a union
// (["null", record]); nil for any other schema.
func recordOf(s avro.Schema) *avro.RecordSchema {
	switch s := s.(type) {
	case *avro.RecordSchema:
		return s
	case *avro.RefSchema:
		return recordOf(s.Schema())
	case *avro.UnionSchema:
		for _, t := range s.Types() {
			if r := recordOf(t); r != nil {
				return r
			}
		}
	}
	return nil
}

// TestCompatibilityCheckCatchesBreaks proves the test above would fail: a
// field added without default breaks backward compatibility, a field
// removed that had no default breaks forward compatibility, a changed type
// breaks both, while a field added with a default breaks nothing.
func TestCompatibilityCheckCatchesBreaks(t *testing.T) {
	src := schemas.Source(schemas.NameCaseState)
	const anchor = `    {"name": "updatedAt"`
	if !strings.Contains(src, anchor) {
		t.Fatal("anchor not found in case-state.avsc")
	}
	withField := func(field string) string {
		return strings.Replace(src, anchor, "    "+field+",\n"+anchor, 1)
	}
	removeField := func(name string) string {
		start := strings.Index(src, `    {"name": "`+name+`"`)
		end := start + strings.Index(src[start:], "\n") + 1
		return src[:start] + src[end:]
	}
	tests := []struct {
		name              string
		next              string
		backward, forward bool
	}{
		{"add with default", withField(`{"name": "note", "type": ["null", "string"], "default": null, "doc": "x"}`), true, true},
		{"add without default", withField(`{"name": "note", "type": "string", "doc": "x"}`), false, true},
		{"remove without default", removeField("lastStatusEventId"), true, false},
		{"remove with default", removeField("resultEventId"), true, true},
		{"change type", strings.Replace(src, `{"name": "caseStatus", "type": "string"`, `{"name": "caseStatus", "type": "int"`, 1), false, false},
	}
	released, _, _ := schemas.Released(schemas.ReleasedVersions()[0], schemas.NameCaseState)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.next == src {
				t.Fatal("edit did not apply")
			}
			next, err := schemas.Parse(tt.next)
			if err != nil {
				t.Fatal(err)
			}
			compat := avro.NewSchemaCompatibility()
			if got := compat.Compatible(next, released) == nil; got != tt.backward {
				t.Errorf("backward = %v, want %v", got, tt.backward)
			}
			if got := compat.Compatible(released, next) == nil; got != tt.forward {
				t.Errorf("forward = %v, want %v", got, tt.forward)
			}
		})
	}
}

func TestKnownAndReleased(t *testing.T) {
	for _, name := range schemas.Names() {
		known := schemas.Known(name)
		if len(known) == 0 || known[0] != schemas.All()[name] {
			t.Errorf("%s: Known does not start with the current schema", name)
		}
		_, src, ok := schemas.Released("v1", name)
		if schemas.Since(name) != "v1" {
			if ok {
				t.Errorf("%s: in v1 although it came with %s", name, schemas.Since(name))
			}
			continue
		}
		if !ok || src == "" {
			t.Errorf("%s: no v1 source", name)
		}
	}
	if _, _, ok := schemas.Released("v0", schemas.NameCaseState); ok {
		t.Error("v0 exists")
	}
	if schemas.Source("Nope") != "" || schemas.Known("Nope") != nil {
		t.Error("unknown name answers")
	}
}
