package telemetry

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

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
		ready, failures := h.Ready(r.Context())
		// ?exclude=processor leaves named components out: a process running
		// the webhook and the processor together keeps taking webhooks
		// while its processor waits for an operator, and its webhook
		// Service probes it this way.
		for _, name := range strings.Split(r.URL.Query().Get("exclude"), ",") {
			delete(failures, strings.TrimSpace(name))
		}
		ready = len(failures) == 0
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
