package sim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// viewOpts selects what a response contains.
type viewOpts struct {
	full   bool // all identifications instead of the primary one
	status bool // the status-only shape of 7.4.2 / 7.5.2
	binary bool // includeBinaryData
	pdf    bool // includeResultPdf
	// statusArray: serve a non-full status view with "identifications"
	// (Config.StatusIdentificationsArray).
	statusArray bool
}

func outTime(t time.Time) connector.Time {
	if t.IsZero() {
		return connector.Time{}
	}
	return connector.NewTime(t.In(berlin))
}

// statusObject is the identificationStatus object of a state, with the
// catalog texts as descriptions (times are filled by the caller).
func statusObject(m connector.Method, st step) connector.IdentificationStatus {
	is := connector.IdentificationStatus{Status: st.status}
	if st.sub != 0 {
		text, _ := connector.SubStatusText(m, st.status, st.sub)
		is.SubStatus = &connector.Code{Code: connector.Int(st.sub), Description: text}
		if st.reason != 0 {
			text, _ := connector.ReasonText(m, st.status, st.sub, st.reason)
			is.SubStatusReason = &connector.Code{Code: connector.Int(st.reason), Description: text}
		}
	}
	return is
}

func (id *identState) statusObject() connector.IdentificationStatus {
	if id.fixed != nil && !id.dirty {
		return id.fixed.IdentificationStatus
	}
	is := statusObject(id.method, id.st)
	is.Created = outTime(id.created)
	is.Modified = outTime(id.modified)
	is.IdentificationTime = outTime(id.identTime)
	return is
}

// caseStatusJSON caches and returns the status view of a case.
func (s *Sim) statusJSON(sn *snapshot, full bool) ([]byte, error) {
	slot := &sn.cache[0]
	if full {
		slot = &sn.cache[1]
	}
	if c := slot.Load(); c != nil && c.version == sn.c.version {
		return c.b, nil
	}
	b, err := s.encodeView(sn, viewOpts{status: true, full: full, statusArray: s.cfg.StatusIdentificationsArray})
	if err != nil {
		return nil, err
	}
	slot.Store(&cachedJSON{version: sn.c.version, b: b})
	return b, nil
}

// encodeView is the JSON of view. A case loaded with LoadCase may carry
// members the model has no field for; connector.Marshal writes them back
// where they arrived. The generated cases have none, and skip that walk.
func (s *Sim) encodeView(sn *snapshot, v viewOpts) ([]byte, error) {
	if sn.c.fixed != nil {
		return connector.Marshal(s.view(sn, v))
	}
	return json.Marshal(s.view(sn, v))
}

// view builds the CaseResult of a case for the options.
func (s *Sim) view(sn *snapshot, v viewOpts) *connector.CaseResult {
	c := &sn.c
	cr := &connector.CaseResult{
		CaseID: c.id,
		CaseStatus: connector.CaseStatus{
			Status:     caseStatusText[c.status],
			Archived:   c.archived,
			ValidUntil: outTime(c.validUntil),
			Created:    outTime(c.created),
			Modified:   outTime(c.modified),
		},
		AccountingData: s.accounting(sn),
	}
	prim := sn.primary()
	if v.status {
		if len(c.order.CustomData) > 0 {
			cr.OrderData = &connector.OrderData{CustomData: c.order.CustomData}
		}
		brief := func(i int) connector.IdentificationResult {
			id := &sn.idents[i]
			return connector.IdentificationResult{IdentificationMethod: id.method, IdentificationStatus: id.statusObject()}
		}
		switch {
		case v.full:
			for i := range sn.idents {
				cr.Identifications = append(cr.Identifications, brief(i))
			}
		case prim >= 0 && v.statusArray:
			cr.Identifications = []connector.IdentificationResult{brief(prim)}
		case prim >= 0:
			p := brief(prim)
			cr.PrimaryIdent = &p
		}
		return cr
	}
	if !orderEmpty(c.order) {
		cr.OrderData = c.order
	}
	g := &gen{s: s, sn: sn, v: v}
	if c.fixed != nil {
		cr.ContactData = c.fixed.contactData
	} else if prim >= 0 && g.hasResult(&sn.idents[prim]) {
		cr.ContactData = g.contactData(&sn.idents[prim])
	}
	switch {
	case v.full:
		for i := range sn.idents {
			cr.Identifications = append(cr.Identifications, g.ident(i))
		}
	case prim >= 0:
		p := g.ident(prim)
		cr.PrimaryIdent = &p
	}
	return cr
}

func orderEmpty(o *connector.OrderData) bool {
	return o == nil || (len(o.CustomData) == 0 && o.ProcessData == nil && o.ContactDataProvided == nil &&
		o.IdentificationDocumentProvided == nil && o.DrivingLicenceProvided == nil)
}

