package sim

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/postident-connector/postident-connector/connector"
)

// Defaults of Config.
const (
	DefaultClientID     = "SIMCLIENT1"
	DefaultUsername     = "sim"
	DefaultPassword     = "sim-password"
	DefaultDataPassword = "sim-data-password"

	// MaxRetention is the longest POSTIDENT keeps a case (guide 7.6).
	MaxRetention = 150 * 24 * time.Hour
	// DefaultCaseValidity is the time from creation to validUntil; the
	// guide's sample 7.4.1 shows 90 days.
	DefaultCaseValidity = 90 * 24 * time.Hour

	// MaxListResults is the page size of the list endpoints (guide 7.5.1).
	MaxListResults = 1000
	// MaxArchiveIDs is the most case IDs one archive call takes (guide 7.6).
	MaxArchiveIDs = 10000

	// WebhookTimeout is how long POSTIDENT waits for the 200 (guide 5).
	WebhookTimeout = 2 * time.Second
)

// Config configures a simulator. The zero value is usable: every field
// states its default.
type Config struct {
	// ClientID is the account in the path /api/scr/v1/{clientId}/...;
	// alphanumeric upper case (guide 7.2.3). Default "SIMCLIENT1".
	ClientID string
	// Username and Password are the Basic auth credentials of the REST API.
	// Defaults "sim" and "sim-password".
	Username, Password string
	// DataPassword keys the HMAC of x-scr-keyhash. Default "sim-data-password".
	DataPassword string
	// PartnerUsername and PartnerPassword, when set, are a second login for
	// a partner (guide chapter 9): it may start cases and read the status
	// endpoints; the result endpoints answer 403. Default: no partner login.
	PartnerUsername, PartnerPassword string

	// RequireEncryption answers 400 to a GET without x-scr-key and
	// x-scr-keyhash, as production POSTIDENT does (guide 7.8). Default false:
	// without the headers the response is plain JSON (integration setting).
	RequireEncryption bool
	// Enc is the JWE content encryption of responses. Default "A256GCM";
	// any go-jose content encryption is accepted.
	Enc string

	// WebhookURL receives the webhooks of cases that do not name their own
	// processData.webHookUrl. Empty: none. It must not carry a query
	// (guide 5).
	WebhookURL string
	// WebhookUsername and WebhookPassword are sent as Basic auth when
	// WebhookUsername is not empty.
	WebhookUsername, WebhookPassword string
	// WebhookTypes are the status types that trigger a webhook (guide 2.3
	// and 5: configurable per account). nil means the default notification,
	// preliminary, final, cancelled; an empty non-nil slice sends none.
	WebhookTypes []connector.StatusType
	// WebhookReferenceID adds the case's referenceId to the webhook body.
	WebhookReferenceID bool
	// WebhookWorkers is the number of concurrent webhook senders. Default 64.
	WebhookWorkers int
	// WebhookClient sends the webhooks (e.g. one that trusts a test CA).
	// Default: a pooled client; the 2 s timeout is applied per request
	// either way.
	WebhookClient *http.Client
	// WebhookLogSize is how many deliveries Webhooks() keeps (the newest).
	// Default 100000.
	WebhookLogSize int

	// TimeScale is how many simulated seconds pass per real second; it
	// drives the webhook retry schedule, the lifecycles of streamed cases,
	// expiry and retention. Default 1. With a Now that does not move, only
	// Advance moves the simulated clock.
	TimeScale float64
	// Seed makes case IDs, scenarios and synthetic result data
	// reproducible. Default 0 (which is a fixed seed too).
	Seed int64
	// Retention is how long a case exists after creation before it is
	// deleted physically (404 afterwards). Default and maximum 150 days.
	Retention time.Duration
	// CaseValidity is validUntil minus created. Default 90 days.
	CaseValidity time.Duration

	// DefaultMethod and DefaultClass are used when a case is created without
	// them (CaseSpec, Start API). Defaults video and GwG.
	DefaultMethod connector.Method
	DefaultClass  connector.Class

	// StatusIdentificationsArray serves the non-full status endpoints with
	// an "identifications" array holding the primary identification, the
	// shape of the guide's sample response in 7.4.2, instead of
	// "primaryIdent" as the text of 7.4.2 says. Default false (the text).
	StatusIdentificationsArray bool

	// ArchiveCaseID adds "caseId" to each CaseStatus of the archive answer.
	// Default false: the guide's shape (7.6.1, "a list of status objects,
	// one for each updated case"; CaseStatus, 8.3, has no caseId). Clients
	// must not rely on it; the option exists to test that they tolerate it.
	ArchiveCaseID bool

	// Now is the clock the simulated clock is derived from. Default
	// time.Now. A fixed function freezes the simulated clock except for
	// Advance, which makes tests deterministic.
	Now func() time.Time
}

var clientIDPattern = regexp.MustCompile(`^[A-Z0-9]+$`)

