package connector

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"
)

// This file holds the events the connector emits and the per-case state it
// keeps, one Go struct per Avro record of schemas/*.avsc. The `avro` tags
// name the schema fields (hamba/avro encodes structs by tag); the `json` tags
// use the same names so a JSON rendering reads like the Avro data.
//
// Conventions, shared with the schemas:
//   - every optional value is a pointer (an Avro union with null, default
//     null); objects POSTIDENT leaves out, and empty strings, become nil;
//   - every time is a time.Time in UTC with millisecond precision, the
//     resolution of Avro's timestamp-millis;
//   - arrays are never null: an absent array is an empty one.

// Origin says which path made the connector look at a case.
type Origin string

// Origins, carried in the postident-origin header and in the events.
const (
	OriginWebhook   Origin = "webhook"   // a POSTIDENT webhook named the case
	OriginReconcile Origin = "reconcile" // the periodic list found it
	OriginBackfill  Origin = "backfill"  // an operator re-listed a date range (replay)
)

// CloudEvents types (ce_type) of the four records.
const (
	TypeStatusChanged = "de.deutschepost.postident.case.status-changed.v1"
	TypeCaseResult    = "de.deutschepost.postident.case.result.v1"
	TypeNotification  = "de.deutschepost.postident.notification.v1"
	TypeCaseState     = "de.deutschepost.postident.case.state.v1"
)

// CloudEvents Kafka binding (binary mode) header names, and the connector's
// own origin header.
const (
	HeaderSpecVersion = "ce_specversion"
	HeaderID          = "ce_id"
	HeaderSource      = "ce_source"
	HeaderType        = "ce_type"
	HeaderSubject     = "ce_subject"
	HeaderTime        = "ce_time"
	HeaderContentType = "content-type"
	HeaderOrigin      = "postident-origin"

	// ContentTypeAvro is the content-type of every record value.
	ContentTypeAvro = "application/avro"
)

// EventHeaders returns the CloudEvents binary-mode headers of one record:
// ce_specversion 1.0, ce_id, ce_source "/postident/<clientId>", ce_type,
// ce_subject (the caseId), ce_time (RFC 3339, UTC), content-type
// application/avro and postident-origin. The W3C traceparent header is added
// by the Kafka adapter, which owns the trace context.
//
// The values that repeat from record to record are shared (headers.go):
// callers must not write into the returned values.
func EventHeaders(ceType, id, clientID, caseID string, t time.Time, origin Origin) []Header {
	hs, _ := eventHeaders(ceType, id, nil, clientID, caseID, t, origin)
	return hs
}

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

// Notification asks the processor to look at a case (topic
// postident.notifications.v1, internal). The webhook sends the caseId alone;
// the reconciler adds a status-only Snapshot so the processor can skip
// unchanged cases without fetching them.
type Notification struct {
	CaseID      string          `avro:"caseId" json:"caseId"`
	ReferenceID *string         `avro:"referenceId" json:"referenceId"`
	Origin      string          `avro:"origin" json:"origin"`
	ReceivedAt  time.Time       `avro:"receivedAt" json:"receivedAt"`
	Snapshot    *StatusSnapshot `avro:"snapshot" json:"snapshot"`
}

// StatusSnapshot is the status of a case as a list or status call returned
// it: no personal data. Modified is the primary identification's modified
// time.
type StatusSnapshot struct {
	CaseStatus          string     `avro:"caseStatus" json:"caseStatus"`
	Archived            bool       `avro:"archived" json:"archived"`
	Method              *string    `avro:"method" json:"method"`
	Status              *string    `avro:"status" json:"status"`
	SubStatusCode       *int32     `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusReasonCode *int32     `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	Modified            *time.Time `avro:"identificationModified" json:"identificationModified"`
	// Created is caseStatus.created: the processor fetches closed cases of
	// a reconcile run by their creation range (one list call for many).
	// Nil in snapshots written before the field existed.
	Created *time.Time `avro:"created" json:"created"`
}

