package connector

import "testing"

// TestBinaryDeliveredGuide pins the delivery rules of guide 8.6.7 (note
// "Rules by content type" and "Rules by regulatory class") and the Result
// Images columns of chapter 4, one case per rule and class.
func TestBinaryDeliveredGuide(t *testing.T) {
	doc := []string{RecordIDFrontSide, RecordIDBackSide, RecordIDSignature, RecordIDImage}
	for _, class := range Classes() {
		gwg, tkg := class == ClassGwG, class == ClassTKG
		for _, typ := range doc {
			// 4.3 eID: "images of identification document (only GwG, optional)".
			if got := BinaryDelivered(class, MethodEID, typ); got != gwg {
				t.Errorf("eID %s, %s: delivered %v, want %v (guide 4.3: only GwG)", typ, class, got, gwg)
			}
			// 4.2 basic, 4.5 video: "only GwG / TKG".
			for _, m := range []Method{MethodBasic, MethodVideo} {
				if got := BinaryDelivered(class, m, typ); got != (gwg || tkg) {
					t.Errorf("%s %s, %s: delivered %v, want %v (guide 4.2/4.5: only GwG / TKG)", m, typ, class, got, gwg || tkg)
				}
			}
			// 4.1, 4.4: never for AutoID and photo.
			for _, m := range []Method{MethodAutoID, MethodPhoto} {
				if BinaryDelivered(class, m, typ) {
					t.Errorf("%s %s, %s: delivered (guide 4.1/4.4: not provided)", m, typ, class)
				}
			}
		}
		// 8.6.7: user face images only for GwG.
		if got := BinaryDelivered(class, MethodVideo, RecordUserFace); got != gwg {
			t.Errorf("userface, %s: delivered %v, want %v", class, got, gwg)
		}
		// usersignature: 8.6.7 lists the type without a content rule; "In GwG
		// cases all images will be provided" is the only sentence that covers
		// it. Other classes: not delivered (our assumption, see class.go).
		if got := BinaryDelivered(class, MethodBasic, RecordUserSignature); got != gwg {
			t.Errorf("usersignature, %s: delivered %v, want %v", class, got, gwg)
		}
		// 8.6.7: driving licence images only in photo, only for Mobility.
		for _, m := range Methods() {
			want := m == MethodPhoto && class == ClassMobility
			if got := BinaryDelivered(class, m, RecordDLFrontSide); got != want {
				t.Errorf("%s dlfrontside, %s: delivered %v, want %v", m, class, got, want)
			}
		}
		for _, typ := range []string{RecordResultPDF, RecordResultData, RecordResultImages} {
			if !BinaryDelivered(class, MethodVideo, typ) {
				t.Errorf("%s, %s: not delivered", typ, class)
			}
		}
	}
}
