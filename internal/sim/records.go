package sim

import (
	"strconv"

	"github.com/postident-connector/postident-connector/connector"
)

// This file makes the records of an identification (guide 8.6.7): their
// metadata, the photo validation statuses and, when the request asks for
// them and the class allows it, the bytes (binary.go).

// recorder makes the record metadata (and, when asked and allowed, the
// bytes) of one identification.
type recorder struct {
	g *gen
	i int
	m connector.Method
	k int
}

func (rc *recorder) make(belongsTo, typ string, val *validation) connector.RecordResult {
	id := strconv.FormatUint(60000000+rc.g.sn.c.seq*64+uint64(rc.i)*12+uint64(rc.k), 10)
	rc.k++
	r := connector.RecordResult{RecordID: connector.Text(id), BelongsTo: belongsTo, Type: typ}
	caseID := rc.g.sn.c.id
	if typ == connector.RecordResultPDF || typ == connector.RecordResultData || typ == connector.RecordResultImages {
		r.MimeType, r.FileName = "application/pdf", caseID+"_"+typ+"_"+string(rc.m)+".pdf"
	} else {
		r.MimeType, r.FileName = "image/jpeg", caseID+"_"+typ+".jpg"
	}
	if val != nil {
		r.ValidationStatus, r.ValidationSubStatus, r.ValidationRemark = val.status, val.sub, val.remark
	}
	r.DocumentData = rc.g.bytes(rc.m, typ)
	return r
}

func (rc *recorder) docRecords(types ...string) []connector.RecordResult {
	out := make([]connector.RecordResult, len(types))
	for i, t := range types {
		out[i] = rc.make(connector.BelongsToIdentificationDocument, t, nil)
	}
	return out
}

// splitResultPDF reports whether this case's result comes with the
// method-level PDFs 'resultdata' and 'resultimages' of 8.6.7 besides
// 'result'. The guide lists the types without saying when POSTIDENT makes
// them (an account option, presumably); the simulator gives them to one case
// in four, drawn from Seed and caseId, so consumers meet all three.
func (g *gen) splitResultPDF() bool {
	return g.s.caseRand(g.sn.c.id, "resultpdf").IntN(4) == 0
}

// bytes returns the base64 data of a record when the request asked for it
// and the class allows it (8.6.7, connector.BinaryDelivered).
func (g *gen) bytes(m connector.Method, typ string) string {
	if !connector.BinaryDelivered(g.sn.c.class, m, typ) {
		return ""
	}
	switch typ {
	case connector.RecordResultPDF, connector.RecordResultData, connector.RecordResultImages:
		if g.v.pdf {
			return pdfBase64
		}
	default:
		if g.v.binary {
			return jpegBase64
		}
	}
	return ""
}

// fillFixedBinary adds bytes to the records of a loaded identification.
func (g *gen) fillFixedBinary(r *connector.IdentificationResult) {
	if !g.v.binary && !g.v.pdf {
		return
	}
	fill := func(recs []connector.RecordResult) []connector.RecordResult {
		if recs == nil {
			return nil
		}
		out := append([]connector.RecordResult(nil), recs...)
		for i := range out {
			if out[i].DocumentData == "" {
				out[i].DocumentData = g.bytes(r.IdentificationMethod, out[i].Type)
			}
		}
		return out
	}
	r.Records = fill(r.Records)
	if r.IdentificationDocument != nil {
		d := *r.IdentificationDocument
		d.Records = fill(d.Records)
		r.IdentificationDocument = &d
	}
	if r.DrivingLicence != nil {
		d := *r.DrivingLicence
		d.Records = fill(d.Records)
		r.DrivingLicence = &d
	}
}

// validation is a record status of method photo (4.4.1).
type validation struct{ status, sub, remark string }

// photoRecords adds the records of method photo with their record status
// (4.4.1): unchecked while the review is pending, invalid with a reason on
// incomplete and declined (uniform across a document for the document-wide
// reasons), valid otherwise. Driving licence records exist for Mobility.
func (g *gen) photoRecords(r *connector.IdentificationResult, i int, id *identState) {
	st := id.st
	switch st.status {
	case connector.StatusReviewPending, connector.StatusIncomplete, connector.StatusSuccess:
	case connector.StatusDeclined:
		if st.sub == 12 {
			return
		}
	default:
		return
	}
	rng := g.s.caseRand(g.sn.c.id, "photo"+strconv.Itoa(id.attempts))
	mobility := g.sn.c.class == connector.ClassMobility
	valid := validation{status: "valid"}
	face, doc, dl := valid, valid, valid
	perRecord := "" // record type that alone gets perRecordVal
	var perRecordVal validation
	invalid := func(sub string) validation {
		v := validation{status: "invalid", sub: sub}
		if rng.IntN(2) == 0 {
			v.remark = "Simulierter Hinweis des Agenten"
		}
		return v
	}
	onDocument := func(sub string) {
		if mobility && rng.IntN(2) == 0 {
			dl = invalid(sub)
		} else {
			doc = invalid(sub)
		}
	}
	switch {
	case st.status == connector.StatusReviewPending:
		u := validation{status: "unchecked"}
		face, doc, dl = u, u, u
	case st.status == connector.StatusIncomplete && st.sub == 31:
		onDocument("document not supported")
	case st.status == connector.StatusIncomplete && st.sub == 32:
		onDocument("document expired")
	case st.status == connector.StatusIncomplete && st.sub == 33:
		if rng.IntN(2) == 0 {
			onDocument("document not identifiable")
		} else {
			face = invalid("person not identifiable")
		}
	case st.status == connector.StatusIncomplete:
		// 34 and anything else: one record of poor quality.
		subs := []string{"bad exposure", "too blurry", "partly concealed", "picture detail not sufficient"}
		types := []string{connector.RecordUserFace, connector.RecordIDFrontSide, connector.RecordIDBackSide}
		if mobility {
			types = append(types, connector.RecordDLFrontSide, connector.RecordDLBackSide)
		}
		perRecord = types[rng.IntN(len(types))]
		perRecordVal = invalid(subs[rng.IntN(len(subs))])
	case st.status == connector.StatusDeclined && st.sub == 11:
		onDocument("fraud suspicion")
	case st.status == connector.StatusDeclined && st.sub == 15:
		a := invalid("abuse")
		face, doc, dl = a, a, a
	}
	rec := recorder{g: g, i: i, m: connector.MethodPhoto, k: 1} // k 0: result PDF
	pick := func(typ string, v validation) *validation {
		if typ == perRecord {
			return &perRecordVal
		}
		return &v
	}
	r.Records = append(r.Records, rec.make(connector.BelongsToMethod, connector.RecordUserFace, pick(connector.RecordUserFace, face)))
	r.IdentificationDocument = &connector.IdentificationDocumentResult{Records: []connector.RecordResult{
		rec.make(connector.BelongsToIdentificationDocument, connector.RecordIDFrontSide, pick(connector.RecordIDFrontSide, doc)),
		rec.make(connector.BelongsToIdentificationDocument, connector.RecordIDBackSide, pick(connector.RecordIDBackSide, doc)),
	}}
	if mobility {
		r.DrivingLicence = &connector.DrivingLicenceResult{Records: []connector.RecordResult{
			rec.make(connector.BelongsToDrivingLicence, connector.RecordDLFrontSide, pick(connector.RecordDLFrontSide, dl)),
			rec.make(connector.BelongsToDrivingLicence, connector.RecordDLBackSide, pick(connector.RecordDLBackSide, dl)),
		}}
	}
}
