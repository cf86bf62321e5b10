package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/postident-connector/postident-connector/internal/sim"
)

// Credentials shared by the driver and its children.
const (
	simClientID     = "BENCHCLIENT1"
	simUser         = "bench"
	simPassword     = "bench-password"
	simDataPassword = "bench-data-password"
	hookUser        = "postident"
	hookPassword    = "bench-webhook-secret"
)

// ChildArg is the hidden subcommand that runs a child process.
const ChildArg = "child"

// ChildMain runs a child process of the driver: kind "sim" or "connector",
// options as JSON. It prints one JSON line (the child's addresses) on stdout
// once ready and runs until ctx ends (SIGTERM).
func ChildMain(ctx context.Context, kind, opts string) error {
	switch kind {
	case "sim":
		var o SimOptions
		if err := json.Unmarshal([]byte(opts), &o); err != nil {
			return fmt.Errorf("sim options: %w", err)
		}
		return serveSim(ctx, o)
	case "connector":
		var o ConnectorOptions
		if err := json.Unmarshal([]byte(opts), &o); err != nil {
			return fmt.Errorf("connector options: %w", err)
		}
		return serveConnector(ctx, o)
	}
	return fmt.Errorf("unknown child %q", kind)
}

// SimOptions configures the simulator child.
type SimOptions struct {
	RequireEncryption bool
	WebhookURL        string
	// ClockOffset starts the simulated clock this far behind real time, so
	// that cases created in bulk can be spread over simulated seconds with
	// Advance while staying in the past for the connector.
	ClockOffset time.Duration
	Seed        int64
}

type simReady struct{ URL string }

func serveSim(ctx context.Context, o SimOptions) error {
	off := o.ClockOffset
	cfg := sim.Config{ClientID: simClientID, Username: simUser, Password: simPassword, DataPassword: simDataPassword,
		RequireEncryption: o.RequireEncryption, Seed: o.Seed, WebhookWorkers: 128,
		Now: func() time.Time { return time.Now().Add(-off) }}
	if o.WebhookURL != "" {
		cfg.WebhookURL, cfg.WebhookUsername, cfg.WebhookPassword = o.WebhookURL, hookUser, hookPassword
	}
	s, err := sim.New(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	if err := ready(simReady{URL: "http://" + ln.Addr().String()}); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ready prints the child's ready line.
func ready(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", b)
	return err
}

// child is a running child process.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild re-executes this binary as a child of kind with opts and
// decodes its ready line into out.
func startChild(ctx context.Context, kind string, opts, out any) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, ChildArg, kind, string(b))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s child: %w", kind, err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
		c.done <- cmd.Wait()
	}()
	select {
	case l, ok := <-line:
		if !ok {
			c.stop()
			return nil, fmt.Errorf("%s child exited before it was ready", kind)
		}
		if err := json.Unmarshal([]byte(l), out); err != nil {
			c.stop()
			return nil, fmt.Errorf("%s child ready line: %w", kind, err)
		}
		return c, nil
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	case <-time.After(5 * time.Minute):
		c.stop()
		return nil, fmt.Errorf("%s child not ready after 5 minutes", kind)
	}
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM, then SIGKILL after 10 s, and waits.
func (c *child) stop() {
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	var exit error // the status of a child we stopped: nothing to report
	select {
	case exit = <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		exit = <-c.done
	}
	_ = exit
}

// childStats asks the connector child's control endpoint.
func childStats(ctx context.Context, control string) (ChildStats, error) {
	var st ChildStats
	err := getJSON(ctx, control+"/bench/stats", &st)
	return st, err
}

func getJSON(ctx context.Context, url string, out any) error {
	return callJSON(ctx, http.MethodGet, url, out)
}

// callJSON sends a request without a body and decodes the JSON answer
// into out.
func callJSON(ctx context.Context, method, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(ctx context.Context) (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String(), nil
}

var errTimeout = errors.New("timed out")
