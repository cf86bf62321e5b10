package connector

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// oldEventHeaders is EventHeaders as it was before the values were shared:
// one fresh allocation per value. The shared version must produce the same
// headers byte for byte.
func oldEventHeaders(ceType, id, clientID, caseID string, t time.Time, origin Origin) []Header {
	return []Header{
		{Key: HeaderSpecVersion, Value: []byte("1.0")},
		{Key: HeaderID, Value: []byte(id)},
		{Key: HeaderSource, Value: []byte("/postident/" + clientID)},
		{Key: HeaderType, Value: []byte(ceType)},
		{Key: HeaderSubject, Value: []byte(caseID)},
		{Key: HeaderTime, Value: []byte(t.UTC().Format(time.RFC3339Nano))},
		{Key: HeaderContentType, Value: []byte(ContentTypeAvro)},
		{Key: HeaderOrigin, Value: []byte(origin)},
	}
}

func headersEqual(a, b []Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func TestEventHeadersShared(t *testing.T) {
	cest := time.FixedZone("CEST", 7200)
	tests := []struct {
		name                       string
		ceType, id, client, caseID string
		at                         time.Time
		origin                     Origin
	}{
		{"status changed", TypeStatusChanged, "id-1", "1234ABCD", "YR9W91GEZK24", time.Date(2016, 7, 5, 18, 29, 0, 500_000_000, cest), OriginBackfill},
		{"result", TypeCaseResult, "6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b", "1234ABCD", "A1", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), OriginWebhook},
		{"notification, other client", TypeNotification, "n", "OTHER", "B2", time.Unix(0, 0), OriginReconcile},
		{"state", TypeCaseState, "s", "1234ABCD", "C3", time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, cest), OriginWebhook},
		{"record", TypeRecord, "r", "1234ABCD", "D4", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), OriginBackfill},
		{"unknown type and origin", "x.custom.v1", "", "", "", time.Time{}, Origin("manual")},
		{"empty origin", TypeCaseResult, "e", "1234ABCD", "E5", time.Date(2026, 6, 1, 0, 0, 0, 1, time.UTC), ""},
		{"five-digit year", TypeCaseResult, "y", "1234ABCD", "F6", time.Date(12026, 6, 1, 0, 0, 0, 123, time.UTC), OriginWebhook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := oldEventHeaders(tt.ceType, tt.id, tt.client, tt.caseID, tt.at, tt.origin)
			for range 2 { // the second call takes the shared values
				got := EventHeaders(tt.ceType, tt.id, tt.client, tt.caseID, tt.at, tt.origin)
				if !headersEqual(got, want) {
					t.Fatalf("headers %q, want %q", got, want)
				}
				if cap(got) < len(got)+1 {
					t.Errorf("no room for traceparent: len %d cap %d", len(got), cap(got))
				}
			}
		})
	}
}

// TestEventHeadersNoAliasing: appending to one returned value (which no
// caller does, but a slice invites it) must neither change another header
// of the record nor the headers of other records.
func TestEventHeadersNoAliasing(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := EventHeaders(TypeCaseResult, "id-a", "1234ABCD", "CASEA", at, OriginWebhook)
	want := oldEventHeaders(TypeCaseResult, "id-b", "1234ABCD", "CASEB", at, OriginWebhook)
	for i := range a {
		_ = append(a[i].Value, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"...)
	}
	if !headersEqual(a, oldEventHeaders(TypeCaseResult, "id-a", "1234ABCD", "CASEA", at, OriginWebhook)) {
		t.Errorf("an append changed the record's own headers: %q", a)
	}
	if b := EventHeaders(TypeCaseResult, "id-b", "1234ABCD", "CASEB", at, OriginWebhook); !headersEqual(b, want) {
		t.Errorf("an append to one record changed another: %q", b)
	}
	// The trace context goes through HeaderCarrier; it must not touch the
	// shared values either.
	c := EventHeaders(TypeCaseResult, "id-c", "1234ABCD", "CASEC", at, OriginWebhook)
	carrier := HeaderCarrier{Headers: &c}
	carrier.Set(HeaderType, "changed")
	carrier.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	if b := EventHeaders(TypeCaseResult, "id-b", "1234ABCD", "CASEB", at, OriginWebhook); !headersEqual(b, want) {
		t.Errorf("HeaderCarrier.Set on one record changed another: %q", b)
	}
}

// TestEventHeadersConcurrentClients runs EventHeaders for several clientIds
// at once (the ce_source cache is shared); run with -race.
func TestEventHeadersConcurrentClients(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			client := fmt.Sprintf("CLIENT%d", g%3)
			for i := range 500 {
				id := fmt.Sprintf("%d-%d", g, i)
				got := EventHeaders(TypeStatusChanged, id, client, "CASE1", at, OriginReconcile)
				if want := oldEventHeaders(TypeStatusChanged, id, client, "CASE1", at, OriginReconcile); !headersEqual(got, want) {
					errs <- fmt.Sprintf("headers %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkEventHeaders(b *testing.B) {
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_ = EventHeaders(TypeCaseResult, "6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b", "BENCHCLIENT1", "YR9W91GEZK24", at, OriginWebhook)
	}
}

// TestEventHeadersUUID: with a uuid.UUID, ce_id is its canonical text, the
// headers are those of EventHeaders with that text, and the returned key is
// the caseId.
func TestEventHeadersUUID(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	ids := []uuid.UUID{{}, uuid.Max, uuid.MustParse("6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b")}
	for range 20 {
		ids = append(ids, uuid.New())
	}
	for _, u := range ids {
		hs, key := eventHeaders(TypeNotification, "ignored", &u, "1234ABCD", "YR9W91GEZK24", at, OriginWebhook)
		if want := oldEventHeaders(TypeNotification, u.String(), "1234ABCD", "YR9W91GEZK24", at, OriginWebhook); !headersEqual(hs, want) {
			t.Fatalf("headers %q, want %q", hs, want)
		}
		if string(key) != "YR9W91GEZK24" {
			t.Errorf("key %q", key)
		}
	}
}
