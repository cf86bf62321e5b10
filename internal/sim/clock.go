package sim

import (
	"sync/atomic"
	"time"

	// Embedded zone data: output times carry the Europe/Berlin offset like
	// POSTIDENT's, on any machine.
	_ "time/tzdata"
)

// berlin is the zone POSTIDENT writes its timestamps in.
var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// clock is the simulated clock: it starts at the real clock's time, runs
// TimeScale times as fast, and jumps forward on Advance.
type clock struct {
	now    func() time.Time
	scale  float64
	start  time.Time
	offset atomic.Int64 // nanoseconds added by Advance
}

func newClock(now func() time.Time, scale float64) *clock {
	return &clock{now: now, scale: scale, start: now()}
}

// Now returns the simulated time.
func (c *clock) Now() time.Time {
	el := c.now().Sub(c.start)
	return c.start.Add(time.Duration(float64(el)*c.scale) + time.Duration(c.offset.Load()))
}

// advance moves the simulated clock forward by d (never backwards).
func (c *clock) advance(d time.Duration) {
	if d > 0 {
		c.offset.Add(int64(d))
	}
}

// real converts a simulated duration into the real time it takes.
func (c *clock) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.scale)
}
