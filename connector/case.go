package connector

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Case status values (guide 8.3).
const (
	CaseNew        = "new"
	CaseInProgress = "in progress"
	CaseClosed     = "closed"
)

// Value/status pair status values (guide 8.5, 8.6.2, 8.6.3).
const (
	FieldNew    = "new"    // no data was provided; collected during identification
	FieldMatch  = "match"  // the provided data matches
	FieldChange = "change" // the provided data was overwritten
)

// CaseResult is one case as the SCR-Ident API returns it (guide 8.2): the
// case with its primary identification (single-case and list endpoints) or
// with all identifications (the /full endpoints). POSTIDENT leaves empty
// objects out of the JSON, so every object is a pointer and nil means absent.
//
// Unknown members are kept, not ignored: the guide warns new fields may
// appear at any time (8.1), and every struct of the model keeps the members
// it has no field for in its Unmapped slot (see unmapped.go). Scalars the
// guide shows as digits or codes are Text or Int, which accept a JSON string
// or number (tolerant.go); the fields the pipeline's logic depends on
// (caseId, caseStatus.status, identificationMethod, identificationStatus.status,
// the times) stay strict, so a wrong JSON type there fails the case.
type CaseResult struct {
	CaseID          string                 `json:"caseId"`
	CaseStatus      CaseStatus             `json:"caseStatus"`
	OrderData       *OrderData             `json:"orderData,omitempty"`
	ContactData     *ContactDataResult     `json:"contactData,omitempty"`
	PrimaryIdent    *IdentificationResult  `json:"primaryIdent,omitempty"`
	Identifications []IdentificationResult `json:"identifications,omitempty"`
	AccountingData  *AccountingData        `json:"accountingData,omitempty"`

	// ContactDataResult and PrimaryIdentification receive the property
	// names of the guide's list in 8.2, which differ from what the sample of
	// 7.4.1 and the API send (contactData, primaryIdent). Decoding slots
	// only, like IdentificationResult.AdditionaDataEid: Normalize moves
	// them into ContactData and PrimaryIdent (the sample's spelling wins
	// when both are present) and clears them.
	ContactDataResult     *ContactDataResult    `json:"contactDataResult,omitempty"`
	PrimaryIdentification *IdentificationResult `json:"primaryIdentification,omitempty"`

	// degraded lists the Note fields whose value Normalize moved to
	// Unmapped (Degraded).
	degraded []string

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// Normalize finishes the JSON decoding of a case: it moves what arrived
// under the guide's other spellings ("contactDataResult" and
// "primaryIdentification" of 8.2, "additionaDataEid" of the table in 8.6)
// into ContactData, PrimaryIdent and AdditionalDataEid. Every decoder of a
// CaseResult calls it right after json.Unmarshal; a case built in Go needs
// no call. It is idempotent and allocates nothing.
func (c *CaseResult) Normalize() {
	if c.ContactData == nil {
		c.ContactData = c.ContactDataResult
	}
	c.ContactDataResult = nil
	if c.PrimaryIdent == nil {
		c.PrimaryIdent = c.PrimaryIdentification
	}
	c.PrimaryIdentification = nil
	if c.PrimaryIdent != nil {
		c.PrimaryIdent.normalize(&c.degraded)
	}
	for i := range c.Identifications {
		c.Identifications[i].normalize(&c.degraded)
	}
}

// Degraded returns the names of the Note fields (e.g.
// "additionalDataBasic.postOffice") whose value was neither text nor a
// number: Normalize moved each, verbatim, into the Unmapped slot of the
// object that held it, so it travels in unmappedJson under its own path,
// and left the field empty. nil for the usual case.
func (c *CaseResult) Degraded() []string { return c.degraded }

// NormalizeCases calls Normalize on every case of a decoded list.
func NormalizeCases(cs []CaseResult) {
	for i := range cs {
		cs[i].Normalize()
	}
}

// Primary returns the primary identification: PrimaryIdent when present,
// otherwise the most progressed entry of Identifications (guide 7.3, ranked
// by MoreProgressed), or nil when the case has no identification yet.
func (c *CaseResult) Primary() *IdentificationResult {
	if c.PrimaryIdent != nil {
		return c.PrimaryIdent
	}
	var best *IdentificationResult
	for i := range c.Identifications {
		id := &c.Identifications[i]
		if best == nil || MoreProgressed(id, best) {
			best = id
		}
	}
	return best
}

// progressRank orders the statuses of an identification of method m by how
// far they got, following the per-method order of the summary tables of
// guide 2.6:
//
//   - basic, eID, video: started, coupon requested (basic), incomplete,
//     review pending (video, basic), success / declined;
//   - AutoID, photo: started, review pending, incomplete, success /
//     declined: the agent's review comes before the verdict "incomplete"
//     (4.1, 4.4).
//
// cancelled ranks lowest, below started, although the AutoID/photo table
// lists it after incomplete: a cancelled method leaves the case to the
// methods that remain (4.1), so the one the user switched to is the one
// that progresses. A status the guide does not list ranks lowest too.
func progressRank(m Method, status string) int {
	switch status {
	case StatusStarted:
		return 1
	case StatusCouponRequested:
		return 2
	case StatusIncomplete:
		return 3
	case StatusReviewPending:
		if m == MethodAutoID || m == MethodPhoto {
			return 2
		}
		return 4
	case StatusDeclined, StatusSuccess:
		return 5
	}
	return 0 // cancelled, unknown
}

// MoreProgressed reports whether a is further along than b (progressRank);
// on equal rank the more recently modified identification wins.
func MoreProgressed(a, b *IdentificationResult) bool {
	ra := progressRank(a.IdentificationMethod, a.IdentificationStatus.Status)
	rb := progressRank(b.IdentificationMethod, b.IdentificationStatus.Status)
	if ra != rb {
		return ra > rb
	}
	return a.IdentificationStatus.Modified.After(b.IdentificationStatus.Modified.Time)
}

// CaseStatus is the progress of a case (guide 8.3). The archive call returns
// a list of these, one per updated case.
type CaseStatus struct {
	// CaseID is not part of CaseStatus in the guide; some responses carry it
	// beside the status and it is kept when present.
	CaseID     string `json:"caseId,omitempty"`
	Status     string `json:"status"`
	Archived   bool   `json:"archived"`
	ValidUntil Time   `json:"validUntil,omitzero"`
	Created    Time   `json:"created,omitzero"`
	Modified   Time   `json:"modified,omitzero"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// OrderData is what the client sent when it started the case (guide 8.4,
// detailed in "SCR-Ident API Guide 1 Start").
type OrderData struct {
	CustomData                     map[string]string               `json:"customData,omitempty"`
	ProcessData                    *ProcessData                    `json:"processData,omitempty"`
	ContactDataProvided            *ContactDataProvided            `json:"contactDataProvided,omitempty"`
	IdentificationDocumentProvided *IdentificationDocumentProvided `json:"identificationDocumentProvided,omitempty"`
	DrivingLicenceProvided         *DrivingLicenceProvided         `json:"drivingLicenceProvided,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// ProcessData steers the identification process (Guide 1 Start).
type ProcessData struct {
	TargetCountry                 string       `json:"targetCountry,omitempty"`
	PreferredLanguage             string       `json:"preferredLanguage,omitempty"`
	WebHookURL                    string       `json:"webHookUrl,omitempty"`
	WebHookURLPartner             string       `json:"webHookUrlPartner,omitempty"`
	ReferenceID                   string       `json:"referenceId,omitempty"`
	CallbackURLCouponRequested    *CallbackURL `json:"callbackUrlCouponRequested,omitempty"`
	CallbackURLReviewPending      *CallbackURL `json:"callbackUrlReviewPending,omitempty"`
	CallbackURLIncomplete         *CallbackURL `json:"callbackUrlIncomplete,omitempty"`
	CallbackURLSuccess            *CallbackURL `json:"callbackUrlSuccess,omitempty"`
	CallbackURLDeclined           *CallbackURL `json:"callbackUrlDeclined,omitempty"`
	CallbackURLCancelledAndClosed *CallbackURL `json:"callbackUrlCancelledAndClosed,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// CallbackURL is a landing page or app link (guide chapter 6).
type CallbackURL struct {
	WebURL string `json:"webUrl,omitempty"`
	AppURL string `json:"appUrl,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// Address is a plain postal address as the client provides it.
type Address struct {
	StreetAddress string `json:"streetAddress,omitempty"`
	Appendix      string `json:"appendix,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	City          string `json:"city,omitempty"`
	Country       string `json:"country,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// ContactDataProvided is the contact data the client sent with the case.
type ContactDataProvided struct {
	Title       string   `json:"title,omitempty"`
	FirstName   string   `json:"firstName,omitempty"`
	LastName    string   `json:"lastName,omitempty"`
	BirthDate   string   `json:"birthDate,omitempty"`
	BirthPlace  string   `json:"birthPlace,omitempty"`
	MobilePhone string   `json:"mobilePhone,omitempty"`
	Email       string   `json:"email,omitempty"`
	Address     *Address `json:"address,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// IdentificationDocumentProvided is the document data the client sent.
type IdentificationDocumentProvided struct {
	Type              string   `json:"type,omitempty"`
	CountryOfDocument string   `json:"countryOfDocument,omitempty"`
	Number            string   `json:"number,omitempty"`
	FirstName         string   `json:"firstName,omitempty"`
	LastName          string   `json:"lastName,omitempty"`
	BirthName         string   `json:"birthName,omitempty"`
	BirthDate         string   `json:"birthDate,omitempty"`
	BirthPlace        string   `json:"birthPlace,omitempty"`
	Nationality       string   `json:"nationality,omitempty"`
	Address           *Address `json:"address,omitempty"`
	DateIssued        string   `json:"dateIssued,omitempty"`
	DateOfExpiry      string   `json:"dateOfExpiry,omitempty"`
	PlaceOfIssue      string   `json:"placeOfIssue,omitempty"`
	Authority         string   `json:"authority,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// DrivingLicenceProvided is the driving licence data the client sent.
type DrivingLicenceProvided struct {
	CountryOfDocument string `json:"countryOfDocument,omitempty"`
	Number            string `json:"number,omitempty"`
	FirstName         string `json:"firstName,omitempty"`
	LastName          string `json:"lastName,omitempty"`
	BirthDate         string `json:"birthDate,omitempty"`
	DateOfExpiry      string `json:"dateOfExpiry,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// Field is a value/status pair: the value found and how it compares with
// what the client provided (FieldNew, FieldMatch or FieldChange).
type Field struct {
	Value  Text   `json:"value"`
	Status string `json:"status"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
}

// AddressMatch is the optional postal check of a German address (8.6.6).
type AddressMatch struct {
	MailRedirectionDomestic      bool `json:"mailRedirectionDomestic"`
	MailRedirectionInternational bool `json:"mailRedirectionInternational"`
	Undeliverable                bool `json:"undeliverable"`
	AddresseeDeceased            bool `json:"addresseeDeceased"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
}

// DrivingLicenceClassResult is one vehicle approval class (8.6.4).
type DrivingLicenceClassResult struct {
	ClassName    *Field `json:"className,omitempty"`
	DateIssued   *Field `json:"dateIssued,omitempty"`
	DateOfExpiry *Field `json:"dateOfExpiry,omitempty"`
	Restrictions *Field `json:"restrictions,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
}

// IDCardReaderCheck describes the document check by the ID card reader.
type IDCardReaderCheck struct {
	CheckedCategories []IDCardReaderCheckCategory `json:"checkedCategories,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// IDCardReaderCheckCategory is one checked category and its outcome.
type IDCardReaderCheckCategory struct {
	Name                       string                      `json:"name,omitempty"`
	Status                     string                      `json:"status,omitempty"`
	FailedChecksOfIDCardReader []FailedCheckOfIDCardReader `json:"failedChecksOfIdCardReader,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// FailedCheckOfIDCardReader is one failed check of the ID card reader.
type FailedCheckOfIDCardReader struct {
	CheckName             string             `json:"checkName,omitempty"`
	SubCheckName          string             `json:"subCheckName,omitempty"`
	AdditionalInformation []AdditionalInfoKV `json:"additionalInformation,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// AdditionalInfoKV is a key/value note on a failed ID card check.
type AdditionalInfoKV struct {
	Key   string `json:"key"`
	Value Note   `json:"value"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}

// AdditionalDataEid is eID specific data (8.6.9).
type AdditionalDataEid struct {
	DKK Text `json:"dkk,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
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
	Unmapped json.RawMessage `json:",embed"`
}

// AccountingData identifies the case on the invoice (8.7).
type AccountingData struct {
	AccountingNumber  Text   `json:"accountingNumber,omitempty"`
	AccountingProduct string `json:"accountingProduct,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:",embed"`
}
