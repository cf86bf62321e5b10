package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// maxRequestIDLen bounds an incoming X-Request-Id; longer ones are replaced.
const maxRequestIDLen = 128

// requestID returns the caller's X-Request-Id when it is sane (1 to 128
// characters from A-Z a-z 0-9 and "-_.:") and a fresh random id otherwise.
// Anything else is replaced rather than cleaned, because the id lands in
// logs and response headers verbatim.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); saneRequestID(id) {
		return id
	}
	return newRequestID()
}

func saneRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