var accountingCodes = map[connector.Method]struct{ code, product string }{
	connector.MethodAutoID: {"39", "Postident AutoID"},
	connector.MethodBasic:  {"31", "Postident Filiale"},
	connector.MethodEID:    {"33", "Postident eID"},
	connector.MethodPhoto:  {"35", "Postident Foto"},
	connector.MethodVideo:  {"37", "Postident Video"},
}

// accounting: one accounting number per method and constellation; the
// partner constellation has its own (guide 9).
func (s *Sim) accounting(sn *snapshot) *connector.AccountingData {
	if sn.c.fixed != nil {
		return sn.c.fixed.accounting
	}
	a := accountingCodes[sn.c.method]
	suffix := "01"
	if sn.c.partner {
		suffix = "02"
	}
	return &connector.AccountingData{AccountingNumber: connector.Text("1123581352" + a.code + suffix), AccountingProduct: a.product}
}

// gen generates the synthetic result data of one case for one response. The
// data depends only on Seed, caseId and the states, so every read returns
// the same values.
type gen struct {
	s  *Sim
	sn *snapshot
	v  viewOpts
	p  *person
}

func (g *gen) hasResult(id *identState) bool {
	return connector.ResultExpected(id.method, id.st.status, id.st.sub)
}

func (g *gen) person() *person {
	if g.p == nil {
		g.p = newPerson(g.s.caseRand(g.sn.c.id, "person"), g.sn.c.created)
	}
	return g.p
}

// field returns the value/status pair: the provided value with "match" when
// the client provided one, else the found value with "new".
func field(found, provided string) *connector.Field {
	if provided != "" {
		return &connector.Field{Value: connector.Text(provided), Status: connector.FieldMatch}
	}
	return &connector.Field{Value: connector.Text(found), Status: connector.FieldNew}
}

// renewedField is field for the data of a document the user may have
// replaced. The person stays who the client said (names, birth date keep
// "match"), but a user who came back after 'incomplete' "with another valid
// identification document" (guide 4.1-4.5) shows a document the client's
// provided data does not describe: its values overwrite the provided ones
// with status "change" (8.5, 8.6.2, 8.6.3). Without a restart, or when the
// values agree, it is field.
func renewedField(found, provided string, renewed bool) *connector.Field {
	if renewed && provided != "" && provided != found {
		return &connector.Field{Value: connector.Text(found), Status: connector.FieldChange}
	}
	return field(found, provided)
}

// renewed reports whether identification id was restarted after
// 'incomplete' (the scenarios "incomplete-then-success" and the like), so
// its document data was read anew.
func renewed(id *identState) bool { return id != nil && id.attempts > 0 }

func (g *gen) contactData(prim *identState) *connector.ContactDataResult {
	p := g.person()
	var pr connector.ContactDataProvided
	if cp := g.sn.c.order.ContactDataProvided; cp != nil {
		pr = *cp
	}
	var pa connector.Address
	if pr.Address != nil {
		pa = *pr.Address
	}
	fromIdent := renewed(prim) && (prim.method == connector.MethodBasic || prim.method == connector.MethodVideo)
	cd := &connector.ContactDataResult{
		FirstName: field(p.first, pr.FirstName),
		LastName:  field(p.last, pr.LastName),
		Email:     field(p.email, pr.Email),
		// In basic and video the address comes from the identification
		// process (8.5): a renewed document brings its address.
		Address: &connector.AddressResult{
			StreetAddress: renewedField(p.street, pa.StreetAddress, fromIdent),
			PostalCode:    renewedField(p.postal, pa.PostalCode, fromIdent),
			City:          renewedField(p.city, pa.City, fromIdent),
			Country:       field("DEU", pa.Country),
		},
	}
	// Mobile phone: mandatory for video in GwG (8.5), else only when given.
	if pr.MobilePhone != "" || (g.sn.c.class == connector.ClassGwG && g.sn.c.method == connector.MethodVideo) {
		cd.MobilePhone = field(p.phone, pr.MobilePhone)
	}
	return cd
}

