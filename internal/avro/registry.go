package avro

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/postident-connector/postident-connector/connector"
)

// registryContentType is the Confluent Schema Registry media type.
const registryContentType = "application/vnd.schemaregistry.v1+json"

// maxRegistryResponse bounds what is read of one registry response; the
// largest schema here is some 30 KB.
const maxRegistryResponse = 4 << 20

// registry is a minimal client of the Confluent Schema Registry REST API:
// register, lookup and get-by-id, which is all a serializer needs.
type registry struct {
	base       string // without trailing slash
	user, pass string
	hc         *http.Client
}

func newRegistry(cfg Config) (*registry, error) {
	u, err := url.Parse(cfg.RegistryURL)
	if err != nil {
		// url.Error repeats the URL, which may carry a password.
		return nil, errors.New("avro: registry url does not parse; want http(s)://host[:port][/path]")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("avro: registry url %q: want http(s)://host[:port][/path]", u.Redacted())
	}
	if u.User != nil {
		// Credentials in the URL would end up in error messages and logs.
		return nil, errors.New("avro: registry url must not carry credentials; set RegistryUsername/RegistryPassword")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return &registry{
		base: strings.TrimRight(u.String(), "/"),
		user: cfg.RegistryUsername,
		pass: cfg.RegistryPassword,
		hc:   hc,
	}, nil
}

// RegistryError is an error response of the schema registry: the HTTP
// status and the registry's error_code and message.
type RegistryError struct {
	Method     string
	Path       string
	StatusCode int
	ErrorCode  int    // error_code of the body, 0 when absent
	Message    string // message of the body, or the start of a non-JSON body
}

// Unwrap makes a 5xx or 429 answer connector.ErrCodecUnavailable: the
// registry is down or overloaded, and the same bytes will decode later.
func (e *RegistryError) Unwrap() error {
	if e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests {
		return connector.ErrCodecUnavailable
	}
	return nil
}

func (e *RegistryError) Error() string {
	s := fmt.Sprintf("schema registry: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.ErrorCode != 0 {
		s += " error_code " + strconv.Itoa(e.ErrorCode)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Confluent error codes worth telling apart.
const (
	ErrorCodeSubjectNotFound = 40401
	ErrorCodeVersionNotFound = 40402
	ErrorCodeSchemaNotFound  = 40403
	ErrorCodeIncompatible    = 409
	ErrorCodeInvalidSchema   = 42201
)

// IsNotFound reports whether err is a registry 404 (subject, version or
// schema not found).
func IsNotFound(err error) bool {
	var re *RegistryError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}

// IsIncompatible reports whether the registry refused a schema as
// incompatible with the subject's earlier versions (HTTP 409).
func IsIncompatible(err error) bool {
	var re *RegistryError
	return errors.As(err, &re) && re.StatusCode == http.StatusConflict
}

// IsRetryable reports whether a registry call may succeed when repeated:
// network errors, 408, 429 and 5xx. Client errors (bad schema, not found,
// incompatible, unauthorized) are not.
func IsRetryable(err error) bool {
	var re *RegistryError
	if errors.As(err, &re) {
		return re.StatusCode == http.StatusRequestTimeout || re.StatusCode == http.StatusTooManyRequests || re.StatusCode >= 500
	}
	var ne net.Error
	return errors.As(err, &ne)
}

type schemaRequest struct {
	Schema     string `json:"schema"`
	SchemaType string `json:"schemaType,omitempty"`
}

type idResponse struct {
	ID *int `json:"id"`
}

// register: POST /subjects/{subject}/versions. Registering a schema the
// subject already has returns its existing id.
func (r *registry) register(ctx context.Context, subject, schema string) (int, error) {
	var resp idResponse
	if err := r.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject)+"/versions", schemaRequest{Schema: schema}, &resp); err != nil {
		return 0, err
	}
	if resp.ID == nil {
		return 0, fmt.Errorf("schema registry: register under %s: response without id", subject)
	}
	return *resp.ID, nil
}

// lookup: POST /subjects/{subject}, the id of a schema already registered
// under subject.
func (r *registry) lookup(ctx context.Context, subject, schema string) (int, error) {
	var resp idResponse
	if err := r.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject), schemaRequest{Schema: schema}, &resp); err != nil {
		return 0, err
	}
	if resp.ID == nil {
		return 0, fmt.Errorf("schema registry: lookup under %s: response without id", subject)
	}
	return *resp.ID, nil
}

// schemaByID: GET /schemas/ids/{id}.
func (r *registry) schemaByID(ctx context.Context, id int) (string, error) {
	var resp struct {
		Schema     string `json:"schema"`
		SchemaType string `json:"schemaType"`
	}
	if err := r.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.Itoa(id), nil, &resp); err != nil {
		return "", err
	}
	if resp.SchemaType != "" && !strings.EqualFold(resp.SchemaType, "AVRO") {
		return "", fmt.Errorf("schema registry: schema id %d is %s, not Avro", id, resp.SchemaType)
	}
	if resp.Schema == "" {
		return "", fmt.Errorf("schema registry: schema id %d: empty schema", id)
	}
	return resp.Schema, nil
}

func (r *registry) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("schema registry: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return fmt.Errorf("schema registry: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", registryContentType+", application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5")
	if body != nil {
		req.Header.Set("Content-Type", registryContentType)
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("schema registry: %s %s: %w", method, path, err)
		}
		return fmt.Errorf("schema registry: %s %s: %w: %w", method, path, connector.ErrCodecUnavailable, err)
	}
	defer func() {
		// Drain so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxRegistryResponse))
		_ = resp.Body.Close()
	}()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRegistryResponse))
	if err != nil {
		return fmt.Errorf("schema registry: %s %s: read response: %w: %w", method, path, connector.ErrCodecUnavailable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		re := &RegistryError{Method: method, Path: path, StatusCode: resp.StatusCode}
		var eb struct {
			ErrorCode int    `json:"error_code"`
			Message   string `json:"message"`
		}
		if json.Unmarshal(data, &eb) == nil && (eb.ErrorCode != 0 || eb.Message != "") {
			re.ErrorCode, re.Message = eb.ErrorCode, eb.Message
		} else {
			re.Message = strings.TrimSpace(string(data))
		}
		re.Message = truncate(re.Message, 300)
		return re
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("schema registry: %s %s: decode response: %w", method, path, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
