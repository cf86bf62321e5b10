package sim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// benchSim fills a simulator with n cases: 90 % closed (all five methods),
// the rest new or in progress, spread over 100 days.
func benchSim(b *testing.B, n int) (*Sim, *httptest.Server) {
	b.Helper()
	s, err := New(Config{Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	methods := connector.Methods()
	for i := range n {
		spec := CaseSpec{Method: methods[i%len(methods)], Class: connector.Classes()[i%5]}
		id, err := s.CreateCase(spec)
		if err != nil {
			b.Fatal(err)
		}
		switch i % 10 {
		case 0:
		case 1:
			_, _ = s.Step(id)
		default:
			if err := s.RunToEnd(id); err != nil {
				b.Fatal(err)
			}
		}
		if i%1000 == 999 {
			s.Advance(time.Hour)
		}
	}
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return s, srv
}

func benchGet(b *testing.B, url string) {
	b.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.SetBasicAuth(DefaultUsername, DefaultPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(HeaderPartial) != "true" {
		b.Fatalf("status %d, partial %q", resp.StatusCode, resp.Header.Get(HeaderPartial))
	}
	b.SetBytes(n)
}

// BenchmarkList100k answers list queries over 100 000 cases over HTTP: each
// response is a full page of 1000 cases out of ~90 000 matching.
func BenchmarkList100k(b *testing.B) {
	_, srv := benchSim(b, 100000)
	base := srv.URL + APIPrefix + DefaultClientID
	for _, bc := range []struct{ name, path string }{
		{"cases", "/cases"},
		{"cases-full", "/cases/full"},
		{"status", "/cases/status"},
		{"status-inProgress-createdFrom", "/cases/status?new=true&inProgress=true&closed=false&createdFrom=2024-03-03T00:00:00%2B01:00"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchGet(b, base+bc.path) // warm the status cache once, as a poller would
			b.ResetTimer()
			for b.Loop() {
				benchGet(b, base+bc.path)
			}
		})
	}
}

// BenchmarkWebhooks measures delivered webhooks per second to a local
// receiver (each case notifies twice: review pending and success).
func BenchmarkWebhooks(b *testing.B) {
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	defer rcv.Close()
	s, err := New(Config{Now: fixedNow, WebhookURL: rcv.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	for b.Loop() {
		id, _ := s.CreateCase(CaseSpec{Method: connector.MethodVideo})
		_ = s.RunToEnd(id)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(got.Load())/time.Since(start).Seconds(), "webhooks/s")
}
