package sim

import (
	"bytes"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// APIPrefix is where the SCR-Ident API lives (guide 7.2.3).
const APIPrefix = "/api/scr/v1/"

// HeaderPartial marks a list response with more matching cases (7.5.1).
const HeaderPartial = "X-PARTIAL-DELIVERY"

// Handler returns the HTTP handler: the SCR-Ident API under /api/scr/v1/,
// the admin API under /sim/v1/ and /healthz.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(APIPrefix, &apiHandler{s: s})
	mux.Handle("/sim/v1/", s.adminHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// apiHandler serves the SCR-Ident API of guide chapter 7 (and the Start
// call of chapter 9.1).
type apiHandler struct{ s *Sim }

// apiError is an error answer; its message never holds personal data.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func errorf(code int, format string, a ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, a...)}
}

// login is who authenticated.
type login uint8

const (
	loginClient login = iota + 1
	loginPartner
)

func (h *apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	s.requests.Add(1)
	f := s.faults.Load()
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if f.ErrorRate > 0 && s.faultRNG.Float64() < f.ErrorRate {
		code := http.StatusInternalServerError
		if s.faultRNG.IntN(2) == 0 {
			code = http.StatusServiceUnavailable
		}
		writeError(w, errorf(code, "injected fault"))
		return
	}
	s.processDue(s.clock.Now())
	if err := h.serve(w, r); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = errorf(http.StatusInternalServerError, "internal error")
		}
		writeError(w, ae)
	}
}

// serve routes the request. The guide writes paths with and without a
// trailing slash (/cases/ and /cases/{id}/), so trailing slashes are
// tolerated.
func (h *apiHandler) serve(w http.ResponseWriter, r *http.Request) error {
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, APIPrefix), "/")
	seg := strings.Split(path, "/")
	who, err := h.auth(r, seg[0])
	if err != nil {
		return err
	}
	if len(seg) < 2 || seg[1] != "cases" {
		return errorf(http.StatusNotFound, "not found")
	}
	rest := seg[2:]
	need := func(method string) error {
		if r.Method != method {
			w.Header().Set("Allow", method)
			return errorf(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
		}
		return nil
	}
	switch {
	case len(rest) == 0:
		if r.Method == http.MethodPost {
			if err := needJSON(r); err != nil {
				return err
			}
			return h.start(w, r, who)
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST")
			return errorf(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
		}
		return h.list(w, r, who, false, false)
	case len(rest) == 1 && rest[0] == "archive":
		if err := need(http.MethodPatch); err != nil {
			return err
		}
		if err := needJSON(r); err != nil {
			return err
		}
		return h.archive(w, r, who)
	case len(rest) == 1 && rest[0] == "full":
		if err := need(http.MethodGet); err != nil {
			return err
		}
		return h.list(w, r, who, false, true)
	case len(rest) == 1 && rest[0] == "status":
		if err := need(http.MethodGet); err != nil {
			return err
		}
		return h.list(w, r, who, true, false)
	case len(rest) == 2 && rest[0] == "status" && rest[1] == "full":
		if err := need(http.MethodGet); err != nil {
			return err
		}
		return h.list(w, r, who, true, true)
	}
	if err := need(http.MethodGet); err != nil {
		return err
	}
	id := rest[0]
	switch {
	case len(rest) == 1:
		return h.single(w, r, who, id, false, false)
	case len(rest) == 2 && rest[1] == "full":
		return h.single(w, r, who, id, false, true)
	case len(rest) == 2 && rest[1] == "status":
		return h.single(w, r, who, id, true, false)
	case len(rest) == 3 && rest[1] == "status" && rest[2] == "full":
		return h.single(w, r, who, id, true, true)
	}
	return errorf(http.StatusNotFound, "not found")
}

// needJSON enforces the mandatory Content-Type of guide 7.2.5 on requests
// with a body, as a Spring-style server does with 415; GETs carry no body and
// are not checked.
func needJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	return nil
}

