package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/postident-connector/postident-connector/connector"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		var out, errb bytes.Buffer
		if code := run(testCtx(t), []string{arg}, envconfig.MapLookuper(nil), &out, &errb); code != 0 {
			t.Errorf("%s: exit %d", arg, code)
		}
		for _, want := range []string{"SIM_ADDR", "SIM_CLIENT_ID", "SIM_USERNAME", "SIM_PASSWORD", "SIM_DATA_PASSWORD",
			"SIM_REQUIRE_ENCRYPTION", "SIM_WEBHOOK_URL", "SIM_WEBHOOK_USERNAME", "SIM_WEBHOOK_PASSWORD", "SIM_WEBHOOK_TYPES",
			"SIM_WEBHOOK_REFERENCE_ID", "SIM_TIME_SCALE", "SIM_SEED", "SIM_RETENTION", "SIM_STREAM_RATE",
			"/sim/v1/cases", "/sim/v1/clock/advance", "/sim/v1/webhooks", "/sim/v1/faults", "/sim/v1/stream", "/sim/v1/stats",
			"/cases/archive", "x-scr-keyhash"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: usage lacks %q", arg, want)
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run(testCtx(t), []string{"--nope"}, envconfig.MapLookuper(nil), &out, &errb); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code := run(testCtx(t), []string{"serve"}, envconfig.MapLookuper(nil), &out, &errb); code != 2 {
		t.Errorf("argument: exit %d", code)
	}
}

func TestConfig(t *testing.T) {
	ctx := testCtx(t)
	c, err := loadConfig(ctx, envconfig.MapLookuper(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8090" || c.ClientID != "SIMCLIENT1" || c.Username != "sim" || c.Password != "sim-password" ||
		c.DataPassword != "sim-data-password" || c.TimeScale != 1 || c.Retention != 3600*time.Hour || c.StreamRate != 0 {
		t.Errorf("defaults %+v", c)
	}
	sc, err := c.simConfig()
	if err != nil || sc.WebhookTypes != nil {
		t.Errorf("default sim config: %v %v", err, sc.WebhookTypes)
	}

	c, err = loadConfig(ctx, envconfig.MapLookuper(map[string]string{
		"SIM_WEBHOOK_TYPES": "final, Cancelled", "SIM_TIME_SCALE": "60", "SIM_SEED": "7", "SIM_RETENTION": "240h",
		"SIM_REQUIRE_ENCRYPTION": "true", "SIM_STREAM_METHODS": "video,EID", "SIM_STREAM_CLASSES": "gwg",
	}))
	if err != nil {
		t.Fatal(err)
	}
	sc, err = c.simConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.WebhookTypes) != 2 || sc.WebhookTypes[1] != connector.StatusTypeCancelled || sc.TimeScale != 60 || sc.Seed != 7 ||
		sc.Retention != 240*time.Hour || !sc.RequireEncryption {
		t.Errorf("sim config %+v", sc)
	}
	if ms, cs, err := c.stream(); err != nil || len(ms) != 2 || ms[1] != connector.MethodEID || cs[0] != connector.ClassGwG {
		t.Errorf("stream %v %v %v", ms, cs, err)
	}
	c, _ = loadConfig(ctx, envconfig.MapLookuper(map[string]string{"SIM_WEBHOOK_TYPES": "none"}))
	if sc, _ := c.simConfig(); sc.WebhookTypes == nil || len(sc.WebhookTypes) != 0 {
		t.Errorf("none: %v", sc.WebhookTypes)
	}

	bad := []map[string]string{
		{"SIM_TIME_SCALE": "fast"},
		{"SIM_TIME_SCALE": "0"},
		{"SIM_RETENTION": "4000h"},
		{"SIM_WEBHOOK_TYPES": "everything"},
		{"SIM_STREAM_METHODS": "telepathy"},
		{"SIM_STREAM_CLASSES": "none"},
		{"SIM_STREAM_RATE": "-1"},
		{"SIM_CLIENT_ID": "lower"},
		{"SIM_WEBHOOK_URL": "https://x.example/h?a=b"},
	}
	for _, env := range bad {
		var out, errb bytes.Buffer
		if code := run(ctx, nil, envconfig.MapLookuper(env), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d (%s)", env, code, errb.String())
		}
	}
}

// TestRun serves on a loopback port, answers the SCR and admin APIs, and
// shuts down when the context ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	cfg, err := loadConfig(ctx, envconfig.MapLookuper(map[string]string{"SIM_ADDR": "127.0.0.1:0", "SIM_STREAM_RATE": "100"}))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for m.Addr() == nil {
		select {
		case err := <-done:
			t.Fatalf("run ended: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	base := "http://" + m.Addr().String()
	get := func(path string, auth bool) (int, []byte) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if auth {
			req.SetBasicAuth("sim", "sim-password")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := get("/healthz", false); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, _ := get("/api/scr/v1/SIMCLIENT1/cases/status?new=true&inProgress=true", false); code != 401 {
		t.Errorf("no login: %d", code)
	}
	// The stream creates cases; they show up in the list.
	for {
		code, b := get("/api/scr/v1/SIMCLIENT1/cases/status?new=true&inProgress=true", true)
		var list []connector.CaseResult
		if code != 200 || json.Unmarshal(b, &list) != nil {
			t.Fatalf("list: %d %s", code, b)
		}
		if len(list) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("stream created no cases")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if code, _ := get("/sim/v1/stats", false); code != 200 {
		t.Errorf("stats %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}