// CaseState is what the processor last emitted for a case (topic
// postident.case-state.v1, compacted by caseId). Replays and restarts compare
// against it so they do not emit twice.
type CaseState struct {
	CaseID              string     `avro:"caseId" json:"caseId"`
	CaseStatus          string     `avro:"caseStatus" json:"caseStatus"`
	Method              *string    `avro:"method" json:"method"`
	Status              *string    `avro:"status" json:"status"`
	SubStatusCode       *int32     `avro:"subStatusCode" json:"subStatusCode"`
	SubStatusReasonCode *int32     `avro:"subStatusReasonCode" json:"subStatusReasonCode"`
	IdentModified       *time.Time `avro:"identificationModified" json:"identificationModified"`
	StatusType          string     `avro:"statusType" json:"statusType"`
	LastStatusEventID   string     `avro:"lastStatusEventId" json:"lastStatusEventId"`
	ResultEventID       *string    `avro:"resultEventId" json:"resultEventId"`
	UpdatedAt           time.Time  `avro:"updatedAt" json:"updatedAt"`
	// ForgottenAt marks a case erased by `forget`: the processor, the
	// reconciler and backfills never write it again.
	ForgottenAt *time.Time `avro:"forgottenAt" json:"forgottenAt,omitempty"`
}

// SameIdentState reports whether snap shows the state s recorded: the same
// case status, method, status, subStatus, subStatusReason and identification
// modified time. The archived flag is ignored (archiving is the connector's
// own acknowledgement, not a transition). False when either is nil.
func (s *CaseState) SameIdentState(snap *StatusSnapshot) bool {
	if s == nil || snap == nil {
		return false
	}
	return s.CaseStatus == snap.CaseStatus &&
		eqPtr(s.Method, snap.Method) &&
		eqPtr(s.Status, snap.Status) &&
		eqPtr(s.SubStatusCode, snap.SubStatusCode) &&
		eqPtr(s.SubStatusReasonCode, snap.SubStatusReasonCode) &&
		eqTime(s.IdentModified, snap.Modified)
}

// identState is the status part of the primary identification, with texts
// completed from the catalog.
type identState struct {
	method, status         *string
	subCode, reasonCode    *int32
	subText, reasonText    *string
	created, modified, idt *time.Time
	statusType             StatusType
	final, resultExpected  bool
}

// identStateOf reads the primary identification; the zero identState (type
// none) when the case has none yet.
func identStateOf(id *IdentificationResult) identState {
	if id == nil {
		return identState{statusType: StatusTypeNone}
	}
	m, st := id.IdentificationMethod, id.IdentificationStatus
	info := statusInfo(m, st.Status) // one catalog lookup, no copy
	s := identState{
		method:     strPtr(string(m)),
		status:     strPtr(st.Status),
		created:    tsPtr(st.Created),
		modified:   tsPtr(st.Modified),
		idt:        tsPtr(st.IdentificationTime),
		statusType: StatusTypeNone,
	}
	if info != nil {
		s.statusType, s.final = info.Type, info.Final
	}
	sub := 0
	if st.SubStatus != nil {
		sub = int(st.SubStatus.Code)
		s.subCode = int32Ptr(sub)
		s.subText = strPtr(st.SubStatus.Description)
		if s.subText == nil {
			// POSTIDENT may leave out the description; the catalog knows it.
			if t, ok := SubStatusText(m, st.Status, sub); ok {
				s.subText = &t
			}
		}
	}
	if st.SubStatusReason != nil {
		r := int(st.SubStatusReason.Code)
		s.reasonCode = int32Ptr(r)
		s.reasonText = strPtr(st.SubStatusReason.Description)
		if s.reasonText == nil {
			if t, ok := ReasonText(m, st.Status, sub, r); ok {
				s.reasonText = &t
			}
		}
	}
	if s.final { // ResultExpected is false for any other status
		s.resultExpected = ResultExpected(m, st.Status, sub)
	}
	return s
}

