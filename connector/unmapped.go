package connector

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// This file keeps what POSTIDENT sends beyond the model (issue 13, forward
// compatibility). The guide adds fields to the data model without a new API
// version (8.1). Every struct of the model has an Unmapped slot, which
// encoding/json ignores (`json:"-"`); Unmarshal and KeepUnmapped
// (jsonwalk.go) put each member the struct has no field for there,
// verbatim, and leave the slot empty (no allocation) when there is none.
// UnmappedJSON gathers those members, with their paths, into the CaseResult
// event, so a field POSTIDENT adds reaches consumers the same day.

// UnmappedMember is one member of a case answer that the model has no field
// for: its JSON Pointer (RFC 6901) in the answer, and its JSON value as
// POSTIDENT sent it.
type UnmappedMember struct {
	Path  string
	Value json.RawMessage
}

// UnmappedMembers returns the unmapped members of the parts of c the CaseResult
// event carries: the case, caseStatus, orderData, contactData,
// accountingData and the primary identification with everything under it.
// Unmapped members of the other identifications of a /full answer are not
// returned, as the event carries no other identification.
//
// Paths use the names of the guide's sample (7.4.1), e.g.
// "/primaryIdent/additionalDataBasic/newMember" or, for a primary
// identification taken from an identifications array,
// "/identifications/1/records/0/newMember", whichever spelling of 8.2 the
// answer used. Members come in the model's field order, each object's own
// members in the order they arrived. nil when there is none.
func (c *CaseResult) UnmappedMembers() []UnmappedMember {
	var w unmappedWalker
	w.object(c.Unmapped)
	w.push("caseStatus", -1)
	w.object(c.CaseStatus.Unmapped)
	w.pop()
	if o := c.OrderData; o != nil {
		w.push("orderData", -1)
		w.orderData(o)
		w.pop()
	}
	if cd := c.ContactData; cd != nil {
		w.push("contactData", -1)
		w.object(cd.Unmapped)
		w.fields(fieldList{
			{"title", cd.Title}, {"firstName", cd.FirstName}, {"lastName", cd.LastName},
			{"mobilePhone", cd.MobilePhone}, {"email", cd.Email}, {"epost", cd.Epost},
		})
		w.addressResult(cd.Address)
		w.pop()
	}
	if p := c.Primary(); p != nil {
		if p == c.PrimaryIdent {
			w.push("primaryIdent", -1)
		} else {
			w.push("identifications", -1)
			for i := range c.Identifications {
				if &c.Identifications[i] == p {
					w.push("", i)
				}
			}
		}
		w.identification(p)
		w.depth = 0
	}
	if a := c.AccountingData; a != nil {
		w.push("accountingData", -1)
		w.object(a.Unmapped)
		w.pop()
	}
	return w.out
}

// UnmappedJSON returns UnmappedMembers as one JSON object, path to value, for the
// unmappedJson field of the CaseResult event; nil when there is none.
func (c *CaseResult) UnmappedJSON() []byte {
	ms := c.UnmappedMembers()
	if len(ms) == 0 {
		return nil
	}
	b := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(m.Path) // a string: cannot fail
		b = append(b, key...)
		b = append(b, ':')
		b = append(b, m.Value...)
	}
	return append(b, '}')
}

// unmappedWalker walks the model collecting Unmapped slots. The path is a
// stack of segments, formatted only when a member is found, so a case
// without unmapped members costs a few comparisons and no allocation.
type unmappedWalker struct {
	segs  [12]pathSeg
	depth int
	out   []UnmappedMember
}

type pathSeg struct {
	name  string
	index int // >= 0 for an array element, name unused
}

func (w *unmappedWalker) push(name string, index int) {
	if w.depth < len(w.segs) {
		w.segs[w.depth] = pathSeg{name, index}
	}
	w.depth++
}

func (w *unmappedWalker) pop() { w.depth-- }

// pointer formats the current path plus name as a JSON Pointer.
func (w *unmappedWalker) pointer(name string) string {
	var sb strings.Builder
	for _, s := range w.segs[:min(w.depth, len(w.segs))] {
		sb.WriteByte('/')
		if s.index >= 0 {
			sb.WriteString(strconv.Itoa(s.index))
		} else {
			sb.WriteString(escapePointer(s.name))
		}
	}
	sb.WriteByte('/')
	sb.WriteString(escapePointer(name))
	return sb.String()
}

