package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// zoneChildEnv marks a run of this test binary that TestTimeUnmarshalInZones
// started with TZ set to the value of the variable.
const zoneChildEnv = "CONNECTOR_TIME_ZONE_CHILD"

// sameAsReference decodes in with UnmarshalJSON and with parseTimeJSON, the
// reference, and reports any difference: acceptance, error text, the value
// left in the receiver, the instant, its encoding, its zone and offset. It
// returns whether parseTimeFast decided the input itself.
func sameAsReference(t *testing.T, in []byte) (fast bool) {
	t.Helper()
	sentinel := Time{time.Date(1999, 1, 2, 3, 4, 5, 6, time.FixedZone("sentinel", 3600))}
	got := sentinel
	gotErr := got.UnmarshalJSON(in)
	want := sentinel
	v, wantErr := parseTimeJSON(in)
	if wantErr == nil {
		want = v
	}
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Errorf("%q: error %v, reference %v", in, gotErr, wantErr)
	case gotErr != nil && gotErr.Error() != wantErr.Error():
		t.Errorf("%q: error %q, reference %q", in, gotErr, wantErr)
	}
	if d := timeDiff(got.Time, want.Time); d != "" {
		t.Errorf("%q: %s", in, d)
	}
	_, fast = parseTimeFast(in, time.Local)
	return fast
}

// timeDiff is "" when a and b are the same time.Time: == (instant, its
// encoding and the *Location), or, where time.FixedZone allocates a new
// Location per call (offsets that are not whole hours from -12 to +14), two
// unnamed fixed zones of the same offset around the same encoded instant.
func timeDiff(a, b time.Time) string {
	if a == b {
		return ""
	}
	la, lb := a.Location(), b.Location()
	an, ao := a.Zone()
	bn, bo := b.Zone()
	differ := fmt.Sprintf("got %s (location %q, zone %q %+d), reference %s (location %q, zone %q %+d)",
		a.Format(time.RFC3339Nano), la, an, ao, b.Format(time.RFC3339Nano), lb, bn, bo)
	if la == lb || la == time.UTC || lb == time.UTC || la == time.Local || lb == time.Local {
		return differ
	}
	if la.String() != "" || lb.String() != "" || an != bn || ao != bo || a.UTC() != b.UTC() {
		return differ
	}
	return ""
}

