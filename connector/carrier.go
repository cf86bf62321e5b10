package connector

import (
	"slices"

	"go.opentelemetry.io/otel/propagation"
)

var _ propagation.TextMapCarrier = HeaderCarrier{}

// HeaderCarrier lets an OpenTelemetry propagator read and write trace context
// (W3C traceparent, tracestate, baggage) in Kafka record headers, so it rides
// in the records from the webhook through the processor to the events:
//
//	otel.GetTextMapPropagator().Inject(ctx, connector.HeaderCarrier{Headers: &msg.Headers})
//	ctx = otel.GetTextMapPropagator().Extract(ctx, connector.HeaderCarrier{Headers: &msg.Headers})
//
// It is the one carrier of the module: the connector's records and the Kafka
// adapter's tests use it. Keys are matched exactly (propagators use lower
// case). A carrier over a nil *[]Header is empty and ignores Set. It is not
// safe for concurrent use with other writers of the same headers.
type HeaderCarrier struct{ Headers *[]Header }

// Get returns the value of the first header named key, or "".
func (c HeaderCarrier) Get(key string) string {
	if c.Headers == nil {
		return ""
	}
	for _, h := range *c.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Set replaces the value of the header named key, or appends the header.
//
// Replacing builds a fresh header slice, with the later duplicates of key
// dropped so the record carries one value: it never writes into a backing
// array the caller may share with another record (a message re-published
// after a retry, a caller's template). Appending a new key, the hot path
// (traceparent on a record EventHeaders just built), uses the slice's spare
// capacity like any append: EventHeaders leaves room for it, so it costs no
// allocation.
func (c HeaderCarrier) Set(key, value string) {
	if c.Headers == nil {
		return
	}
	hs := *c.Headers
	i := slices.IndexFunc(hs, func(h Header) bool { return h.Key == key })
	if i < 0 {
		*c.Headers = append(hs, Header{Key: key, Value: []byte(value)})
		return
	}
	fresh := make([]Header, 0, len(hs))
	fresh = append(fresh, hs[:i]...)
	fresh = append(fresh, Header{Key: key, Value: []byte(value)})
	for _, h := range hs[i+1:] {
		if h.Key != key {
			fresh = append(fresh, h)
		}
	}
	*c.Headers = fresh
}

// Keys returns the header keys in order, without duplicates.
func (c HeaderCarrier) Keys() []string {
	if c.Headers == nil {
		return nil
	}
	keys := make([]string, 0, len(*c.Headers))
	for _, h := range *c.Headers {
		// A record has about ten headers: a linear scan beats a map.
		if !slices.Contains(keys, h.Key) {
			keys = append(keys, h.Key)
		}
	}
	return keys
}