// escapePointer escapes a member name for a JSON Pointer (RFC 6901, 3).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// object records the members of one Unmapped slot: a JSON object the
// decoder built from the members it had no field for.
func (w *unmappedWalker) object(raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var members []struct {
		name  string
		value json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil { // '{'
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return
		}
		members = append(members, struct {
			name  string
			value json.RawMessage
		}{name, v})
	}
	for _, m := range members {
		w.out = append(w.out, UnmappedMember{Path: w.pointer(m.name), Value: compactJSON(m.value)})
	}
}

// compactJSON drops the insignificant whitespace of one JSON value, so the
// same member is the same text whatever indentation POSTIDENT used.
func compactJSON(v json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return append(json.RawMessage(nil), v...) // valid JSON: cannot happen
	}
	return buf.Bytes()
}

type fieldList []struct {
	name string
	f    *Field
}

func (w *unmappedWalker) fields(fs fieldList) {
	for _, nf := range fs {
		if nf.f != nil && len(nf.f.Unmapped) > 0 {
			w.push(nf.name, -1)
			w.object(nf.f.Unmapped)
			w.pop()
		}
	}
}

func (w *unmappedWalker) orderData(o *OrderData) {
	w.object(o.Unmapped)
	if p := o.ProcessData; p != nil {
		w.push("processData", -1)
		w.object(p.Unmapped)
		for _, cb := range []struct {
			name string
			u    *CallbackURL
		}{
			{"callbackUrlCouponRequested", p.CallbackURLCouponRequested},
			{"callbackUrlReviewPending", p.CallbackURLReviewPending},
			{"callbackUrlIncomplete", p.CallbackURLIncomplete},
			{"callbackUrlSuccess", p.CallbackURLSuccess},
			{"callbackUrlDeclined", p.CallbackURLDeclined},
			{"callbackUrlCancelledAndClosed", p.CallbackURLCancelledAndClosed},
		} {
			if cb.u != nil && len(cb.u.Unmapped) > 0 {
				w.push(cb.name, -1)
				w.object(cb.u.Unmapped)
				w.pop()
			}
		}
		w.pop()
	}
	if p := o.ContactDataProvided; p != nil {
		w.push("contactDataProvided", -1)
		w.object(p.Unmapped)
		w.address(p.Address)
		w.pop()
	}
	if p := o.IdentificationDocumentProvided; p != nil {
		w.push("identificationDocumentProvided", -1)
		w.object(p.Unmapped)
		w.address(p.Address)
		w.pop()
	}
	if p := o.DrivingLicenceProvided; p != nil {
		w.push("drivingLicenceProvided", -1)
		w.object(p.Unmapped)
		w.pop()
	}
}

func (w *unmappedWalker) address(a *Address) {
	if a != nil && len(a.Unmapped) > 0 {
		w.push("address", -1)
		w.object(a.Unmapped)
		w.pop()
	}
}

func (w *unmappedWalker) addressResult(a *AddressResult) {
	if a == nil {
		return
	}
	w.push("address", -1)
	w.object(a.Unmapped)
	w.fields(fieldList{
		{"streetAddress", a.StreetAddress}, {"appendix", a.Appendix}, {"postalCode", a.PostalCode},
		{"city", a.City}, {"country", a.Country},
	})
	if m := a.AddressMatch; m != nil && len(m.Unmapped) > 0 {
		w.push("addressMatch", -1)
		w.object(m.Unmapped)
		w.pop()
	}
	w.pop()
}

func (w *unmappedWalker) records(rs []RecordResult) {
	if len(rs) == 0 {
		return
	}
	w.push("records", -1)
	for i := range rs {
		if len(rs[i].Unmapped) > 0 {
			w.push("", i)
			w.object(rs[i].Unmapped)
			w.pop()
		}
	}
	w.pop()
}

