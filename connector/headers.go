package connector

import (
	"encoding/hex"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Header values shared by the records of EventHeaders. Most headers of a
// record are the same for every record of the connector (ce_specversion,
// content-type), of its type (ce_type) or of its client (ce_source), so they
// are built once and shared rather than allocated per record.
//
// Sharing is safe because nothing writes into a header value: the one
// carrier, HeaderCarrier, replaces a value with a new slice, and the Kafka
// clients only read. Every shared value has its capacity equal
// to its length (sharedValue), so even an append to one could not write into
// another.

var (
	specVersionValue = sharedValue("1.0")
	contentTypeValue = sharedValue(ContentTypeAvro)

	typeStatusChangedValue = sharedValue(TypeStatusChanged)
	typeCaseResultValue    = sharedValue(TypeCaseResult)
	typeNotificationValue  = sharedValue(TypeNotification)
	typeCaseStateValue     = sharedValue(TypeCaseState)
	typeRecordValue        = sharedValue(TypeRecord)

	originWebhookValue   = sharedValue(string(OriginWebhook))
	originReconcileValue = sharedValue(string(OriginReconcile))
	originBackfillValue  = sharedValue(string(OriginBackfill))
)

// headerSpare is room for the traceparent header that the callers of
// EventHeaders append (HeaderCarrier.Set), so that this append does not copy
// the headers into a new array. tracestate is rare and may still grow it.
const headerSpare = 1

func sharedValue(s string) []byte {
	b := []byte(s)
	return b[:len(b):len(b)]
}

// ceTypeValue returns the ce_type header value: shared for the connector's
// own types, a fresh copy for any other.
func ceTypeValue(ceType string) []byte {
	switch ceType {
	case TypeStatusChanged:
		return typeStatusChangedValue
	case TypeCaseResult:
		return typeCaseResultValue
	case TypeNotification:
		return typeNotificationValue
	case TypeCaseState:
		return typeCaseStateValue
	case TypeRecord:
		return typeRecordValue
	}
	return []byte(ceType)
}

// originValue returns the postident-origin header value, shared for the
// known origins.
func originValue(o Origin) []byte {
	switch o {
	case OriginWebhook:
		return originWebhookValue
	case OriginReconcile:
		return originReconcileValue
	case OriginBackfill:
		return originBackfillValue
	}
	return []byte(o)
}

// ceSourceEntry is the ce_source value of one clientId.
type ceSourceEntry struct {
	clientID string
	value    []byte
}

// lastCESource remembers the ce_source of the last clientId asked for: a
// connector serves one clientId, so this is nearly always a hit. A miss
// (several clientIds in one process, as in tests) only costs the allocation
// that every record paid before.
var lastCESource atomic.Pointer[ceSourceEntry]

// ceSourceValue returns "/postident/<clientId>".
func ceSourceValue(clientID string) []byte {
	if e := lastCESource.Load(); e != nil && e.clientID == clientID {
		return e.value
	}
	e := &ceSourceEntry{clientID: clientID, value: sharedValue("/postident/" + clientID)}
	lastCESource.Store(e)
	return e.value
}

// eventHeaders builds the headers of EventHeaders. The three values that
// vary per record (ce_id, ce_subject, ce_time) share one allocation. With
// uid set, ce_id is its canonical text and id is ignored, which saves the
// string uuid.NewString would allocate. It also returns the ce_subject
// value, the caseId's bytes, for use as the record key.
func eventHeaders(ceType, id string, uid *uuid.UUID, clientID, caseID string, t time.Time, origin Origin) (hs []Header, subject []byte) {
	idLen := len(id)
	if uid != nil {
		idLen = uuidTextLen
	}
	buf := make([]byte, 0, idLen+len(caseID)+len(time.RFC3339Nano))
	if uid != nil {
		buf = appendUUID(buf, uid)
	} else {
		buf = append(buf, id...)
	}
	idValue := buf[:idLen:idLen]
	buf = append(buf, caseID...)
	subject = buf[idLen:len(buf):len(buf)]
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	at := buf[idLen+len(caseID) : len(buf) : len(buf)]

	hs = make([]Header, 8, 8+headerSpare)
	hs[0] = Header{Key: HeaderSpecVersion, Value: specVersionValue}
	hs[1] = Header{Key: HeaderID, Value: idValue}
	hs[2] = Header{Key: HeaderSource, Value: ceSourceValue(clientID)}
	hs[3] = Header{Key: HeaderType, Value: ceTypeValue(ceType)}
	hs[4] = Header{Key: HeaderSubject, Value: subject}
	hs[5] = Header{Key: HeaderTime, Value: at}
	hs[6] = Header{Key: HeaderContentType, Value: contentTypeValue}
	hs[7] = Header{Key: HeaderOrigin, Value: originValue(origin)}
	return hs, subject
}

// uuidTextLen is the length of a UUID's canonical text.
const uuidTextLen = 36

// appendUUID appends u as uuid.UUID.String writes it
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower-case hex).
func appendUUID(dst []byte, u *uuid.UUID) []byte {
	var text [uuidTextLen]byte
	hex.Encode(text[0:8], u[0:4])
	text[8] = '-'
	hex.Encode(text[9:13], u[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], u[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], u[8:10])
	text[23] = '-'
	hex.Encode(text[24:], u[10:])
	return append(dst, text[:]...)
}
