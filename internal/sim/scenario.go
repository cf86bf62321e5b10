package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/postident-connector/postident-connector/connector"
)

// stepExpire is the scenario step that lets validUntil pass.
const stepExpire = "expire"

// step is one lifecycle step: an identification state of one method, or the
// expiry of the case.
type step struct {
	method connector.Method // "" means the case's method
	status string           // a catalog status, or stepExpire
	sub    int              // 0: none
	reason int              // 0: none
}

func (s step) String() string {
	var b strings.Builder
	if s.method != "" {
		b.WriteString(string(s.method))
		b.WriteByte('/')
	}
	b.WriteString(s.status)
	if s.sub != 0 {
		fmt.Fprintf(&b, ":%d", s.sub)
	}
	if s.reason != 0 {
		fmt.Fprintf(&b, ":%d", s.reason)
	}
	return b.String()
}

// builtin scenarios per method, in the scripting syntax. The method of a
// step defaults to the case's method. cancelled-switch is assembled in code
// because its second half depends on the extra method.
var builtins = map[connector.Method][][2]string{
	connector.MethodVideo: {
		{"success", "started,review pending,success"},
		{"incomplete-then-success", "started,incomplete:52:520,review pending,success"},
		{"declined-fraud", "started,review pending:11,declined:11:110"},
		{"declined-abuse", "started,review pending:15,declined:15"},
		{"declined-other", "started,review pending,declined:19"},
		{"declined-recording", "started,review pending,declined:12:120"},
		{"expired", "started,expire"},
		{"expired-new", "expire"},
	},
	connector.MethodAutoID: {
		{"success", "started,review pending,success"},
		{"incomplete-retry-success", "started,incomplete:81:807,review pending,success"},
		{"declined-fraud", "started,review pending,declined:11:124"},
		{"declined-abuse", "started,review pending,declined:15:815"},
		{"declined-other", "started,incomplete:83:825,declined:84:814"},
		{"cancelled", "started,incomplete:97:800,cancelled:94:900"},
		{"cancelled-switch", ""},
		{"expired", "started,expire"},
	},
	connector.MethodBasic: {
		{"success", "started,coupon requested,review pending,success"},
		{"incomplete-then-success", "started,coupon requested,incomplete:53,review pending,success"},
		{"declined-fraud", "started,coupon requested,review pending,declined:11:116"},
		{"declined-abnormal", "started,coupon requested,review pending,declined:16:114"},
		{"declined-data", "started,coupon requested,review pending,declined:17:118"},
		{"expired", "started,coupon requested,expire"},
	},
	connector.MethodEID: {
		{"success", "started,success"},
		{"incomplete-then-success", "started,incomplete:61:613,success"},
		{"declined-blocked", "started,declined:11:122"},
		{"expired", "started,incomplete:97:975,expire"},
	},
	connector.MethodPhoto: {
		{"success", "started,review pending,success"},
		{"incomplete-then-success", "started,review pending,incomplete:34,review pending,success"},
		{"declined-fraud", "started,review pending,declined:11"},
		{"declined-abuse", "started,review pending,declined:15"},
		{"expired", "started,expire"},
	},
}

// ScenarioRandom is the scenario name for a random, valid lifecycle chosen
// deterministically from Seed and caseId.
const ScenarioRandom = "random"

// Scenarios returns the scenario names of method m: the built-in ones and
// "random". Any other scenario string is read as a script (see doc.go).
func Scenarios(m connector.Method) []string {
	var out []string
	for _, b := range builtins[m] {
		out = append(out, b[0])
	}
	if out == nil {
		return nil
	}
	return append(out, ScenarioRandom)
}

// resolveScenario turns a scenario name or script into steps for a case of
// method m with the extra methods extra; rng serves "random".
func resolveScenario(name string, m connector.Method, extra []connector.Method, rng *rand.Rand) ([]step, error) {
	if name == "" {
		name = "success"
	}
	if name == ScenarioRandom {
		return randomScenario(m, rng), nil
	}
	for _, b := range builtins[m] {
		if b[0] != name {
			continue
		}
		if name == "cancelled-switch" {
			other := connector.MethodVideo
			if len(extra) > 0 {
				other = extra[0]
			}
			if other == m {
				return nil, errors.New("cancelled-switch needs an extra method other than the case's method")
			}
			steps, _ := parseScript("started,incomplete:97:800,cancelled:94:900")
			for _, b2 := range builtins[other] {
				if b2[0] == "success" {
					more, _ := parseScript(b2[1])
					for _, st := range more {
						st.method = other
						steps = append(steps, st)
					}
				}
			}
			return steps, nil
		}
		return parseScript(b[1])
	}
	steps, err := parseScript(name)
	if err != nil {
		return nil, fmt.Errorf("scenario %q is no built-in scenario of %s and no valid script: %w", name, m, err)
	}
	return steps, nil
}

