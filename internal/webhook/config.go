package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"path"
	"strings"
	"time"
)

// Defaults applied by NewHandler to zero fields of Config.
const (
	DefaultPath         = "/postident/webhook"
	DefaultMaxBodyBytes = 4 << 10
	DefaultDeadline     = 1500 * time.Millisecond
	DefaultMaxInFlight  = 1024

	// postidentTimeout is how long POSTIDENT waits for the 200 (guide ch. 5).
	// A Deadline at or beyond it is useless: POSTIDENT has hung up and retries.
	postidentTimeout = 2 * time.Second
	// minBodyBytes fits the largest legitimate notification (a 64-character
	// caseId and a 256-character referenceId, escaped) with room to spare.
	minBodyBytes = 512
)

// PostidentSourceCIDRs are the addresses POSTIDENT sends webhooks from
// (SCR-Ident API Guide 2, chapter 5: 165.72.200.13, 199.40.127.49 and
// 156.137.9.65, the last added in the guide's 2022 change log). Use it as
// Config.AllowedCIDRs in production; check the change log when POSTIDENT
// announces a new address.
// Treat it as read-only: NewHandler copies what it is given.
var PostidentSourceCIDRs = []netip.Prefix{
	netip.MustParsePrefix("165.72.200.13/32"),
	netip.MustParsePrefix("199.40.127.49/32"),
	netip.MustParsePrefix("156.137.9.65/32"),
}

// Config configures a Handler. The zero value, apart from the auth policy
// enforced by Validate, is usable: every field's comment states its default.
type Config struct {
	// Path is the only URL path served (default "/postident/webhook"). It must
	// start with "/" and carry no query: POSTIDENT refuses webhook URLs with
	// GET parameters (guide ch. 5).
	Path string

	// Username and Password enable HTTP Basic authentication when Username is
	// not empty; they are the credentials configured for the client id at
	// POSTIDENT. Both are compared in constant time over their SHA-256 digests,
	// so neither content nor length leaks through timing.
	Username, Password string

	// AllowedCIDRs restricts the source address of callers (default empty: any
	// source). In production use PostidentSourceCIDRs.
	AllowedCIDRs []netip.Prefix

	// TrustedProxies lists the reverse proxies / load balancers in front of the
	// connector (default empty: none). Only when the direct peer is one of them
	// are X-Forwarded-For and Forwarded honoured, and then the source is the
	// right-most address in the chain that is not itself a trusted proxy. If a
	// request carries both headers, each yields a source and every one must be
	// allowed: the handler cannot know which header the proxy appended to, and
	// the other may be forged by the caller.
	TrustedProxies []netip.Prefix

	// MaxBodyBytes bounds the request body (default 4 KiB, at least 512).
	// Larger bodies are answered 413.
	MaxBodyBytes int64

	// Deadline is the time from the arrival of a request until the sink must
	// have acknowledged the notification (default 1.5 s; must be below
	// POSTIDENT's 2 s). Past it the handler answers 503 with Retry-After: 1 and
	// POSTIDENT retries. It also bounds reading the request body.
	Deadline time.Duration

	// MaxInFlight bounds concurrent requests, counting sink calls that outlive
	// their request (default 1024). Beyond it requests are answered 503 with
	// Retry-After at once instead of queueing (load shedding).
	MaxInFlight int

	// RatePerSecond and Burst configure an optional token bucket over all
	// callers (default 0: off). Burst defaults to ceil(RatePerSecond), at
	// least 1. Requests over the rate are answered 429 with Retry-After.
	RatePerSecond float64
	Burst         int

	// AllowUnauthenticated permits an empty Username outside dev mode, for
	// deployments where a gateway in front authenticates POSTIDENT (default
	// false).
	AllowUnauthenticated bool

	// Logger receives one line per request (default slog.Default()).
	Logger *slog.Logger
}

// Validate reports the first problem with c, phrased so an operator can fix
// it. Outside dev mode it refuses a configuration without Basic auth unless
// AllowUnauthenticated is set. Validate does not modify c; zero fields stand
// for their defaults.
func (c *Config) Validate(devMode bool) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.Username == "" && !devMode && !c.AllowUnauthenticated {
		return errors.New("webhook: Basic auth is not configured: set WEBHOOK_USERNAME and WEBHOOK_PASSWORD " +
			"to the credentials configured for your client id at POSTIDENT, or set " +
			"WEBHOOK_ALLOW_UNAUTHENTICATED=true if a gateway in front of the connector authenticates the calls")
	}
	return nil
}

