package connector

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Headers of a binary record on the records topic. The value is the file's
// bytes as they are (a JPEG, a PDF); these headers say what it is.
const (
	HeaderRecordID   = "postident-record-id"
	HeaderRecordType = "postident-record-type"
	HeaderBelongsTo  = "postident-record-belongs-to"
	HeaderFileName   = "postident-file-name"
	// HeaderRecordBytes is the value's length in bytes, as decimal text.
	HeaderRecordBytes = "postident-record-bytes"
	// TypeRecord is the CloudEvents type of a binary record.
	TypeRecord = "de.deutschepost.postident.case.record.v1"
)

// recordOverhead is what a record costs besides its value: key, headers
// and the batch framing, generously.
const recordOverhead = 1024

// binaryRecords turns the files POSTIDENT delivered with a result (images
// and the result PDF, as documentData) into one record each on the records
// topic. Which files exist follows the regulatory class (guide 8.6.7):
// POSTIDENT leaves out what the class does not allow, and so does this. A
// file larger than the broker takes is reported (a log line with the case
// and record id, a metric) and skipped; it never blocks the result.
func (p *Processor) binaryRecords(ctx context.Context, c *CaseResult, now time.Time, origin Origin) []Message {
	if !p.cfg.IncludeBinaryData && !p.cfg.IncludeResultPDF {
		return nil
	}
	id := c.Primary()
	if id == nil {
		return nil
	}
	var all []RecordResult
	all = append(all, id.Records...)
	if d := id.IdentificationDocument; d != nil {
		all = append(all, d.Records...)
	}
	if d := id.DrivingLicence; d != nil {
		all = append(all, d.Records...)
	}
	var out []Message
	for _, r := range all {
		if r.DocumentData == "" {
			continue
		}
		data, err := r.DocumentBytes()
		if err != nil {
			p.cfg.Logger.WarnContext(ctx, "record data is not base64; skipped", "case_id", c.CaseID, "record_id", r.RecordID)
			continue
		}
		if len(data)+recordOverhead > p.cfg.MaxRecordBytes {
			p.tooLarge.Add(ctx, 1)
			p.cfg.Logger.ErrorContext(ctx, "record too large for the broker; skipped (raise the topic's max.message.bytes and KAFKA_MAX_MESSAGE_BYTES, or fetch it by SFTP)",
				"case_id", c.CaseID, "record_id", r.RecordID, "type", r.Type, "bytes", len(data), "limit", p.cfg.MaxRecordBytes)
			continue
		}
		evID := uuid.NewSHA1(eventIDNamespace, []byte("record\x00"+p.cfg.ClientID+"\x00"+c.CaseID+"\x00"+string(r.RecordID))).String()
		out = p.rec.appendFile(out, p.cfg.Topics.Records, evID, c.CaseID, now, origin, &r, data)
		p.events.Add(ctx, 1, p.eventAttr("record", origin))
	}
	return out
}
