//go:build !go1.27

package scr

// Decoding (decode_json.go) uses encoding/json/v2 of Go 1.27, and the
// model of package connector keeps unknown members with the `embed`
// option of Go 1.27, which an older encoding/json ignores without a word.
// go.mod's toolchain line selects Go 1.27.3: build with it (GOTOOLCHAIN=auto,
// the default), not with an older local toolchain.
var _ = this_module_needs_Go_1_27_see_the_toolchain_line_of_go_mod
