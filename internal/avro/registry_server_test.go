package avro_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/schemas"
)

// testRegistry is a small Confluent Schema Registry: it implements the
// documented REST contract for register (POST /subjects/{s}/versions),
// lookup (POST /subjects/{s}) and get by id (GET /schemas/ids/{id}), with
// basic auth, backward compatibility checks (409) and schema validation
// (422). Ids are global and shared by identical schemas, as in Confluent.
type testRegistry struct {
	*httptest.Server
	user, pass string

	mu       sync.Mutex
	texts    []string         // id-1 -> schema text
	byText   map[string]int   // schema text -> id
	subjects map[string][]int // subject -> ids by version
	calls    map[string]int   // "METHOD pattern" -> count
}

type regError struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func newTestRegistry(t *testing.T, user, pass string) *testRegistry {
	t.Helper()
	return startTestRegistry(t, user, pass)
}

func newTestRegistryB(b *testing.B) *testRegistry { return startTestRegistry(b, "", "") }

func startTestRegistry(t testing.TB, user, pass string) *testRegistry {
	r := &testRegistry{user: user, pass: pass, byText: map[string]int{}, subjects: map[string][]int{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", r.register)
	mux.HandleFunc("POST /subjects/{subject}", r.lookup)
	mux.HandleFunc("GET /schemas/ids/{id}", r.byID)
	r.Server = httptest.NewServer(r.auth(mux, mux))
	t.Cleanup(r.Close)
	return r
}

func (r *testRegistry) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[key]
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (r *testRegistry) auth(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.user != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != r.user || p != r.pass {
				reply(w, http.StatusUnauthorized, regError{401, "Unauthorized"})
				return
			}
		}
		if req.Method == http.MethodPost {
			switch req.Header.Get("Content-Type") {
			case "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json":
			default:
				reply(w, http.StatusUnsupportedMediaType, regError{415, "Unsupported Media Type"})
				return
			}
		}
		_, pattern := mux.Handler(req)
		r.mu.Lock()
		r.calls[pattern]++
		r.mu.Unlock()
		next.ServeHTTP(w, req)
	})
}

// readSchema reads {"schema": "..."} and parses it; ok false after replying 422.
func readSchema(w http.ResponseWriter, req *http.Request) (string, hamba.Schema, bool) {
	var body struct {
		Schema     string `json:"schema"`
		SchemaType string `json:"schemaType"`
	}
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
		reply(w, http.StatusUnprocessableEntity, regError{42201, "Invalid schema: request body is not JSON"})
		return "", nil, false
	}
	s, err := schemas.Parse(body.Schema)
	if err != nil {
		reply(w, http.StatusUnprocessableEntity, regError{42201, "Invalid schema " + err.Error()})
		return "", nil, false
	}
	return body.Schema, s, true
}

func (r *testRegistry) register(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	text, s, ok := readSchema(w, req)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	versions := r.subjects[subject]
	if id, ok := r.byText[text]; ok {
		for _, v := range versions {
			if v == id {
				reply(w, http.StatusOK, map[string]int{"id": id})
				return
			}
		}
	}
	if len(versions) > 0 {
		latest, _ := schemas.Parse(r.texts[versions[len(versions)-1]-1])
		// Confluent's default: BACKWARD (the new schema reads the latest).
		if err := hamba.NewSchemaCompatibility().Compatible(s, latest); err != nil {
			reply(w, http.StatusConflict, regError{409, fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q", subject)})
			return
		}
	}
	id, ok := r.byText[text]
	if !ok {
		r.texts = append(r.texts, text)
		id = len(r.texts)
		r.byText[text] = id
	}
	r.subjects[subject] = append(versions, id)
	reply(w, http.StatusOK, map[string]int{"id": id})
}

func (r *testRegistry) lookup(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	text, _, ok := readSchema(w, req)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	versions, ok := r.subjects[subject]
	if !ok {
		reply(w, http.StatusNotFound, regError{40401, fmt.Sprintf("Subject '%s' not found.", subject)})
		return
	}
	id := r.byText[text]
	for v, vid := range versions {
		if vid == id {
			reply(w, http.StatusOK, map[string]any{"subject": subject, "version": v + 1, "id": id, "schema": text})
			return
		}
	}
	reply(w, http.StatusNotFound, regError{40403, "Schema not found"})
}

func (r *testRegistry) byID(w http.ResponseWriter, req *http.Request) {
	id, err := strconv.Atoi(req.PathValue("id"))
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || id < 1 || id > len(r.texts) {
		reply(w, http.StatusNotFound, regError{40403, fmt.Sprintf("Schema %s not found", req.PathValue("id"))})
		return
	}
	reply(w, http.StatusOK, map[string]string{"schema": r.texts[id-1]})
}

// put stores a schema under subject without checks, for tests that need a
// particular writer schema; it returns the id.
func (r *testRegistry) put(subject, text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.byText[text]
	if !ok {
		r.texts = append(r.texts, text)
		id = len(r.texts)
		r.byText[text] = id
	}
	r.subjects[subject] = append(r.subjects[subject], id)
	return id
}
