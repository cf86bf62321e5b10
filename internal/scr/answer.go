package scr

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// maxJWEHeader bounds the protected header of a JWE answer (base64url).
// POSTIDENT's is about 100 bytes ({"alg":"RSA-OAEP-256","enc":"A256GCM"}).
const maxJWEHeader = 4 << 10

// open turns the body of a 2xx answer into JSON: it refuses compressed
// JWEs, accepts a plain status answer with RequireEncryption (counted and
// warned about once), and leaves the rest to plaintext.
func (c *Client) open(ctx context.Context, cl *call, body []byte) ([]byte, error) {
	if c.cfg.PrivateKey != nil && !isPlainJSON(body) {
		if err := checkJWEHeader(body); err != nil {
			return nil, err
		}
	}
	if cl.statusOnly && c.cfg.RequireEncryption && isPlainJSON(body) {
		c.plainStatus(ctx, cl.endpoint)
		return body, nil
	}
	return c.plaintext(body)
}

// plainStatus records a plain JSON answer to a status call while encryption
// is required. Guide 7.8 encrypts "the result data"; whether POSTIDENT
// encrypts the status endpoints too is not settled, and their answers carry
// no identification data (caseId, status, method, accounting), so refusing
// them would stop the reconciler and partner mode for nothing. Result calls
// keep refusing plain answers (ErrNotEncrypted).
func (c *Client) plainStatus(ctx context.Context, endpoint string) {
	c.metrics.plainStatus(ctx, endpoint)
	c.plainStatusWarned.Do(func() {
		log := c.cfg.Logger
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "POSTIDENT answered a status call in plain JSON although encryption is required; "+
			"accepted because status answers carry no result data (guide 7.8 encrypts result data); "+
			"result calls still require encryption. Counted in postident_scr_plain_status_answers_total; logged once",
			"endpoint", endpoint)
	})
}

// checkJWEHeader refuses a compact JWE whose protected header asks for
// compression ("zip"), before anything is decrypted or inflated. The guide
// and ENCRYPTION.md never mention compression, and inflating lets a small
// answer become a large one (a 1000:1 deflate bomb; go-jose allows 10:1 of
// an answer that may itself be as large as the endpoint's cap). Refused as
// errDecode: this one answer is unusable, the key is fine. A header that
// does not parse is left to decryptJWE, which reports it as ErrDecrypt.
func checkJWEHeader(body []byte) error {
	s := bytes.TrimSpace(body)
	dot := bytes.IndexByte(s, '.')
	if dot < 0 {
		return nil
	}
	if dot > maxJWEHeader {
		return fmt.Errorf("%w: JWE protected header longer than %d bytes", errDecode, maxJWEHeader)
	}
	hdr := make([]byte, base64.RawURLEncoding.DecodedLen(dot))
	n, err := base64.RawURLEncoding.Decode(hdr, s[:dot])
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(hdr[:n]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		// Case-insensitive, and any value but null or "": whatever a JOSE
		// library might read as a compression request is refused.
		if strings.EqualFold(key, "zip") && string(v) != "null" && string(v) != `""` {
			return fmt.Errorf("%w: JWE is compressed (zip header); POSTIDENT's encryption has no compression, refused before decrypting", errDecode)
		}
	}
	return nil
}
