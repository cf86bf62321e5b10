package connector

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"
)

// This file maps a CaseResult field by field into the result event
// (guide 8), by the conventions of avro_types.go.

// NewCaseResultEvent maps c with its primary identification (c.Primary())
// field by field into a result event. A case closed before any
// identification started (expired) has a nil PrimaryIdentification. Record
// bytes (documentData) are left out.
func NewCaseResultEvent(clientID string, c *CaseResult, origin Origin, observedAt time.Time) *CaseResultEvent {
	id := c.Primary()
	s := identState{statusType: StatusTypeNone}
	if id != nil {
		s = identStateOf(id)
	}
	ev := &CaseResultEvent{
		EventID:     ResultEventID(clientID, c.CaseID, IdentKeyOf(c)),
		ClientID:    clientID,
		CaseID:      c.CaseID,
		ReferenceID: referenceIDOf(c),
		CaseStatus: EventCaseStatus{
			Status:     c.CaseStatus.Status,
			Archived:   c.CaseStatus.Archived,
			ValidUntil: optTime(c.CaseStatus.ValidUntil),
			Created:    ts(c.CaseStatus.Created),
			Modified:   optTime(c.CaseStatus.Modified),
		},
		OrderData:   orderDataOf(c.OrderData),
		ContactData: contactDataOf(c.ContactData),
		StatusType:  string(s.statusType),
		ObservedAt:  msUTC(observedAt),
		Origin:      string(origin),
	}
	if id != nil {
		ev.PrimaryIdentification = &EventIdentificationResult{
			IdentificationMethod: string(id.IdentificationMethod),
			IdentificationStatus: EventIdentificationStatus{
				Status:              id.IdentificationStatus.Status,
				SubStatusCode:       s.subCode,
				SubStatusText:       s.subText,
				SubStatusReasonCode: s.reasonCode,
				SubStatusReasonText: s.reasonText,
				IdentificationTime:  s.idt,
				Created:             s.created,
				Modified:            s.modified,
			},
			IdentificationDocument: documentOf(id.IdentificationDocument),
			DrivingLicence:         licenceOf(id.DrivingLicence),
			Records:                recordsOf(id.Records),
			AdditionalDataBasic:    basicOf(id.AdditionalDataBasic),
			AdditionalDataEid:      eidOf(id.AdditionalDataEid),
			AdditionalDataVideo:    videoOf(id.AdditionalDataVideo),
		}
	}
	if u := c.UnmappedJSON(); u != nil {
		ev.UnmappedJSON = new(string(u))
	}
	if a := c.AccountingData; a != nil {
		ev.AccountingData = &EventAccountingData{
			AccountingNumber:  optString(a.AccountingNumber),
			AccountingProduct: optString(a.AccountingProduct),
		}
	}
	return ev
}

func referenceIDOf(c *CaseResult) *string {
	if c.OrderData == nil || c.OrderData.ProcessData == nil {
		return nil
	}
	return optString(c.OrderData.ProcessData.ReferenceID)
}

