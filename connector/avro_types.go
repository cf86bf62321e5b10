package connector

import "time"

// This file holds the events the connector emits, one Go struct per Avro
// record of schemas/*.avsc. The `avro` tags name the schema fields
// (hamba/avro encodes structs by tag); the `json` tags use the same names so
// a JSON rendering reads like the Avro data.
//
// Conventions, shared with the schemas:
//   - every optional value is a pointer (an Avro union with null, default
//     null); objects POSTIDENT leaves out, and empty strings, become nil;
//   - every time is a time.Time in UTC with millisecond precision, the
//     resolution of Avro's timestamp-millis;
//   - arrays are never null: an absent array is an empty one.

// CaseStatusChanged is emitted for every transition of a case the processor
// observes (topic postident.case-status-changed.v1). It carries no personal
// data beyond the client's own customData and referenceId.
type CaseStatusChanged struct {
	EventID             string     `avro:"eventId" json:"eventId"`
	ClientID            string     `avro:"clientId" json:"clientId"`
	CaseID              string     `avro:"caseId" json:"caseId"`
	ReferenceID         *string    `avro:"referenceId" json:"referenceId"`
	CaseStatus          string     `avro:"caseStatus" json:"caseStatus"`
	CaseArchived        bool       `avro:"caseArchived" json:"caseArchived"`
	CaseCreated         time.Time  `avro:"caseCreated" json:"caseCreated"`
	CaseModified        *time.Time `avro:"caseModified" json:"caseModified"`
	ValidUntil          *time.Time `avro:"validUntil" json:"validUntil"`
	Method              *string    `avro:"method" json:"method"` // nil while the case has no identification
	Status              *string    `avro:"status" json:"status"`
	SubStatusCode       *int32     `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusText       *string    `avro:"subStatusText" json:"subStatusText"`
	SubStatusReasonCode *int32     `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	SubStatusReasonText *string    `avro:"subStatusReasonText" json:"subStatusReasonText"`
	// StatusType is a StatusType: none, notification, preliminary, final or
	// cancelled (guide 2.6).
	StatusType string `avro:"statusType" json:"statusType"`
	// Resumable: the user can still start, continue or resume the case.
	Resumable bool `avro:"resumable" json:"resumable"`
	// Final: the identification ended in success or declined.
	Final bool `avro:"final" json:"final"`
	// ResultExpected: result data exist for this state (final, and not
	// declined for an expired case id). A CaseResult event follows every
	// closed case either way; this says whether it carries result data.
	ResultExpected         bool              `avro:"resultExpected" json:"resultExpected"`
	IdentificationCreated  *time.Time        `avro:"identificationCreated" json:"identificationCreated"`
	IdentificationModified *time.Time        `avro:"identificationModified" json:"identificationModified"`
	IdentificationTime     *time.Time        `avro:"identificationTime" json:"identificationTime"`
	Previous               *PreviousState    `avro:"previous" json:"previous"`
	CustomData             map[string]string `avro:"customData" json:"customData"`
	ObservedAt             time.Time         `avro:"observedAt" json:"observedAt"`
	Origin                 string            `avro:"origin" json:"origin"`
}

// PreviousState is the state the processor had recorded for the case before
// this transition.
type PreviousState struct {
	CaseStatus          string  `avro:"caseStatus" json:"caseStatus"`
	Method              *string `avro:"method" json:"method"`
	Status              *string `avro:"status" json:"status"`
	SubStatusCode       *int32  `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusReasonCode *int32  `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	StatusType          string  `avro:"statusType" json:"statusType"`
}

// CaseResultEvent is the result of a case with its primary identification
// (topic postident.case-result.v1, compacted by caseId). Every documented
// field of guide chapter 8 has a typed place here. It carries personal data:
// it goes to the result topic only. Binary record data (documentData) never
// travels in it.
type CaseResultEvent struct {
	EventID               string                     `avro:"eventId" json:"eventId"`
	ClientID              string                     `avro:"clientId" json:"clientId"`
	CaseID                string                     `avro:"caseId" json:"caseId"`
	ReferenceID           *string                    `avro:"referenceId" json:"referenceId"`
	CaseStatus            EventCaseStatus            `avro:"caseStatus" json:"caseStatus"`
	OrderData             *EventOrderData            `avro:"orderData" json:"orderData"`
	ContactData           *EventContactDataResult    `avro:"contactData" json:"contactData"`
	PrimaryIdentification *EventIdentificationResult `avro:"primaryIdentification" json:"primaryIdentification"`
	AccountingData        *EventAccountingData       `avro:"accountingData" json:"accountingData"`
	StatusType            string                     `avro:"statusType" json:"statusType"`
	ObservedAt            time.Time                  `avro:"observedAt" json:"observedAt"`
	Origin                string                     `avro:"origin" json:"origin"`
	// UnmappedJSON carries, as a JSON object of JSON Pointer to value, the
	// members of POSTIDENT's answer that no field above maps (guide 8.1:
	// fields are added without a new API version); nil when there is none.
	// See CaseResult.UnmappedMembers.
	UnmappedJSON *string `avro:"unmappedJson" json:"unmappedJson"`
}