// timeCases are inputs where parsers go wrong. accept and fast record what
// the reference does today and whether the fast path takes the input: they
// document behaviour, and fast keeps the fast path from silently covering
// nothing. Some accepts are surprising (an offset of +24:00, a one-digit
// hour, a decimal comma); they are what time.Parse has always let through,
// and this change keeps them.
var timeCases = []struct {
	name         string
	in           string
	accept, fast bool
}{
	{"postident", `"2024-04-02T10:15:30+02:00"`, true, true},
	{"guide validUntil", `"2016-04-28T23:59:59+01:00"`, true, true},
	{"negative offset", `"2024-04-02T10:15:30-05:00"`, true, true},
	{"zero offset", `"2024-04-02T10:15:30+00:00"`, true, true},
	{"minus zero offset", `"2024-04-02T10:15:30-00:00"`, true, true},
	{"half hour offset", `"2024-04-02T10:15:30+05:30"`, true, true},
	{"St Johns offset", `"2024-04-02T10:15:30-02:30"`, true, true},
	{"offset +14:00", `"2024-04-02T10:15:30+14:00"`, true, true},
	{"offset -12:00", `"2024-04-02T10:15:30-12:00"`, true, true},
	{"offset +23:59", `"2024-04-02T10:15:30+23:59"`, true, true},
	{"offset +24:00", `"2024-04-02T10:15:30+24:00"`, true, false},
	{"offset -24:00", `"2024-04-02T10:15:30-24:00"`, true, false},
	{"offset +23:60", `"2024-04-02T10:15:30+23:60"`, true, false},
	{"offset +24:60", `"2024-04-02T10:15:30+24:60"`, true, false},
	{"offset +25:00", `"2024-04-02T10:15:30+25:00"`, false, false},
	{"offset +00:61", `"2024-04-02T10:15:30+00:61"`, false, false},
	{"offset without colon", `"2024-04-02T10:15:30+0200"`, true, false},
	{"offset hours only", `"2024-04-02T10:15:30+02"`, false, false},
	{"offset one digit", `"2024-04-02T10:15:30+2:00"`, false, false},
	{"offset with seconds", `"2024-04-02T10:15:30+02:00:00"`, false, false},
	{"offset without sign", `"2024-04-02T10:15:30 02:00"`, false, false},
	{"no offset", `"2024-04-02T10:15:30"`, true, false},
	{"Z", `"2024-04-02T08:15:30Z"`, true, true},
	{"lower z", `"2024-04-02T08:15:30z"`, false, false},
	{"lower t", `"2024-04-02t10:15:30+02:00"`, false, false},
	{"space for T", `"2024-04-02 10:15:30+02:00"`, false, false},
	{"Z and offset", `"2024-04-02T10:15:30Z+02:00"`, false, false},
	{"leap second", `"2016-12-31T23:59:60+00:00"`, false, false},
	{"leap second Z", `"2016-12-31T23:59:60Z"`, false, false},
	{"hour 24", `"2024-04-02T24:00:00+02:00"`, false, false},
	{"minute 60", `"2024-04-02T10:60:00+02:00"`, false, false},
	{"month 13", `"2024-13-01T10:15:30+02:00"`, false, false},
	{"month 00", `"2024-00-01T10:15:30+02:00"`, false, false},
	{"day 00", `"2024-04-00T10:15:30+02:00"`, false, false},
	{"day 32", `"2024-01-32T10:15:30+02:00"`, false, false},
	{"January 31", `"2024-01-31T10:15:30+02:00"`, true, true},
	{"April 31", `"2024-04-31T10:15:30+02:00"`, false, false},
	{"June 31", `"2024-06-31T10:15:30+02:00"`, false, false},
	{"September 31", `"2024-09-31T10:15:30Z"`, false, false},
	{"November 31", `"2024-11-31T10:15:30+02:00"`, false, false},
	{"December 31", `"2024-12-31T23:59:59-12:00"`, true, true},
	{"Feb 29 leap year", `"2024-02-29T10:15:30+01:00"`, true, true},
	{"Feb 29 2000", `"2000-02-29T10:15:30+01:00"`, true, true},
	{"Feb 29 1900", `"1900-02-29T10:15:30+01:00"`, false, false},
	{"Feb 29 2023", `"2023-02-29T10:15:30+01:00"`, false, false},
	{"Feb 29 2100 Z", `"2100-02-29T10:15:30Z"`, false, false},
	{"Feb 30 leap year", `"2024-02-30T10:15:30+01:00"`, false, false},
	{"year 0000", `"0000-01-01T00:00:00+01:00"`, true, true},
	{"year 0000 Feb 29", `"0000-02-29T00:00:00Z"`, true, true},
	{"year 9999", `"9999-12-31T23:59:59-01:00"`, true, true},
	{"five digit year", `"12024-04-02T10:15:30+02:00"`, false, false},
	{"negative year", `"-2024-04-02T10:15:30+02:00"`, false, false},
	{"one digit hour", `"2024-04-02T1:15:30+02:00"`, true, false},
	{"one digit minute", `"2024-04-02T10:5:30+02:00"`, false, false},
	{"fraction 1", `"2024-04-02T10:15:30.1+02:00"`, true, true},
	{"fraction 2", `"2024-04-02T10:15:30.12+02:00"`, true, true},
	{"fraction 3", `"2024-04-02T10:15:30.123+02:00"`, true, true},
	{"fraction 4", `"2024-04-02T10:15:30.1234+02:00"`, true, true},
	{"fraction 5", `"2024-04-02T10:15:30.12345+02:00"`, true, true},
	{"fraction 6", `"2024-04-02T10:15:30.123456+02:00"`, true, true},
	{"fraction 7", `"2024-04-02T10:15:30.1234567+02:00"`, true, true},
	{"fraction 8", `"2024-04-02T10:15:30.12345678+02:00"`, true, true},
	{"fraction 9", `"2024-04-02T10:15:30.123456789+02:00"`, true, true},
	{"fraction 10", `"2024-04-02T10:15:30.1234567891+02:00"`, true, false},
	{"fraction 9 Z", `"2024-04-02T10:15:30.987654321Z"`, true, true},
	{"fraction 10 Z", `"2024-04-02T10:15:30.9876543219Z"`, true, false},
	{"fraction zeros", `"2024-04-02T10:15:30.000000000+02:00"`, true, true},
	{"fraction 1 Z", `"2024-04-02T10:15:30.5Z"`, true, true},
	{"fraction without digits", `"2024-04-02T10:15:30.+02:00"`, false, false},
	{"fraction without digits Z", `"2024-04-02T10:15:30.Z"`, false, false},
	{"decimal comma", `"2024-04-02T10:15:30,5+02:00"`, true, false},
	{"decimal comma Z", `"2024-04-02T10:15:30,5Z"`, true, false},
	{"fraction no offset", `"2024-04-02T10:15:30.5"`, true, false},
	{"fraction twice", `"2024-04-02T10:15:30.5.5+02:00"`, false, false},
	{"trailing garbage", `"2024-04-02T10:15:30+02:00x"`, false, false},
	{"trailing garbage Z", `"2024-04-02T10:15:30Zx"`, false, false},
	{"trailing space", `"2024-04-02T10:15:30+02:00 "`, false, false},
	{"leading space", `" 2024-04-02T10:15:30+02:00"`, false, false},
	{"space after string", `"2024-04-02T10:15:30+02:00" `, false, false},
	{"escaped plus", `"2024-04-02T10:15:30\u002b02:00"`, false, false},
	{"fullwidth digit", `"２024-04-02T10:15:30+02:00"`, false, false},
	{"date only", `"2024-04-02"`, false, false},
	{"time only", `"10:15:30+02:00"`, false, false},
	{"no quotes", `2024-04-02T10:15:30+02:00`, false, false},
	{"open quote", `"2024-04-02T10:15:30+02:00`, false, false},
	{"lone quote", `"`, false, false},
	{"empty input", ``, false, false},
	{"empty string", `""`, true, false},
	{"blank string", `" "`, false, false},
	{"null", `null`, true, true},
	{"NULL", `NULL`, false, false},
	{"null string", `"null"`, false, false},
	{"zero", `0`, false, false},
	{"unix seconds", `1712045730`, false, false},
	{"negative number", `-1`, false, false},
	{"float", `1.71204573e9`, false, false},
	{"true", `true`, false, false},
	{"object", `{}`, false, false},
	{"array", `["2024-04-02T10:15:30+02:00"]`, false, false},
	// Instants around Berlin's clock changes, its double summer time and
	// India's and Newfoundland's offsets: in TestTimeUnmarshalInZones each
	// lands in Local in some zones and in a fixed zone in others.
	{"Berlin ambiguous CEST", `"2024-10-27T02:30:00+02:00"`, true, true},
	{"Berlin ambiguous CET", `"2024-10-27T02:30:00+01:00"`, true, true},
	{"Berlin skipped hour", `"2024-03-31T02:30:00+01:00"`, true, true},
	{"Berlin summer in winter offset", `"2024-07-01T12:00:00+01:00"`, true, true},
	{"Berlin double summer time", `"1945-06-01T12:00:00+03:00"`, true, true},
	{"Berlin before 1893", `"1880-06-01T12:00:00+00:53"`, true, true},
	{"Kolkata", `"2024-04-02T10:15:30.25+05:30"`, true, true},
	{"Newfoundland summer", `"2024-07-01T12:00:00-02:30"`, true, true},
	{"Kiritimati", `"2024-07-01T12:00:00+14:00"`, true, true},
}