// auth checks Basic auth for the client ID in the path: 401 for a wrong or
// missing login and for an unknown client ID (guide 7.7).
func (h *apiHandler) auth(r *http.Request, clientID string) (login, error) {
	cfg := &h.s.cfg
	user, pass, ok := r.BasicAuth()
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	var who login
	switch {
	case !ok:
	case eq(user, cfg.Username) && eq(pass, cfg.Password):
		who = loginClient
	case cfg.PartnerUsername != "" && eq(user, cfg.PartnerUsername) && eq(pass, cfg.PartnerPassword):
		who = loginPartner
	}
	if who == 0 || clientID != cfg.ClientID {
		return 0, errorf(http.StatusUnauthorized, "Unauthorized")
	}
	return who, nil
}

// partnerDenied: a partner reads status only (guide 9).
func partnerDenied(who login, status bool) error {
	if who == loginPartner && !status {
		return errorf(http.StatusForbidden, "a partner may only read status data")
	}
	return nil
}

func (h *apiHandler) single(w http.ResponseWriter, r *http.Request, who login, id string, status, full bool) error {
	if err := partnerDenied(who, status); err != nil {
		return err
	}
	q := r.URL.Query()
	binary, err := boolParam(q, "includeBinaryData", false)
	if err != nil {
		return err
	}
	pdf, err := boolParam(q, "includeResultPdf", false)
	if err != nil {
		return err
	}
	pub, err := h.s.requestKey(r)
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", err)
	}
	s := h.s
	s.mu.RLock()
	c := s.st.byID[id]
	var sn *snapshot
	if c != nil {
		sn = c.snapshot()
	}
	s.mu.RUnlock()
	if sn == nil {
		return errorf(http.StatusNotFound, "Not found: case %s", id)
	}
	var body []byte
	if status {
		body, err = s.statusJSON(sn, full)
	} else {
		body, err = s.encodeView(sn, viewOpts{full: full, binary: binary, pdf: pdf})
	}
	if err != nil {
		return err
	}
	if !status {
		if done, err := h.writePoisoned(w, pub, id, body); done {
			return err
		}
	}
	return h.write(w, pub, body)
}

// write sends body as JSON, or as a compact JWE when the client sent a key.
func (h *apiHandler) write(w http.ResponseWriter, pub *rsa.PublicKey, body []byte) error {
	if pub != nil {
		enc, err := h.s.encrypt(pub, body)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", JOSEContentType)
		_, _ = w.Write(enc)
		return nil
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(body)
	return nil
}

func (h *apiHandler) list(w http.ResponseWriter, r *http.Request, who login, status, full bool) error {
	if err := partnerDenied(who, status); err != nil {
		return err
	}
	q, err := parseListQuery(r.URL.Query(), status)
	if err != nil {
		return err
	}
	faults := h.s.faults.Load()
	if ps := faults.PartialPageSize; ps > 0 && ps < q.limit {
		q.limit = ps
	}
	limit := q.limit
	if faults.UnorderedLists {
		q.limit = -1 // every match; a random selection is cut below
	}
	pub, err := h.s.requestKey(r)
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", err)
	}
	s := h.s
	s.mu.RLock()
	cases, more := s.st.find(q)
	if faults.UnorderedLists {
		for i := len(cases) - 1; i > 0; i-- {
			j := s.faultRNG.IntN(i + 1)
			cases[i], cases[j] = cases[j], cases[i]
		}
		if len(cases) > limit {
			cases, more = cases[:limit], true
		}
	}
	snaps := make([]*snapshot, len(cases))
	for i, c := range cases {
		snaps[i] = c.snapshot()
	}
	s.mu.RUnlock()
	var b bytes.Buffer
	b.WriteByte('[')
	for i, sn := range snaps {
		if i > 0 {
			b.WriteByte(',')
		}
		var item []byte
		if status {
			item, err = s.statusJSON(sn, full)
			item = s.poisonStatusItem(sn.c.id, item)
		} else {
			item, err = s.encodeView(sn, viewOpts{full: full})
			item = s.poisonListItem(sn.c.id, item)
		}
		if err != nil {
			return err
		}
		b.Write(item)
	}
	b.WriteByte(']')
	if more {
		w.Header().Set(HeaderPartial, "true")
	}
	return h.write(w, pub, b.Bytes())
}

