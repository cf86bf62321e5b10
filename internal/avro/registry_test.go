package avro_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/avro/avrotest"
	"github.com/postident-connector/postident-connector/schemas"
)

func TestRegistryAutoRegisterCachesIDs(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "svc", "s3cret")
	cfg := avro.Config{RegistryURL: reg.URL + "/", RegistryUsername: "svc", RegistryPassword: "s3cret", AutoRegister: true}
	c := newCodec(t, cfg)

	var ids []uint32
	for range 3 {
		data, err := c.Encode(ctx, "postident.case-result.v1", avrotest.CaseResult())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, binary.BigEndian.Uint32(data[1:5]))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("ids %v", ids)
	}
	if n := reg.count("POST /subjects/{subject}/versions"); n != 1 {
		t.Fatalf("%d register calls for three encodes, want 1", n)
	}
	// Another topic is another subject; the same schema keeps its global id.
	data, err := c.Encode(ctx, "other.topic", avrotest.CaseResult())
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint32(data[1:5]); got != ids[0] {
		t.Fatalf("id under second subject %d, want %d", got, ids[0])
	}

	// A fresh codec fetches the writer schema once per id.
	d := newCodec(t, cfg)
	for range 3 {
		var got connector.CaseResultEvent
		if err := d.Decode(ctx, data, &got); err != nil {
			t.Fatal(err)
		}
	}
	if n := reg.count("GET /schemas/ids/{id}"); n != 1 {
		t.Fatalf("%d schema fetches for three decodes, want 1", n)
	}
	// The encoding codec learnt the id when registering and needs no fetch.
	var got connector.CaseResultEvent
	if err := c.Decode(ctx, data, &got); err != nil {
		t.Fatal(err)
	}
	if n := reg.count("GET /schemas/ids/{id}"); n != 1 {
		t.Fatalf("encoding codec fetched its own schema")
	}
}

func TestRegistryLookupOnly(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	lookup := newCodec(t, avro.Config{RegistryURL: reg.URL})

	_, err := lookup.Encode(ctx, "postident.case-state.v1", avrotest.CaseState())
	var re *avro.RegistryError
	if !errors.As(err, &re) || re.ErrorCode != avro.ErrorCodeSubjectNotFound || !avro.IsNotFound(err) {
		t.Fatalf("lookup of an unknown subject: %v", err)
	}
	if avro.IsRetryable(err) {
		t.Error("404 classified as retryable")
	}

	// Another subject version exists, but not this schema.
	reg.put("postident.case-state.v1-value", `{"type":"record","name":"CaseState","namespace":"de.deutschepost.postident.v1","fields":[{"name":"caseId","type":"string"}]}`)
	_, err = lookup.Encode(ctx, "postident.case-state.v1", avrotest.CaseState())
	if !errors.As(err, &re) || re.ErrorCode != avro.ErrorCodeSchemaNotFound {
		t.Fatalf("lookup of an unregistered schema: %v", err)
	}

	// Registered by someone else: found, and no registration attempted.
	id, err := newCodec(t, avro.Config{RegistryURL: reg.URL, AutoRegister: true}).RegisterTopic(ctx, "postident.case-state.v1-bis", (*connector.CaseState)(nil))
	if err != nil {
		t.Fatal(err)
	}
	reg.put("postident.case-state.v1-value", schemas.Source(schemas.NameCaseState))
	before := reg.count("POST /subjects/{subject}/versions")
	data, err := lookup.Encode(ctx, "postident.case-state.v1", avrotest.CaseState())
	if err != nil {
		t.Fatal(err)
	}
	if got := int(binary.BigEndian.Uint32(data[1:5])); got != id {
		t.Fatalf("looked-up id %d, want %d", got, id)
	}
	if reg.count("POST /subjects/{subject}/versions") != before {
		t.Fatal("lookup-only codec registered")
	}
}

