package webhook

import (
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how many comma-separated entries of a forwarding
// header are examined; a longer chain is treated as unknown.
const maxForwardedHops = 32

// sourceAddrs returns the address(es) the request came from as seen through
// the trusted proxies. Without a trusted direct peer it is just the peer. With
// one, each forwarding header present (X-Forwarded-For, Forwarded) yields its
// right-most untrusted address; an entry that cannot be parsed yields the
// invalid Addr. The caller allows the request only if every returned address
// is allowed.
func sourceAddrs(r *http.Request, trusted []netip.Prefix, buf []netip.Addr) []netip.Addr {
	peer := parseNode(r.RemoteAddr)
	if !peer.IsValid() || !containsAddr(trusted, peer) {
		return append(buf, peer)
	}
	n := len(buf)
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		buf = append(buf, rightmostUntrusted(splitXFF(xff), trusted))
	}
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		buf = append(buf, rightmostUntrusted(forwardedFor(fwd), trusted))
	}
	if len(buf) == n {
		buf = append(buf, peer) // the proxy itself made the call
	}
	return buf
}

// rightmostUntrusted walks the chain from the right, skipping trusted
// proxies, and returns the first other address. If every entry is trusted it
// returns the left-most one. An unparsable entry (or an over-long chain)
// yields the invalid Addr: whatever stands left of it is caller-controlled.
func rightmostUntrusted(chain []string, trusted []netip.Prefix) netip.Addr {
	if len(chain) == 0 || len(chain) > maxForwardedHops {
		return netip.Addr{}
	}
	var a netip.Addr
	for i := len(chain) - 1; i >= 0; i-- {
		a = parseNode(chain[i])
		if !a.IsValid() || !containsAddr(trusted, a) {
			return a
		}
	}
	return a
}

// splitXFF splits X-Forwarded-For header values into entries. Several header
// lines count as one comma-separated list, in order (RFC 9110, 5.3).
func splitXFF(values []string) []string {
	var out []string
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(e))
			if len(out) > maxForwardedHops {
				return out
			}
		}
	}
	return out
}

// forwardedFor returns the for= node of every element of the Forwarded
// headers (RFC 7239); an element without for= yields "" (unknown).
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for _, elem := range splitQuoted(v, ',') {
			node := ""
			for _, pair := range splitQuoted(elem, ';') {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
					node = unquote(strings.TrimSpace(val))
				}
			}
			out = append(out, node)
			if len(out) > maxForwardedHops {
				return out
			}
		}
	}
	return out
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the quotes and backslash escapes of a quoted-string; an
// unquoted token is returned as is.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseNode parses an address as found in RemoteAddr, X-Forwarded-For or a
// Forwarded for= node: "1.2.3.4", "1.2.3.4:5", "2001:db8::1",
// "[2001:db8::1]" or "[2001:db8::1]:5". IPv4-mapped IPv6 addresses are
// unmapped; zones, "unknown" and obfuscated identifiers give the invalid Addr.
func parseNode(s string) netip.Addr {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
				a, err = netip.ParseAddr(s[1 : len(s)-1])
			}
			if err != nil || !a.Is6() {
				return netip.Addr{}
			}
		} else {
			a = ap.Addr()
		}
	}
	if a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
