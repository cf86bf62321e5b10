package scr

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero Config and RetryPolicy fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxConns    = 16
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = 200 * time.Millisecond
	DefaultMaxDelay    = 10 * time.Second
	DefaultUserAgent   = "postident-connector"

	// MinKeyBits is the smallest RSA key accepted for result encryption.
	MinKeyBits = 2048
)

// Config configures a Client. The zero value of every optional field means
// its default.
type Config struct {
	// BaseURL is the API root up to and including /api/scr/v1, e.g.
	// https://postident.deutschepost.de/api/scr/v1 (production) or
	// https://postident-itu.deutschepost.de/api/scr/v1 (integration).
	// Required; http is accepted for local simulators.
	BaseURL string
	// ClientID is the account id issued by Deutsche Post: uppercase letters
	// and digits (guide 7.2.3). Required.
	ClientID string
	// Username and Password are the REST API credentials (Basic auth).
	// Required.
	Username, Password string
	// PrivateKey enables result encryption: its public key is sent in
	// x-scr-key on every GET that returns result data, and responses are
	// decrypted with it. Nil: no encryption headers, plain JSON expected
	// (integration environment only; production requires encryption).
	PrivateKey *rsa.PrivateKey
	// DataPassword is the account's data password, the HMAC key of
	// x-scr-keyhash. Required when PrivateKey is set.
	DataPassword string
	// RequireEncryption makes a plain JSON answer an error (ErrNotEncrypted)
	// instead of accepting it. Requires PrivateKey. Default false, because
	// the integration environment may answer unencrypted.
	RequireEncryption bool
	// Timeout bounds one HTTP attempt, including reading the body.
	// Default 10s.
	Timeout time.Duration
	// MaxConns bounds the connections per host of the built-in HTTP client.
	// Default 16. Ignored when HTTPClient is set.
	MaxConns int
	// Retry is the retry policy for transient failures.
	Retry RetryPolicy
	// HTTPClient overrides the built-in client (its Timeout should be 0:
	// the per-attempt Timeout applies through the request context).
	HTTPClient *http.Client
	// UserAgent is sent with every request. Default "postident-connector".
	UserAgent string
	// Logger receives the client's only log line: a one-time warning when
	// a status call is answered in plain JSON although RequireEncryption
	// is set. Default slog.Default() at the time of the warning.
	Logger *slog.Logger
}

// RetryPolicy governs retries of 5xx and 429 answers, timeouts and
// connection errors. The wait before retry n (1-based) is drawn uniformly
// from [0, min(MaxDelay, BaseDelay*2^(n-1))] ("full jitter"); a Retry-After
// header replaces it, capped at MaxDelay.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	// Default 5; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff ceiling of the first retry. Default 200ms.
	BaseDelay time.Duration
	// MaxDelay caps every wait, Retry-After included. Default 10s.
	MaxDelay time.Duration
}