// parseScript reads "[method/]status[:sub[:reason]],..." (or "expire") and
// checks every step's codes against the catalog of chapter 4. Methods are
// checked in validateSteps, once the case's method is known.
func parseScript(script string) ([]step, error) {
	var steps []step
	for i, raw := range strings.Split(script, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil, fmt.Errorf("step %d is empty", i+1)
		}
		var st step
		if m, rest, ok := strings.Cut(raw, "/"); ok {
			st.method = connector.Method(strings.TrimSpace(strings.ToLower(m)))
			if !slices.Contains(connector.Methods(), st.method) {
				return nil, fmt.Errorf("step %d: unknown method %q", i+1, m)
			}
			raw = strings.TrimSpace(rest)
		}
		parts := strings.Split(raw, ":")
		if len(parts) > 3 {
			return nil, fmt.Errorf("step %d: more than status:sub:reason", i+1)
		}
		st.status = strings.Join(strings.Fields(strings.ToLower(parts[0])), " ")
		for j, p := range parts[1:] {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("step %d: code %q is not a positive number", i+1, p)
			}
			if j == 0 {
				st.sub = n
			} else {
				st.reason = n
			}
		}
		if st.status == stepExpire && (st.sub != 0 || st.method != "") {
			return nil, fmt.Errorf("step %d: expire takes no method or codes", i+1)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// validateSteps checks the steps of a case of method m against the catalog
// and the lifecycle rules, and returns the methods the steps use besides m.
// Rules: every state exists for its method; no step after the case closed
// (success, declined, expiry, or the last remaining method cancelled); no
// step for a method after it was cancelled.
func validateSteps(steps []step, m connector.Method, extra []connector.Method) ([]connector.Method, error) {
	methods := append([]connector.Method{m}, extra...)
	for _, st := range steps {
		if st.method != "" && !slices.Contains(methods, st.method) {
			methods = append(methods, st.method)
		}
	}
	cancelled := map[connector.Method]bool{}
	closed := false
	for i, st := range steps {
		if closed {
			return nil, fmt.Errorf("step %d (%s): the case is already closed", i+1, st)
		}
		if st.status == stepExpire {
			closed = true
			continue
		}
		sm := st.method
		if sm == "" {
			sm = m
		}
		if err := checkState(sm, st.status, st.sub, st.reason); err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		if cancelled[sm] {
			return nil, fmt.Errorf("step %d (%s): method %s was cancelled", i+1, st, sm)
		}
		switch st.status {
		case connector.StatusSuccess, connector.StatusDeclined:
			closed = true
		case connector.StatusCancelled:
			cancelled[sm] = true
			closed = true
			for _, x := range methods {
				if !cancelled[x] {
					closed = false
				}
			}
		}
	}
	return methods[1:], nil
}

// checkState validates one state against the catalog of chapter 4.
func checkState(m connector.Method, status string, sub, reason int) error {
	info, ok := connector.LookupStatus(m, status)
	if !ok {
		return fmt.Errorf("status %q does not exist for method %s", status, m)
	}
	if sub == 0 {
		if reason != 0 {
			return errors.New("a subStatusReason needs a subStatus")
		}
		return nil
	}
	if _, ok := connector.SubStatusText(m, info.Status, sub); !ok {
		return fmt.Errorf("subStatus %d does not exist for %s %q", sub, m, status)
	}
	if reason != 0 {
		if _, ok := connector.ReasonText(m, info.Status, sub, reason); !ok {
			return fmt.Errorf("subStatusReason %d does not exist for %s %q %d", reason, m, status, sub)
		}
	}
	return nil
}

// randomState picks a catalog state of status for m: a random subStatus
// (when the status has any) and a random reason of it (when it has any).
// Declined 12 is never picked (expiry comes from the clock).
func randomState(m connector.Method, status string, rng *rand.Rand) step {
	st := step{status: status}
	info, ok := connector.LookupStatus(m, status)
	if !ok {
		return st
	}
	subs := slices.DeleteFunc(info.SubStatuses, func(s connector.SubStatus) bool {
		return status == connector.StatusDeclined && s.Code == 12
	})
	if len(subs) == 0 {
		return st
	}
	sub := subs[rng.IntN(len(subs))]
	st.sub = sub.Code
	if len(sub.Reasons) > 0 {
		st.reason = sub.Reasons[rng.IntN(len(sub.Reasons))].Code
	}
	return st
}

// randomReason picks a reason of declined/sub for m, if it has any.
func randomReason(m connector.Method, sub int, rng *rand.Rand) (int, bool) {
	info, _ := connector.LookupStatus(m, connector.StatusDeclined)
	for _, s := range info.SubStatuses {
		if s.Code == sub && len(s.Reasons) > 0 {
			return s.Reasons[rng.IntN(len(s.Reasons))].Code, true
		}
	}
	return 0, false
}

// randomScenario builds a plausible lifecycle for m: started, for basic a
// coupon, up to two incomplete attempts, the review where the method has
// one, and an outcome (mostly success, sometimes declined, rarely expiry or,
// for autoid, cancellation).
func randomScenario(m connector.Method, rng *rand.Rand) []step {
	steps := []step{{status: connector.StatusStarted}}
	_, hasCoupon := connector.LookupStatus(m, connector.StatusCouponRequested)
	_, hasReview := connector.LookupStatus(m, connector.StatusReviewPending)
	_, hasCancel := connector.LookupStatus(m, connector.StatusCancelled)
	if hasCoupon {
		steps = append(steps, step{status: connector.StatusCouponRequested})
	}
	for range rng.IntN(3) {
		if rng.IntN(3) == 0 {
			break
		}
		steps = append(steps, randomState(m, connector.StatusIncomplete, rng))
	}
	p := rng.IntN(100)
	switch {
	case p < 5:
		return append(steps, step{status: stepExpire})
	case p < 10 && hasCancel:
		return append(steps, randomState(m, connector.StatusCancelled, rng))
	}
	declined := p >= 75
	if hasReview {
		rp := step{status: connector.StatusReviewPending}
		if declined && m == connector.MethodVideo && rng.IntN(2) == 0 {
			// A review flagged for fraud or abuse ends declined for it.
			rp = randomState(m, connector.StatusReviewPending, rng)
			d := step{status: connector.StatusDeclined, sub: rp.sub}
			if r, ok := randomReason(m, d.sub, rng); ok {
				d.reason = r
			}
			return append(steps, rp, d)
		}
		steps = append(steps, rp)
	}
	if declined {
		return append(steps, randomState(m, connector.StatusDeclined, rng))
	}
	return append(steps, step{status: connector.StatusSuccess})
}