// resumable: the case is not closed, and the user can still start it (no
// identification yet), continue the primary identification, or switch to
// another method after a cancellation (CaseResumable, guide 4.1).
func resumable(c *CaseResult, id *IdentificationResult) bool {
	if c.CaseStatus.Status == CaseClosed {
		return false
	}
	if id == nil {
		return true
	}
	return CaseResumable(id.IdentificationMethod, id.IdentificationStatus.Status, c.CaseStatus.Status)
}

// NewStatusChanged builds the status event of the case as it is now. prev is
// the state recorded before (nil for a case seen the first time). Texts
// POSTIDENT omitted are filled from the catalog; status type, resumable,
// final and resultExpected come from the catalog (guide 2.6 and 4).
func NewStatusChanged(clientID string, c *CaseResult, prev *CaseState, origin Origin, observedAt time.Time) *CaseStatusChanged {
	id := c.Primary()
	s := identStateOf(id)
	ev := &CaseStatusChanged{
		EventID:                StatusEventID(clientID, c.CaseID, IdentKeyOf(c)),
		ClientID:               clientID,
		CaseID:                 c.CaseID,
		ReferenceID:            referenceIDOf(c),
		CaseStatus:             c.CaseStatus.Status,
		CaseArchived:           c.CaseStatus.Archived,
		CaseCreated:            ts(c.CaseStatus.Created),
		CaseModified:           tsPtr(c.CaseStatus.Modified),
		ValidUntil:             tsPtr(c.CaseStatus.ValidUntil),
		Method:                 s.method,
		Status:                 s.status,
		SubStatusCode:          s.subCode,
		SubStatusText:          s.subText,
		SubStatusReasonCode:    s.reasonCode,
		SubStatusReasonText:    s.reasonText,
		StatusType:             string(s.statusType),
		Resumable:              resumable(c, id),
		Final:                  s.final,
		ResultExpected:         s.resultExpected,
		IdentificationCreated:  s.created,
		IdentificationModified: s.modified,
		IdentificationTime:     s.idt,
		CustomData:             map[string]string{},
		ObservedAt:             msUTC(observedAt),
		Origin:                 string(origin),
	}
	if c.OrderData != nil && c.OrderData.CustomData != nil {
		ev.CustomData = maps.Clone(c.OrderData.CustomData)
	}
	if prev != nil {
		ev.Previous = &PreviousState{
			CaseStatus:          prev.CaseStatus,
			Method:              clonePtr(prev.Method),
			Status:              clonePtr(prev.Status),
			SubStatusCode:       clonePtr(prev.SubStatusCode),
			SubStatusReasonCode: clonePtr(prev.SubStatusReasonCode),
			StatusType:          prev.StatusType,
		}
	}
	return ev
}

// SnapshotOf returns the status-only view of c that the reconciler publishes.
func SnapshotOf(c *CaseResult) *StatusSnapshot {
	s := identStateOf(c.Primary())
	return &StatusSnapshot{
		CaseStatus:          c.CaseStatus.Status,
		Archived:            c.CaseStatus.Archived,
		Method:              s.method,
		Status:              s.status,
		SubStatusCode:       s.subCode,
		SubStatusReasonCode: s.reasonCode,
		Modified:            s.modified,
		Created:             tsPtr(c.CaseStatus.Created),
	}
}

// StateAfter returns the state to record once the events for c were
// published: statusEventID is the id of the last status event, resultEventID
// that of the case-result event (nil when none was emitted yet).
func StateAfter(c *CaseResult, statusEventID string, resultEventID *string, now time.Time) *CaseState {
	s := identStateOf(c.Primary())
	return &CaseState{
		CaseID:              c.CaseID,
		CaseStatus:          c.CaseStatus.Status,
		Method:              s.method,
		Status:              s.status,
		SubStatusCode:       s.subCode,
		SubStatusReasonCode: s.reasonCode,
		IdentModified:       s.modified,
		StatusType:          string(s.statusType),
		LastStatusEventID:   statusEventID,
		ResultEventID:       clonePtr(resultEventID),
		UpdatedAt:           msUTC(now),
	}
}