// EventCaseStatus is guide 8.3.
type EventCaseStatus struct {
	Status     string     `avro:"status" json:"status"`
	Archived   bool       `avro:"archived" json:"archived"`
	ValidUntil *time.Time `avro:"validUntil" json:"validUntil"`
	Created    time.Time  `avro:"created" json:"created"`
	Modified   *time.Time `avro:"modified" json:"modified"`
}

// EventOrderData is guide 8.4 (the order as the client started it).
type EventOrderData struct {
	CustomData                     map[string]string                    `avro:"customData" json:"customData"`
	ProcessData                    *EventProcessData                    `avro:"processData" json:"processData"`
	ContactDataProvided            *EventContactDataProvided            `avro:"contactDataProvided" json:"contactDataProvided"`
	IdentificationDocumentProvided *EventIdentificationDocumentProvided `avro:"identificationDocumentProvided" json:"identificationDocumentProvided"`
	DrivingLicenceProvided         *EventDrivingLicenceProvided         `avro:"drivingLicenceProvided" json:"drivingLicenceProvided"`
}

// EventProcessData is orderData.processData.
type EventProcessData struct {
	TargetCountry                 *string           `avro:"targetCountry" json:"targetCountry"`
	PreferredLanguage             *string           `avro:"preferredLanguage" json:"preferredLanguage"`
	WebHookURL                    *string           `avro:"webHookUrl" json:"webHookUrl"`
	WebHookURLPartner             *string           `avro:"webHookUrlPartner" json:"webHookUrlPartner"`
	ReferenceID                   *string           `avro:"referenceId" json:"referenceId"`
	CallbackURLCouponRequested    *EventCallbackURL `avro:"callbackUrlCouponRequested" json:"callbackUrlCouponRequested"`
	CallbackURLReviewPending      *EventCallbackURL `avro:"callbackUrlReviewPending" json:"callbackUrlReviewPending"`
	CallbackURLIncomplete         *EventCallbackURL `avro:"callbackUrlIncomplete" json:"callbackUrlIncomplete"`
	CallbackURLSuccess            *EventCallbackURL `avro:"callbackUrlSuccess" json:"callbackUrlSuccess"`
	CallbackURLDeclined           *EventCallbackURL `avro:"callbackUrlDeclined" json:"callbackUrlDeclined"`
	CallbackURLCancelledAndClosed *EventCallbackURL `avro:"callbackUrlCancelledAndClosed" json:"callbackUrlCancelledAndClosed"`
}

// EventCallbackURL is a landing page or app link.
type EventCallbackURL struct {
	WebURL *string `avro:"webUrl" json:"webUrl"`
	AppURL *string `avro:"appUrl" json:"appUrl"`
}

// EventAddress is a plain address as the client provided it.
type EventAddress struct {
	StreetAddress *string `avro:"streetAddress" json:"streetAddress"`
	Appendix      *string `avro:"appendix" json:"appendix"`
	PostalCode    *string `avro:"postalCode" json:"postalCode"`
	City          *string `avro:"city" json:"city"`
	Country       *string `avro:"country" json:"country"`
}

// EventContactDataProvided is orderData.contactDataProvided.
type EventContactDataProvided struct {
	Title       *string       `avro:"title" json:"title"`
	FirstName   *string       `avro:"firstName" json:"firstName"`
	LastName    *string       `avro:"lastName" json:"lastName"`
	BirthDate   *string       `avro:"birthDate" json:"birthDate"`
	BirthPlace  *string       `avro:"birthPlace" json:"birthPlace"`
	MobilePhone *string       `avro:"mobilePhone" json:"mobilePhone"`
	Email       *string       `avro:"email" json:"email"`
	Address     *EventAddress `avro:"address" json:"address"`
}

