package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.yaml.in/yaml/v3"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/schemas"
)

// TestAsyncAPIDocumentMatchesCode keeps docs/asyncapi.yaml from drifting:
// every topic the connector can write (every TOPIC_* default of the
// configuration, and connector.DefaultTopics), every header it sets (the
// Header* constants of package connector, EventHeaders' output, the trace
// propagator's fields), every CloudEvents type (the Type* constants) and
// every schema file (schemas.Names) must be in it. The lists come from the
// code, so a new topic, header or schema fails here until the document
// describes it. (That the document is valid AsyncAPI 3.0 is checked by the
// AsyncAPI parser itself: deploy/asyncapi/validate.mjs.)
func TestAsyncAPIDocumentMatchesCode(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "asyncapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AsyncAPI string `yaml:"asyncapi"`
		Channels map[string]struct {
			Address  string                    `yaml:"address"`
			Messages map[string]map[string]any `yaml:"messages"`
		} `yaml:"channels"`
		Components struct {
			Schemas  map[string]any `yaml:"schemas"`
			Messages map[string]struct {
				Payload struct {
					SchemaFormat string         `yaml:"schemaFormat"`
					Schema       map[string]any `yaml:"schema"`
				} `yaml:"payload"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/asyncapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.AsyncAPI, "3.") {
		t.Errorf("asyncapi: %q, want 3.x", doc.AsyncAPI)
	}

	// Topics: channel addresses.
	addresses := map[string]string{}
	for name, ch := range doc.Channels {
		addresses[ch.Address] = name
	}
	for _, topic := range codeTopics(t) {
		if _, ok := addresses[topic]; !ok {
			t.Errorf("topic %s has no channel (add a channel with address: %s)", topic, topic)
		}
	}

	// Headers: property names of the header schemas.
	props := map[string]bool{}
	collectProperties(doc.Components.Schemas, props)
	for _, h := range codeHeaders(t) {
		if !props[h] {
			t.Errorf("header %s is not described under components.schemas", h)
		}
	}

	// CloudEvents types: anywhere in the document (ce_type enum).
	for _, typ := range codeConsts(t, "Type", "de.deutschepost.") {
		if !strings.Contains(string(raw), typ) {
			t.Errorf("ce_type %s is not in the document", typ)
		}
	}

	// Schemas: every file the code writes is a message payload by $ref, and
	// every $ref names a file that exists.
	refs := map[string]bool{}
	for name, m := range doc.Components.Messages {
		ref, _ := m.Payload.Schema["$ref"].(string)
		if ref == "" {
			continue
		}
		if !strings.HasPrefix(m.Payload.SchemaFormat, "application/vnd.apache.avro") {
			t.Errorf("message %s: schemaFormat %q for an Avro schema", name, m.Payload.SchemaFormat)
		}
		if _, err := os.Stat(filepath.Join("..", "..", "docs", ref)); err != nil {
			t.Errorf("message %s: $ref %s: %v", name, ref, err)
		}
		refs[filepath.Base(ref)] = true
	}
	for _, n := range schemas.Names() {
		if f := schemas.File(n); !refs[f] {
			t.Errorf("schema %s (%s) is no message payload ($ref: '../schemas/%s')", n, f, f)
		}
	}
}

// codeTopics returns every topic name the connector writes by default: the
// defaults of the TOPIC_* variables and the fields of connector.Topics.
func codeTopics(t *testing.T) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	ct := reflect.TypeOf(app.TopicsConfig{})
	for i := range ct.NumField() {
		tag := ct.Field(i).Tag.Get("env")
		if _, def, ok := strings.Cut(tag, "default="); ok {
			add(strings.TrimSpace(def))
		}
	}
	dt := reflect.ValueOf(connector.DefaultTopics())
	for i := range dt.NumField() {
		if f := dt.Field(i); f.Kind() == reflect.String {
			add(f.String())
		}
	}
	if len(out) < 6 {
		t.Fatalf("found only topics %v", out)
	}
	return out
}

// codeHeaders returns every record header name the code sets: the Header*
// string constants of package connector, what EventHeaders writes, and the
// fields of the trace propagation the connector installs (W3C trace context
// and baggage, internal/telemetry).
func codeHeaders(t *testing.T) []string {
	out := codeConsts(t, "Header", "")
	for _, h := range connector.EventHeaders(connector.TypeStatusChanged, "id", "CLIENT", "CASE00000001", time.Now(), connector.OriginWebhook) {
		if !slices.Contains(out, h.Key) {
			out = append(out, h.Key)
		}
	}
	for _, f := range propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}).Fields() {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// codeConsts returns the values of the exported string constants of package
// connector whose names start with prefix and whose values start with
// valuePrefix, read from its source.
func codeConsts(t *testing.T, prefix, valuePrefix string) []string {
	fset := token.NewFileSet()
	dir := filepath.Join("..", "..", "connector")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !n.IsExported() || !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err == nil && strings.HasPrefix(v, valuePrefix) && !slices.Contains(out, v) {
						out = append(out, v)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s* constants found in package connector", prefix)
	}
	return out
}

// collectProperties gathers the keys of every "properties" map below v.
func collectProperties(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "properties" {
				if m, ok := x.(map[string]any); ok {
					for name := range m {
						into[name] = true
					}
				}
			}
			collectProperties(x, into)
		}
	case []any:
		for _, x := range v {
			collectProperties(x, into)
		}
	}
}
