package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The listeners' limits, tried on the running App with raw TCP clients as a
// hostile or broken peer would (issue 13, part 6). Each wait is bounded well
// above the server timeouts; none is asserted as a duration.

// rawRequest writes req on a fresh connection to addr and returns the
// connection and a reader positioned after the status line.
func rawRequest(t *testing.T, addr, req string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return c, br, strings.TrimSpace(status)
}

// closedWithin reports whether the server closes c within d, reading and
// discarding whatever it still sends.
func closedWithin(c net.Conn, br *bufio.Reader, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout()) && !errors.Is(err, os.ErrDeadlineExceeded)
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestListenerLimits(t *testing.T) {
	e := newE2E(t, envOpts{roles: "webhook"})
	e.mu.Lock()
	hookURL, adminURL := e.app.URLs()
	e.mu.Unlock()
	admin, hook := hostOf(t, adminURL), hostOf(t, hookURL)
	bigHeader := "X-Pad: " + strings.Repeat("a", 64<<10) + "\r\n"
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(e2eHookUser+":"+e2eHookPass))
	body := `{"caseId":"YR9W91GEZK24"}`
	post := func(path, extra string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\nContent-Type: application/json\r\n" +
			extra + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}

	t.Run("admin: GET with an unsent body", func(t *testing.T) {
		t.Parallel()
		// The request promises a body that never comes: the answer is
		// written, then the server waits for the body to reuse the
		// connection. It must give up (ReadTimeout) rather than hold the
		// connection for good.
		c, br, status := rawRequest(t, admin, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		if !strings.Contains(status, " 200 ") {
			t.Fatalf("status %q", status)
		}
		if !closedWithin(c, br, 60*time.Second) {
			t.Fatal("the admin server still held the connection after 60s")
		}
	})
	t.Run("admin: idle keep-alive connection", func(t *testing.T) {
		t.Parallel()
		c, br, status := rawRequest(t, admin, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if !strings.Contains(status, " 200 ") {
			t.Fatalf("status %q", status)
		}
		if !closedWithin(c, br, 60*time.Second) {
			t.Fatal("the admin server still held an idle connection after 60s")
		}
	})
	t.Run("admin: 64 KiB header", func(t *testing.T) {
		t.Parallel()
		_, _, status := rawRequest(t, admin, "GET /healthz HTTP/1.1\r\nHost: x\r\n"+bigHeader+"\r\n")
		if !strings.Contains(status, " 431 ") {
			t.Fatalf("status %q, want 431", status)
		}
	})
	t.Run("webhook: 64 KiB header", func(t *testing.T) {
		t.Parallel()
		_, _, status := rawRequest(t, hook, post(e2eHookPath, bigHeader))
		if !strings.Contains(status, " 431 ") {
			t.Fatalf("status %q, want 431", status)
		}
	})
	t.Run("webhook: idle keep-alive connection", func(t *testing.T) {
		t.Parallel()
		c, br, status := rawRequest(t, hook, post(e2eHookPath, ""))
		if !strings.Contains(status, " 200 ") {
			t.Fatalf("status %q", status)
		}
		if !closedWithin(c, br, 60*time.Second) {
			t.Fatal("the webhook server still held an idle connection after 60s")
		}
	})
	t.Run("webhook: encoded path", func(t *testing.T) {
		t.Parallel()
		_, _, status := rawRequest(t, hook, post("/postident%2Fwebhook", ""))
		if !strings.Contains(status, " 404 ") {
			t.Fatalf("status %q, want 404", status)
		}
	})
}