// EventIdentificationDocumentProvided is orderData.identificationDocumentProvided.
type EventIdentificationDocumentProvided struct {
	Type              *string       `avro:"type" json:"type"`
	CountryOfDocument *string       `avro:"countryOfDocument" json:"countryOfDocument"`
	Number            *string       `avro:"number" json:"number"`
	FirstName         *string       `avro:"firstName" json:"firstName"`
	LastName          *string       `avro:"lastName" json:"lastName"`
	BirthName         *string       `avro:"birthName" json:"birthName"`
	BirthDate         *string       `avro:"birthDate" json:"birthDate"`
	BirthPlace        *string       `avro:"birthPlace" json:"birthPlace"`
	Nationality       *string       `avro:"nationality" json:"nationality"`
	Address           *EventAddress `avro:"address" json:"address"`
	DateIssued        *string       `avro:"dateIssued" json:"dateIssued"`
	DateOfExpiry      *string       `avro:"dateOfExpiry" json:"dateOfExpiry"`
	PlaceOfIssue      *string       `avro:"placeOfIssue" json:"placeOfIssue"`
	Authority         *string       `avro:"authority" json:"authority"`
}

// EventDrivingLicenceProvided is orderData.drivingLicenceProvided.
type EventDrivingLicenceProvided struct {
	CountryOfDocument *string `avro:"countryOfDocument" json:"countryOfDocument"`
	Number            *string `avro:"number" json:"number"`
	FirstName         *string `avro:"firstName" json:"firstName"`
	LastName          *string `avro:"lastName" json:"lastName"`
	BirthDate         *string `avro:"birthDate" json:"birthDate"`
	DateOfExpiry      *string `avro:"dateOfExpiry" json:"dateOfExpiry"`
}

// FieldValue is a value/status pair (guide 8.5): the value found and how it
// compares with what the client provided (new, match or change). The value
// may be empty, e.g. placeOfIssue of a document that has none.
type FieldValue struct {
	Value  string `avro:"value" json:"value"`
	Status string `avro:"status" json:"status"`
}

// EventContactDataResult is guide 8.5.
type EventContactDataResult struct {
	Title       *FieldValue         `avro:"title" json:"title"`
	FirstName   *FieldValue         `avro:"firstName" json:"firstName"`
	LastName    *FieldValue         `avro:"lastName" json:"lastName"`
	MobilePhone *FieldValue         `avro:"mobilePhone" json:"mobilePhone"`
	Email       *FieldValue         `avro:"email" json:"email"`
	Epost       *FieldValue         `avro:"epost" json:"epost"`
	Address     *EventAddressResult `avro:"address" json:"address"`
}

// EventAddressResult is guide 8.6.5.
type EventAddressResult struct {
	StreetAddress *FieldValue        `avro:"streetAddress" json:"streetAddress"`
	Appendix      *FieldValue        `avro:"appendix" json:"appendix"`
	PostalCode    *FieldValue        `avro:"postalCode" json:"postalCode"`
	City          *FieldValue        `avro:"city" json:"city"`
	Country       *FieldValue        `avro:"country" json:"country"`
	AddressMatch  *EventAddressMatch `avro:"addressMatch" json:"addressMatch"`
}

// EventAddressMatch is guide 8.6.6.
type EventAddressMatch struct {
	MailRedirectionDomestic      bool `avro:"mailRedirectionDomestic" json:"mailRedirectionDomestic"`
	MailRedirectionInternational bool `avro:"mailRedirectionInternational" json:"mailRedirectionInternational"`
	Undeliverable                bool `avro:"undeliverable" json:"undeliverable"`
	AddresseeDeceased            bool `avro:"addresseeDeceased" json:"addresseeDeceased"`
}

// EventIdentificationResult is guide 8.6.
type EventIdentificationResult struct {
	IdentificationMethod   string                             `avro:"identificationMethod" json:"identificationMethod"`
	IdentificationStatus   EventIdentificationStatus          `avro:"identificationStatus" json:"identificationStatus"`
	IdentificationDocument *EventIdentificationDocumentResult `avro:"identificationDocument" json:"identificationDocument"`
	DrivingLicence         *EventDrivingLicenceResult         `avro:"drivingLicence" json:"drivingLicence"`
	Records                []RecordMeta                       `avro:"records" json:"records"`
	AdditionalDataBasic    *EventAdditionalDataBasic          `avro:"additionalDataBasic" json:"additionalDataBasic"`
	AdditionalDataEid      *EventAdditionalDataEid            `avro:"additionalDataEid" json:"additionalDataEid"`
	AdditionalDataVideo    *EventAdditionalDataVideo          `avro:"additionalDataVideo" json:"additionalDataVideo"`
}

