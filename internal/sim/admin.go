package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// adminCreate is the body of POST /sim/v1/cases.
type adminCreate struct {
	Method            connector.Method   `json:"method"`
	Class             connector.Class    `json:"class"`
	Scenario          string             `json:"scenario"`
	Count             int                `json:"count"`
	ReferenceID       string             `json:"referenceId"`
	CustomData        map[string]string  `json:"customData"`
	ExtraMethods      []connector.Method `json:"extraMethods"`
	WebhookURLPartner string             `json:"webhookUrlPartner"`
	// Auto: the cases advance by themselves on the simulated clock.
	Auto bool `json:"auto"`
	// Run: step the cases to the end right away.
	Run bool `json:"run"`
}

// adminFaults is the JSON form of Faults (durations as Go duration
// strings, e.g. "250ms").
type adminFaults struct {
	Latency              string  `json:"latency"`
	ErrorRate            float64 `json:"errorRate"`
	DropWebhookRate      float64 `json:"dropWebhookRate"`
	DuplicateWebhookRate float64 `json:"duplicateWebhookRate"`
	ReorderWebhooks      bool    `json:"reorderWebhooks"`
	WebhookDelay         string  `json:"webhookDelay"`
	PartialPageSize      int     `json:"partialPageSize"`
	UnorderedLists       bool    `json:"unorderedLists"`
	ArchiveStatus        int     `json:"archiveStatus"`
}

type adminStream struct {
	Rate    float64            `json:"rate"`
	Methods []connector.Method `json:"methods"`
	Classes []connector.Class  `json:"classes"`
}

type adminStep struct {
	CaseID         string                          `json:"caseId"`
	Done           bool                            `json:"done"`
	CaseStatus     string                          `json:"caseStatus"`
	Identification *connector.IdentificationResult `json:"primaryIdent,omitempty"`
}

