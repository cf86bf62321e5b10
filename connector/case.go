package connector

import (
	"encoding/json"
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
	Unmapped json.RawMessage `json:"-"`
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
	Unmapped json.RawMessage `json:"-"`
}
