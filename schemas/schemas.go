package schemas

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
)

// Record names of the four schemas.
const (
	NameStatusChanged = "CaseStatusChanged"
	NameCaseResult    = "CaseResult"
	NameNotification  = "Notification"
	NameCaseState     = "CaseState"
	NameDeadLetter    = "CaseDeadLetter"
)

// Namespace of every record.
const Namespace = "de.deutschepost.postident.v1"

//go:embed *.avsc
var current embed.FS

//go:embed released
var released embed.FS

// files maps a record name to its file.
var files = map[string]string{
	NameStatusChanged: "case-status-changed.avsc",
	NameCaseResult:    "case-result.avsc",
	NameNotification:  "notification.avsc",
	NameCaseState:     "case-state.avsc",
	NameDeadLetter:    "case-dead-letter.avsc",
}

// since names the first release of a record added after v1: older
// released sets do not have it.
var since = map[string]string{NameDeadLetter: "v2"}

// set is one version of the four schemas.
type set struct {
	sources map[string]string
	schemas map[string]avro.Schema
}

var (
	cur          = mustLoad(current, ".", "")
	releasedSets = mustLoadReleased()
)

// mustLoad parses the four files under dir of fsys. The files are compiled
// into the binary, so a broken one is a programming error the tests catch:
// it panics.
func mustLoad(fsys fs.FS, dir, version string) set {
	s := set{sources: map[string]string{}, schemas: map[string]avro.Schema{}}
	for name, file := range files {
		if v, ok := since[name]; ok && version != "" && olderVersion(version, v) {
			continue // the record did not exist in that release
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, file))
		if err != nil {
			panic(fmt.Sprintf("schemas: read %s/%s: %v", dir, file, err))
		}
		sch, err := Parse(string(b))
		if err != nil {
			panic(fmt.Sprintf("schemas: parse %s/%s: %v", dir, file, err))
		}
		if n, ok := sch.(avro.NamedSchema); !ok || n.FullName() != Namespace+"."+name {
			panic(fmt.Sprintf("schemas: %s/%s does not define record %s.%s", dir, file, Namespace, name))
		}
		s.sources[name] = string(b)
		s.schemas[name] = sch
	}
	return s
}

func mustLoadReleased() map[string]set {
	out := map[string]set{}
	entries, err := fs.ReadDir(released, "released")
	if err != nil {
		panic(fmt.Sprintf("schemas: list released: %v", err))
	}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()] = mustLoad(released, path.Join("released", e.Name()), e.Name())
		}
	}
	return out
}

// Parse parses an Avro schema in a cache of its own. hamba/avro's
// avro.Parse registers named types in a process-wide cache, where a writer
// schema fetched from a registry would replace the record of the same name
// that another schema refers to; every schema here is self-contained, so a
// private cache is both correct and safe.
func Parse(src string) (avro.Schema, error) {
	return avro.ParseWithCache(src, "", &avro.SchemaCache{})
}

// olderVersion reports whether release a ("v1") comes before b.
func olderVersion(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Since returns the first release of the record name ("v1" for the
// original four).
func Since(name string) string {
	if v, ok := since[name]; ok {
		return v
	}
	return "v1"
}

// DeadLetter returns the CaseDeadLetter schema.
func DeadLetter() avro.Schema { return cur.schemas[NameDeadLetter] }

// StatusChanged returns the CaseStatusChanged schema.
func StatusChanged() avro.Schema { return cur.schemas[NameStatusChanged] }

// CaseResult returns the CaseResult schema.
func CaseResult() avro.Schema { return cur.schemas[NameCaseResult] }

// Notification returns the Notification schema.
func Notification() avro.Schema { return cur.schemas[NameNotification] }

// CaseState returns the CaseState schema.
func CaseState() avro.Schema { return cur.schemas[NameCaseState] }

// All returns the current schemas by record name (a new map each call).
func All() map[string]avro.Schema {
	out := make(map[string]avro.Schema, len(cur.schemas))
	for k, v := range cur.schemas {
		out[k] = v
	}
	return out
}

// Names returns the record names in a stable order.
func Names() []string {
	return []string{NameStatusChanged, NameCaseResult, NameNotification, NameCaseState, NameDeadLetter}
}

// Source returns the JSON text of the current schema of the record name, as
// written in its .avsc file (with docs; what a schema registry should get),
// or "" for an unknown name.
func Source(name string) string { return cur.sources[name] }

// File returns the .avsc file name of the record name, or "".
func File(name string) string { return files[name] }

// ReleasedVersions returns the released versions ("v1", ...) in order.
func ReleasedVersions() []string {
	vs := make([]string, 0, len(releasedSets))
	for v := range releasedSets {
		vs = append(vs, v)
	}
	slices.SortFunc(vs, func(a, b string) int {
		// "v10" sorts after "v9".
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return vs
}

// Released returns the schema and source of the record name in a released
// version.
func Released(version, name string) (avro.Schema, string, bool) {
	s, ok := releasedSets[version]
	if !ok {
		return nil, "", false
	}
	sch, ok := s.schemas[name]
	return sch, s.sources[name], ok
}

// Known returns every schema of the record name this build knows, the
// current one first, then each released version that differs from it. A
// decoder uses them to read data written by an older (or the current)
// writer without a registry.
func Known(name string) []avro.Schema {
	c, ok := cur.schemas[name]
	if !ok {
		return nil
	}
	out := []avro.Schema{c}
	seen := map[[32]byte]bool{c.Fingerprint(): true}
	for _, v := range ReleasedVersions() {
		r := releasedSets[v].schemas[name]
		if r == nil || seen[r.Fingerprint()] {
			continue
		}
		seen[r.Fingerprint()] = true
		out = append(out, r)
	}
	return out
}
