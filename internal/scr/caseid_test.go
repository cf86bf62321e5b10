package scr

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/postident-connector/postident-connector/connector"
)

// TestClientCaseIDRuleIsTheConnectors checks that the client builds a request
// path only from a caseId the webhook and the processor would accept
// (connector.CheckCaseID): lower case, '-' and '_' used to pass the client's
// own, wider check.
func TestClientCaseIDRuleIsTheConnectors(t *testing.T) {
	ids := []string{
		testCaseID, "KRZ1A8M4UBZZ", "1", strings.Repeat("Z", connector.MaxCaseIDLen),
		"yr9w91gezk24", "YR9W91GEZK2-", "YR9W91GEZK2_", "Yr9W91GEZK24",
		"", strings.Repeat("Z", connector.MaxCaseIDLen+1), "YR9W91GEZK24/status", "ÄR9W91GEZK24",
	}
	calls := map[string]func(c *Client, id string) error{
		"GetCase": func(c *Client, id string) error {
			_, err := c.GetCase(testCtx(t), id, GetOptions{})
			return err
		},
		"GetCaseStatus": func(c *Client, id string) error {
			_, err := c.GetCaseStatus(testCtx(t), id, false)
			return err
		},
		"Archive": func(c *Client, id string) error {
			_, err := c.Archive(testCtx(t), []string{id})
			return err
		},
	}
	for name, call := range calls {
		for _, id := range ids {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusNotFound) })
			c := newTestClient(t, f, nil, nil)
			err := call(c, id)
			sent := len(f.requests())
			if rule := connector.CheckCaseID(id); rule != nil {
				if !errors.Is(err, ErrBadRequest) || !errors.Is(err, rule) || sent != 0 {
					t.Errorf("%s(%q): err %v after %d requests, want ErrBadRequest wrapping %v before any request", name, id, err, sent, rule)
				}
				if id != "" && err != nil && strings.Contains(err.Error(), id) {
					t.Errorf("%s: error %q echoes the refused caseId", name, err)
				}
				continue
			}
			if sent == 0 {
				t.Errorf("%s(%q): no request sent for a valid caseId (err %v)", name, id, err)
			}
		}
	}
}