// ident builds identification i with its data as far as its state has any.
func (g *gen) ident(i int) connector.IdentificationResult {
	id := &g.sn.idents[i]
	if id.fixed != nil {
		r := *id.fixed
		r.IdentificationStatus = id.statusObject()
		g.fillFixedBinary(&r)
		return r
	}
	r := connector.IdentificationResult{IdentificationMethod: id.method, IdentificationStatus: id.statusObject()}
	res := g.hasResult(id)
	class, m := g.sn.c.class, id.method
	if m == connector.MethodBasic && id.coupons > 0 {
		r.AdditionalDataBasic = g.basicData(id, res)
	}
	if m == connector.MethodPhoto {
		g.photoRecords(&r, i, id)
	}
	if !res {
		return r
	}
	doc := g.document(m, renewed(id))
	if doc != nil {
		if r.IdentificationDocument != nil {
			doc.Records = r.IdentificationDocument.Records
		}
		r.IdentificationDocument = doc
	}
	rec := recorder{g: g, i: i, m: m}
	pdfs := []connector.RecordResult{rec.make(connector.BelongsToMethod, connector.RecordResultPDF, nil)}
	if g.splitResultPDF() {
		// Slots 10 and 11 of the identification's 12 record ids: the
		// others (result 0, photo records from 1, the rest after the result)
		// keep the ids they had.
		split := recorder{g: g, i: i, m: m, k: 10}
		pdfs = append(pdfs, split.make(connector.BelongsToMethod, connector.RecordResultData, nil),
			split.make(connector.BelongsToMethod, connector.RecordResultImages, nil))
	}
	r.Records = append(pdfs, r.Records...)
	switch m {
	case connector.MethodVideo:
		// TKG: user face images are not available (8.6.7).
		if class != connector.ClassTKG {
			r.Records = append(r.Records, rec.make(connector.BelongsToMethod, connector.RecordUserFace, nil))
		}
		doc.Records = rec.docRecords(connector.RecordIDFrontSide, connector.RecordIDBackSide, connector.RecordIDSignature)
		r.AdditionalDataVideo = g.videoData(id)
	case connector.MethodBasic:
		r.Records = append(r.Records, rec.make(connector.BelongsToMethod, connector.RecordUserSignature, nil))
		doc.Records = rec.docRecords(connector.RecordIDFrontSide, connector.RecordIDBackSide)
	case connector.MethodAutoID:
		doc.Records = rec.docRecords(connector.RecordIDFrontSide, connector.RecordIDBackSide)
	case connector.MethodEID:
		// Document image upload exists for GwG only (changelog 12.04.2024).
		if class == connector.ClassGwG {
			doc.Records = rec.docRecords(connector.RecordIDFrontSide, connector.RecordIDBackSide)
		}
		r.AdditionalDataEid = &connector.AdditionalDataEid{DKK: connector.Text(g.person().dkk)}
	case connector.MethodPhoto:
		if class == connector.ClassMobility {
			dl := g.drivingLicence(renewed(id))
			if r.DrivingLicence != nil {
				dl.Records = r.DrivingLicence.Records
			}
			r.DrivingLicence = dl
		}
	}
	return r
}

// document is the IdentificationDocumentResult with the fields the class and
// method allow (8.6.2).
func (g *gen) document(m connector.Method, renew bool) *connector.IdentificationDocumentResult {
	p := g.person()
	class := g.sn.c.class
	var pr connector.IdentificationDocumentProvided
	if dp := g.sn.c.order.IdentificationDocumentProvided; dp != nil {
		pr = *dp
	}
	var pa connector.Address
	if pr.Address != nil {
		pa = *pr.Address
	}
	docType := p.docType
	if m == connector.MethodEID {
		docType = p.eidType
	}
	d := &connector.IdentificationDocumentResult{
		CountryOfDocument: field("DEU", pr.CountryOfDocument),
		Type:              field(docType, pr.Type),
		FirstName:         field(p.first, pr.FirstName),
		LastName:          field(p.last, pr.LastName),
		BirthDate:         field(p.birthDate, pr.BirthDate),
		DateOfExpiry:      renewedField(p.docExpiry, pr.DateOfExpiry, renew),
		Address: &connector.AddressResult{
			StreetAddress: renewedField(p.street, pa.StreetAddress, renew),
			PostalCode:    renewedField(p.postal, pa.PostalCode, renew),
			City:          renewedField(p.city, pa.City, renew),
			Country:       field("DEU", pa.Country),
		},
	}
	gwgTKG := class == connector.ClassGwG || class == connector.ClassTKG
	// number, dateIssued, authority: GwG and TKG, never eID (chip data set).
	if gwgTKG && m != connector.MethodEID {
		d.Number = renewedField(p.docNumber, pr.Number, renew)
		d.DateIssued = renewedField(p.docIssued, pr.DateIssued, renew)
		d.Authority = renewedField(p.authority, pr.Authority, renew)
	}
	// birthName and nationality: all classes but TKG.
	if class != connector.ClassTKG {
		d.BirthName = field(p.birthName, pr.BirthName)
		d.Nationality = field("DEU", pr.Nationality)
	}
	if class == connector.ClassGwG {
		d.BirthPlace = field(p.birthPlace, pr.BirthPlace)
		// placeOfIssue: GwG, a field of the German passport only; the
		// ID card gives an empty value (sample 7.4.1). The eID chip has none.
		if m != connector.MethodEID {
			poi := ""
			if docType == "2" {
				poi = p.city
			}
			d.PlaceOfIssue = renewedField(poi, pr.PlaceOfIssue, renew)
		}
	}
	return d
}

