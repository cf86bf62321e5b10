package connector

import "strings"

// Class is a regulatory class (guide chapter 3). It is a property of the
// client's account, not of the case JSON: the connector is told it by
// configuration, the simulator by the case's scenario.
type Class string

// The regulatory classes of guide chapter 3.
const (
	ClassGwG      Class = "GwG"
	ClassTKG      Class = "TKG"
	ClassEIDAS    Class = "eIDAS"
	ClassStandard Class = "Standard"
	ClassMobility Class = "Mobility"
)

// Classes returns every regulatory class.
func Classes() []Class { return []Class{ClassGwG, ClassTKG, ClassEIDAS, ClassStandard, ClassMobility} }

// ParseClass reads a class name case-insensitively.
func ParseClass(s string) (Class, bool) {
	for _, c := range Classes() {
		if strings.EqualFold(string(c), s) {
			return c, true
		}
	}
	return "", false
}

// BinaryDelivered reports whether the bytes of a record of the given type
// are delivered (documentData) for a class and method, per the rules of
// guide 8.6.7 and the "Record Images" notes of chapter 4. Record metadata is
// delivered either way; result PDFs are governed by includeResultPdf alone.
func BinaryDelivered(class Class, method Method, recordType string) bool {
	switch recordType {
	case RecordResultPDF, RecordResultData, RecordResultImages:
		return true
	case RecordUserFace:
		// User face images only for GwG (and only in video, the method that
		// takes them).
		return class == ClassGwG
	case RecordIDFrontSide, RecordIDBackSide, RecordIDSignature, RecordIDImage:
		// AutoID and photo never hand out document images (4.1, 4.4);
		// otherwise GwG and TKG only (TKG blackened).
		if method == MethodAutoID || method == MethodPhoto {
			return false
		}
		return class == ClassGwG || class == ClassTKG
	case RecordDLFrontSide, RecordDLBackSide, RecordDLImage:
		// Driving licence images: method photo, class Mobility only.
		return method == MethodPhoto && class == ClassMobility
	case RecordUserSignature:
		return class == ClassGwG || class == ClassTKG
	}
	return false
}
