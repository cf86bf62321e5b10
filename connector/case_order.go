package connector

import "encoding/json"

// This file holds the order data of a case (guide 8.4): what the client
// sent when it started the case, as "SCR-Ident API Guide 1 Start" details
// it. Like case.go, every struct keeps the members it has no field for.

// OrderData is what the client sent when it started the case (guide 8.4,
// detailed in "SCR-Ident API Guide 1 Start").
type OrderData struct {
	CustomData                     map[string]string               `json:"customData,omitempty"`
	ProcessData                    *ProcessData                    `json:"processData,omitempty"`
	ContactDataProvided            *ContactDataProvided            `json:"contactDataProvided,omitempty"`
	IdentificationDocumentProvided *IdentificationDocumentProvided `json:"identificationDocumentProvided,omitempty"`
	DrivingLicenceProvided         *DrivingLicenceProvided         `json:"drivingLicenceProvided,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
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
	Unmapped json.RawMessage `json:"-"`
}

// CallbackURL is a landing page or app link (guide chapter 6).
type CallbackURL struct {
	WebURL string `json:"webUrl,omitempty"`
	AppURL string `json:"appUrl,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
}

// Address is a plain postal address as the client provides it.
type Address struct {
	StreetAddress string `json:"streetAddress,omitempty"`
	Appendix      string `json:"appendix,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	City          string `json:"city,omitempty"`
	Country       string `json:"country,omitempty"`

	// Unmapped keeps the members this type has no field for (unmapped.go).
	Unmapped json.RawMessage `json:"-"`
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
	Unmapped json.RawMessage `json:"-"`
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
	Unmapped json.RawMessage `json:"-"`
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
	Unmapped json.RawMessage `json:"-"`
}
