package sim

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Poison is a per-case fault: the answer for a chosen case is broken in one
// way, as a buggy or hostile POSTIDENT might break it, while every other
// case is served normally. It applies to the single-case data GETs and,
// where a list entry can carry it (mistyped, malformed, othercase, list),
// to the case's entry in data lists; oversized and undecryptable answers
// are single-case only (a list is one body, one JWE). Status endpoints stay
// correct, except the status-list entry of a PoisonStatusList case.
type Poison string

// Poison kinds.
const (
	// PoisonMistyped sends caseStatus.status, a member the connector reads
	// strictly, as a JSON array, in single answers and in data lists.
	PoisonMistyped Poison = "mistyped"
	// PoisonMalformed answers `{"caseId":` (truncated JSON).
	PoisonMalformed Poison = "malformed"
	// PoisonOversized answers a body larger than any sane cap
	// (OversizeBytes, in plain JSON: the cap applies before decryption).
	PoisonOversized Poison = "oversized"
	// PoisonOtherCase answers with the case under another caseId.
	PoisonOtherCase Poison = "othercase"
	// PoisonUndecryptable answers a compact JWE whose ciphertext was
	// altered: it parses, and does not decrypt.
	PoisonUndecryptable Poison = "undecryptable"
	// PoisonLargeUndecryptable is PoisonUndecryptable for an answer of
	// LargeAnswerBytes: above the 1 MiB a Kafka record holds by default,
	// below the connector's 2 MiB cap for a single case, so the connector
	// reads it, cannot decrypt it, and cannot keep all of it on Kafka.
	PoisonLargeUndecryptable Poison = "largeundecryptable"
	// PoisonUnavailable answers the case's single GETs with 503, as a
	// POSTIDENT backend might for one case it cannot load, while every
	// other case (and every list) is served.
	PoisonUnavailable Poison = "unavailable"
	// PoisonList breaks only the case's entry in data lists (mistyped):
	// one bad case on a page of good ones; its single GET is correct.
	PoisonList Poison = "list"
	// PoisonStatusList breaks only the case's entry in status lists
	// (mistyped): the reconciler's page has one bad entry among good ones;
	// every other answer for the case is correct.
	PoisonStatusList Poison = "statuslist"
)

// Poisons lists every kind.
func Poisons() []Poison {
	return []Poison{PoisonMistyped, PoisonMalformed, PoisonOversized, PoisonOtherCase, PoisonUndecryptable, PoisonLargeUndecryptable,
		PoisonUnavailable, PoisonList, PoisonStatusList}
}

// LargeAnswerBytes is about how large a PoisonLargeUndecryptable answer is.
const LargeAnswerBytes = 1<<20 + 512<<10

// OversizeBytes is how large a PoisonOversized answer is: far above the
// connector's caps (2 MiB for a single case, 64 MiB with binaries).
var OversizeBytes int64 = 256<<20 + 1<<20

type poisonSet struct {
	mu     sync.RWMutex
	m      map[string]Poison
	served map[Poison]int // poisoned answers and list entries served, by kind
}

// PoisonServed is how many poisoned answers (or list entries) of kind the
// simulator has served: a test of a poison proves with it that the poison
// was in play.
func (s *Sim) PoisonServed(kind Poison) int {
	s.poison.mu.RLock()
	defer s.poison.mu.RUnlock()
	return s.poison.served[kind]
}

// servedPoison counts one poisoned answer of kind.
func (s *Sim) servedPoison(kind Poison) {
	s.poison.mu.Lock()
	defer s.poison.mu.Unlock()
	if s.poison.served == nil {
		s.poison.served = map[Poison]int{}
	}
	s.poison.served[kind]++
}

// SetPoison poisons the answers for caseID; "" cures it.
func (s *Sim) SetPoison(caseID string, p Poison) error {
	if p != "" && !validPoison(p) {
		return fmt.Errorf("unknown poison %q", p)
	}
	s.poison.mu.Lock()
	defer s.poison.mu.Unlock()
	if p == "" {
		delete(s.poison.m, caseID)
		return nil
	}
	if s.poison.m == nil {
		s.poison.m = map[string]Poison{}
	}
	s.poison.m[caseID] = p
	return nil
}

// CurePoison stops poisoning every case.
func (s *Sim) CurePoison() {
	s.poison.mu.Lock()
	s.poison.m = nil
	s.poison.mu.Unlock()
}

func validPoison(p Poison) bool {
	for _, k := range Poisons() {
		if k == p {
			return true
		}
	}
	return false
}

func (s *Sim) poisonOf(caseID string) Poison {
	s.poison.mu.RLock()
	defer s.poison.mu.RUnlock()
	return s.poison.m[caseID]
}

// mistype turns caseStatus.status of a case's JSON into an array.
func mistype(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	var cs map[string]json.RawMessage
	if json.Unmarshal(m["caseStatus"], &cs) != nil {
		return body
	}
	cs["status"] = json.RawMessage(`["closed"]`)
	m["caseStatus"], _ = json.Marshal(cs)
	out, _ := json.Marshal(m)
	return out
}

