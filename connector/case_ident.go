package connector

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// This file holds the identification results of a case (guide 8.5 to
// 8.7): value/status pairs, contact data, the identification with its
// documents, records and method-specific data, and the accounting data.
// Like case.go, every struct keeps the members it has no field for.

// Field is a value/status pair: the value found and how it compares with
// what the client provided (FieldNew, FieldMatch or FieldChange).
type Field struct {
	Value  Text   `json:"value"`
	Status string `json:"status"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// MarshalJSON writes an empty pair as {} the way POSTIDENT does.
func (f Field) MarshalJSON() ([]byte, error) {
	if f.Value == "" && f.Status == "" {
		return []byte("{}"), nil
	}
	type plain Field
	return json.Marshal(plain(f))
}

// ContactDataResult is the contact data used during identification (8.5).
type ContactDataResult struct {
	Title       *Field         `json:"title,omitempty"` // deprecated by POSTIDENT
	FirstName   *Field         `json:"firstName,omitempty"`
	LastName    *Field         `json:"lastName,omitempty"`
	MobilePhone *Field         `json:"mobilePhone,omitempty"`
	Email       *Field         `json:"email,omitempty"`
	Epost       *Field         `json:"epost,omitempty"` // deprecated by POSTIDENT
	Address     *AddressResult `json:"address,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// AddressResult is an address with value/status pairs (8.6.5).
type AddressResult struct {
	StreetAddress *Field        `json:"streetAddress,omitempty"`
	Appendix      *Field        `json:"appendix,omitempty"`
	PostalCode    *Field        `json:"postalCode,omitempty"`
	City          *Field        `json:"city,omitempty"`
	Country       *Field        `json:"country,omitempty"`
	AddressMatch  *AddressMatch `json:"addressMatch,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// AddressMatch is the optional postal check of a German address (8.6.6).
type AddressMatch struct {
	MailRedirectionDomestic      bool `json:"mailRedirectionDomestic"`
	MailRedirectionInternational bool `json:"mailRedirectionInternational"`
	Undeliverable                bool `json:"undeliverable"`
	AddresseeDeceased            bool `json:"addresseeDeceased"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// IdentificationResult is one identification with its status and result
// data (8.6).
type IdentificationResult struct {
	IdentificationMethod   Method                        `json:"identificationMethod"`
	IdentificationStatus   IdentificationStatus          `json:"identificationStatus"`
	IdentificationDocument *IdentificationDocumentResult `json:"identificationDocument,omitempty"`
	DrivingLicence         *DrivingLicenceResult         `json:"drivingLicence,omitempty"`
	Records                []RecordResult                `json:"records,omitempty"`
	AdditionalDataBasic    *AdditionalDataBasic          `json:"additionalDataBasic,omitempty"`
	AdditionalDataEid      *AdditionalDataEid            `json:"additionalDataEid,omitempty"`
	AdditionalDataVideo    *AdditionalDataVideo          `json:"additionalDataVideo,omitempty"`

	// AdditionaDataEid receives "additionaDataEid", the spelling of the
	// guide's table in 8.6, so that either spelling on the wire is accepted.
	// It is a decoding slot only: Normalize moves it into AdditionalDataEid
	// and clears it, so nothing else ever sees or writes it. A plain field
	// rather than an UnmarshalJSON method, because such a method makes
	// encoding/json scan every identification twice.
	AdditionaDataEid *AdditionalDataEid `json:"additionaDataEid,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// normalize folds the guide-table spelling into AdditionalDataEid (the
// correct spelling wins when both are present and not null, as it did when
// an UnmarshalJSON method did this) and moves Note values that are not text
// into Unmapped, appending their names to degraded.
func (r *IdentificationResult) normalize(degraded *[]string) {
	if r.AdditionalDataEid == nil {
		r.AdditionalDataEid = r.AdditionaDataEid
	}
	r.AdditionaDataEid = nil
	if b := r.AdditionalDataBasic; b != nil {
		b.PostOffice.moveTo(&b.Unmapped, "postOffice", "additionalDataBasic.postOffice", degraded)
		b.PostOfficeStreetAddress.moveTo(&b.Unmapped, "postOfficeStreetAddress", "additionalDataBasic.postOfficeStreetAddress", degraded)
		b.PostOfficeCity.moveTo(&b.Unmapped, "postOfficeCity", "additionalDataBasic.postOfficeCity", degraded)
		b.CheckoutNote.moveTo(&b.Unmapped, "checkoutNote", "additionalDataBasic.checkoutNote", degraded)
		if chk := b.IDCardReaderCheck; chk != nil {
			for i := range chk.CheckedCategories {
				for j := range chk.CheckedCategories[i].FailedChecksOfIDCardReader {
					f := &chk.CheckedCategories[i].FailedChecksOfIDCardReader[j]
					for k := range f.AdditionalInformation {
						kv := &f.AdditionalInformation[k]
						kv.Value.moveTo(&kv.Unmapped, "value", "additionalDataBasic.idCardReaderCheck.additionalInformation.value", degraded)
					}
				}
			}
		}
	}
	if v := r.AdditionalDataVideo; v != nil {
		v.IdentificationServiceCenter.moveTo(&v.Unmapped, "identificationServiceCenter", "additionalDataVideo.identificationServiceCenter", degraded)
		v.IdentificationAgentAlias.moveTo(&v.Unmapped, "identificationAgentAlias", "additionalDataVideo.identificationAgentAlias", degraded)
	}
}

// Code is a numbered status detail with its text (subStatus and
// subStatusReason of 8.6.1).
type Code struct {
	Code        Int    `json:"code"`
	Description string `json:"description,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// IdentificationStatus is the progress and result of an identification
// (8.6.1). SubStatus and SubStatusReason are nil when absent.
type IdentificationStatus struct {
	Status             string `json:"status"`
	SubStatus          *Code  `json:"subStatus,omitempty"`
	SubStatusReason    *Code  `json:"subStatusReason,omitempty"`
	IdentificationTime Time   `json:"identificationTime,omitzero"`
	Created            Time   `json:"created,omitzero"`
	Modified           Time   `json:"modified,omitzero"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// IdentificationDocumentResult is the data read from the identification
// document (8.6.2). Which fields exist depends on the regulatory class and
// the method (eID has no number, dateIssued or authority).
type IdentificationDocumentResult struct {
	CountryOfDocument *Field         `json:"countryOfDocument,omitempty"`
	Type              *Field         `json:"type,omitempty"`
	Number            *Field         `json:"number,omitempty"`
	FirstName         *Field         `json:"firstName,omitempty"`
	LastName          *Field         `json:"lastName,omitempty"`
	BirthName         *Field         `json:"birthName,omitempty"`
	BirthDate         *Field         `json:"birthDate,omitempty"`
	BirthPlace        *Field         `json:"birthPlace,omitempty"`
	Nationality       *Field         `json:"nationality,omitempty"`
	Address           *AddressResult `json:"address,omitempty"`
	DateIssued        *Field         `json:"dateIssued,omitempty"`
	DateOfExpiry      *Field         `json:"dateOfExpiry,omitempty"`
	PlaceOfIssue      *Field         `json:"placeOfIssue,omitempty"`
	Authority         *Field         `json:"authority,omitempty"`
	Records           []RecordResult `json:"records,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// DrivingLicenceResult is the data read from the driving licence (8.6.3);
// present only when the driving licence was checked.
type DrivingLicenceResult struct {
	CountryOfDocument     *Field                      `json:"countryOfDocument,omitempty"`
	Number                *Field                      `json:"number,omitempty"`
	FirstName             *Field                      `json:"firstName,omitempty"`
	LastName              *Field                      `json:"lastName,omitempty"`
	BirthDate             *Field                      `json:"birthDate,omitempty"`
	BirthPlace            *Field                      `json:"birthPlace,omitempty"`
	DrivingLicenceClasses []DrivingLicenceClassResult `json:"drivingLicenceClasses,omitempty"`
	Restrictions          *Field                      `json:"restrictions,omitempty"`
	DateIssued            *Field                      `json:"dateIssued,omitempty"`
	DateOfExpiry          *Field                      `json:"dateOfExpiry,omitempty"`
	Authority             *Field                      `json:"authority,omitempty"`
	Records               []RecordResult              `json:"records,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// DrivingLicenceClassResult is one vehicle approval class (8.6.4).
type DrivingLicenceClassResult struct {
	ClassName    *Field `json:"className,omitempty"`
	DateIssued   *Field `json:"dateIssued,omitempty"`
	DateOfExpiry *Field `json:"dateOfExpiry,omitempty"`
	Restrictions *Field `json:"restrictions,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// Record types and owners (8.6.7).
const (
	BelongsToMethod                 = "method"
	BelongsToIdentificationDocument = "identificationdocument"
	BelongsToDrivingLicence         = "drivinglicence"

	RecordResultPDF     = "result"
	RecordResultData    = "resultdata"
	RecordResultImages  = "resultimages"
	RecordUserFace      = "userface"
	RecordUserSignature = "usersignature"
	RecordIDFrontSide   = "idfrontside"
	RecordIDBackSide    = "idbackside"
	RecordIDSignature   = "idsignature"
	RecordIDImage       = "idimage"
	RecordDLFrontSide   = "dlfrontside"
	RecordDLBackSide    = "dlbackside"
	RecordDLImage       = "dlimage"
)

// RecordResult is the metadata of a media file, with its bytes (base64) in
// DocumentData only when includeBinaryData / includeResultPdf asked for them
// and the regulatory class allows them (8.6.7).
type RecordResult struct {
	RecordID            Text   `json:"recordId"`
	BelongsTo           string `json:"belongsTo,omitempty"`
	Type                string `json:"type,omitempty"`
	ValidationStatus    string `json:"validationStatus,omitempty"`
	ValidationSubStatus string `json:"validationSubStatus,omitempty"`
	ValidationRemark    string `json:"validationRemark,omitempty"`
	MimeType            string `json:"mimeType,omitempty"`
	FileName            string `json:"fileName,omitempty"`
	DocumentData        string `json:"documentData,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// DocumentBytes decodes DocumentData, "base64 binary document data"
// (8.6.7). The guide does not say whether the text is wrapped: it may come
// in MIME-style lines (76 characters and CRLF, or folded with spaces or
// tabs) and without its = padding, so ASCII whitespace is dropped and
// missing padding accepted. Anything else that is not standard base64 is an
// error (which names no part of the data).
func (r *RecordResult) DocumentBytes() ([]byte, error) {
	s := r.DocumentData
	if strings.ContainsAny(s, " \t\r\n\f\v") {
		s = strings.Map(func(c rune) rune {
			switch c {
			case ' ', '\t', '\r', '\n', '\f', '\v':
				return -1
			}
			return c
		}, s)
	}
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return base64.StdEncoding.DecodeString(s)
}

// AdditionalDataBasic is post-office specific data (8.6.8).
type AdditionalDataBasic struct {
	CouponByPiAppRequestCount         *Int               `json:"couponByPiAppRequestCount,omitempty"`
	CouponByPiAppRequestLastTimestamp Time               `json:"couponByPiAppRequestLastTimestamp,omitzero"`
	CouponByTpAppRequestCount         *Int               `json:"couponByTpAppRequestCount,omitempty"`
	CouponByTpAppRequestLastTimestamp Time               `json:"couponByTpAppRequestLastTimestamp,omitzero"`
	CouponDownloadCount               *Int               `json:"couponDownloadCount,omitempty"`
	CouponDownloadLastTimestamp       Time               `json:"couponDownloadLastTimestamp,omitzero"`
	CouponByEmailRequestCount         *Int               `json:"couponByEmailRequestCount,omitempty"`
	CouponByEmailRequestLastTimestamp Time               `json:"couponByEmailRequestLastTimestamp,omitzero"`
	PostOffice                        Note               `json:"postOffice,omitempty"`
	PostOfficeStreetAddress           Note               `json:"postOfficeStreetAddress,omitempty"`
	PostOfficeCity                    Note               `json:"postOfficeCity,omitempty"`
	CheckoutNote                      Note               `json:"checkoutNote,omitempty"`
	IDCardReaderCheck                 *IDCardReaderCheck `json:"idCardReaderCheck,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// IDCardReaderCheck describes the document check by the ID card reader.
type IDCardReaderCheck struct {
	CheckedCategories []IDCardReaderCheckCategory `json:"checkedCategories,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// IDCardReaderCheckCategory is one checked category and its outcome.
type IDCardReaderCheckCategory struct {
	Name                       string                      `json:"name,omitempty"`
	Status                     string                      `json:"status,omitempty"`
	FailedChecksOfIDCardReader []FailedCheckOfIDCardReader `json:"failedChecksOfIdCardReader,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// FailedCheckOfIDCardReader is one failed check of the ID card reader.
type FailedCheckOfIDCardReader struct {
	CheckName             string             `json:"checkName,omitempty"`
	SubCheckName          string             `json:"subCheckName,omitempty"`
	AdditionalInformation []AdditionalInfoKV `json:"additionalInformation,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// AdditionalInfoKV is a key/value note on a failed ID card check.
type AdditionalInfoKV struct {
	Key   string `json:"key"`
	Value Note   `json:"value"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// AdditionalDataEid is eID specific data (8.6.9).
type AdditionalDataEid struct {
	DKK Text `json:"dkk,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// AdditionalDataVideo is video chat specific data (8.6.10). IdentReviews has
// no documented structure, so each review is kept as its raw JSON.
type AdditionalDataVideo struct {
	IdentificationServiceCenter      Note              `json:"identificationServiceCenter,omitempty"`
	IdentificationServiceCenterVideo string            `json:"identificationServiceCenterVideo,omitempty"`
	IdentificationAgentAlias         Note              `json:"identificationAgentAlias,omitempty"`
	IdentReviews                     []json.RawMessage `json:"identReviews,omitempty"`
	VideoRecordingAccepted           Time              `json:"videoRecordingAccepted,omitzero"`
	VideoRecordingDeliveryShaft      *bool             `json:"videoRecordingDeliveryShaft,omitempty"`
	TanChannel                       string            `json:"tanChannel,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// AccountingData identifies the case on the invoice (8.7).
type AccountingData struct {
	AccountingNumber  Text   `json:"accountingNumber,omitempty"`
	AccountingProduct string `json:"accountingProduct,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}
