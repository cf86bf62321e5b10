package sim

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// Encryption headers (ENCRYPTION.md).
const (
	HeaderKey     = "x-scr-key"
	HeaderKeyHash = "x-scr-keyhash"
	HeaderAlg     = "x-scr-alg"
)

// JOSEContentType is the Content-Type of an encrypted response: the media
// type of a JWE in compact serialization (RFC 7516, 9.1). What POSTIDENT
// sends is not documented; clients should not depend on it.
const JOSEContentType = "application/jose"

var supportedEnc = []jose.ContentEncryption{
	jose.A128GCM, jose.A192GCM, jose.A256GCM,
	jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512,
}

// errEncryptionRequired: RequireEncryption is set and the headers are
// missing.
var errEncryptionRequired = errors.New("encryption is mandatory: send x-scr-key and x-scr-keyhash")

// keyCache remembers verified keys by their header values, so a client
// polling with the same key pays the parsing and HMAC once.
type keyCache struct {
	mu sync.Mutex
	m  map[[2]string]*rsa.PublicKey
}

func (k *keyCache) get(key, hash string) *rsa.PublicKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[[2]string{key, hash}]
}

func (k *keyCache) put(key, hash string, pub *rsa.PublicKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil || len(k.m) >= 256 {
		k.m = map[[2]string]*rsa.PublicKey{}
	}
	k.m[[2]string{key, hash}] = pub
}

// requestKey returns the client's verified public key, nil for a plain
// response, or an error for a 400: only one header, a key that is not a
// base64 DER SubjectPublicKeyInfo of an RSA key of 2048 bits or more, an
// x-scr-alg other than RSA-OAEP-256, or a keyhash that is not
// HMAC-SHA256(DER, data password). A wrong keyhash is a 400 and not a 401
// because the login itself succeeded; the request is malformed for this
// account (the guide does not say which code POSTIDENT uses).
func (s *Sim) requestKey(r *http.Request) (*rsa.PublicKey, error) {
	key, hash := r.Header.Get(HeaderKey), r.Header.Get(HeaderKeyHash)
	if key == "" && hash == "" {
		if s.cfg.RequireEncryption {
			return nil, errEncryptionRequired
		}
		return nil, nil
	}
	if key == "" || hash == "" {
		return nil, errors.New("send both x-scr-key and x-scr-keyhash, or neither")
	}
	if alg := r.Header.Get(HeaderAlg); alg != "" && alg != string(jose.RSA_OAEP_256) {
		return nil, fmt.Errorf("x-scr-alg %q is not supported (use RSA-OAEP-256)", alg)
	}
	if pub := s.keys.get(key, hash); pub != nil {
		return pub, nil
	}
	der, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return nil, errors.New("x-scr-key is not standard base64")
	}
	gotMAC, err := base64.StdEncoding.DecodeString(hash)
	if err != nil {
		return nil, errors.New("x-scr-keyhash is not standard base64")
	}
	mac := hmac.New(sha256.New, []byte(s.cfg.DataPassword))
	mac.Write(der)
	if !hmac.Equal(mac.Sum(nil), gotMAC) {
		return nil, errors.New("x-scr-keyhash is not HMAC-SHA256 of x-scr-key with the data password")
	}
	anyKey, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("x-scr-key is not a DER SubjectPublicKeyInfo")
	}
	pub, ok := anyKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("x-scr-key is not an RSA public key")
	}
	if pub.N.BitLen() < 2048 {
		return nil, errors.New("x-scr-key is shorter than 2048 bits")
	}
	s.keys.put(key, hash, pub)
	return pub, nil
}

// encrypt returns body as a compact JWE for pub (RSA-OAEP-256, Config.Enc).
func (s *Sim) encrypt(pub *rsa.PublicKey, body []byte) ([]byte, error) {
	enc, err := jose.NewEncrypter(jose.ContentEncryption(s.cfg.Enc),
		jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub},
		(&jose.EncrypterOptions{}).WithContentType("application/json"))
	if err != nil {
		return nil, fmt.Errorf("new encrypter: %w", err)
	}
	obj, err := enc.Encrypt(body)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return nil, fmt.Errorf("serialize jwe: %w", err)
	}
	return []byte(out), nil
}
