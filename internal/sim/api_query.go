package sim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// This file parses the query parameters of the list calls (guide 7.5.1
// and 7.5.2): the case-status flags, the date ranges and maxResults.

// parseListQuery reads the filters of 7.5.1 (and maxResults of 7.5.2 for the
// status lists; the data lists ignore it like any unknown parameter).
// Defaults: new=false, inProgress=false, closed=true, archived=false.
func parseListQuery(v url.Values, status bool) (listQuery, error) {
	q := listQuery{limit: MaxListResults}
	for _, b := range []struct {
		name string
		def  bool
		flag uint8
	}{{"new", false, flagNew}, {"inProgress", false, flagInProgress}, {"closed", true, flagClosed}} {
		on, err := boolParam(v, b.name, b.def)
		if err != nil {
			return q, err
		}
		if on {
			q.statuses |= b.flag
		}
	}
	var err error
	if q.archived, err = boolParam(v, "archived", false); err != nil {
		return q, err
	}
	for _, d := range []struct {
		name string
		t    *time.Time
	}{{"createdFrom", &q.createdFrom}, {"createdUntil", &q.createdUntil}, {"closedFrom", &q.closedFrom}, {"closedUntil", &q.closedUntil}} {
		if *d.t, err = timeParam(v, d.name); err != nil {
			return q, err
		}
	}
	if status && v.Get("maxResults") != "" {
		n, err := strconv.Atoi(v.Get("maxResults"))
		if err != nil || n < 1 {
			return q, errorf(http.StatusBadRequest, "maxResults must be a positive integer")
		}
		q.limit = min(n, MaxListResults)
	}
	return q, nil
}

// boolParam reads true/false (any case); empty means the default.
func boolParam(v url.Values, name string, def bool) (bool, error) {
	s := v.Get(name)
	switch strings.ToLower(s) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(http.StatusBadRequest, "%s must be true or false", name)
}

// timeParam reads an ISO 8601 date-time with offset (7.5.1). An unencoded
// '+' arrives as a space: that is rejected with a hint, as the guide asks
// for URL-encoding.
func timeParam(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := parseISO(s); err == nil {
		return t, nil
	}
	if strings.Contains(s, " ") {
		return time.Time{}, errorf(http.StatusBadRequest, "%s is not ISO 8601 with offset (encode '+' as %%2B)", name)
	}
	return time.Time{}, errorf(http.StatusBadRequest, "%s is not ISO 8601 with offset, e.g. 2016-12-26T00:00:00+02:00", name)
}

func parseISO(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02T15:04-07:00"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