// archive marks closed cases archived (7.6). The body is a JSON array of at
// most 10000 case IDs; other statuses and unknown IDs are ignored. The
// answer lists the CaseStatus (8.3) of each case that changed, in request
// order, without a caseId as 7.6.1 describes it (with one when
// Config.ArchiveCaseID).
func (h *apiHandler) archive(w http.ResponseWriter, r *http.Request, who login) error {
	if who == loginPartner {
		return errorf(http.StatusForbidden, "a partner may not archive cases")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return errorf(http.StatusBadRequest, "cannot read body")
	}
	raw = bytes.TrimSpace(raw)
	var ids []string
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &ids) != nil {
		return errorf(http.StatusBadRequest, "body must be a JSON array of case IDs")
	}
	if len(ids) > MaxArchiveIDs {
		return errorf(http.StatusBadRequest, "at most %d case IDs per request, got %d", MaxArchiveIDs, len(ids))
	}
	if st := h.s.faults.Load().ArchiveStatus; st != 0 {
		return errorf(st, "archive refused by fault injection")
	}
	s := h.s
	out := []connector.CaseStatus{}
	s.mu.Lock()
	for _, id := range ids {
		c := s.st.byID[id]
		if c == nil || c.status != csClosed || c.archived {
			continue
		}
		c.archived = true
		c.version++
		s.st.update(c)
		caseID := ""
		if s.cfg.ArchiveCaseID {
			caseID = c.id
		}
		out = append(out, connector.CaseStatus{
			CaseID: caseID, Status: caseStatusText[c.status], Archived: true,
			ValidUntil: outTime(c.validUntil), Created: outTime(c.created), Modified: outTime(c.modified),
		})
	}
	s.mu.Unlock()
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
	return nil
}

// startResponse is the answer of the Start call.
type startResponse struct {
	CaseID string `json:"caseId"`
}

// start creates a case (Guide 1 Start, guide 9.1) so a partner or client
// flow can be shown. The body is the order data (processData, customData,
// contactDataProvided, ...). Simulator extras, as header or query
// parameter: x-sim-method, x-sim-class, x-sim-scenario, x-sim-auto=true
// (advance on its own through the scenario on the simulated clock).
func (h *apiHandler) start(w http.ResponseWriter, r *http.Request, who login) error {
	var order connector.OrderData
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(&order); err != nil && !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "body is not JSON order data")
	}
	if pd := order.ProcessData; pd != nil {
		for _, u := range []string{pd.WebHookURL, pd.WebHookURLPartner} {
			if u != "" {
				if err := checkWebhookURL(u); err != nil {
					return errorf(http.StatusBadRequest, "%s", err)
				}
			}
		}
	}
	opt := func(name string) string {
		if v := r.Header.Get(name); v != "" {
			return v
		}
		return r.URL.Query().Get(name)
	}
	spec := CaseSpec{Method: connector.Method(strings.ToLower(opt("x-sim-method"))), Scenario: opt("x-sim-scenario")}
	if cl := opt("x-sim-class"); cl != "" {
		c, ok := connector.ParseClass(cl)
		if !ok {
			return errorf(http.StatusBadRequest, "x-sim-class %q is unknown", cl)
		}
		spec.Class = c
	}
	if spec.Method != "" && !slices.Contains(connector.Methods(), spec.Method) {
		return errorf(http.StatusBadRequest, "x-sim-method %q is unknown", spec.Method)
	}
	auto, err := boolParam(url.Values{"x-sim-auto": {opt("x-sim-auto")}}, "x-sim-auto", false)
	if err != nil {
		return err
	}
	c, err := h.s.newCase(spec, &order, who == loginPartner)
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", err)
	}
	if auto {
		h.s.autoRun(c.id)
	}
	b, _ := json.Marshal(startResponse{CaseID: c.id})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
	return nil
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Status  int    `json:"status"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="SCR-Ident"`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(e.code)
	b, _ := json.Marshal(errorBody{Status: e.code, Error: http.StatusText(e.code), Message: e.msg})
	_, _ = w.Write(b)
}
