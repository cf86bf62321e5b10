package telemetry

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Erika", "E****"},
		{"", ""},
		{"E", "E"},
		{"Mustermann", "M*********"},
		{"Anna-Lena von Muster", "A***-L*** v** M*****"},
		{"O'Brien", "O'B****"},
		{"Jürgen Öztürk", "J***** Ö*****"},
		{"  Erika ", "  E**** "},
	}
	for _, tc := range tests {
		if got := MaskName(tc.in); got != tc.want {
			t.Errorf("MaskName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1964-08-12", "****-**-**"},
		{"12.08.1964", "**.**.****"},
		{"2024-03-01T10:00:00+01:00", "****-**-*****:**:**+**:**"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := MaskDate(tc.in); got != tc.want {
			t.Errorf("MaskDate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"T22000129", "T*******9"},
		{"L01X00T47", "L*******7"},
		{"123456", "1****6"},
		{"12345", "*****"},
		{"", ""},
		{"ÄBCDEÜ", "Ä****Ü"},
	}
	for _, tc := range tests {
		if got := MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzMasks checks the promises every mask makes for any input: the length
// in runes is kept, the output is valid UTF-8, and no more than the
// documented characters survive.
func FuzzMasks(f *testing.F) {
	for _, s := range []string{"Erika", "Anna-Lena von Muster", "1964-08-12", "T22000129", "", "\xff\xfe", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		for name, mask := range map[string]func(string) string{
			"MaskName": MaskName, "MaskDate": MaskDate, "MaskID": MaskID,
		} {
			out := mask(s)
			if !utf8.ValidString(out) {
				t.Errorf("%s(%q) = %q: invalid UTF-8", name, s, out)
			}
			if got := utf8.RuneCountInString(out); got != n {
				t.Errorf("%s(%q) = %q: %d runes, want %d", name, s, out, got, n)
			}
		}
		if !strings.Contains(s, "*") {
			kept := n - strings.Count(MaskID(s), "*")
			if limit := 2; kept > limit || (n < minIDForHint && kept != 0) {
				t.Errorf("MaskID(%q) = %q keeps %d characters", s, MaskID(s), kept)
			}
		}
		if strings.ContainsFunc(MaskDate(s), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			t.Errorf("MaskDate(%q) = %q keeps letters or digits", s, MaskDate(s))
		}
	})
}