// withDefaults returns cfg with defaults applied and validates it. Every
// message names the setting and what to do; none echoes a secret.
func (cfg Config) withDefaults() (Config, *url.URL, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var base *url.URL
	switch u, err := url.Parse(strings.TrimSpace(cfg.BaseURL)); {
	case cfg.BaseURL == "":
		bad("BaseURL is required, e.g. https://postident.deutschepost.de/api/scr/v1")
	case err != nil:
		bad("BaseURL is not a valid URL; expected e.g. https://postident.deutschepost.de/api/scr/v1")
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		bad("BaseURL must be an absolute http(s) URL, e.g. https://postident.deutschepost.de/api/scr/v1")
	case u.User != nil:
		bad("BaseURL must not contain credentials; set Username and Password instead")
	case u.RawQuery != "" || u.Fragment != "":
		bad("BaseURL must not have a query or fragment")
	default:
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = strings.TrimRight(u.RawPath, "/")
		last := u.Path[strings.LastIndex(u.Path, "/")+1:]
		switch {
		case last == "cases" || strings.Contains(u.Path, "/cases/"):
			bad("BaseURL must end at /api/scr/v1, without /{clientId}/cases")
		case cfg.ClientID != "" && last == cfg.ClientID:
			bad("BaseURL must end at /api/scr/v1, without the clientId (it is added from ClientID)")
		default:
			base = u
		}
	}

	switch {
	case cfg.ClientID == "":
		bad("ClientID is required (issued by Deutsche Post, e.g. 1234ABCD)")
	case !isClientID(cfg.ClientID):
		bad("ClientID (POSTIDENT_CLIENT_ID) must be uppercase letters and digits only, exactly as issued by Deutsche Post")
	}
	if cfg.Username == "" {
		bad("Username is required (the SCR-Ident REST API user)")
	}
	if cfg.Password == "" {
		bad("Password is required (the SCR-Ident REST API password)")
	}
	if cfg.PrivateKey != nil {
		if bits := cfg.PrivateKey.N.BitLen(); bits < MinKeyBits {
			bad("PrivateKey has %d bits; use an RSA key of at least %d bits (3072 recommended)", bits, MinKeyBits)
		}
		if cfg.DataPassword == "" {
			bad("DataPassword is required when PrivateKey is set (it keys x-scr-keyhash)")
		}
	} else if cfg.RequireEncryption {
		bad("RequireEncryption needs a PrivateKey")
	}

	if cfg.Timeout < 0 {
		bad("Timeout must not be negative (0 means %s)", DefaultTimeout)
	} else if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConns < 0 {
		bad("MaxConns must not be negative (0 means %d)", DefaultMaxConns)
	} else if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	r := &cfg.Retry
	if r.MaxAttempts < 0 {
		bad("Retry.MaxAttempts must not be negative (0 means %d, 1 disables retries)", DefaultMaxAttempts)
	} else if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.BaseDelay < 0 || r.MaxDelay < 0 {
		bad("Retry.BaseDelay and Retry.MaxDelay must not be negative")
	}
	if r.BaseDelay == 0 {
		r.BaseDelay = DefaultBaseDelay
	}
	if r.MaxDelay == 0 {
		r.MaxDelay = max(DefaultMaxDelay, r.BaseDelay)
	}
	if r.MaxDelay < r.BaseDelay {
		bad("Retry.MaxDelay (%s) must not be below Retry.BaseDelay (%s)", r.MaxDelay, r.BaseDelay)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if len(problems) > 0 {
		return cfg, nil, errors.New("scr: invalid config: " + strings.Join(problems, "; "))
	}
	return cfg, base, nil
}

func isClientID(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// LoadPrivateKey reads an unencrypted RSA private key from PEM: PKCS#1
// ("RSA PRIVATE KEY", what `openssl genrsa` wrote before OpenSSL 3) or
// PKCS#8 ("PRIVATE KEY", what `openssl pkcs8 -topk8 -nocrypt` writes). Other
// PEM blocks before the key (certificates, parameters) are skipped. Keys
// below 2048 bits are rejected.
func LoadPrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("scr: no RSA private key PEM block found (expected BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)")
		}
		var key *rsa.PrivateKey
		switch block.Type {
		case "RSA PRIVATE KEY":
			if _, encrypted := block.Headers["Proc-Type"]; encrypted {
				return nil, errors.New("scr: private key PEM is password-protected; store it unencrypted (openssl pkcs8 -topk8 -nocrypt) and protect the file instead")
			}
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("scr: parse PKCS#1 private key: %w", err)
			}
			key = k
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("scr: parse PKCS#8 private key: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("scr: private key is %T, not RSA; POSTIDENT encrypts with RSA-OAEP-256", k)
			}
			key = rk
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("scr: private key PEM is password-protected; store it unencrypted (openssl pkcs8 -topk8 -nocrypt) and protect the file instead")
		case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY":
			return nil, fmt.Errorf("scr: %s is not supported; POSTIDENT encrypts with RSA-OAEP-256, generate an RSA key (openssl genrsa 3072)", block.Type)
		default:
			continue
		}
		if bits := key.N.BitLen(); bits < MinKeyBits {
			return nil, fmt.Errorf("scr: RSA private key has %d bits; at least %d are required (3072 recommended)", bits, MinKeyBits)
		}
		if err := key.Validate(); err != nil {
			return nil, fmt.Errorf("scr: invalid RSA private key: %w", err)
		}
		return key, nil
	}
}

// KeyHeaders returns the values of the x-scr-key and x-scr-keyhash request
// headers for pub: standard Base64 of the DER SubjectPublicKeyInfo, and
// standard Base64 of HMAC-SHA256 over those DER bytes keyed with the data
// password (see ENCRYPTION.md; equivalent to
// `openssl pkey -pubout -outform DER | base64 -w0` and
// `openssl dgst -sha256 -hmac "$DATA_PASSWORD" -binary | base64 -w0`).
func KeyHeaders(pub *rsa.PublicKey, dataPassword string) (key, keyHash string, err error) {
	if pub == nil {
		return "", "", errors.New("scr: key headers: public key is nil")
	}
	if dataPassword == "" {
		return "", "", errors.New("scr: key headers: data password is empty")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", fmt.Errorf("scr: key headers: marshal public key: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(dataPassword))
	mac.Write(der)
	return base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
