package schemas_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/schemas"
)

func TestSchemasParse(t *testing.T) {
	for _, name := range schemas.Names() {
		t.Run(name, func(t *testing.T) {
			s := schemas.All()[name]
			if s == nil {
				t.Fatalf("no schema %s", name)
			}
			rec, ok := s.(*avro.RecordSchema)
			if !ok {
				t.Fatalf("%s is %T, want a record", name, s)
			}
			if rec.FullName() != schemas.Namespace+"."+name {
				t.Errorf("full name %s", rec.FullName())
			}
			if schemas.Source(name) == "" || !json.Valid([]byte(schemas.Source(name))) {
				t.Errorf("source of %s is not JSON", name)
			}
			checkConventions(t, name, s)
		})
	}
}

// checkConventions walks a schema: every record and field has a doc, every
// union is ["null", T] with a null default, every long that stands for a time
// is timestamp-millis.
func checkConventions(t *testing.T, path string, s avro.Schema) {
	t.Helper()
	seen := map[string]bool{}
	var walk func(path string, s avro.Schema)
	walk = func(path string, s avro.Schema) {
		switch s := s.(type) {
		case *avro.RefSchema:
			return
		case *avro.RecordSchema:
			if seen[s.FullName()] {
				return
			}
			seen[s.FullName()] = true
			if s.Doc() == "" {
				t.Errorf("%s: record %s has no doc", path, s.Name())
			}
			for _, f := range s.Fields() {
				p := path + "." + f.Name()
				if f.Doc() == "" {
					t.Errorf("%s: no doc", p)
				}
				if u, ok := f.Type().(*avro.UnionSchema); ok {
					if len(u.Types()) != 2 || u.Types()[0].Type() != avro.Null {
						t.Errorf("%s: union is not [\"null\", T]", p)
					}
					if !f.HasDefault() || f.Default() != nil {
						t.Errorf("%s: optional field without default null", p)
					}
				}
				if (f.Type().Type() == avro.Array || f.Type().Type() == avro.Map) && !f.HasDefault() {
					t.Errorf("%s: array or map without default", p)
				}
				if p, ok := f.Type().(*avro.PrimitiveSchema); ok && p.Type() == avro.Long && p.Logical() == nil {
					t.Errorf("%s: plain long; times are timestamp-millis", f.Name())
				}
				walk(p, f.Type())
			}
		case *avro.UnionSchema:
			for _, x := range s.Types() {
				walk(path, x)
			}
		case *avro.ArraySchema:
			walk(path+"[]", s.Items())
		case *avro.MapSchema:
			walk(path+"{}", s.Values())
		case *avro.PrimitiveSchema:
			if s.Type() == avro.Long && (s.Logical() == nil || s.Logical().Type() != avro.TimestampMillis) {
				t.Errorf("%s: long without timestamp-millis", path)
			}
		}
	}
	walk(path, s)
}

func TestSourceMentionsNoBinaryData(t *testing.T) {
	// The result event must never carry record bytes.
	if strings.Contains(schemas.Source(schemas.NameCaseResult), `"documentData"`) {
		t.Fatal("case-result.avsc has a documentData field")
	}
}

// TestStatusChangedFieldDocs: the field docs consumers read in a registry
// say what the connector does. A CaseResult follows every closed case (also
// one without result data, docs/EVENTS.md "When events are emitted"), so
// resultExpected must not claim a CaseResult follows only when it is true;
// and a cancelled identification leaves the case resumable while it is in
// progress (guide 4.1).
func TestStatusChangedFieldDocs(t *testing.T) {
	docs := map[string]string{}
	for _, f := range schemas.StatusChanged().(*avro.RecordSchema).Fields() {
		docs[f.Name()] = f.Doc()
	}
	re := docs["resultExpected"]
	if strings.Contains(re, "follows for this state") || !strings.Contains(re, "every closed case") {
		t.Errorf("resultExpected doc %q: must say result data exist, and that a CaseResult follows every closed case regardless", re)
	}
	if r := docs["resumable"]; !strings.Contains(r, "cancelled") {
		t.Errorf("resumable doc %q does not cover a cancelled identification of a case in progress (guide 4.1)", r)
	}
}