// TestTimeUnmarshalTable compares UnmarshalJSON with the reference parser
// on timeCases and checks what each case documents.
func TestTimeUnmarshalTable(t *testing.T) {
	checkChildZone(t)
	for _, tc := range timeCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			fast := sameAsReference(t, in)
			if _, err := parseTimeJSON(in); (err == nil) != tc.accept {
				t.Errorf("%s: reference accepts: %v, table says %v", tc.in, err == nil, tc.accept)
			}
			if fast != tc.fast {
				t.Errorf("%s: fast path takes it: %v, table says %v", tc.in, fast, tc.fast)
			}
		})
	}
}

// TestTimeUnmarshalGrid compares UnmarshalJSON with the reference parser
// over a grid of field values at and beyond each range's edges, in every
// shape the fast path knows and some it does not.
func TestTimeUnmarshalGrid(t *testing.T) {
	checkChildZone(t)
	var total, fast, accepted, local int
	try := func(s string) {
		in := []byte(`"` + s + `"`)
		total++
		if sameAsReference(t, in) {
			fast++
		}
		if v, err := parseTimeJSON(in); err == nil {
			accepted++
			if v.Location() == time.Local {
				local++
			}
		}
	}
	years := []string{"0000", "0001", "0004", "0100", "1582", "1900", "1970", "2000", "2023", "2024", "2038", "2100", "2400", "9999", "20x4"}
	months := []string{"00", "01", "02", "03", "04", "06", "07", "08", "09", "10", "11", "12", "13", "1x"}
	days := []string{"00", "01", "28", "29", "30", "31", "32", "3x"}
	for _, y := range years {
		for _, m := range months {
			for _, d := range days {
				for _, z := range []string{"Z", "+02:00", "-00:00", "+05:45"} {
					try(y + "-" + m + "-" + d + "T12:34:56" + z)
				}
			}
		}
	}
	hours := []string{"00", "09", "23", "24", "9x"}
	minutes := []string{"00", "59", "60"}
	seconds := []string{"00", "59", "60", "0x"}
	fractions := []string{"", ".5", ".05", ".123456789", ".1234567891", ",5", ".", ".x"}
	zones := []string{"Z", "z", "", "+00:00", "-00:00", "+01:00", "+02:00", "-03:30", "+05:30", "+13:45", "+14:00", "-12:00",
		"-02:30", "+23:59", "-23:59", "+24:00", "+23:60", "+00:60", "+0200", "+02", "+2:00", "02:00", "+02:0x", "+02;00"}
	for _, h := range hours {
		for _, mi := range minutes {
			for _, s := range seconds {
				for _, f := range fractions {
					for _, z := range zones {
						try("2024-03-31T" + h + ":" + mi + ":" + s + f + z)
					}
				}
			}
		}
	}
	t.Logf("TZ=%q: %d inputs, %d accepted (%d of them in Local), %d by the fast path",
		os.Getenv("TZ"), total, accepted, local, fast)
}

