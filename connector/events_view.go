package connector

// Method is the primary identification's method, or nil.
func (e *CaseResultEvent) Method() *string {
	if e.PrimaryIdentification == nil || e.PrimaryIdentification.IdentificationMethod == "" {
		return nil
	}
	return &e.PrimaryIdentification.IdentificationMethod
}

// Status is the primary identification's status, or nil.
func (e *CaseResultEvent) Status() *string {
	if e.PrimaryIdentification == nil || e.PrimaryIdentification.IdentificationStatus.Status == "" {
		return nil
	}
	return &e.PrimaryIdentification.IdentificationStatus.Status
}

// PersonFields returns the identified person's first name, last name and
// birth date from the identification document, else from the contact data.
// They are personal data: for display only after masking, never for logs.
func (e *CaseResultEvent) PersonFields() (first, last, birthDate string) {
	val := func(f *FieldValue) string {
		if f == nil {
			return ""
		}
		return f.Value
	}
	if e.PrimaryIdentification != nil && e.PrimaryIdentification.IdentificationDocument != nil {
		d := e.PrimaryIdentification.IdentificationDocument
		first, last, birthDate = val(d.FirstName), val(d.LastName), val(d.BirthDate)
	}
	if c := e.ContactData; c != nil {
		if first == "" {
			first = val(c.FirstName)
		}
		if last == "" {
			last = val(c.LastName)
		}
	}
	return first, last, birthDate
}
