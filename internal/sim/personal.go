package sim

import (
	"encoding/json"
	"slices"
)

// personalFields are the JSON fields of a case (guide chapter 8) whose values
// are personal data.
var personalFields = map[string]bool{
	"firstName": true, "lastName": true, "birthName": true, "birthDate": true, "birthPlace": true,
	"number": true, "streetAddress": true, "appendix": true, "city": true, "email": true, "mobilePhone": true,
	"placeOfIssue": true, "epost": true,
}

// PersonalValues returns, sorted, every distinct personal value (names, birth
// data, document numbers, addresses, e-mail, phone) the simulator holds for
// the given cases, in all their identifications; unknown ids are skipped.
// Values shorter than 4 characters (a house number) are left out: they would
// match anywhere by chance. Tests grep logs, spans and metrics for these.
func (s *Sim) PersonalValues(caseIDs []string) []string {
	seen := map[string]bool{}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if val, ok := x["value"].(string); ok && personalFields[key] && len(val) >= 4 {
				seen[val] = true
			}
			for k, vv := range x {
				walk(k, vv)
			}
		case []any:
			for _, vv := range x {
				walk(key, vv)
			}
		case string:
			if personalFields[key] && len(x) >= 4 {
				seen[x] = true
			}
		}
	}
	for _, id := range caseIDs {
		c, ok := s.Case(id, true)
		if !ok {
			continue
		}
		// The JSON form is what POSTIDENT serves; walking it covers every
		// nested object without listing the Go types.
		b, err := json.Marshal(c)
		if err != nil {
			continue
		}
		var m any
		if json.Unmarshal(b, &m) == nil {
			walk("", m)
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