// NewCaseResultEvent maps c with its primary identification (c.Primary())
// field by field into a result event. A case closed before any
// identification started (expired) has a nil PrimaryIdentification. Record
// bytes (documentData) are left out.
func NewCaseResultEvent(clientID string, c *CaseResult, origin Origin, observedAt time.Time) (*CaseResultEvent, error) {
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
			ValidUntil: tsPtr(c.CaseStatus.ValidUntil),
			Created:    ts(c.CaseStatus.Created),
			Modified:   tsPtr(c.CaseStatus.Modified),
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
		s := string(u)
		ev.UnmappedJSON = &s
	}
	if a := c.AccountingData; a != nil {
		ev.AccountingData = &EventAccountingData{
			AccountingNumber:  strPtr(a.AccountingNumber),
			AccountingProduct: strPtr(a.AccountingProduct),
		}
	}
	return ev, nil
}

func referenceIDOf(c *CaseResult) *string {
	if c.OrderData == nil || c.OrderData.ProcessData == nil {
		return nil
	}
	return strPtr(c.OrderData.ProcessData.ReferenceID)
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
			TargetCountry:                 strPtr(p.TargetCountry),
			PreferredLanguage:             strPtr(p.PreferredLanguage),
			WebHookURL:                    strPtr(p.WebHookURL),
			WebHookURLPartner:             strPtr(p.WebHookURLPartner),
			ReferenceID:                   strPtr(p.ReferenceID),
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
			Title:       strPtr(p.Title),
			FirstName:   strPtr(p.FirstName),
			LastName:    strPtr(p.LastName),
			BirthDate:   strPtr(p.BirthDate),
			BirthPlace:  strPtr(p.BirthPlace),
			MobilePhone: strPtr(p.MobilePhone),
			Email:       strPtr(p.Email),
			Address:     addressOf(p.Address),
		}
	}
	if p := o.IdentificationDocumentProvided; p != nil {
		ev.IdentificationDocumentProvided = &EventIdentificationDocumentProvided{
			Type:              strPtr(p.Type),
			CountryOfDocument: strPtr(p.CountryOfDocument),
			Number:            strPtr(p.Number),
			FirstName:         strPtr(p.FirstName),
			LastName:          strPtr(p.LastName),
			BirthName:         strPtr(p.BirthName),
			BirthDate:         strPtr(p.BirthDate),
			BirthPlace:        strPtr(p.BirthPlace),
			Nationality:       strPtr(p.Nationality),
			Address:           addressOf(p.Address),
			DateIssued:        strPtr(p.DateIssued),
			DateOfExpiry:      strPtr(p.DateOfExpiry),
			PlaceOfIssue:      strPtr(p.PlaceOfIssue),
			Authority:         strPtr(p.Authority),
		}
	}
	if p := o.DrivingLicenceProvided; p != nil {
		ev.DrivingLicenceProvided = &EventDrivingLicenceProvided{
			CountryOfDocument: strPtr(p.CountryOfDocument),
			Number:            strPtr(p.Number),
			FirstName:         strPtr(p.FirstName),
			LastName:          strPtr(p.LastName),
			BirthDate:         strPtr(p.BirthDate),
			DateOfExpiry:      strPtr(p.DateOfExpiry),
		}
	}
	return ev
}

func callbackOf(u *CallbackURL) *EventCallbackURL {
	if u == nil || (u.WebURL == "" && u.AppURL == "") {
		return nil
	}
	return &EventCallbackURL{WebURL: strPtr(u.WebURL), AppURL: strPtr(u.AppURL)}
}

