package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// instantSink acknowledges at once, so the benchmark measures the handler.
type instantSink struct{}

func (instantSink) Accept(context.Context, Notification) error { return nil }

// BenchmarkWebhook measures accepted calls with Basic auth and an allow-list,
// through the global (no-op unless installed) telemetry, in parallel:
// "handler" calls ServeHTTP in process, "loopback" goes through net/http
// over keep-alive connections. Both report req/s.
func BenchmarkWebhook(b *testing.B) {
	cfg := Config{Username: "postident", Password: "s3cret", AllowedCIDRs: PostidentSourceCIDRs[:1], Logger: discardLogger()}
	body := []byte(validBody)

	b.Run("handler", func(b *testing.B) {
		var shed atomic.Int64
		h, err := NewHandler(cfg, instantSink{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
				req.RemoteAddr = "165.72.200.13:40000"
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth("postident", "s3cret")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				switch rec.Code {
				case http.StatusOK:
				case http.StatusServiceUnavailable:
					shed.Add(1) // a starved machine can miss the deadline; count, don't fail
				default:
					b.Fatalf("status %d %q", rec.Code, rec.Body.String())
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(shed.Load()), "503s")
	})

	b.Run("loopback", func(b *testing.B) {
		var shed atomic.Int64
		lcfg := cfg
		lcfg.AllowedCIDRs = nil // the peer is 127.0.0.1
		h, err := NewHandler(lcfg, instantSink{})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout*3)
		defer cancel()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+DefaultPath, strings.NewReader(validBody))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth("postident", "s3cret")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
				case http.StatusServiceUnavailable:
					shed.Add(1)
				default:
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(shed.Load()), "503s")
	})
}

// BenchmarkParseBody measures the JSON parser alone.
func BenchmarkParseBody(b *testing.B) {
	body := []byte(validBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := parseBody(body); err != nil {
			b.Fatal(err)
		}
	}
}