// drivingLicence is the DrivingLicenceResult of method photo, class Mobility
// (8.6.3), with the fields marked "yes".
func (g *gen) drivingLicence(renew bool) *connector.DrivingLicenceResult {
	p := g.person()
	var pr connector.DrivingLicenceProvided
	if dp := g.sn.c.order.DrivingLicenceProvided; dp != nil {
		pr = *dp
	}
	return &connector.DrivingLicenceResult{
		CountryOfDocument: field("DEU", pr.CountryOfDocument),
		Number:            renewedField(p.dlNumber, pr.Number, renew),
		FirstName:         field(p.first, pr.FirstName),
		LastName:          field(p.last, pr.LastName),
		BirthDate:         field(p.birthDate, pr.BirthDate),
		DateOfExpiry:      renewedField(p.dlExpiry, pr.DateOfExpiry, renew),
		Restrictions:      field("keine", ""),
		DrivingLicenceClasses: []connector.DrivingLicenceClassResult{{
			ClassName:    field("B", ""),
			DateIssued:   field(p.dlIssued, ""),
			DateOfExpiry: field(p.dlExpiry, ""),
			Restrictions: field("keine", ""),
		}},
	}
}

func (g *gen) basicData(id *identState, res bool) *connector.AdditionalDataBasic {
	n := connector.Int(id.coupons)
	at := outTime(id.couponAt)
	b := &connector.AdditionalDataBasic{}
	switch g.s.caseRand(g.sn.c.id, "coupon").IntN(3) {
	case 0:
		b.CouponDownloadCount, b.CouponDownloadLastTimestamp = &n, at
	case 1:
		b.CouponByEmailRequestCount, b.CouponByEmailRequestLastTimestamp = &n, at
	default:
		b.CouponByPiAppRequestCount, b.CouponByPiAppRequestLastTimestamp = &n, at
	}
	if !res {
		return b
	}
	p := g.person()
	class := g.sn.c.class
	// postOffice: not included for GwG and Standard (8.6.8).
	if class != connector.ClassGwG && class != connector.ClassStandard {
		b.PostOffice = connector.Note(p.postOffice)
	}
	b.PostOfficeStreetAddress = "Simulationsplatz 1"
	b.PostOfficeCity = connector.Note(p.postal + " " + p.city)
	b.CheckoutNote = connector.Note(p.checkout)
	cat := connector.IDCardReaderCheckCategory{Name: "Dokumentenpruefung", Status: "OK"}
	if id.st.status == connector.StatusDeclined && id.st.sub == 16 {
		cat.Status = "FAILED"
		cat.FailedChecksOfIDCardReader = []connector.FailedCheckOfIDCardReader{{
			CheckName: "Sicherheitsmerkmale", SubCheckName: "UV-Merkmal",
			AdditionalInformation: []connector.AdditionalInfoKV{{Key: "hinweis", Value: "simuliert"}},
		}}
	}
	b.IDCardReaderCheck = &connector.IDCardReaderCheck{CheckedCategories: []connector.IDCardReaderCheckCategory{cat}}
	return b
}

// videoData is AdditionalDataVideo with the fields of the class (8.6.10).
func (g *gen) videoData(id *identState) *connector.AdditionalDataVideo {
	class := g.sn.c.class
	r := g.s.caseRand(g.sn.c.id, "video")
	d := &connector.AdditionalDataVideo{}
	if class == connector.ClassGwG || class == connector.ClassTKG {
		d.IdentificationServiceCenter = "SIM Service Center, Standort Teststadt"
		d.IdentificationServiceCenterVideo = "SIM Video Center " + strconv.Itoa(1+r.IntN(4))
	}
	if class == connector.ClassTKG {
		d.IdentificationAgentAlias = connector.Note(fmt.Sprintf("SIM-Agent-%02d", 1+r.IntN(40)))
		d.IdentReviews = []json.RawMessage{json.RawMessage(`{"reviewType":"simulated","result":"approved"}`)}
	}
	// Videochats are recorded for GwG only; a declined one is delivered only
	// on fraud suspicion (2.6, footnotes 5 and 6).
	recorded := class == connector.ClassGwG &&
		(id.st.status == connector.StatusSuccess || id.st.sub == 11)
	d.VideoRecordingDeliveryShaft = &recorded
	if class == connector.ClassGwG {
		d.VideoRecordingAccepted = outTime(id.created.Add(time.Minute))
		d.TanChannel = []string{"sms", "email"}[r.IntN(2)]
	}
	return d
}