// EventIdentificationStatus is guide 8.6.1 with subStatus and subStatusReason
// flattened into code and text.
type EventIdentificationStatus struct {
	Status              string     `avro:"status" json:"status"`
	SubStatusCode       *int32     `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusText       *string    `avro:"subStatusText" json:"subStatusText"`
	SubStatusReasonCode *int32     `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	SubStatusReasonText *string    `avro:"subStatusReasonText" json:"subStatusReasonText"`
	IdentificationTime  *time.Time `avro:"identificationTime" json:"identificationTime"`
	Created             *time.Time `avro:"created" json:"created"`
	Modified            *time.Time `avro:"modified" json:"modified"`
}

// EventIdentificationDocumentResult is guide 8.6.2.
type EventIdentificationDocumentResult struct {
	CountryOfDocument *FieldValue         `avro:"countryOfDocument" json:"countryOfDocument"`
	Type              *FieldValue         `avro:"type" json:"type"`
	Number            *FieldValue         `avro:"number" json:"number"`
	FirstName         *FieldValue         `avro:"firstName" json:"firstName"`
	LastName          *FieldValue         `avro:"lastName" json:"lastName"`
	BirthName         *FieldValue         `avro:"birthName" json:"birthName"`
	BirthDate         *FieldValue         `avro:"birthDate" json:"birthDate"`
	BirthPlace        *FieldValue         `avro:"birthPlace" json:"birthPlace"`
	Nationality       *FieldValue         `avro:"nationality" json:"nationality"`
	Address           *EventAddressResult `avro:"address" json:"address"`
	DateIssued        *FieldValue         `avro:"dateIssued" json:"dateIssued"`
	DateOfExpiry      *FieldValue         `avro:"dateOfExpiry" json:"dateOfExpiry"`
	PlaceOfIssue      *FieldValue         `avro:"placeOfIssue" json:"placeOfIssue"`
	Authority         *FieldValue         `avro:"authority" json:"authority"`
	Records           []RecordMeta        `avro:"records" json:"records"`
}

// EventDrivingLicenceResult is guide 8.6.3.
type EventDrivingLicenceResult struct {
	CountryOfDocument     *FieldValue                      `avro:"countryOfDocument" json:"countryOfDocument"`
	Number                *FieldValue                      `avro:"number" json:"number"`
	FirstName             *FieldValue                      `avro:"firstName" json:"firstName"`
	LastName              *FieldValue                      `avro:"lastName" json:"lastName"`
	BirthDate             *FieldValue                      `avro:"birthDate" json:"birthDate"`
	BirthPlace            *FieldValue                      `avro:"birthPlace" json:"birthPlace"`
	DrivingLicenceClasses []EventDrivingLicenceClassResult `avro:"drivingLicenceClasses" json:"drivingLicenceClasses"`
	Restrictions          *FieldValue                      `avro:"restrictions" json:"restrictions"`
	DateIssued            *FieldValue                      `avro:"dateIssued" json:"dateIssued"`
	DateOfExpiry          *FieldValue                      `avro:"dateOfExpiry" json:"dateOfExpiry"`
	Authority             *FieldValue                      `avro:"authority" json:"authority"`
	Records               []RecordMeta                     `avro:"records" json:"records"`
}

// EventDrivingLicenceClassResult is guide 8.6.4.
type EventDrivingLicenceClassResult struct {
	ClassName    *FieldValue `avro:"className" json:"className"`
	DateIssued   *FieldValue `avro:"dateIssued" json:"dateIssued"`
	DateOfExpiry *FieldValue `avro:"dateOfExpiry" json:"dateOfExpiry"`
	Restrictions *FieldValue `avro:"restrictions" json:"restrictions"`
}

// RecordMeta is the metadata of a media record (guide 8.6.7). The bytes
// (documentData) are never part of an event; DocumentDataDelivered says
// whether POSTIDENT delivered them with the case.
type RecordMeta struct {
	RecordID              string  `avro:"recordId" json:"recordId"`
	BelongsTo             *string `avro:"belongsTo" json:"belongsTo"`
	Type                  *string `avro:"type" json:"type"`
	ValidationStatus      *string `avro:"validationStatus" json:"validationStatus"`
	ValidationSubStatus   *string `avro:"validationSubStatus" json:"validationSubStatus"`
	ValidationRemark      *string `avro:"validationRemark" json:"validationRemark"`
	MimeType              *string `avro:"mimeType" json:"mimeType"`
	FileName              *string `avro:"fileName" json:"fileName"`
	DocumentDataDelivered bool    `avro:"documentDataDelivered" json:"documentDataDelivered"`
}

