package scr

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
)

// errDecode marks a response that arrived but could not be used. Not
// retried: the same bytes would come again.
var errDecode = errors.New("malformed response")

// contentEncryptions is every enc go-jose supports: POSTIDENT chooses it and
// the client must not assume one (ENCRYPTION.md).
var contentEncryptions = []jose.ContentEncryption{
	jose.A128GCM, jose.A192GCM, jose.A256GCM,
	jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512,
}

// keyAlgorithms is the only key management POSTIDENT uses; allowing more
// (RSA1_5, PBES2) would only widen the attack surface.
var keyAlgorithms = []jose.KeyAlgorithm{jose.RSA_OAEP_256}

// isPlainJSON reports whether body looks like a JSON object or array rather
// than a compact JWE (which starts with base64url "ey").
func isPlainJSON(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n\ufeff")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// plaintext returns the JSON of a result response: decrypted when a key is
// configured, checked against RequireEncryption.
func (c *Client) plaintext(body []byte) ([]byte, error) {
	if c.cfg.PrivateKey == nil {
		if !isPlainJSON(body) && bytes.HasPrefix(bytes.TrimSpace(body), []byte("ey")) {
			return nil, fmt.Errorf("%w: the response is encrypted but no private key is configured", ErrDecrypt)
		}
		return body, nil
	}
	if isPlainJSON(body) {
		if c.cfg.RequireEncryption {
			return nil, ErrNotEncrypted
		}
		return body, nil
	}
	return decryptJWE(c.cfg.PrivateKey, body)
}

// decryptJWE decrypts a compact JWE (alg RSA-OAEP-256, any supported enc).
// Errors never include the body; go-jose's parse errors describe only the
// protected header's structure and algorithms.
func decryptJWE(key *rsa.PrivateKey, body []byte) ([]byte, error) {
	s := strings.TrimSpace(string(body))
	obj, err := jose.ParseEncryptedCompact(s, keyAlgorithms, contentEncryptions)
	if err != nil {
		return nil, fmt.Errorf("%w: not a compact JWE with alg RSA-OAEP-256: %s", ErrDecrypt, trimJoseErr(err))
	}
	plain, err := obj.Decrypt(key)
	if err != nil {
		// A wrong key and a tampered message look alike by design.
		return nil, fmt.Errorf("%w: encrypted for another key, or tampered with: %s", ErrDecrypt, trimJoseErr(err))
	}
	return plain, nil
}

func trimJoseErr(err error) string {
	return strings.TrimPrefix(err.Error(), "go-jose/go-jose: ")
}

// decodeCase decodes one case. It checks the caseId so a mix-up can never
// hand one person's result to another case; want may be "" to skip that.
func decodeCase(b []byte, want string) (*connector.CaseResult, error) {
	var cr connector.CaseResult
	if err := unmarshal(b, &cr); err != nil {
		return nil, err
	}
	cr.Normalize()
	switch {
	case cr.CaseID == "":
		return nil, fmt.Errorf("%w: the case has no caseId", errDecode)
	case want != "" && !strings.EqualFold(cr.CaseID, want):
		if checkCaseID(cr.CaseID) != nil {
			return nil, fmt.Errorf("%w: the response is for another, malformed caseId", errDecode)
		}
		return nil, fmt.Errorf("%w: the response is for caseId %s", errDecode, cr.CaseID)
	}
	return &cr, nil
}

// decodeList decodes a list of cases; every case must have a caseId, since
// everything downstream is keyed by it. Entries that do not decode, or have
// no caseId, are left out and reported in bad (see
// connector.ListEntriesError): one bad entry must not cost the page. A body
// that is not a JSON array is an error.
func decodeList(b []byte) (cases []connector.CaseResult, bad *connector.ListEntriesError, err error) {
	if err := unmarshal(b, &cases); err == nil && allHaveCaseID(cases) {
		connector.NormalizeCases(cases)
		return cases, nil, nil
	}
	// Entry by entry, only for a page that failed as a whole.
	var raw []json.RawMessage
	if err := unmarshal(b, &raw); err != nil {
		return nil, nil, err
	}
	cases = make([]connector.CaseResult, 0, len(raw))
	for i, e := range raw {
		var cr connector.CaseResult
		err := unmarshal(e, &cr)
		if err == nil && cr.CaseID == "" {
			err = fmt.Errorf("%w: list entry %d has no caseId", errDecode, i)
		}
		if err == nil {
			cases = append(cases, cr)
			continue
		}
		if bad == nil {
			bad = &connector.ListEntriesError{Err: fmt.Errorf("list entry %d: %w", i, err)}
		}
		var id struct {
			CaseID string `json:"caseId"`
		}
		if unmarshal(e, &id) == nil && checkCaseID(id.CaseID) == nil {
			bad.CaseIDs = append(bad.CaseIDs, id.CaseID)
		} else {
			bad.Unidentified++
		}
	}
	connector.NormalizeCases(cases)
	return cases, bad, nil
}

func allHaveCaseID(cases []connector.CaseResult) bool {
	for i := range cases {
		if cases[i].CaseID == "" {
			return false
		}
	}
	return true
}

// connectorPkg is the import path of the model's package.
var connectorPkg = reflect.TypeFor[connector.Text]().PkgPath()

// fieldError is a decoding error that names the field path, the JSON kind
// and the Go type, never the value.
func fieldError(field, kind string, into reflect.Type, why string, offset int64) error {
	if field == "" {
		field = "(top level)"
	}
	if kind == "" {
		kind = "value"
	}
	name := "the model"
	if into != nil {
		name = into.String()
	}
	if why != "" {
		why = " (" + why + ")"
	}
	return fmt.Errorf("%w: field %s: a JSON %s cannot be decoded into %s%s (at byte offset %d)",
		errDecode, field, kind, name, why, offset)
}
