package connector

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestCheckCaseID(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     error
	}{
		{"guide example", "YR9W91GEZK24", nil},
		{"guide archive example", "KRZ1A8M4UBZZ", nil},
		{"one character", "7", nil},
		{"longest", strings.Repeat("A", MaxCaseIDLen), nil},
		{"empty", "", ErrCaseIDEmpty},
		{"too long", strings.Repeat("A", MaxCaseIDLen+1), ErrCaseIDTooLong},
		{"lower case", "yr9w91gezk24", ErrCaseIDChars},
		{"mixed case", "YR9W91GEZk24", ErrCaseIDChars},
		{"hyphen", "YR9W91-GEZK24", ErrCaseIDChars},
		{"underscore", "YR9W91_GEZK24", ErrCaseIDChars},
		{"path", "../cases", ErrCaseIDChars},
		{"query", "YR9W91GEZK24?x=1", ErrCaseIDChars},
		{"space", "YR9W 91GEZK24", ErrCaseIDChars},
		{"NUL", "YR9W91GEZK2\x00", ErrCaseIDChars},
		{"umlaut", "ÄR9W91GEZK24", ErrCaseIDChars},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCaseID(tt.in)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CheckCaseID(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if ValidCaseID(tt.in) != (err == nil) {
				t.Errorf("ValidCaseID(%q) disagrees with CheckCaseID", tt.in)
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q contains the refused value", err)
			}
		})
	}
}

var caseIDRule = regexp.MustCompile(`^[A-Z0-9]{1,64}$`)

// FuzzCheckCaseID checks CheckCaseID against the rule written as a pattern.
func FuzzCheckCaseID(f *testing.F) {
	for _, s := range []string{"YR9W91GEZK24", "", "yr9w", "A-B", "A_B", "A\x00", "Ä", strings.Repeat("A", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckCaseID(s)
		if want := caseIDRule.MatchString(s); (err == nil) != want || ValidCaseID(s) != want {
			t.Fatalf("CheckCaseID(%q) = %v, pattern match %v", s, err, want)
		}
	})
}
