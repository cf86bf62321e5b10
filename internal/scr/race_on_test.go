//go:build race

package scr

// raceEnabled: allocation figures under the race detector are not the
// program's own, so allocation bounds are not checked.
const raceEnabled = true