func orderDataOf(o *OrderData) *EventOrderData {
	if o == nil {
		return nil
	}
	ev := &EventOrderData{CustomData: map[string]string{}}
	if o.CustomData != nil {
		ev.CustomData = maps.Clone(o.CustomData)
	}
	if p := o.ProcessData; p != nil {
		ev.ProcessData = &EventProcessData{
			TargetCountry:                 optString(p.TargetCountry),
			PreferredLanguage:             optString(p.PreferredLanguage),
			WebHookURL:                    optString(p.WebHookURL),
			WebHookURLPartner:             optString(p.WebHookURLPartner),
			ReferenceID:                   optString(p.ReferenceID),
			CallbackURLCouponRequested:    callbackOf(p.CallbackURLCouponRequested),
			CallbackURLReviewPending:      callbackOf(p.CallbackURLReviewPending),
			CallbackURLIncomplete:         callbackOf(p.CallbackURLIncomplete),
			CallbackURLSuccess:            callbackOf(p.CallbackURLSuccess),
			CallbackURLDeclined:           callbackOf(p.CallbackURLDeclined),
			CallbackURLCancelledAndClosed: callbackOf(p.CallbackURLCancelledAndClosed),
		}
	}
	if p := o.ContactDataProvided; p != nil {
		ev.ContactDataProvided = &EventContactDataProvided{
			Title:       optString(p.Title),
			FirstName:   optString(p.FirstName),
			LastName:    optString(p.LastName),
			BirthDate:   optString(p.BirthDate),
			BirthPlace:  optString(p.BirthPlace),
			MobilePhone: optString(p.MobilePhone),
			Email:       optString(p.Email),
			Address:     addressOf(p.Address),
		}
	}
	if p := o.IdentificationDocumentProvided; p != nil {
		ev.IdentificationDocumentProvided = &EventIdentificationDocumentProvided{
			Type:              optString(p.Type),
			CountryOfDocument: optString(p.CountryOfDocument),
			Number:            optString(p.Number),
			FirstName:         optString(p.FirstName),
			LastName:          optString(p.LastName),
			BirthName:         optString(p.BirthName),
			BirthDate:         optString(p.BirthDate),
			BirthPlace:        optString(p.BirthPlace),
			Nationality:       optString(p.Nationality),
			Address:           addressOf(p.Address),
			DateIssued:        optString(p.DateIssued),
			DateOfExpiry:      optString(p.DateOfExpiry),
			PlaceOfIssue:      optString(p.PlaceOfIssue),
			Authority:         optString(p.Authority),
		}
	}
	if p := o.DrivingLicenceProvided; p != nil {
		ev.DrivingLicenceProvided = &EventDrivingLicenceProvided{
			CountryOfDocument: optString(p.CountryOfDocument),
			Number:            optString(p.Number),
			FirstName:         optString(p.FirstName),
			LastName:          optString(p.LastName),
			BirthDate:         optString(p.BirthDate),
			DateOfExpiry:      optString(p.DateOfExpiry),
		}
	}
	return ev
}

func callbackOf(u *CallbackURL) *EventCallbackURL {
	if u == nil || (u.WebURL == "" && u.AppURL == "") {
		return nil
	}
	return &EventCallbackURL{WebURL: optString(u.WebURL), AppURL: optString(u.AppURL)}
}

func addressOf(a *Address) *EventAddress {
	if a == nil || a.StreetAddress == "" && a.Appendix == "" && a.PostalCode == "" && a.City == "" && a.Country == "" {
		return nil
	}
	return &EventAddress{
		StreetAddress: optString(a.StreetAddress),
		Appendix:      optString(a.Appendix),
		PostalCode:    optString(a.PostalCode),
		City:          optString(a.City),
		Country:       optString(a.Country),
	}
}

// fieldOf maps a value/status pair; the empty object {} POSTIDENT writes for
// an unused field becomes nil.
func fieldOf(f *Field) *FieldValue {
	if f == nil || (f.Value == "" && f.Status == "") {
		return nil
	}
	return &FieldValue{Value: string(f.Value), Status: f.Status}
}

func contactDataOf(c *ContactDataResult) *EventContactDataResult {
	if c == nil {
		return nil
	}
	return &EventContactDataResult{
		Title:       fieldOf(c.Title),
		FirstName:   fieldOf(c.FirstName),
		LastName:    fieldOf(c.LastName),
		MobilePhone: fieldOf(c.MobilePhone),
		Email:       fieldOf(c.Email),
		Epost:       fieldOf(c.Epost),
		Address:     addressResultOf(c.Address),
	}
}

