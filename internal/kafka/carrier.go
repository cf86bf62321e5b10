package kafka

import (
	"go.opentelemetry.io/otel/propagation"

	"github.com/postident-connector/postident-connector/connector"
)

var _ propagation.TextMapCarrier = HeaderCarrier{}

// HeaderCarrier lets an OpenTelemetry propagator read and write trace context
// (W3C traceparent, tracestate, baggage) in a message's headers:
//
//	otel.GetTextMapPropagator().Inject(ctx, kafka.HeaderCarrier{Msg: &msg})
//	ctx = otel.GetTextMapPropagator().Extract(ctx, kafka.HeaderCarrier{Msg: &msg})
//
// Keys are matched exactly (propagators use lower case). It is not safe for
// concurrent use with other writers of the same message.
type HeaderCarrier struct{ Msg *connector.Message }

// Get returns the value of the first header named key, or "".
func (c HeaderCarrier) Get(key string) string {
	if c.Msg == nil {
		return ""
	}
	return string(c.Msg.Header(key))
}

// Set replaces the value of the header named key, or appends the header.
// Later duplicates of key are dropped so the record carries one value.
func (c HeaderCarrier) Set(key, value string) {
	if c.Msg == nil {
		return
	}
	hs := c.Msg.Headers[:0:0] // fresh slice: never write into a shared backing array
	set := false
	for _, h := range c.Msg.Headers {
		if h.Key == key {
			if set {
				continue
			}
			h.Value, set = []byte(value), true
		}
		hs = append(hs, h)
	}
	if !set {
		hs = append(hs, connector.Header{Key: key, Value: []byte(value)})
	}
	c.Msg.Headers = hs
}

// Keys returns the header keys in order, without duplicates.
func (c HeaderCarrier) Keys() []string {
	if c.Msg == nil {
		return nil
	}
	keys := make([]string, 0, len(c.Msg.Headers))
	seen := make(map[string]struct{}, len(c.Msg.Headers))
	for _, h := range c.Msg.Headers {
		if _, ok := seen[h.Key]; !ok {
			seen[h.Key] = struct{}{}
			keys = append(keys, h.Key)
		}
	}
	return keys
}
