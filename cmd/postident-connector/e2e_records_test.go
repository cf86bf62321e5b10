package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// TestBinaryRecords turns on images and result PDFs: each file goes to the
// records topic as one record keyed by the caseId, with its metadata in
// headers, only the files the regulatory class allows (guide 8.6.7), and
// never inside the CaseResult.
func TestBinaryRecords(t *testing.T) {
	e := newE2E(t, envOpts{env: map[string]string{"POSTIDENT_INCLUDE_BINARY_DATA": "true", "POSTIDENT_INCLUDE_RESULT_PDF": "true",
		"TOPIC_RECORDS": "records-" + e2eTopicSuffix(t)}})
	col := e.collect()
	type want struct {
		method connector.Method
		class  connector.Class
		id     string
	}
	cases := []*want{{method: connector.MethodVideo, class: connector.ClassGwG}, {method: connector.MethodVideo, class: connector.ClassStandard},
		{method: connector.MethodBasic, class: connector.ClassTKG}, {method: connector.MethodPhoto, class: connector.ClassMobility}}
	for _, c := range cases {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: c.method, Class: c.class, Scenario: "success"})
		if err != nil {
			t.Fatal(err)
		}
		c.id = id
		if err := e.sim.RunToEnd(id); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "results", func() (bool, string) {
		_, rs := col.snapshot()
		for _, c := range cases {
			if len(rs[c.id]) == 0 {
				return false, c.id
			}
		}
		return true, ""
	})
	type rec struct {
		typ, mime, name, recordID string
		data                      []byte
	}
	got := map[string][]rec{}
	if err := kafka.ReadAll(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_RECORDS"], func(m connector.Message) error {
		got[string(m.Key)] = append(got[string(m.Key)], rec{typ: string(m.Header(connector.HeaderRecordType)), mime: string(m.Header("content-type")),
			name: string(m.Header(connector.HeaderFileName)), recordID: string(m.Header(connector.HeaderRecordID)), data: m.Value})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, results := col.snapshot()
	for _, c := range cases {
		sc, _ := e.sim.Case(c.id, false)
		// Every record whose bytes the class allows is on the topic, and
		// nothing else.
		expected := map[string]bool{}
		for _, r := range allRecords(sc) {
			if r.Type == connector.RecordResultPDF || connector.BinaryDelivered(c.class, c.method, r.Type) {
				expected[string(r.RecordID)] = true
			}
		}
		seen := map[string]bool{}
		for _, r := range got[c.id] {
			seen[r.recordID] = true
			if !expected[r.recordID] {
				t.Errorf("%s %s/%s: record %s (%s) is not delivered for this class", c.id, c.method, c.class, r.recordID, r.typ)
			}
			switch r.mime {
			case "image/jpeg":
				if !bytes.HasPrefix(r.data, []byte{0xFF, 0xD8, 0xFF}) {
					t.Errorf("%s: %s is not a JPEG", c.id, r.name)
				}
			case "application/pdf":
				if !bytes.HasPrefix(r.data, []byte("%PDF-")) {
					t.Errorf("%s: %s is not a PDF", c.id, r.name)
				}
			default:
				t.Errorf("%s: unexpected mime type %q", c.id, r.mime)
			}
		}
		for id := range expected {
			if !seen[id] {
				t.Errorf("%s %s/%s: record %s missing on the records topic", c.id, c.method, c.class, id)
			}
		}
		if len(expected) == 0 {
			t.Errorf("%s: the simulator delivered no file at all", c.id)
		}
		// The result carries the metadata of every record (RecordMeta has
		// no place for the bytes).
		metas := 0
		if pi := results[c.id][0].PrimaryIdentification; pi != nil {
			metas += len(pi.Records)
			if pi.IdentificationDocument != nil {
				metas += len(pi.IdentificationDocument.Records)
			}
			if pi.DrivingLicence != nil {
				metas += len(pi.DrivingLicence.Records)
			}
		}
		if metas != len(allRecords(sc)) {
			t.Errorf("%s: result lists %d records, the case has %d", c.id, metas, len(allRecords(sc)))
		}
	}
	t.Logf("records per case: %v", func() map[string]int {
		m := map[string]int{}
		for _, c := range cases {
			m[fmt.Sprintf("%s/%s", c.method, c.class)] = len(got[c.id])
		}
		return m
	}())
}

// TestBinaryRecordTooLarge: a file over the size limit (the simulator's PDF
// is 640 bytes, over a 1100-byte cap with the record overhead) is reported
// and skipped; the result still goes out.
func TestBinaryRecordTooLarge(t *testing.T) {
	e := newE2E(t, envOpts{env: map[string]string{"POSTIDENT_INCLUDE_RESULT_PDF": "true", "KAFKA_RECORDS_MAX_BYTES": "1100",
		"TOPIC_RECORDS": "records-" + e2eTopicSuffix(t)}})
	col := e.collect()
	id, err := e.sim.CreateCase(sim.CaseSpec{Method: connector.MethodEID, Class: connector.ClassGwG, Scenario: "success"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RunToEnd(id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "result", func() (bool, string) {
		_, rs := col.snapshot()
		return len(rs[id]) == 1, "no result"
	})
	n := 0
	if err := kafka.ReadAll(e.ctx, e.kcfg(), e.cfgEnv["TOPIC_RECORDS"], func(connector.Message) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d records over the size limit were published", n)
	}
}

func allRecords(c *connector.CaseResult) []connector.RecordResult {
	id := c.Primary()
	if id == nil {
		return nil
	}
	out := append([]connector.RecordResult(nil), id.Records...)
	if d := id.IdentificationDocument; d != nil {
		out = append(out, d.Records...)
	}
	if d := id.DrivingLicence; d != nil {
		out = append(out, d.Records...)
	}
	return out
}

func e2eTopicSuffix(t *testing.T) string {
	return fmt.Sprintf("%d", time.Now().UnixNano())
}
