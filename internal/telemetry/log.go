package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Attribute keys the [ContextHandler] adds.
const (
	LogKeyRequestID = "request_id"
	LogKeyTraceID   = "trace_id"
	LogKeySpanID    = "span_id"
)

// NewLogger returns a logger writing to w in format "json" (the default when
// empty) or "text", at level "debug", "info" (the default when empty),
// "warn" or "error" (case-insensitive; "warning" is accepted too). Its
// handler is wrapped in a [ContextHandler], so records logged with the
// *Context methods carry request_id, trace_id and span_id.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q is not supported: use json or text", format)
	}
	return slog.New(NewContextHandler(h)), nil
}

// ParseLevel parses a LOG_LEVEL value as accepted by [NewLogger].
func ParseLevel(level string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	default:
		return 0, fmt.Errorf("log level %q is not supported: use debug, info, warn or error", level)
	}
}

type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries the request id, which
// [ContextHandler] adds to log records. Empty ids are ignored.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ContextHandler wraps a slog.Handler and adds, to every record logged with
// a context, the request id ([WithRequestID]) and the trace and span ids of
// the span in the context, so logs and traces can be joined. Records logged
// without a context (Info rather than InfoContext) get nothing added.
// Attributes are added after any groups opened with WithGroup, so they end
// up inside the innermost group.
type ContextHandler struct {
	inner slog.Handler
}

var _ slog.Handler = ContextHandler{}

// NewContextHandler wraps inner in a [ContextHandler].
func NewContextHandler(inner slog.Handler) ContextHandler {
	return ContextHandler{inner: inner}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle adds the context's ids to r and passes it on.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestID(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if id == "" && !sc.IsValid() {
		return h.inner.Handle(ctx, r)
	}
	// Clone: r shares its attribute storage with the caller's record, and
	// adding to a shared slice would be a data race.
	r = r.Clone()
	if id != "" {
		r.AddAttrs(slog.String(LogKeyRequestID, id))
	}
	if sc.IsValid() {
		r.AddAttrs(
			slog.String(LogKeyTraceID, sc.TraceID().String()),
			slog.String(LogKeySpanID, sc.SpanID().String()),
		)
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs returns a ContextHandler around inner.WithAttrs(attrs).
func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{inner: h.inner.WithAttrs(attrs)}
}

// WithGroup returns a ContextHandler around inner.WithGroup(name).
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{inner: h.inner.WithGroup(name)}
}
