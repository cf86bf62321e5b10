package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerAddsRequestAndTraceIDs(t *testing.T) {
	clearOTelEnv(t)
	tel, _ := SetupForTest()
	shutdownOnCleanup(t, tel)

	var buf bytes.Buffer
	logger, err := NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(testCtx(t), "req-42")
	ctx, span := Tracer("telemetry-test").Start(ctx, "webhook")
	defer span.End()

	logger.With("component", "webhook").InfoContext(ctx, "notification accepted", "case_id", "case-7")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, buf.String())
	}
	sc := span.SpanContext()
	want := map[string]string{
		"msg":           "notification accepted",
		"component":     "webhook",
		"case_id":       "case-7",
		LogKeyRequestID: "req-42",
		LogKeyTraceID:   sc.TraceID().String(),
		LogKeySpanID:    sc.SpanID().String(),
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %q", k, rec[k], v)
		}
	}
}

func TestLoggerWithoutContextAddsNothing(t *testing.T) {
	var buf bytes.Buffer
	logger, err := NewLogger(&buf, "json", "")
	if err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(testCtx(t), "plain")
	for _, k := range []string{LogKeyRequestID, LogKeyTraceID, LogKeySpanID} {
		if strings.Contains(buf.String(), k) {
			t.Errorf("record without ids has %s: %s", k, buf.String())
		}
	}
}

func TestNewLoggerFormatsAndLevels(t *testing.T) {
	tests := []struct {
		name       string
		format     string
		level      string
		wantErr    bool
		wantJSON   bool
		wantDebug  bool // a Debug record is written
		wantInfo   bool // an Info record is written
		wantPrefix string
	}{
		{name: "json info", format: "json", level: "info", wantJSON: true, wantInfo: true, wantPrefix: "{"},
		{name: "defaults", format: "", level: "", wantJSON: true, wantInfo: true, wantPrefix: "{"},
		{name: "text debug", format: "text", level: "debug", wantDebug: true, wantInfo: true, wantPrefix: "time="},
		{name: "upper case", format: "TEXT", level: "WARN", wantPrefix: ""},
		{name: "warning alias", format: "json", level: "warning", wantJSON: true},
		{name: "error level", format: "json", level: "error", wantJSON: true},
		{name: "invalid level", format: "json", level: "verbose", wantErr: true},
		{name: "numeric level rejected", format: "json", level: "-4", wantErr: true},
		{name: "invalid format", format: "xml", level: "info", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger, err := NewLogger(&buf, tc.format, tc.level)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewLogger: %v", err)
			}
			ctx := testCtx(t)
			logger.DebugContext(ctx, "debug-line")
			logger.InfoContext(ctx, "info-line")
			out := buf.String()
			if got := strings.Contains(out, "debug-line"); got != tc.wantDebug {
				t.Errorf("debug written = %v, want %v", got, tc.wantDebug)
			}
			if got := strings.Contains(out, "info-line"); got != tc.wantInfo {
				t.Errorf("info written = %v, want %v", got, tc.wantInfo)
			}
			if out != "" && !strings.HasPrefix(out, tc.wantPrefix) {
				t.Errorf("output %q does not start with %q", out, tc.wantPrefix)
			}
			if tc.wantJSON && out != "" {
				for line := range strings.Lines(out) {
					if !json.Valid([]byte(line)) {
						t.Errorf("not JSON: %q", line)
					}
				}
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	ctx := context.Background()
	if got := RequestID(ctx); got != "" {
		t.Errorf("RequestID(empty) = %q", got)
	}
	if got := RequestID(WithRequestID(ctx, "abc")); got != "abc" {
		t.Errorf("RequestID = %q, want abc", got)
	}
	if WithRequestID(ctx, "") != ctx {
		t.Error("WithRequestID with an empty id changed the context")
	}
}

func BenchmarkContextHandler(b *testing.B) {
	tel, _ := SetupForTest()
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	logger := slog.New(NewContextHandler(slog.NewJSONHandler(io.Discard, nil)))
	ctx, span := Tracer("bench").Start(WithRequestID(context.Background(), "req-1"), "bench")
	defer span.End()
	b.ReportAllocs()
	for b.Loop() {
		logger.InfoContext(ctx, "notification accepted", "case_id", "case-7")
	}
}
