package telemetry

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// NewAdminServer returns the http.Server of the admin endpoints with every
// phase of a connection bounded. Without ReadTimeout a request announcing a
// body it never sends (GET /healthz with Content-Length: 100) held its
// connection for good, since net/http waits for the body before answering;
// without IdleTimeout an idle keep-alive connection did too. Probes and
// Prometheus send small GETs, so the limits are tight: headers in 5 s and
// 16 KiB, the request in 10 s, the answer in 30 s (a /readyz check or a
// /metrics scrape), and an idle connection closed after 30 s (more than a
// usual scrape interval of 15 s, so scrapes still reuse it).
func NewAdminServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// AdminHandler serves the internal admin endpoints (ADMIN_ADDR, never
// exposed to POSTIDENT):
//
//   - GET /healthz: 200 "ok" while the process can serve HTTP at all
//     (liveness); it checks nothing else, so a Kafka outage does not get the
//     pod restarted.
//   - GET /readyz: 200 "ok" when h is ready; otherwise 503 with one
//     "name: reason" line per component or check that is not ready
//     (for example "processor: stopped for an operator: POSTIDENT refused
//     the credentials (check ...)"). ?exclude=a,b ignores the named components.
//   - GET /metrics: the Prometheus registry of t.
//
// A nil t leaves out /metrics; a nil h makes /readyz always ready.
func AdminHandler(t *Telemetry, h *Health) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if h == nil {
			writeText(w, http.StatusOK, "ok\n")
			return
		}
		_, failures := h.Ready(r.Context())
		// ?exclude=processor leaves named components out: a process running
		// the webhook and the processor together keeps taking webhooks
		// while its processor waits for an operator, and its webhook
		// Service probes it this way.
		for _, name := range strings.Split(r.URL.Query().Get("exclude"), ",") {
			delete(failures, strings.TrimSpace(name))
		}
		ready := len(failures) == 0
		if ready {
			writeText(w, http.StatusOK, "ok\n")
			return
		}
		var b strings.Builder
		for _, name := range slices.Sorted(maps.Keys(failures)) {
			fmt.Fprintf(&b, "%s: %s\n", name, failures[name])
		}
		writeText(w, http.StatusServiceUnavailable, b.String())
	})
	if t != nil {
		mux.Handle("GET /metrics", t.MetricsHandler())
	}
	return mux
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// Probes and people must see the state now, not a proxy's copy.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
