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
// guide 8.6.7 and the "Result Images" columns and "Record Images" notes of
// chapter 4. Record metadata is delivered either way; result PDFs are
// governed by includeResultPdf alone.
func BinaryDelivered(class Class, method Method, recordType string) bool {
	switch recordType {
	case RecordResultPDF, RecordResultData, RecordResultImages:
		return true
	case RecordUserFace:
		// User face images only for GwG (8.6.7; 4.5 "image with userface
		// (only GwG)").
		return class == ClassGwG
	case RecordIDFrontSide, RecordIDBackSide, RecordIDSignature, RecordIDImage:
		switch method {
		case MethodAutoID, MethodPhoto:
			// Never handed out (4.1, 4.4 "Record Images").
			return false
		case MethodEID:
			// 4.3: "images of identification document (only GwG, optional)".
			return class == ClassGwG
		}
		// Basic and video: GwG and TKG (TKG blackened), 4.2, 4.5, 8.6.7.
		return class == ClassGwG || class == ClassTKG
	case RecordDLFrontSide, RecordDLBackSide, RecordDLImage:
		// Driving licence images: method photo, class Mobility only.
		return method == MethodPhoto && class == ClassMobility
	case RecordUserSignature:
		// ASSUMPTION. 8.6.7 lists 'usersignature' (signature from signpad)
		// among the method-level types but gives it no content rule. The
		// only sentence that covers it is "In GwG cases all images will be
		// provided", so GwG gets it. For the other classes the guide is
		// silent; we assume it is not delivered (the privacy default of the
		// class rules: Standard and Mobility get no images of persons, TKG
		// no user face). Revisit when POSTIDENT documents it.
		return class == ClassGwG
	}
	return false
}