func addressOf(a *Address) *EventAddress {
	if a == nil || a.StreetAddress == "" && a.Appendix == "" && a.PostalCode == "" && a.City == "" && a.Country == "" {
		return nil
	}
	return &EventAddress{
		StreetAddress: strPtr(a.StreetAddress),
		Appendix:      strPtr(a.Appendix),
		PostalCode:    strPtr(a.PostalCode),
		City:          strPtr(a.City),
		Country:       strPtr(a.Country),
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
			BelongsTo:             strPtr(r.BelongsTo),
			Type:                  strPtr(r.Type),
			ValidationStatus:      strPtr(r.ValidationStatus),
			ValidationSubStatus:   strPtr(r.ValidationSubStatus),
			ValidationRemark:      strPtr(r.ValidationRemark),
			MimeType:              strPtr(r.MimeType),
			FileName:              strPtr(r.FileName),
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
		CouponByPiAppRequestCount:         intPtr32(b.CouponByPiAppRequestCount),
		CouponByPiAppRequestLastTimestamp: tsPtr(b.CouponByPiAppRequestLastTimestamp),
		CouponByTpAppRequestCount:         intPtr32(b.CouponByTpAppRequestCount),
		CouponByTpAppRequestLastTimestamp: tsPtr(b.CouponByTpAppRequestLastTimestamp),
		CouponDownloadCount:               intPtr32(b.CouponDownloadCount),
		CouponDownloadLastTimestamp:       tsPtr(b.CouponDownloadLastTimestamp),
		CouponByEmailRequestCount:         intPtr32(b.CouponByEmailRequestCount),
		CouponByEmailRequestLastTimestamp: tsPtr(b.CouponByEmailRequestLastTimestamp),
		PostOffice:                        strPtr(b.PostOffice.text()),
		PostOfficeStreetAddress:           strPtr(b.PostOfficeStreetAddress.text()),
		PostOfficeCity:                    strPtr(b.PostOfficeCity.text()),
		CheckoutNote:                      strPtr(b.CheckoutNote.text()),
	}
	if chk := b.IDCardReaderCheck; chk != nil {
		ev.IDCardReaderCheck = &EventIDCardReaderCheck{CheckedCategories: []EventIDCardReaderCheckCategory{}}
		for _, cat := range chk.CheckedCategories {
			ec := EventIDCardReaderCheckCategory{
				Name:                       strPtr(cat.Name),
				Status:                     strPtr(cat.Status),
				FailedChecksOfIDCardReader: []EventFailedCheckOfIDCardReader{},
			}
			for _, f := range cat.FailedChecksOfIDCardReader {
				ef := EventFailedCheckOfIDCardReader{
					CheckName:             strPtr(f.CheckName),
					SubCheckName:          strPtr(f.SubCheckName),
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
	return &EventAdditionalDataEid{DKK: strPtr(e.DKK)}
}

func videoOf(v *AdditionalDataVideo) *EventAdditionalDataVideo {
	if v == nil {
		return nil
	}
	ev := &EventAdditionalDataVideo{
		IdentificationServiceCenter:      strPtr(v.IdentificationServiceCenter.text()),
		IdentificationServiceCenterVideo: strPtr(v.IdentificationServiceCenterVideo),
		IdentificationAgentAlias:         strPtr(v.IdentificationAgentAlias.text()),
		IdentReviews:                     make([]string, 0, len(v.IdentReviews)),
		VideoRecordingAccepted:           tsPtr(v.VideoRecordingAccepted),
		VideoRecordingDeliveryShaft:      clonePtr(v.VideoRecordingDeliveryShaft),
		TanChannel:                       strPtr(v.TanChannel),
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

// msUTC is t in UTC at the millisecond precision of timestamp-millis, so
// an event compares equal to itself after an Avro round trip.
func msUTC(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// ts converts a POSTIDENT time; an absent one stays the zero time.Time.
func ts(t Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return msUTC(t.Time)
}

func tsPtr(t Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := msUTC(t.Time)
	return &v
}

func strPtr[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

func int32Ptr[I ~int](v I) *int32 {
	i := int32(v)
	return &i
}

func intPtr32[I ~int](p *I) *int32 {
	if p == nil {
		return nil
	}
	return int32Ptr(*p)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