// validate checks everything except the auth policy, which needs devMode.
func (c *Config) validate() error {
	if c.Path != "" {
		if err := validatePath(c.Path); err != nil {
			return err
		}
	}
	if c.Username != "" {
		if c.Password == "" {
			return errors.New("webhook: WEBHOOK_USERNAME is set but WEBHOOK_PASSWORD is empty: set both, or neither")
		}
		if strings.ContainsRune(c.Username, ':') {
			return errors.New("webhook: WEBHOOK_USERNAME contains ':', which HTTP Basic auth cannot carry (RFC 7617): choose a user name without it")
		}
	} else if c.Password != "" {
		return errors.New("webhook: WEBHOOK_PASSWORD is set but WEBHOOK_USERNAME is empty: set both, or neither")
	}
	for i, p := range c.AllowedCIDRs {
		if !p.IsValid() {
			return fmt.Errorf("webhook: allowed CIDR #%d is not a valid prefix: write it like 165.72.200.13/32", i+1)
		}
	}
	for i, p := range c.TrustedProxies {
		if !p.IsValid() {
			return fmt.Errorf("webhook: trusted proxy #%d is not a valid prefix: write it like 10.0.0.0/8", i+1)
		}
	}
	if c.MaxBodyBytes < 0 || (c.MaxBodyBytes > 0 && c.MaxBodyBytes < minBodyBytes) {
		return fmt.Errorf("webhook: max body size %d bytes is too small for a POSTIDENT notification: use at least %d, or 0 for the default %d",
			c.MaxBodyBytes, minBodyBytes, DefaultMaxBodyBytes)
	}
	if c.Deadline < 0 || c.Deadline >= postidentTimeout {
		return fmt.Errorf("webhook: deadline %s must be positive and below POSTIDENT's %s timeout (0 for the default %s)",
			c.Deadline, postidentTimeout, DefaultDeadline)
	}
	if c.MaxInFlight < 0 {
		return fmt.Errorf("webhook: max in-flight %d is negative: use a positive limit, or 0 for the default %d", c.MaxInFlight, DefaultMaxInFlight)
	}
	if c.RatePerSecond < 0 || math.IsNaN(c.RatePerSecond) || math.IsInf(c.RatePerSecond, 0) {
		return fmt.Errorf("webhook: rate %v per second is not a finite non-negative number: use 0 to turn rate limiting off", c.RatePerSecond)
	}
	if c.Burst < 0 {
		return fmt.Errorf("webhook: burst %d is negative: use a positive burst, or 0 for ceil(rate)", c.Burst)
	}
	if c.Burst > 0 && c.RatePerSecond == 0 {
		return errors.New("webhook: burst is set but the rate is 0 (off): set the rate per second too, or drop the burst")
	}
	return nil
}

// validatePath accepts an absolute, clean URL path without query, fragment,
// spaces or control characters; the handler compares its escaped form byte
// for byte with the request path as sent (not percent-decoded).
func validatePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("webhook: path %q must start with \"/\", e.g. %q", p, DefaultPath)
	}
	if strings.ContainsAny(p, "?#") {
		return fmt.Errorf("webhook: path %q must not contain a query or fragment: POSTIDENT refuses webhook URLs with parameters", p)
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("webhook: path %q contains a space or control character", p)
		}
	}
	if c := path.Clean(p); c != p && c+"/" != p {
		return fmt.Errorf("webhook: path %q is not clean: use %q", p, c)
	}
	return nil
}

// withDefaults returns a copy of c with zero fields set to their defaults and
// the prefix lists copied and masked.
func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultDeadline
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.RatePerSecond > 0 && c.Burst == 0 {
		c.Burst = max(1, int(math.Ceil(c.RatePerSecond)))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.AllowedCIDRs = maskAll(c.AllowedCIDRs)
	c.TrustedProxies = maskAll(c.TrustedProxies)
	return c
}

func maskAll(ps []netip.Prefix) []netip.Prefix {
	if len(ps) == 0 {
		return nil
	}
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = p.Masked()
	}
	return out
}