// poisonListItem returns a data list's entry for caseID, poisoned if asked.
func (s *Sim) poisonListItem(caseID string, item []byte) []byte {
	switch p := s.poisonOf(caseID); p {
	case PoisonMistyped, PoisonList:
		s.servedPoison(p)
		return mistype(item)
	case PoisonMalformed:
		s.servedPoison(p)
		return []byte(`{"caseId":`)
	case PoisonOtherCase:
		s.servedPoison(p)
		return bytes.Replace(item, []byte(`"caseId":"`+caseID+`"`), []byte(`"caseId":"`+otherID(caseID)+`"`), 1)
	}
	return item
}

// poisonStatusItem breaks a status-list entry of a PoisonStatusList case.
func (s *Sim) poisonStatusItem(caseID string, item []byte) []byte {
	if s.poisonOf(caseID) == PoisonStatusList {
		s.servedPoison(PoisonStatusList)
		return mistype(item)
	}
	return item
}

// otherID is a caseId that is not caseID.
func otherID(caseID string) string {
	if caseID[0] == 'X' {
		return "Y" + caseID[1:]
	}
	return "X" + caseID[1:]
}

// writePoisoned answers a single-case data GET of a poisoned case; false
// when the case is not poisoned for single answers.
func (h *apiHandler) writePoisoned(w http.ResponseWriter, pub *rsa.PublicKey, caseID string, body []byte) (bool, error) {
	p := h.s.poisonOf(caseID)
	switch p {
	case "", PoisonList, PoisonStatusList:
		return false, nil
	}
	h.s.servedPoison(p)
	switch p {
	case PoisonMistyped:
		return true, h.write(w, pub, mistype(body))
	case PoisonMalformed:
		return true, h.write(w, pub, []byte(`{"caseId":`))
	case PoisonOtherCase:
		return true, h.write(w, pub, bytes.Replace(body, []byte(`"caseId":"`+caseID+`"`), []byte(`"caseId":"`+otherID(caseID)+`"`), 1))
	case PoisonOversized:
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = io.WriteString(w, `{"caseId":"`+caseID+`","padding":"`)
		chunk := []byte(strings.Repeat("a", 64<<10))
		for n := int64(0); n < OversizeBytes; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return true, nil // the client stopped reading, as it should
			}
		}
		_, _ = io.WriteString(w, `"}`)
		return true, nil
	case PoisonUndecryptable:
		return true, h.writeUndecryptable(w, pub, body)
	case PoisonUnavailable:
		return true, errorf(http.StatusServiceUnavailable, "Service unavailable")
	case PoisonLargeUndecryptable:
		// Padding inside the JSON, before encryption: the JWE grows by
		// 4/3 of it. 1.15 MiB of padding gives about 1.5 MiB.
		pad := LargeAnswerBytes * 3 / 4
		padded := make([]byte, 0, len(body)+pad+16)
		padded = append(padded, `{"padding":"`...)
		padded = append(padded, bytes.Repeat([]byte("a"), pad)...)
		padded = append(padded, `",`...)
		padded = append(padded, bytes.TrimPrefix(body, []byte("{"))...)
		return true, h.writeUndecryptable(w, pub, padded)
	}
	return false, nil
}

// writeUndecryptable answers body as a compact JWE whose ciphertext was
// altered: it parses, and does not decrypt.
func (h *apiHandler) writeUndecryptable(w http.ResponseWriter, pub *rsa.PublicKey, body []byte) error {
	if pub == nil {
		w.Header().Set("Content-Type", JOSEContentType)
		_, _ = io.WriteString(w, "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.AAAA.AAAA.AAAA.AAAA")
		return nil
	}
	enc, err := h.s.encrypt(pub, body)
	if err != nil {
		return err
	}
	parts := bytes.Split(enc, []byte("."))
	ct := parts[3]
	i := len(ct) / 2
	if ct[i] == 'A' {
		ct[i] = 'B'
	} else {
		ct[i] = 'A'
	}
	w.Header().Set("Content-Type", JOSEContentType)
	_, _ = w.Write(bytes.Join(parts, []byte(".")))
	return nil
}

// adminPoison is the JSON of PUT /sim/v1/poison: caseId -> kind ("" cures).
type adminPoison struct {
	Cases map[string]Poison `json:"cases"`
	// CureAll cures every case first.
	CureAll bool `json:"cureAll"`
}

// poisonRoutes adds the admin endpoints of per-case poison:
// PUT /sim/v1/poison {"cases": {"CASEID": "mistyped"}, "cureAll": false}
// and GET /sim/v1/poison.
func (s *Sim) poisonRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /sim/v1/poison", func(w http.ResponseWriter, r *http.Request) {
		var req adminPoison
		if !decode(w, r, &req) {
			return
		}
		if req.CureAll {
			s.CurePoison()
		}
		for id, p := range req.Cases {
			if err := s.SetPoison(id, p); err != nil {
				adminError(w, http.StatusBadRequest, err)
				return
			}
		}
		s.writePoisonList(w)
	})
	mux.HandleFunc("GET /sim/v1/poison", func(w http.ResponseWriter, _ *http.Request) { s.writePoisonList(w) })
}

func (s *Sim) writePoisonList(w http.ResponseWriter) {
	s.poison.mu.RLock()
	out := adminPoison{Cases: map[string]Poison{}}
	for id, p := range s.poison.m {
		out.Cases[id] = p
	}
	s.poison.mu.RUnlock()
	writeAdmin(w, http.StatusOK, out)
}
