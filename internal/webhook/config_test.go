package webhook

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	auth := Config{Username: "postident", Password: "s3cret"}
	with := func(f func(*Config)) Config { c := auth; f(&c); return c }
	tests := []struct {
		name    string
		cfg     Config
		devMode bool
		wantErr string // a substring; "" for valid
	}{
		{"defaults with auth", auth, false, ""},
		{"production list", with(func(c *Config) { c.AllowedCIDRs = PostidentSourceCIDRs }), false, ""},
		{"no auth outside dev mode", Config{}, false, "WEBHOOK_USERNAME and WEBHOOK_PASSWORD"},
		{"no auth in dev mode", Config{}, true, ""},
		{"no auth, explicitly allowed", Config{AllowUnauthenticated: true}, false, ""},
		{"user without password", Config{Username: "postident"}, true, "WEBHOOK_PASSWORD is empty"},
		{"password without user", Config{Password: "x"}, true, "WEBHOOK_USERNAME is empty"},
		{"colon in user", Config{Username: "a:b", Password: "x"}, true, "contains ':'"},
		{"custom path", with(func(c *Config) { c.Path = "/hooks/postident-7" }), false, ""},
		{"path with trailing slash", with(func(c *Config) { c.Path = "/hooks/" }), false, ""},
		{"relative path", with(func(c *Config) { c.Path = "hooks" }), false, `must start with "/"`},
		{"path with query", with(func(c *Config) { c.Path = "/hooks?ref=123" }), false, "query"},
		{"path with fragment", with(func(c *Config) { c.Path = "/hooks#x" }), false, "query or fragment"},
		{"path with space", with(func(c *Config) { c.Path = "/ho oks" }), false, "space"},
		{"unclean path", with(func(c *Config) { c.Path = "/a/../hooks" }), false, `use "/hooks"`},
		{"double slash", with(func(c *Config) { c.Path = "//hooks" }), false, "not clean"},
		{"invalid allowed prefix", with(func(c *Config) { c.AllowedCIDRs = []netip.Prefix{{}} }), false, "allowed CIDR #1"},
		{"invalid trusted proxy", with(func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), {}} }), false, "trusted proxy #2"},
		{"body limit too small", with(func(c *Config) { c.MaxBodyBytes = 100 }), false, "at least 512"},
		{"negative body limit", with(func(c *Config) { c.MaxBodyBytes = -1 }), false, "too small"},
		{"deadline at POSTIDENT's timeout", with(func(c *Config) { c.Deadline = 2 * time.Second }), false, "below POSTIDENT's 2s"},
		{"negative deadline", with(func(c *Config) { c.Deadline = -time.Second }), false, "must be positive"},
		{"negative in-flight", with(func(c *Config) { c.MaxInFlight = -1 }), false, "max in-flight"},
		{"negative rate", with(func(c *Config) { c.RatePerSecond = -1 }), false, "rate"},
		{"NaN rate", with(func(c *Config) { c.RatePerSecond = math.NaN() }), false, "finite"},
		{"negative burst", with(func(c *Config) { c.RatePerSecond = 1; c.Burst = -1 }), false, "burst"},
		{"burst without rate", with(func(c *Config) { c.Burst = 5 }), false, "rate is 0"},
		{"rate and burst", with(func(c *Config) { c.RatePerSecond = 10; c.Burst = 20 }), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate(tt.devMode)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate accepted it, want an error mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %v, want it to mention %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Error("the error message leaks the password")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c := Config{RatePerSecond: 2.5, AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}}.withDefaults()
	if c.Burst != 3 {
		t.Errorf("burst default = %d, want ceil(2.5) = 3", c.Burst)
	}
	if c.AllowedCIDRs[0].String() != "10.0.0.0/8" {
		t.Errorf("prefix not masked: %s", c.AllowedCIDRs[0])
	}
	if c.Logger == nil {
		t.Error("no default logger")
	}
	if len(PostidentSourceCIDRs) != 3 {
		t.Errorf("PostidentSourceCIDRs has %d entries, want the 3 of guide ch. 5", len(PostidentSourceCIDRs))
	}
}

func TestValidateCaseID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		{"YR9W91GEZK24", nil},
		{"KRZ1A8M4UBZZ", nil},
		{"12345678ABCD", nil},
		{"A", nil},
		{strings.Repeat("Z", 64), nil},
		{"", ErrCaseIDEmpty},
		{strings.Repeat("Z", 65), ErrCaseIDTooLong},
		{"yr9w91gezk24", ErrCaseIDChars},
		{"YR9W91GEZK2-", ErrCaseIDChars},
		{"YR9W91GEZK2\x00", ErrCaseIDChars},
		{"ÄR9W91GEZK24", ErrCaseIDChars},
	}
	for _, tt := range tests {
		if err := ValidateCaseID(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ValidateCaseID(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}