func addressResultOf(a *AddressResult) *EventAddressResult {
	if a == nil {
		return nil
	}
	ev := &EventAddressResult{
		StreetAddress: fieldOf(a.StreetAddress),
		Appendix:      fieldOf(a.Appendix),
		PostalCode:    fieldOf(a.PostalCode),
		City:          fieldOf(a.City),
		Country:       fieldOf(a.Country),
	}
	if m := a.AddressMatch; m != nil {
		ev.AddressMatch = &EventAddressMatch{
			MailRedirectionDomestic:      m.MailRedirectionDomestic,
			MailRedirectionInternational: m.MailRedirectionInternational,
			Undeliverable:                m.Undeliverable,
			AddresseeDeceased:            m.AddresseeDeceased,
		}
	}
	if *ev == (EventAddressResult{}) {
		// "If the document contains no address, this object will be empty."
		return nil
	}
	return ev
}

func documentOf(d *IdentificationDocumentResult) *EventIdentificationDocumentResult {
	if d == nil {
		return nil
	}
	return &EventIdentificationDocumentResult{
		CountryOfDocument: fieldOf(d.CountryOfDocument),
		Type:              fieldOf(d.Type),
		Number:            fieldOf(d.Number),
		FirstName:         fieldOf(d.FirstName),
		LastName:          fieldOf(d.LastName),
		BirthName:         fieldOf(d.BirthName),
		BirthDate:         fieldOf(d.BirthDate),
		BirthPlace:        fieldOf(d.BirthPlace),
		Nationality:       fieldOf(d.Nationality),
		Address:           addressResultOf(d.Address),
		DateIssued:        fieldOf(d.DateIssued),
		DateOfExpiry:      fieldOf(d.DateOfExpiry),
		PlaceOfIssue:      fieldOf(d.PlaceOfIssue),
		Authority:         fieldOf(d.Authority),
		Records:           recordsOf(d.Records),
	}
}

func licenceOf(d *DrivingLicenceResult) *EventDrivingLicenceResult {
	if d == nil {
		return nil
	}
	ev := &EventDrivingLicenceResult{
		CountryOfDocument:     fieldOf(d.CountryOfDocument),
		Number:                fieldOf(d.Number),
		FirstName:             fieldOf(d.FirstName),
		LastName:              fieldOf(d.LastName),
		BirthDate:             fieldOf(d.BirthDate),
		BirthPlace:            fieldOf(d.BirthPlace),
		DrivingLicenceClasses: []EventDrivingLicenceClassResult{},
		Restrictions:          fieldOf(d.Restrictions),
		DateIssued:            fieldOf(d.DateIssued),
		DateOfExpiry:          fieldOf(d.DateOfExpiry),
		Authority:             fieldOf(d.Authority),
		Records:               recordsOf(d.Records),
	}
	for _, cl := range d.DrivingLicenceClasses {
		ev.DrivingLicenceClasses = append(ev.DrivingLicenceClasses, EventDrivingLicenceClassResult{
			ClassName:    fieldOf(cl.ClassName),
			DateIssued:   fieldOf(cl.DateIssued),
			DateOfExpiry: fieldOf(cl.DateOfExpiry),
			Restrictions: fieldOf(cl.Restrictions),
		})
	}
	return ev
}

// recordsOf copies the record metadata and drops the bytes.
func recordsOf(rs []RecordResult) []RecordMeta {
	out := make([]RecordMeta, 0, len(rs))
	for _, r := range rs {
		out = append(out, RecordMeta{
			RecordID:              string(r.RecordID),
			BelongsTo:             optString(r.BelongsTo),
			Type:                  optString(r.Type),
			ValidationStatus:      optString(r.ValidationStatus),
			ValidationSubStatus:   optString(r.ValidationSubStatus),
			ValidationRemark:      optString(r.ValidationRemark),
			MimeType:              optString(r.MimeType),
			FileName:              optString(r.FileName),
			DocumentDataDelivered: r.DocumentData != "",
		})
	}
	return out
}