func TestRegistryRejectsIncompatible(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	// An earlier version that lacks fields the current schema requires
	// without default: the current one cannot read its data.
	reg.put("postident.case-status-changed.v1-value", `{"type":"record","name":"CaseStatusChanged","namespace":"de.deutschepost.postident.v1","fields":[{"name":"caseId","type":"string"}]}`)
	_, err := newCodec(t, avro.Config{RegistryURL: reg.URL, AutoRegister: true}).Encode(ctx, "postident.case-status-changed.v1", avrotest.StatusChanged())
	if !avro.IsIncompatible(err) {
		t.Fatalf("want 409, got %v", err)
	}
	for _, want := range []string{"HTTP 409", "error_code 409", "incompatible", "postident.case-status-changed.v1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestRegistryRegisterAll(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	c := newCodec(t, avro.Config{RegistryURL: reg.URL, AutoRegister: true})
	seen := map[int]bool{}
	for name, s := range schemas.All() {
		id, err := c.RegisterSubject(ctx, avro.Subject(topics[name]), s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[id] = true
		// Registering again is idempotent.
		again, err := c.RegisterSubject(ctx, avro.Subject(topics[name]), s)
		if err != nil || again != id {
			t.Fatalf("%s: re-register gave %d, %v; want %d", name, again, err, id)
		}
	}
	if len(seen) != len(schemas.Names()) {
		t.Fatalf("ids %v, want %d distinct", seen, len(schemas.Names()))
	}
	// What the registry stores is the .avsc text, docs included.
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, text := range reg.texts {
		if !strings.Contains(text, `"doc"`) {
			t.Errorf("registered schema without docs: %.80s", text)
		}
	}
}

// TestRegistryErrors checks how error responses of a registry are reported
// and classified, with an HTTP server that answers every request the same.
func TestRegistryErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		contentType string
		retryable   bool
		want        []string
	}{
		{"unauthorized", 401, `{"error_code":401,"message":"Unauthorized"}`, "application/json", false, []string{"HTTP 401", "Unauthorized"}},
		{"invalid schema", 422, `{"error_code":42201,"message":"Invalid schema"}`, "application/vnd.schemaregistry.v1+json", false, []string{"HTTP 422", "error_code 42201", "Invalid schema"}},
		{"incompatible", 409, `{"error_code":409,"message":"Schema being registered is incompatible"}`, "application/json", false, []string{"HTTP 409", "incompatible"}},
		{"backend error", 500, `{"error_code":50001,"message":"Error in the backend data store"}`, "application/json", true, []string{"HTTP 500", "error_code 50001"}},
		{"proxy page", 502, "<html><body>Bad Gateway</body></html>", "text/html", true, []string{"HTTP 502", "Bad Gateway"}},
		{"rate limited", 429, ``, "text/plain", true, []string{"HTTP 429"}},
		{"no id", 200, `{}`, "application/json", false, []string{"without id"}},
		{"not json", 200, `ok`, "text/plain", false, []string{"decode response"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			c := newCodec(t, avro.Config{RegistryURL: srv.URL, RegistryUsername: "svc", RegistryPassword: "hunter2", AutoRegister: true})
			_, err := c.Encode(ctx, "t", avrotest.Notification())
			if err == nil {
				t.Fatal("Encode succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("error contains the password")
			}
			if got := avro.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
		})
	}
}

func TestRegistryWrongPassword(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "svc", "right")
	_, err := newCodec(t, avro.Config{RegistryURL: reg.URL, RegistryUsername: "svc", RegistryPassword: "wrong"}).
		Encode(ctx, "t", avrotest.CaseState())
	var re *avro.RegistryError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401, got %v", err)
	}
}

func TestRegistryUnreachableIsRetryable(t *testing.T) {
	ctx := testCtx(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	_, err = newCodec(t, avro.Config{RegistryURL: "http://" + addr}).Encode(ctx, "t", avrotest.CaseState())
	if err == nil || !avro.IsRetryable(err) {
		t.Fatalf("connection refused: %v (retryable %v)", err, avro.IsRetryable(err))
	}
}

func TestRegistryUnknownID(t *testing.T) {
	ctx := testCtx(t)
	reg := newTestRegistry(t, "", "")
	err := newCodec(t, avro.Config{RegistryURL: reg.URL, AutoRegister: true}).Decode(ctx, []byte{0, 0, 0, 0, 42, 0}, &connector.CaseState{})
	var re *avro.RegistryError
	if !errors.As(err, &re) || re.ErrorCode != avro.ErrorCodeSchemaNotFound {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"registry:8081", "ftp://x", "http://user:pw@registry:8081", "://"} {
		if _, err := avro.New(avro.Config{RegistryURL: u}); err == nil {
			t.Errorf("New accepted %q", u)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("error repeats credentials: %v", err)
		}
	}
}
