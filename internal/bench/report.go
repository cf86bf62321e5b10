package bench

import (
	"fmt"
	"io"
	"strings"
)

// PrintFigures writes the figures table as Markdown.
func PrintFigures(w io.Writer, figs []Figure) {
	fmt.Fprintf(w, "\n| figure | target | measured | met |\n|---|---|---|---|\n")
	for _, f := range figs {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", esc(f.Name), esc(f.Target), esc(f.Measured), f.Met)
	}
}

func esc(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
