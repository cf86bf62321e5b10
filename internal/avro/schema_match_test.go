package avro_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
	"github.com/postident-connector/postident-connector/schemas"
)

// TestGoTypesMatchSchemas walks each Go event type beside its schema: every
// tagged struct field has a schema field and every schema field a struct
// field (hamba would otherwise silently drop the one or write the default of
// the other), and the kinds agree: pointers are ["null", T] unions, times
// are timestamp-millis, slices arrays, maps maps.
func TestGoTypesMatchSchemas(t *testing.T) {
	c := newCodec(t, avro.Config{})
	for name, ev := range avrotest.Events() {
		t.Run(name, func(t *testing.T) {
			s, err := c.SchemaFor(ev)
			if err != nil {
				t.Fatal(err)
			}
			matchType(t, name, reflect.TypeOf(ev).Elem(), s, map[string]bool{})
		})
	}
}

var timeType = reflect.TypeFor[time.Time]()

func matchType(t *testing.T, path string, typ reflect.Type, s hamba.Schema, seen map[string]bool) {
	t.Helper()
	if r, ok := s.(*hamba.RefSchema); ok {
		s = r.Schema()
	}
	if typ.Kind() == reflect.Pointer {
		u, ok := s.(*hamba.UnionSchema)
		if !ok || len(u.Types()) != 2 || u.Types()[0].Type() != hamba.Null {
			t.Errorf("%s: Go pointer but schema %s is not [\"null\", T]", path, s.Type())
			return
		}
		matchType(t, path, typ.Elem(), u.Types()[1], seen)
		return
	}
	if s.Type() == hamba.Union {
		t.Errorf("%s: schema union but Go %s is not a pointer", path, typ)
		return
	}
	switch {
	case typ == timeType:
		p, ok := s.(*hamba.PrimitiveSchema)
		if !ok || p.Type() != hamba.Long || p.Logical() == nil || p.Logical().Type() != hamba.TimestampMillis {
			t.Errorf("%s: time.Time needs long/timestamp-millis, schema is %s", path, s)
		}
		return
	case typ.Kind() == reflect.Struct:
		rec, ok := s.(*hamba.RecordSchema)
		if !ok {
			t.Errorf("%s: Go struct but schema %s", path, s.Type())
			return
		}
		key := typ.String() + "/" + rec.FullName()
		if seen[key] {
			return
		}
		seen[key] = true
		fields := map[string]*hamba.Field{}
		for _, f := range rec.Fields() {
			fields[f.Name()] = f
		}
		for i := range typ.NumField() {
			sf := typ.Field(i)
			tag, _, _ := strings.Cut(sf.Tag.Get("avro"), ",")
			if tag == "" || tag == "-" {
				t.Errorf("%s.%s: no avro tag", path, sf.Name)
				continue
			}
			if js, _, _ := strings.Cut(sf.Tag.Get("json"), ","); js != tag {
				t.Errorf("%s.%s: json tag %q differs from avro tag %q", path, sf.Name, js, tag)
			}
			f, ok := fields[tag]
			if !ok {
				t.Errorf("%s.%s: schema %s has no field %q", path, sf.Name, rec.Name(), tag)
				continue
			}
			delete(fields, tag)
			matchType(t, path+"."+tag, sf.Type, f.Type(), seen)
		}
		for n := range fields {
			t.Errorf("%s: schema field %q has no Go field", path, n)
		}
	case typ.Kind() == reflect.Slice:
		a, ok := s.(*hamba.ArraySchema)
		if !ok {
			t.Errorf("%s: Go slice but schema %s", path, s.Type())
			return
		}
		matchType(t, path+"[]", typ.Elem(), a.Items(), seen)
	case typ.Kind() == reflect.Map:
		m, ok := s.(*hamba.MapSchema)
		if !ok || typ.Key().Kind() != reflect.String {
			t.Errorf("%s: Go map but schema %s", path, s.Type())
			return
		}
		matchType(t, path+"{}", typ.Elem(), m.Values(), seen)
	default:
		want := map[reflect.Kind]hamba.Type{
			reflect.String: hamba.String,
			reflect.Bool:   hamba.Boolean,
			reflect.Int32:  hamba.Int,
			reflect.Int64:  hamba.Long,
		}[typ.Kind()]
		if want == "" || s.Type() != want {
			t.Errorf("%s: Go %s vs schema %s", path, typ, s.Type())
		}
		if p, ok := s.(*hamba.PrimitiveSchema); ok && p.Logical() != nil {
			t.Errorf("%s: Go %s vs logical type %s", path, typ, p.Logical().Type())
		}
	}
}

// TestSchemasAreEmbeddedOnce: the codec uses exactly the schemas package's
// parsed schemas.
func TestSchemasAreEmbeddedOnce(t *testing.T) {
	if len(schemas.All()) != len(avrotest.Events()) {
		t.Fatalf("%d schemas, %d event types", len(schemas.All()), len(avrotest.Events()))
	}
}
