package sim

import (
	"net/url"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
)

// FuzzScript feeds scenario scripts (outside input via the admin and Start
// APIs) to the parser and validator: no panic, and a valid script prints
// back to one that parses to the same steps.
func FuzzScript(f *testing.F) {
	for _, s := range []string{"started,incomplete:52:520,review pending,success", "autoid/started,autoid/cancelled:94:900,video/started",
		"expire", "started,,", "a:b:c:d", "video/", ":::", "started, Review  Pending ,success"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		steps, err := parseScript(script)
		if err != nil {
			return
		}
		if _, err := validateSteps(steps, connector.MethodVideo, nil); err != nil {
			return
		}
		var again string
		for i, st := range steps {
			if i > 0 {
				again += ","
			}
			again += st.String()
		}
		steps2, err := parseScript(again)
		if err != nil || len(steps2) != len(steps) {
			t.Fatalf("%q -> %q does not parse back: %v", script, again, err)
		}
		for i := range steps {
			if steps[i] != steps2[i] {
				t.Fatalf("%q -> %q: step %d differs", script, again, i)
			}
		}
	})
}

// FuzzListQuery feeds raw query strings to the list parameter parser.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{"new=true&closedFrom=2016-12-26T00:00:00%2B02:00", "maxResults=5", "createdUntil=2016-12-28T00:00:00+02:00", "closed=maybe", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, status := range []bool{false, true} {
			q, err := parseListQuery(v, status)
			if err != nil {
				continue
			}
			if q.limit < 1 || q.limit > MaxListResults {
				t.Fatalf("limit %d", q.limit)
			}
		}
	})
}