// EventAdditionalDataBasic is guide 8.6.8.
type EventAdditionalDataBasic struct {
	CouponByPiAppRequestCount         *int32                  `avro:"couponByPiAppRequestCount" json:"couponByPiAppRequestCount"`
	CouponByPiAppRequestLastTimestamp *time.Time              `avro:"couponByPiAppRequestLastTimestamp" json:"couponByPiAppRequestLastTimestamp"`
	CouponByTpAppRequestCount         *int32                  `avro:"couponByTpAppRequestCount" json:"couponByTpAppRequestCount"`
	CouponByTpAppRequestLastTimestamp *time.Time              `avro:"couponByTpAppRequestLastTimestamp" json:"couponByTpAppRequestLastTimestamp"`
	CouponDownloadCount               *int32                  `avro:"couponDownloadCount" json:"couponDownloadCount"`
	CouponDownloadLastTimestamp       *time.Time              `avro:"couponDownloadLastTimestamp" json:"couponDownloadLastTimestamp"`
	CouponByEmailRequestCount         *int32                  `avro:"couponByEmailRequestCount" json:"couponByEmailRequestCount"`
	CouponByEmailRequestLastTimestamp *time.Time              `avro:"couponByEmailRequestLastTimestamp" json:"couponByEmailRequestLastTimestamp"`
	PostOffice                        *string                 `avro:"postOffice" json:"postOffice"`
	PostOfficeStreetAddress           *string                 `avro:"postOfficeStreetAddress" json:"postOfficeStreetAddress"`
	PostOfficeCity                    *string                 `avro:"postOfficeCity" json:"postOfficeCity"`
	CheckoutNote                      *string                 `avro:"checkoutNote" json:"checkoutNote"`
	IDCardReaderCheck                 *EventIDCardReaderCheck `avro:"idCardReaderCheck" json:"idCardReaderCheck"`
}

// EventIDCardReaderCheck is the IdCardReaderCheck of guide 8.6.8.
type EventIDCardReaderCheck struct {
	CheckedCategories []EventIDCardReaderCheckCategory `avro:"checkedCategories" json:"checkedCategories"`
}

// EventIDCardReaderCheckCategory is one IdCardReaderCheckCategories entry.
type EventIDCardReaderCheckCategory struct {
	Name                       *string                          `avro:"name" json:"name"`
	Status                     *string                          `avro:"status" json:"status"`
	FailedChecksOfIDCardReader []EventFailedCheckOfIDCardReader `avro:"failedChecksOfIdCardReader" json:"failedChecksOfIdCardReader"`
}

// EventFailedCheckOfIDCardReader is one FailedCheckOfIdCardReader entry.
type EventFailedCheckOfIDCardReader struct {
	CheckName             *string    `avro:"checkName" json:"checkName"`
	SubCheckName          *string    `avro:"subCheckName" json:"subCheckName"`
	AdditionalInformation []KeyValue `avro:"additionalInformation" json:"additionalInformation"`
}

// KeyValue is an AdditionalInformationForIDCardCheck entry.
type KeyValue struct {
	Key   string `avro:"key" json:"key"`
	Value string `avro:"value" json:"value"`
}

// EventAdditionalDataEid is guide 8.6.9.
type EventAdditionalDataEid struct {
	DKK *string `avro:"dkk" json:"dkk"`
}

// EventAdditionalDataVideo is guide 8.6.10. IdentReviews has no documented
// structure; each review is its JSON text.
type EventAdditionalDataVideo struct {
	IdentificationServiceCenter      *string    `avro:"identificationServiceCenter" json:"identificationServiceCenter"`
	IdentificationServiceCenterVideo *string    `avro:"identificationServiceCenterVideo" json:"identificationServiceCenterVideo"`
	IdentificationAgentAlias         *string    `avro:"identificationAgentAlias" json:"identificationAgentAlias"`
	IdentReviews                     []string   `avro:"identReviews" json:"identReviews"`
	VideoRecordingAccepted           *time.Time `avro:"videoRecordingAccepted" json:"videoRecordingAccepted"`
	VideoRecordingDeliveryShaft      *bool      `avro:"videoRecordingDeliveryShaft" json:"videoRecordingDeliveryShaft"`
	TanChannel                       *string    `avro:"tanChannel" json:"tanChannel"`
}

// EventAccountingData is guide 8.7.
type EventAccountingData struct {
	AccountingNumber  *string `avro:"accountingNumber" json:"accountingNumber"`
	AccountingProduct *string `avro:"accountingProduct" json:"accountingProduct"`
}