// TestTimeUnmarshalInZones runs the table and the grid again with Local set
// by TZ to zones whose offsets POSTIDENT's timestamps may or may not match,
// since time.Parse returns Local exactly when they do. A child process,
// because time.Local cannot be changed safely while other tests run.
func TestTimeUnmarshalInZones(t *testing.T) {
	if os.Getenv(zoneChildEnv) != "" {
		t.Skip("already in a child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, tz := range []string{"Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Pacific/Kiritimati", "Etc/GMT+12", "UTC"} {
		t.Run(tz, func(t *testing.T) {
			if _, err := time.LoadLocation(tz); err != nil {
				t.Skipf("no zone data: %v", err)
			}
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^(TestTimeUnmarshalTable|TestTimeUnmarshalGrid)$", "-test.count=1")
			cmd.Env = append(os.Environ(), "TZ="+tz, zoneChildEnv+"="+tz)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("TZ=%s: %v\n%s", tz, err, out)
			}
		})
	}
}

// checkChildZone makes sure a child of TestTimeUnmarshalInZones really runs
// with the zone it was given as Local.
func checkChildZone(t *testing.T) {
	t.Helper()
	tz := os.Getenv(zoneChildEnv)
	if tz == "" {
		return
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2024, 7, 15, 12, 0, 0, 0, time.UTC)} {
		_, want := at.In(loc).Zone()
		if _, got := at.In(time.Local).Zone(); got != want {
			t.Fatalf("Local has offset %d at %v, %s has %d", got, at, tz, want)
		}
	}
}

