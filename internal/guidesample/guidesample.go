// Package guidesample holds the sample case of the SCR-Ident API Guide 2,
// chapter 7.4.1 ("Retrieve identification data for a single case", caseId
// YR9W91GEZK24), as the guide prints it: one copy for every test, example
// and tool that needs it (the decoder's, the event mappers', the
// simulator's, the end-to-end interop probe).
//
// The guide is the truth: the file is the guide's JSON unchanged, so tests
// built on it check the connector against the document, not against itself.
// Test and tool code only; the connector does not import it.
package guidesample

import (
	_ "embed"
	"slices"
)

//go:embed case_7_4_1.json
var case741 []byte

// Case returns the JSON of the sample case, a fresh copy the caller may
// change.
func Case() []byte { return slices.Clone(case741) }