// withDefaults returns cfg with every default filled in, or an error a
// person can act on.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if !clientIDPattern.MatchString(cfg.ClientID) {
		return cfg, errors.New("client id must be upper-case letters and digits (guide 7.2.3)")
	}
	if cfg.Username == "" {
		cfg.Username = DefaultUsername
	}
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.DataPassword == "" {
		cfg.DataPassword = DefaultDataPassword
	}
	if (cfg.PartnerUsername == "") != (cfg.PartnerPassword == "") {
		return cfg, errors.New("set both partner username and partner password, or neither")
	}
	if cfg.PartnerUsername != "" && cfg.PartnerUsername == cfg.Username {
		return cfg, errors.New("partner username must differ from the client username")
	}
	if cfg.Enc == "" {
		cfg.Enc = string(jose.A256GCM)
	}
	if !slices.Contains(supportedEnc, jose.ContentEncryption(cfg.Enc)) {
		return cfg, fmt.Errorf("unknown JWE content encryption %q (use one of %v)", cfg.Enc, supportedEnc)
	}
	if cfg.WebhookURL != "" {
		if err := checkWebhookURL(cfg.WebhookURL); err != nil {
			return cfg, err
		}
	}
	if cfg.WebhookTypes == nil {
		cfg.WebhookTypes = []connector.StatusType{
			connector.StatusTypeNotification, connector.StatusTypePreliminary,
			connector.StatusTypeFinal, connector.StatusTypeCancelled,
		}
	}
	for _, t := range cfg.WebhookTypes {
		switch t {
		case connector.StatusTypeNotification, connector.StatusTypePreliminary,
			connector.StatusTypeFinal, connector.StatusTypeCancelled:
		default:
			return cfg, fmt.Errorf("webhook type %q is none of notification, preliminary, final, cancelled", t)
		}
	}
	if cfg.WebhookWorkers <= 0 {
		cfg.WebhookWorkers = 64
	}
	if cfg.WebhookLogSize <= 0 {
		cfg.WebhookLogSize = 100000
	}
	if cfg.TimeScale < 0 {
		return cfg, errors.New("time scale must not be negative")
	}
	if cfg.TimeScale == 0 {
		cfg.TimeScale = 1
	}
	if cfg.Retention < 0 || cfg.Retention > MaxRetention {
		return cfg, fmt.Errorf("retention %s is outside (0, 150 days] (guide 7.6)", cfg.Retention)
	}
	if cfg.Retention == 0 {
		cfg.Retention = MaxRetention
	}
	if cfg.CaseValidity < 0 {
		return cfg, errors.New("case validity must not be negative")
	}
	if cfg.CaseValidity == 0 {
		cfg.CaseValidity = DefaultCaseValidity
	}
	if cfg.DefaultMethod == "" {
		cfg.DefaultMethod = connector.MethodVideo
	}
	if !slices.Contains(connector.Methods(), cfg.DefaultMethod) {
		return cfg, fmt.Errorf("unknown default method %q", cfg.DefaultMethod)
	}
	if cfg.DefaultClass == "" {
		cfg.DefaultClass = connector.ClassGwG
	}
	if !slices.Contains(connector.Classes(), cfg.DefaultClass) {
		return cfg, fmt.Errorf("unknown default class %q", cfg.DefaultClass)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// checkWebhookURL enforces what POSTIDENT enforces on webhook URLs: absolute
// http(s) and no query (guide 5). Plain http is allowed here for local use;
// POSTIDENT itself calls HTTPS with publicly trusted certificates only.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("webhook URL must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return errors.New("webhook URL must not contain query parameters (guide 5)")
	}
	return nil
}

// Faults are injected failures; the zero value injects none. Set them with
// SetFaults at any time.
type Faults struct {
	// Latency delays every SCR API response.
	Latency time.Duration
	// ErrorRate is the share of SCR API requests answered with a 5xx
	// (500 or 503) instead of being served.
	ErrorRate float64
	// DropWebhookRate is the share of webhook notifications that are lost
	// entirely (no attempt, no retry).
	DropWebhookRate float64
	// DuplicateWebhookRate is the share of notifications sent a second time.
	DuplicateWebhookRate float64
	// ReorderWebhooks delays each webhook send by a random real time of up
	// to max(WebhookDelay, 50ms), so later notifications overtake earlier
	// ones.
	ReorderWebhooks bool
	// WebhookDelay delays each webhook send by this real time.
	WebhookDelay time.Duration
	// PartialPageSize, when between 1 and 999, makes list endpoints serve at
	// most this many cases per response, with X-PARTIAL-DELIVERY when more
	// match.
	PartialPageSize int
	// UnorderedLists makes list endpoints ignore the order by creation: a
	// response holds the matching cases in random order and, when more match
	// than fit, a random selection of them (the guide promises no order).
	UnorderedLists bool
	// ArchiveStatus, when set (e.g. 400, 401, 503), answers every archive
	// call with that HTTP status instead of archiving, so that a client's
	// handling of each can be tested. 400 also applies to single-id calls.
	ArchiveStatus int
}

func (f Faults) validate() error {
	for _, r := range []float64{f.ErrorRate, f.DropWebhookRate, f.DuplicateWebhookRate} {
		if r < 0 || r > 1 {
			return errors.New("fault rates must lie in [0, 1]")
		}
	}
	if f.Latency < 0 || f.WebhookDelay < 0 || f.PartialPageSize < 0 {
		return errors.New("fault durations and page size must not be negative")
	}
	if f.ArchiveStatus != 0 && (f.ArchiveStatus < 400 || f.ArchiveStatus > 599) {
		return errors.New("archiveStatus must be an HTTP error status (400-599) or 0")
	}
	return nil
}