// TestTimeUnmarshalKeepsOnError: a rejected input leaves the receiver as it
// was, and null and "" reset it, as before the fast path.
func TestTimeUnmarshalKeepsOnError(t *testing.T) {
	was := NewTime(time.Date(2024, 4, 2, 10, 15, 30, 0, time.FixedZone("", 7200)))
	for _, tc := range []struct {
		in      string
		wantErr bool
		want    Time
	}{
		{`"2024-04-31T10:15:30+02:00"`, true, was},
		{`12`, true, was},
		{`null`, false, Time{}},
		{`""`, false, Time{}},
	} {
		got := was
		err := got.UnmarshalJSON([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s: %v, error %v", tc.in, got, err)
		}
	}
}

// TestTimeUnmarshalRoundTrip: what MarshalJSON writes decodes by the fast
// path to the same instant and offset.
func TestTimeUnmarshalRoundTrip(t *testing.T) {
	for _, v := range []time.Time{
		time.Date(2024, 4, 2, 10, 15, 30, 0, time.FixedZone("", 2*3600)),
		time.Date(2016, 4, 28, 23, 59, 59, 0, time.FixedZone("", -(3*3600+30*60))),
		time.Date(2024, 4, 2, 8, 15, 30, 0, time.UTC),
	} {
		b, err := json.Marshal(NewTime(v))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseTimeFast(b, time.Local)
		if _, off := got.Zone(); !ok || !got.Equal(v) || off != zoneOffset(v) {
			t.Errorf("%s: decoded %v (fast path %v), want %v", b, got, ok, v)
		}
	}
}

// BenchmarkTimeUnmarshal is the cost of one timestamp: UnmarshalJSON alone
// for each shape POSTIDENT sends or the guide allows, and encoding/json
// decoding an object of four timestamps (the shape of an identification).
func BenchmarkTimeUnmarshal(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"offset", `"2024-04-02T10:15:30+02:00"`},
		{"zulu", `"2024-04-02T08:15:30Z"`},
		{"frac3-offset", `"2024-04-02T10:15:30.123+02:00"`},
		{"frac9-zulu", `"2024-04-02T08:15:30.123456789Z"`},
		{"null", `null`},
	} {
		in := []byte(bc.in)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var t Time
			for b.Loop() {
				if err := t.UnmarshalJSON(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("json-object", func(b *testing.B) {
		in := []byte(`{"identificationTime":"2024-04-02T10:15:20+02:00","created":"2024-04-02T09:50:00+02:00",` +
			`"modified":"2024-04-02T10:15:30+02:00","validUntil":"2024-06-30T23:59:59+02:00"}`)
		var v struct {
			IdentificationTime Time `json:"identificationTime"`
			Created            Time `json:"created"`
			Modified           Time `json:"modified"`
			ValidUntil         Time `json:"validUntil"`
		}
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			if err := json.Unmarshal(in, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
