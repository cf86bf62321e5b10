package app

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// go-envconfig's decode errors quote the value ("strconv.ParseInt: parsing
// \"...\": invalid syntax"), and a value that does not parse may well be a
// secret pasted into the wrong variable. SECURITY.md promises errors that
// name the variable, not the value: so the lookups are recorded, and a
// failed load is reported by the variable looked up last (go-envconfig
// decodes each value right after looking it up and stops at the first
// error) and the kind of value it wants, never by go-envconfig's text.

// recordingLookuper remembers the last variable it was asked for.
type recordingLookuper struct {
	l    envconfig.Lookuper
	last string
}

func (r *recordingLookuper) Lookup(key string) (string, bool) {
	r.last = key
	return r.l.Lookup(key)
}

// processEnv fills cfg from l; on failure the error names the variable and
// what it wants, without the value.
func processEnv(ctx context.Context, cfg *Config, l envconfig.Lookuper) error {
	rl := &recordingLookuper{l: l}
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: cfg, Lookuper: rl}); err != nil {
		if rl.last == "" {
			return fmt.Errorf("configuration: cannot be read (%T)", err)
		}
		return fmt.Errorf("configuration: %s: the value does not parse, want %s (the value is not shown: it may be a secret)", rl.last, wantOf(rl.last))
	}
	return nil
}

// wantOf describes the kind of value the variable key takes.
func wantOf(key string) string {
	t, ok := envTypes()[key]
	if !ok {
		return "a valid value"
	}
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "a duration such as 30s, 5m or 168h"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice:
		return "a comma-separated list"
	}
	return "a valid value"
}

// envTypes maps every variable of Config to its Go type, from the env tags.
func envTypes() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	walkEnv(func(name, _ string, f reflect.StructField) { out[name] = f.Type })
	return out
}

// walkEnv calls fn for every field of Config with an env tag: the
// variable's name, the tag's options (", default=..."), the field.
func walkEnv(fn func(name, opts string, f reflect.StructField)) {
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("env")
			if tag == "" {
				if f.Type.Kind() == reflect.Struct {
					walk(f.Type)
				}
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			fn(strings.TrimSpace(name), opts, f)
		}
	}
	walk(reflect.TypeOf(Config{}))
}
