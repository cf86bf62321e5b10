package telemetry

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The masks below are for the dev-mode live view, where a developer wants
// to see that a field arrived and roughly what shape it has, but must not
// see personal data. They keep the length (in runes) so columns line up and
// an empty value stays visibly empty. They are not a substitute for keeping
// personal data out of logs and telemetry altogether.

const maskRune = '*'

// MaskName keeps the first letter of each part of a name and masks the
// rest: "Erika" -> "E****", "Anna-Lena von Muster" -> "A***-L*** v** M*****".
// Spaces, hyphens and apostrophes separate parts and are kept.
func MaskName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case isNameSeparator(r):
			b.WriteRune(r)
			start = true
		case start:
			b.WriteRune(r)
			start = false
		default:
			b.WriteRune(maskRune)
		}
	}
	return b.String()
}

func isNameSeparator(r rune) bool {
	return r == '-' || r == '\'' || r == '’' || unicode.IsSpace(r)
}

// MaskDate masks every digit and letter of a date and keeps the separators,
// so the format stays visible: "1964-08-12" -> "****-**-**",
// "12.08.1964" -> "**.**.****". Even the birth year is personal data.
func MaskDate(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(maskRune)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// minIDForHint is the shortest identifier of which MaskID shows anything:
// below it, two revealed characters would be too large a part of the value.
const minIDForHint = 6

// MaskID masks an identifier such as a document number, keeping only the
// first and last character as a hint when it has at least 6 runes:
// "T22000129" -> "T*******9", "12345" -> "*****".
func MaskID(s string) string {
	n := utf8.RuneCountInString(s)
	if n < minIDForHint {
		return strings.Repeat(string(maskRune), n)
	}
	first, size := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s[size:])
	var b strings.Builder
	b.Grow(n + 8)
	b.WriteRune(first)
	b.WriteString(strings.Repeat(string(maskRune), n-2))
	b.WriteRune(last)
	return b.String()
}