func basicOf(b *AdditionalDataBasic) *EventAdditionalDataBasic {
	if b == nil {
		return nil
	}
	ev := &EventAdditionalDataBasic{
		CouponByPiAppRequestCount:         optInt32(b.CouponByPiAppRequestCount),
		CouponByPiAppRequestLastTimestamp: optTime(b.CouponByPiAppRequestLastTimestamp),
		CouponByTpAppRequestCount:         optInt32(b.CouponByTpAppRequestCount),
		CouponByTpAppRequestLastTimestamp: optTime(b.CouponByTpAppRequestLastTimestamp),
		CouponDownloadCount:               optInt32(b.CouponDownloadCount),
		CouponDownloadLastTimestamp:       optTime(b.CouponDownloadLastTimestamp),
		CouponByEmailRequestCount:         optInt32(b.CouponByEmailRequestCount),
		CouponByEmailRequestLastTimestamp: optTime(b.CouponByEmailRequestLastTimestamp),
		PostOffice:                        optString(b.PostOffice.text()),
		PostOfficeStreetAddress:           optString(b.PostOfficeStreetAddress.text()),
		PostOfficeCity:                    optString(b.PostOfficeCity.text()),
		CheckoutNote:                      optString(b.CheckoutNote.text()),
	}
	if chk := b.IDCardReaderCheck; chk != nil {
		ev.IDCardReaderCheck = &EventIDCardReaderCheck{CheckedCategories: []EventIDCardReaderCheckCategory{}}
		for _, cat := range chk.CheckedCategories {
			ec := EventIDCardReaderCheckCategory{
				Name:                       optString(cat.Name),
				Status:                     optString(cat.Status),
				FailedChecksOfIDCardReader: []EventFailedCheckOfIDCardReader{},
			}
			for _, f := range cat.FailedChecksOfIDCardReader {
				ef := EventFailedCheckOfIDCardReader{
					CheckName:             optString(f.CheckName),
					SubCheckName:          optString(f.SubCheckName),
					AdditionalInformation: []KeyValue{},
				}
				for _, kv := range f.AdditionalInformation {
					ef.AdditionalInformation = append(ef.AdditionalInformation, KeyValue{Key: kv.Key, Value: kv.Value.text()})
				}
				ec.FailedChecksOfIDCardReader = append(ec.FailedChecksOfIDCardReader, ef)
			}
			ev.IDCardReaderCheck.CheckedCategories = append(ev.IDCardReaderCheck.CheckedCategories, ec)
		}
	}
	return ev
}

func eidOf(e *AdditionalDataEid) *EventAdditionalDataEid {
	if e == nil {
		return nil
	}
	return &EventAdditionalDataEid{DKK: optString(e.DKK)}
}

func videoOf(v *AdditionalDataVideo) *EventAdditionalDataVideo {
	if v == nil {
		return nil
	}
	ev := &EventAdditionalDataVideo{
		IdentificationServiceCenter:      optString(v.IdentificationServiceCenter.text()),
		IdentificationServiceCenterVideo: optString(v.IdentificationServiceCenterVideo),
		IdentificationAgentAlias:         optString(v.IdentificationAgentAlias.text()),
		IdentReviews:                     make([]string, 0, len(v.IdentReviews)),
		VideoRecordingAccepted:           optTime(v.VideoRecordingAccepted),
		VideoRecordingDeliveryShaft:      optCopy(v.VideoRecordingDeliveryShaft),
		TanChannel:                       optString(v.TanChannel),
	}
	for _, r := range v.IdentReviews {
		// Compact, so the same review is the same string whatever
		// whitespace POSTIDENT used; RawMessage is valid JSON, so Compact
		// cannot fail on it, but keep the raw text if it ever does.
		var buf bytes.Buffer
		if err := json.Compact(&buf, r); err != nil {
			ev.IdentReviews = append(ev.IdentReviews, string(r))
			continue
		}
		ev.IdentReviews = append(ev.IdentReviews, buf.String())
	}
	return ev
}
