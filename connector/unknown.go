package connector

import "slices"

// Enumerated fields of the model whose values the guide lists. A value the
// catalog does not know is not an error: it passes through to the events as
// text (statusType "none", no catalog texts), and the decoder counts it by
// the field's name (issue 13: "an enumeration value the catalog does not
// know passes through as text with a counter"). These names are the only
// label of that counter: fixed by this file, never a value from the answer.
const (
	EnumCaseStatus          = "caseStatus.status"                         // 8.3
	EnumMethod              = "identificationMethod"                      // 8.6
	EnumIdentStatus         = "identificationStatus.status"               // 8.6.1, per method (4)
	EnumSubStatus           = "identificationStatus.subStatus.code"       // 4, per method and status
	EnumSubStatusReason     = "identificationStatus.subStatusReason.code" // 4, per subStatus
	EnumFieldStatus         = "valueStatus.status"                        // 8.5, 8.6.2, 8.6.3: new, match, change
	EnumRecordBelongsTo     = "records.belongsTo"                         // 8.6.7
	EnumRecordType          = "records.type"                              // 8.6.7
	EnumValidationStatus    = "records.validationStatus"                  // 4.4.1
	EnumValidationSubStatus = "records.validationSubStatus"               // 4.4.1
	EnumTanChannel          = "additionalDataVideo.tanChannel"            // 8.6.10: sms, email
)

// UnknownValues calls fn with the field name (one of the Enum* constants)
// of every enumerated value of c that the guide does not list, once per
// occurrence, in the parts the events carry: the case status and the
// primary identification. Empty values are absent, not unknown. It
// allocates nothing.
func (c *CaseResult) UnknownValues(fn func(field string)) {
	switch c.CaseStatus.Status {
	case CaseNew, CaseInProgress, CaseClosed, "":
	default:
		fn(EnumCaseStatus)
	}
	if cd := c.ContactData; cd != nil {
		fieldStatuses(fn, cd.Title, cd.FirstName, cd.LastName, cd.MobilePhone, cd.Email, cd.Epost)
		addressStatuses(fn, cd.Address)
	}
	id := c.Primary()
	if id == nil {
		return
	}
	m, st := id.IdentificationMethod, &id.IdentificationStatus
	switch {
	case !knownMethod(m):
		fn(EnumMethod) // the catalog of an unknown method is unknown: nothing more to judge
	case st.Status != "" && statusInfo(m, st.Status) == nil:
		fn(EnumIdentStatus)
	case st.SubStatus != nil:
		sub, ok := lookupSubStatus(m, st.Status, int(st.SubStatus.Code))
		if !ok {
			fn(EnumSubStatus)
			break
		}
		if r := st.SubStatusReason; r != nil && !slices.ContainsFunc(sub.Reasons, func(x Reason) bool { return x.Code == int(r.Code) }) {
			fn(EnumSubStatusReason)
		}
	}
	if d := id.IdentificationDocument; d != nil {
		fieldStatuses(fn, d.CountryOfDocument, d.Type, d.Number, d.FirstName, d.LastName, d.BirthName,
			d.BirthDate, d.BirthPlace, d.Nationality, d.DateIssued, d.DateOfExpiry, d.PlaceOfIssue, d.Authority)
		addressStatuses(fn, d.Address)
		recordValues(fn, d.Records)
	}
	if d := id.DrivingLicence; d != nil {
		fieldStatuses(fn, d.CountryOfDocument, d.Number, d.FirstName, d.LastName, d.BirthDate,
			d.BirthPlace, d.Restrictions, d.DateIssued, d.DateOfExpiry, d.Authority)
		for i := range d.DrivingLicenceClasses {
			cl := &d.DrivingLicenceClasses[i]
			fieldStatuses(fn, cl.ClassName, cl.DateIssued, cl.DateOfExpiry, cl.Restrictions)
		}
		recordValues(fn, d.Records)
	}
	recordValues(fn, id.Records)
	if v := id.AdditionalDataVideo; v != nil {
		switch v.TanChannel {
		case "", "sms", "email":
		default:
			fn(EnumTanChannel)
		}
	}
}

func fieldStatuses(fn func(string), fs ...*Field) {
	for _, f := range fs {
		if f == nil {
			continue
		}
		switch f.Status {
		case "", FieldNew, FieldMatch, FieldChange:
		default:
			fn(EnumFieldStatus)
		}
	}
}

func addressStatuses(fn func(string), a *AddressResult) {
	if a != nil {
		fieldStatuses(fn, a.StreetAddress, a.Appendix, a.PostalCode, a.City, a.Country)
	}
}

var (
	knownRecordTypes = []string{
		RecordResultPDF, RecordResultData, RecordResultImages, RecordUserFace, RecordUserSignature,
		RecordIDFrontSide, RecordIDBackSide, RecordIDSignature, RecordIDImage,
		RecordDLFrontSide, RecordDLBackSide, RecordDLImage,
	}
	knownValidationSubStatuses = PhotoValidationSubStatuses()
)

func recordValues(fn func(string), rs []RecordResult) {
	for i := range rs {
		r := &rs[i]
		switch r.BelongsTo {
		case "", BelongsToMethod, BelongsToIdentificationDocument, BelongsToDrivingLicence:
		default:
			fn(EnumRecordBelongsTo)
		}
		if r.Type != "" && !slices.Contains(knownRecordTypes, r.Type) {
			fn(EnumRecordType)
		}
		if r.ValidationStatus != "" && !slices.Contains(ValidationStatuses, r.ValidationStatus) {
			fn(EnumValidationStatus)
		}
		if r.ValidationSubStatus != "" && !slices.Contains(knownValidationSubStatuses, r.ValidationSubStatus) {
			fn(EnumValidationSubStatus)
		}
	}
}

func knownMethod(m Method) bool {
	switch m {
	case MethodAutoID, MethodBasic, MethodEID, MethodPhoto, MethodVideo:
		return true
	}
	return false
}