// adminHandler serves the admin API under /sim/v1/ (documented in doc.go).
// It has no authentication: never expose it beyond a test network.
func (s *Sim) adminHandler() http.Handler {
	mux := http.NewServeMux()
	s.poisonRoutes(mux)
	mux.HandleFunc("POST /sim/v1/cases", func(w http.ResponseWriter, r *http.Request) {
		var req adminCreate
		if !decode(w, r, &req) {
			return
		}
		if req.Count == 0 {
			req.Count = 1
		}
		if req.Count < 0 || req.Count > 100000 {
			adminError(w, http.StatusBadRequest, errors.New("count must lie in 1..100000"))
			return
		}
		ids := make([]string, 0, req.Count)
		for range req.Count {
			id, err := s.CreateCase(CaseSpec{
				Method: req.Method, Class: req.Class, Scenario: req.Scenario, ReferenceID: req.ReferenceID,
				CustomData: req.CustomData, ExtraMethods: req.ExtraMethods, WebhookURLPartner: req.WebhookURLPartner,
			})
			if err != nil {
				adminError(w, http.StatusBadRequest, err)
				return
			}
			switch {
			case req.Run:
				if err := s.RunToEnd(id); err != nil {
					adminError(w, http.StatusInternalServerError, err)
					return
				}
			case req.Auto:
				s.autoRun(id)
			}
			ids = append(ids, id)
		}
		writeAdmin(w, http.StatusCreated, map[string]any{"caseIds": ids})
	})
	mux.HandleFunc("GET /sim/v1/cases/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		cr, ok := s.Case(id, true)
		if !ok {
			adminError(w, http.StatusNotFound, ErrNotFound)
			return
		}
		s.mu.RLock()
		var class connector.Class
		var scenario []string
		if c := s.st.byID[id]; c != nil {
			class = c.class
			for _, st := range c.steps {
				scenario = append(scenario, st.String())
			}
		}
		s.mu.RUnlock()
		writeAdmin(w, http.StatusOK, map[string]any{
			"case": cr, "class": class, "scenario": scenario, "transitions": s.Transitions(id),
		})
	})
	stepHandler := func(run bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			id := r.PathValue("id")
			var done bool
			var err error
			if run {
				err, done = s.RunToEnd(id), true
			} else {
				done, err = s.Step(id)
			}
			if errors.Is(err, ErrNotFound) {
				adminError(w, http.StatusNotFound, err)
				return
			}
			if err != nil {
				adminError(w, http.StatusConflict, err)
				return
			}
			cr, ok := s.Case(id, false)
			if !ok {
				adminError(w, http.StatusNotFound, ErrNotFound)
				return
			}
			out := adminStep{CaseID: id, Done: done, CaseStatus: cr.CaseStatus.Status}
			if p := cr.PrimaryIdent; p != nil {
				out.Identification = &connector.IdentificationResult{IdentificationMethod: p.IdentificationMethod, IdentificationStatus: p.IdentificationStatus}
			}
			writeAdmin(w, http.StatusOK, out)
		}
	}
	mux.HandleFunc("POST /sim/v1/cases/{id}/step", stepHandler(false))
	mux.HandleFunc("POST /sim/v1/cases/{id}/run", stepHandler(true))
	mux.HandleFunc("POST /sim/v1/clock/advance", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Seconds float64 `json:"seconds"`
		}
		if !decode(w, r, &req) {
			return
		}
		if req.Seconds < 0 {
			adminError(w, http.StatusBadRequest, errors.New("seconds must not be negative"))
			return
		}
		s.Advance(time.Duration(req.Seconds * float64(time.Second)))
		writeAdmin(w, http.StatusOK, map[string]any{"now": s.clock.Now().In(berlin)})
	})
	mux.HandleFunc("GET /sim/v1/clock", func(w http.ResponseWriter, _ *http.Request) {
		writeAdmin(w, http.StatusOK, map[string]any{"now": s.clock.Now().In(berlin)})
	})
	mux.HandleFunc("GET /sim/v1/webhooks", func(w http.ResponseWriter, r *http.Request) {
		log := s.Webhooks()
		if id := r.URL.Query().Get("caseId"); id != "" {
			var f []WebhookDelivery
			for _, d := range log {
				if d.CaseID == id {
					f = append(f, d)
				}
			}
			log = f
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n >= 0 && n < len(log) {
			log = log[len(log)-n:]
		}
		if log == nil {
			log = []WebhookDelivery{}
		}
		writeAdmin(w, http.StatusOK, log)
	})
	mux.HandleFunc("GET /sim/v1/faults", func(w http.ResponseWriter, _ *http.Request) {
		f := s.CurrentFaults()
		writeAdmin(w, http.StatusOK, adminFaults{
			Latency: f.Latency.String(), ErrorRate: f.ErrorRate, DropWebhookRate: f.DropWebhookRate,
			DuplicateWebhookRate: f.DuplicateWebhookRate, ReorderWebhooks: f.ReorderWebhooks,
			WebhookDelay: f.WebhookDelay.String(), PartialPageSize: f.PartialPageSize, ArchiveStatus: f.ArchiveStatus,
			UnorderedLists: f.UnorderedLists,
		})
	})
	mux.HandleFunc("PUT /sim/v1/faults", func(w http.ResponseWriter, r *http.Request) {
		var req adminFaults
		if !decode(w, r, &req) {
			return
		}
		f := Faults{ErrorRate: req.ErrorRate, DropWebhookRate: req.DropWebhookRate, DuplicateWebhookRate: req.DuplicateWebhookRate,
			ReorderWebhooks: req.ReorderWebhooks, PartialPageSize: req.PartialPageSize, ArchiveStatus: req.ArchiveStatus,
			UnorderedLists: req.UnorderedLists}
		var err error
		if f.Latency, err = optDuration(req.Latency); err == nil {
			f.WebhookDelay, err = optDuration(req.WebhookDelay)
		}
		if err == nil {
			err = s.setFaults(f)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /sim/v1/stream", func(w http.ResponseWriter, r *http.Request) {
		var req adminStream
		if !decode(w, r, &req) {
			return
		}
		if req.Rate <= 0 {
			adminError(w, http.StatusBadRequest, errors.New("rate must be positive"))
			return
		}
		for _, m := range req.Methods {
			if len(Scenarios(m)) == 0 {
				adminError(w, http.StatusBadRequest, errors.New("unknown method "+string(m)))
				return
			}
		}
		for _, c := range req.Classes {
			if _, ok := connector.ParseClass(string(c)); !ok {
				adminError(w, http.StatusBadRequest, errors.New("unknown class "+string(c)))
				return
			}
		}
		// The stream outlives the request; Close or DELETE ends it.
		s.StartStream(context.Background(), req.Rate, req.Methods, req.Classes)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("DELETE /sim/v1/stream", func(w http.ResponseWriter, _ *http.Request) {
		s.StopStream()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /sim/v1/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeAdmin(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /sim/v1/scenarios", func(w http.ResponseWriter, _ *http.Request) {
		out := map[connector.Method][]string{}
		for _, m := range connector.Methods() {
			out[m] = Scenarios(m)
		}
		writeAdmin(w, http.StatusOK, out)
	})
	return mux
}

func optDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		adminError(w, http.StatusBadRequest, err)
		return false
	}
	return true
}

func writeAdmin(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func adminError(w http.ResponseWriter, code int, err error) {
	writeAdmin(w, code, map[string]string{"error": err.Error()})
}
