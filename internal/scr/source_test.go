package scr

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
)

// TestSourceClassifiesPerCase: a single-case answer that does not decode is
// connector.ErrCaseUnreadable and one that does not decrypt is
// connector.ErrUndecryptable (neither is ErrMisconfigured any more, which
// stopped the whole pipeline); the connector.CaseError carries the endpoint
// and the still-encrypted answer, which never appears in the error text. A
// plain-JSON body is never kept.
func TestSourceClassifiesPerCase(t *testing.T) {
	other := strings.Replace(string(sampleFull()), testCaseID, "ZZ9W91GEZK24", 1)
	var sent string
	tests := []struct {
		name    string
		body    func(t *testing.T) string
		require bool
		want    error
		kept    bool
	}{
		{"malformed", func(t *testing.T) string {
			return encryptFor(t, &key2048().PublicKey, jose.A256GCM, []byte(`{"caseId":`))
		}, false, connector.ErrCaseUnreadable, true},
		{"mistyped", func(t *testing.T) string {
			return encryptFor(t, &key2048().PublicKey, jose.A256GCM, []byte(`{"caseId":"`+testCaseID+`","caseStatus":{"status":["closed"]}}`))
		}, false, connector.ErrCaseUnreadable, true},
		{"another caseId", func(t *testing.T) string {
			return encryptFor(t, &key2048().PublicKey, jose.A256GCM, []byte(other))
		}, false, connector.ErrCaseUnreadable, true},
		{"tampered", func(t *testing.T) string {
			return tamper(encryptFor(t, &key2048().PublicKey, jose.A256GCM, sampleFull()), 3)
		}, false, connector.ErrUndecryptable, true},
		{"plain json when required", func(*testing.T) string { return string(sampleFull()) }, true, connector.ErrUndecryptable, false},
		{"plain malformed json", func(*testing.T) string { return `{"caseId":"` + testCaseID + `","name":` }, false, connector.ErrCaseUnreadable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent = tt.body(t)
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				_, _ = io.WriteString(w, sent)
			})
			c := newTestClient(t, f, key2048(), func(c *Config) { c.RequireEncryption = tt.require })
			_, err := NewSource(c).Fetch(testCtx(t), testCaseID, connector.FetchOptions{})
			if !errors.Is(err, tt.want) || errors.Is(err, connector.ErrMisconfigured) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			var ce *connector.CaseError
			if !errors.As(err, &ce) || ce.Endpoint != "GET /cases/{caseId}" {
				t.Fatalf("no CaseError with the endpoint: %#v", err)
			}
			if tt.kept != (string(ce.EncryptedAnswer) == sent) || (!tt.kept && ce.EncryptedAnswer != nil) {
				t.Errorf("answer kept: %v, want %v", ce.EncryptedAnswer != nil, tt.kept)
			}
			if len(sent) > 20 && strings.Contains(err.Error(), sent[len(sent)-20:]) {
				t.Errorf("the answer appears in the error text")
			}
		})
	}
}

// TestSourceDecodeStored: a stored answer decodes with the client's key
// and is checked against the caseId like a fetched one.
func TestSourceDecodeStored(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ int) {})
	s := NewSource(newTestClient(t, f, key2048(), nil))
	jwe := encryptFor(t, &key2048().PublicKey, jose.A256GCM, sampleFull())
	c, err := s.DecodeStored(testCaseID, []byte(jwe))
	if err != nil || c.CaseID != testCaseID {
		t.Fatalf("DecodeStored: %v", err)
	}
	if _, err := s.DecodeStored("OTHER0000001", []byte(jwe)); !errors.Is(err, connector.ErrCaseUnreadable) {
		t.Errorf("stored answer of another case: %v", err)
	}
	if _, err := s.DecodeStored(testCaseID, []byte(tamper(jwe, 3))); !errors.Is(err, connector.ErrUndecryptable) {
		t.Errorf("tampered stored answer: %v", err)
	}
}
