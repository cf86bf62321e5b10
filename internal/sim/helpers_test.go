package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// t0 is the frozen real clock of most tests: the simulated clock moves only
// by Advance, so every timestamp is exact.
var t0 = time.Date(2024, 3, 1, 10, 0, 0, 0, berlin)

func fixedNow() time.Time { return t0 }

// testCtx bounds every test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newTestSim starts a simulator with a frozen clock (unless cfg.Now is set)
// behind a real HTTP server.
func newTestSim(t *testing.T, cfg Config) (*Sim, *httptest.Server) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("new sim: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return s, srv
}

// response is a finished HTTP exchange.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call makes one request; user "" sends no Authorization header.
func call(t *testing.T, ctx context.Context, method, url, user, pass string, body string, hdr map[string]string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if method == http.MethodPatch || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

// api is a client of one simulator's SCR API with the default login.
type api struct {
	t   *testing.T
	ctx context.Context
	srv *httptest.Server
}

func newAPI(t *testing.T, srv *httptest.Server) *api { return &api{t: t, ctx: testCtx(t), srv: srv} }

func (a *api) url(path string) string { return a.srv.URL + APIPrefix + DefaultClientID + path }

func (a *api) get(path string) response {
	a.t.Helper()
	return call(a.t, a.ctx, http.MethodGet, a.url(path), DefaultUsername, DefaultPassword, "", nil)
}

func (a *api) do(method, path, body string, hdr map[string]string) response {
	a.t.Helper()
	return call(a.t, a.ctx, method, a.url(path), DefaultUsername, DefaultPassword, body, hdr)
}

// getCase fetches and decodes one case.
func (a *api) getCase(path string) connector.CaseResult {
	a.t.Helper()
	r := a.get(path)
	if r.code != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, r.code, r.body)
	}
	var cr connector.CaseResult
	r.json(a.t, &cr)
	return cr
}

// getList fetches and decodes a list.
func (a *api) getList(path string) ([]connector.CaseResult, bool) {
	a.t.Helper()
	r := a.get(path)
	if r.code != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, r.code, r.body)
	}
	var out []connector.CaseResult
	r.json(a.t, &out)
	return out, r.header.Get(HeaderPartial) == "true"
}

// mustCase creates a case and optionally runs it to the end.
func mustCase(t *testing.T, s *Sim, spec CaseSpec, run bool) string {
	t.Helper()
	id, err := s.CreateCase(spec)
	if err != nil {
		t.Fatalf("create case %+v: %v", spec, err)
	}
	if run {
		if err := s.RunToEnd(id); err != nil {
			t.Fatalf("run %s: %v", id, err)
		}
	}
	return id
}

// jsonKeys decodes raw as a JSON object, members kept raw.
func jsonKeys(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode object %s: %v", raw, err)
	}
	return m
}