func (w *unmappedWalker) identification(id *IdentificationResult) {
	w.object(id.Unmapped)
	st := &id.IdentificationStatus
	w.push("identificationStatus", -1)
	w.object(st.Unmapped)
	if st.SubStatus != nil && len(st.SubStatus.Unmapped) > 0 {
		w.push("subStatus", -1)
		w.object(st.SubStatus.Unmapped)
		w.pop()
	}
	if st.SubStatusReason != nil && len(st.SubStatusReason.Unmapped) > 0 {
		w.push("subStatusReason", -1)
		w.object(st.SubStatusReason.Unmapped)
		w.pop()
	}
	w.pop()
	if d := id.IdentificationDocument; d != nil {
		w.push("identificationDocument", -1)
		w.object(d.Unmapped)
		w.fields(fieldList{
			{"countryOfDocument", d.CountryOfDocument}, {"type", d.Type}, {"number", d.Number},
			{"firstName", d.FirstName}, {"lastName", d.LastName}, {"birthName", d.BirthName},
			{"birthDate", d.BirthDate}, {"birthPlace", d.BirthPlace}, {"nationality", d.Nationality},
			{"dateIssued", d.DateIssued}, {"dateOfExpiry", d.DateOfExpiry},
			{"placeOfIssue", d.PlaceOfIssue}, {"authority", d.Authority},
		})
		w.addressResult(d.Address)
		w.records(d.Records)
		w.pop()
	}
	if d := id.DrivingLicence; d != nil {
		w.push("drivingLicence", -1)
		w.object(d.Unmapped)
		w.fields(fieldList{
			{"countryOfDocument", d.CountryOfDocument}, {"number", d.Number},
			{"firstName", d.FirstName}, {"lastName", d.LastName}, {"birthDate", d.BirthDate},
			{"birthPlace", d.BirthPlace}, {"restrictions", d.Restrictions},
			{"dateIssued", d.DateIssued}, {"dateOfExpiry", d.DateOfExpiry}, {"authority", d.Authority},
		})
		if len(d.DrivingLicenceClasses) > 0 {
			w.push("drivingLicenceClasses", -1)
			for i := range d.DrivingLicenceClasses {
				cl := &d.DrivingLicenceClasses[i]
				w.push("", i)
				w.object(cl.Unmapped)
				w.fields(fieldList{
					{"className", cl.ClassName}, {"dateIssued", cl.DateIssued},
					{"dateOfExpiry", cl.DateOfExpiry}, {"restrictions", cl.Restrictions},
				})
				w.pop()
			}
			w.pop()
		}
		w.records(d.Records)
		w.pop()
	}
	w.records(id.Records)
	if b := id.AdditionalDataBasic; b != nil {
		w.push("additionalDataBasic", -1)
		w.object(b.Unmapped)
		if chk := b.IDCardReaderCheck; chk != nil {
			w.idCardReaderCheck(chk)
		}
		w.pop()
	}
	if e := id.AdditionalDataEid; e != nil && len(e.Unmapped) > 0 {
		w.push("additionalDataEid", -1)
		w.object(e.Unmapped)
		w.pop()
	}
	if v := id.AdditionalDataVideo; v != nil && len(v.Unmapped) > 0 {
		w.push("additionalDataVideo", -1)
		w.object(v.Unmapped)
		w.pop()
	}
}

func (w *unmappedWalker) idCardReaderCheck(chk *IDCardReaderCheck) {
	w.push("idCardReaderCheck", -1)
	w.object(chk.Unmapped)
	if len(chk.CheckedCategories) > 0 {
		w.push("checkedCategories", -1)
		for i := range chk.CheckedCategories {
			cat := &chk.CheckedCategories[i]
			w.push("", i)
			w.object(cat.Unmapped)
			if len(cat.FailedChecksOfIDCardReader) > 0 {
				w.push("failedChecksOfIdCardReader", -1)
				for j := range cat.FailedChecksOfIDCardReader {
					f := &cat.FailedChecksOfIDCardReader[j]
					w.push("", j)
					w.object(f.Unmapped)
					if len(f.AdditionalInformation) > 0 {
						w.push("additionalInformation", -1)
						for k := range f.AdditionalInformation {
							if len(f.AdditionalInformation[k].Unmapped) > 0 {
								w.push("", k)
								w.object(f.AdditionalInformation[k].Unmapped)
								w.pop()
							}
						}
						w.pop()
					}
					w.pop()
				}
				w.pop()
			}
			w.pop()
		}
		w.pop()
	}
	w.pop()
}
