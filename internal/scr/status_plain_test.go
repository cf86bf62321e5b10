package scr

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// plainCount reads postident_scr_plain_status_answers_total by endpoint.
func plainCount(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "postident_scr_plain_status_answers_total" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				ep, _ := dp.Attributes.Value("endpoint")
				out[ep.AsString()] += dp.Value
			}
		}
	}
	return out
}

// TestStatusCallsAcceptPlainJSON (issue 16; guide 7.8 encrypts "the result
// data", and does not say whether the status endpoints of 7.4.2 and 7.5.2
// answer encrypted): with RequireEncryption, a plain JSON answer to a status
// call is accepted, counted and warned about once; result calls keep
// refusing plain answers.
func TestStatusCallsAcceptPlainJSON(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	var logs bytes.Buffer
	prevLog := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prevLog) })

	// POSTIDENT as it might be: encrypts result calls, not status calls.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/api/scr/v1/"+testClientID+"/cases/status":
			_, _ = w.Write(listOf(sampleStatus()))
		case strings.HasSuffix(r.URL.Path, "/status"):
			_, _ = w.Write(sampleStatus())
		case r.URL.Path == "/api/scr/v1/"+testClientID+"/cases":
			_, _ = w.Write(listOf(sampleFull()))
		default:
			_, _ = w.Write(sampleFull())
		}
	})
	c := newTestClient(t, f, key2048(), func(cfg *Config) { cfg.RequireEncryption = true })
	ctx := testCtx(t)
	for range 2 {
		if cr, err := c.GetCaseStatus(ctx, testCaseID, false); err != nil || cr.CaseID != testCaseID {
			t.Fatalf("GetCaseStatus with a plain answer: %v", err)
		}
		if l, err := c.ListCaseStatus(ctx, ListFilter{}, false); err != nil || len(l.Cases) != 1 {
			t.Fatalf("ListCaseStatus with a plain answer: %v", err)
		}
	}
	if _, err := c.GetCase(ctx, testCaseID, GetOptions{}); !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("GetCase with a plain answer: err %v, want ErrNotEncrypted", err)
	}
	if _, err := c.ListCases(ctx, ListFilter{}, false); !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("ListCases with a plain answer: err %v, want ErrNotEncrypted", err)
	}
	got := plainCount(t, reader)
	if got["GET /cases/{caseId}/status"] != 2 || got["GET /cases/status"] != 2 || len(got) != 2 {
		t.Errorf("plain status answers counted %v, want 2 per status endpoint and nothing else", got)
	}
	if n := strings.Count(logs.String(), "plain JSON"); n != 1 {
		t.Errorf("%d warnings about plain status answers, want exactly 1:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), testCaseID) {
		t.Errorf("warning names a caseId: %s", logs.String())
	}
}

// TestMaxResultsDataListRefused: maxResults is documented for the status
// lists only (guide 7.5.2); ListCases refuses it before sending.
func TestMaxResultsDataListRefused(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write([]byte("[]")) })
	c := newTestClient(t, f, nil, nil)
	for _, full := range []bool{false, true} {
		_, err := c.ListCases(testCtx(t), ListFilter{MaxResults: 100}, full)
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "7.5.2") {
			t.Errorf("full=%v: err %v, want ErrBadRequest citing guide 7.5.2", full, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
	if _, err := c.ListCaseStatus(testCtx(t), ListFilter{MaxResults: 100}, false); err != nil {
		t.Errorf("status list with maxResults: %v", err)
	}
}
