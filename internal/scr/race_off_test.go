//go:build !race

package scr

const raceEnabled = false
