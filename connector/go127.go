//go:build !go1.27

package connector

// The JSON model keeps members it has no field for with the `embed` option
// of Go 1.27's encoding/json (unmapped.go); an older encoding/json ignores
// that option without a word, and unknown members would be lost again.
// go.mod's toolchain line selects Go 1.27.3: build with it (GOTOOLCHAIN=auto,
// the default), not with an older local toolchain.
var _ = this_module_needs_Go_1_27_see_the_toolchain_line_of_go_mod
