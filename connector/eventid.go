package connector

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Event ids (ce_id) are name-based UUIDs, version 5 (RFC 9562), over the
// client, the case, the event kind and the identification state. The same
// transition gets the same id whether the webhook, the reconciler or a
// backfill saw it, so any consumer can de-duplicate; the origin is not part
// of the name.
//
// The name is a canonical byte string: a version tag and then each part as
// a uvarint length followed by its bytes, so no two different states can
// encode alike ("a"+"bc" differs from "ab"+"c"). Numbers are decimal, times
// are UTC Unix seconds (POSTIDENT reports seconds), an absent time is the
// empty string. Changing any of this changes every id: bump eventIDVersion.

// eventIDNamespace is the UUID namespace of this project's event ids. It was
// derived once as UUIDv5(NameSpaceURL, eventIDNamespaceName) and is fixed
// here; TestEventIDNamespace checks the derivation.
var eventIDNamespace = uuid.UUID{
	0x6f, 0x80, 0xe0, 0x7e, 0xe7, 0x75, 0x58, 0xda, // 6f80e07e-e775-58da-
	0xaa, 0x09, 0x20, 0x8d, 0x02, 0x61, 0xad, 0xda, // aa09-208d0261adda
}

// eventIDNamespaceName documents where eventIDNamespace comes from.
const eventIDNamespaceName = "https://github.com/postident-connector/postident-connector#event-id"

// eventIDVersion is the first part of every name.
const eventIDVersion = "postident-connector/event-id/v1"

// Event kinds, part of the name.
const (
	kindStatus = "status"
	kindResult = "result"
)

// IdentKey is the state of a case that an event id stands for: the case
// status and the primary identification's method, status, subStatus code,
// subStatusReason code and modified time. Absent values are "", 0 and the
// zero time (no subStatus or subStatusReason code is 0 in the guide).
type IdentKey struct {
	CaseStatus string
	Method     string
	Status     string
	SubStatus  int
	Reason     int
	Modified   time.Time
}

// IdentKeyOf returns the key of c with its primary identification.
func IdentKeyOf(c *CaseResult) IdentKey {
	k := IdentKey{CaseStatus: c.CaseStatus.Status}
	id := c.Primary()
	if id == nil {
		return k
	}
	st := id.IdentificationStatus
	k.Method = string(id.IdentificationMethod)
	k.Status = st.Status
	if st.SubStatus != nil {
		k.SubStatus = int(st.SubStatus.Code)
	}
	if st.SubStatusReason != nil {
		k.Reason = int(st.SubStatusReason.Code)
	}
	k.Modified = st.Modified.Time
	return k
}

// StatusEventID returns the id of the status-changed event of caseID in
// state key. The case status is part of it, so the transition to "new"
// (no identification yet) and a case closing without a new identification
// state have ids of their own.
func StatusEventID(clientID, caseID string, key IdentKey) string {
	return eventID(clientID, caseID, kindStatus, key.CaseStatus, key)
}

// ResultEventID returns the id of the case-result event of caseID for the
// identification state in key. The case status is deliberately not part of
// it: a result is one logical event whether the case was seen still "in
// progress" or already "closed" when the result was read.
func ResultEventID(clientID, caseID string, key IdentKey) string {
	return eventID(clientID, caseID, kindResult, "", key)
}

func eventID(clientID, caseID, kind, caseStatus string, key IdentKey) string {
	var buf [256]byte
	b := buf[:0]
	part := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	partInt := func(v int64) {
		var n [24]byte
		s := strconv.AppendInt(n[:0], v, 10)
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	part(eventIDVersion)
	part(clientID)
	part(caseID)
	part(kind)
	part(caseStatus)
	part(key.Method)
	part(key.Status)
	partInt(int64(key.SubStatus))
	partInt(int64(key.Reason))
	if key.Modified.IsZero() {
		part("")
	} else {
		partInt(key.Modified.Unix())
	}
	return uuid.NewSHA1(eventIDNamespace, b).String()
}
