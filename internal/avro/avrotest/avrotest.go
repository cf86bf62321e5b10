// Package avrotest provides fully populated connector events for tests of
// the codec, the schemas and their compatibility, and helpers that compare
// events the way an Avro round trip preserves them. Test code only.
package avrotest

import (
	"fmt"
	"reflect"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

// at returns a UTC time with millisecond precision, as Avro keeps it.
func at(sec int64) *time.Time {
	return new(time.Unix(1_712_000_000+sec, 123_000_000).UTC())
}

func fv(v, st string) *connector.FieldValue { return &connector.FieldValue{Value: v, Status: st} }

// StatusChanged returns a CaseStatusChanged with every field set.
func StatusChanged() *connector.CaseStatusChanged {
	return &connector.CaseStatusChanged{
		EventID:                "1b4e28ba-2fa1-5ed2-883f-0016d3cca427",
		ClientID:               "1234ABCD",
		CaseID:                 "YR9W91GEZK24",
		ReferenceID:            new("REF-1"),
		CaseStatus:             connector.CaseClosed,
		CaseArchived:           true,
		CaseCreated:            *at(0),
		CaseModified:           at(100),
		ValidUntil:             at(1000),
		Method:                 new("video"),
		Status:                 new("declined"),
		SubStatusCode:          new(int32(11)),
		SubStatusText:          new("Fraud suspicion"),
		SubStatusReasonCode:    new(int32(110)),
		SubStatusReasonText:    new("Identification document possibly forged"),
		StatusType:             "final",
		Resumable:              true,
		Final:                  true,
		ResultExpected:         true,
		IdentificationCreated:  at(10),
		IdentificationModified: at(90),
		IdentificationTime:     at(80),
		Previous: &connector.PreviousState{
			CaseStatus:          connector.CaseInProgress,
			Method:              new("video"),
			Status:              new("review pending"),
			SubStatusCode:       new(int32(15)),
			SubStatusReasonCode: new(int32(1)),
			StatusType:          "preliminary",
		},
		CustomData: map[string]string{"custom1": "REF_101485489", "custom2": "Kampagne A357"},
		ObservedAt: *at(101),
		Origin:     string(connector.OriginReconcile),
	}
}

func records(belongsTo string) []connector.RecordMeta {
	return []connector.RecordMeta{{
		RecordID:              "63351998",
		BelongsTo:             new(belongsTo),
		Type:                  new("idfrontside"),
		ValidationStatus:      new("invalid"),
		ValidationSubStatus:   new("too blurry"),
		ValidationRemark:      new("Foto zeigt kein Führerscheindokument"),
		MimeType:              new("image/jpeg"),
		FileName:              new("YR9W91GEZK24_idfrontside.jpg"),
		DocumentDataDelivered: true,
	}}
}

func addressResult() *connector.EventAddressResult {
	return &connector.EventAddressResult{
		StreetAddress: fv("Heidestr. 17", "match"),
		Appendix:      fv("Hinterhaus", "new"),
		PostalCode:    fv("51147", "match"),
		City:          fv("Köln", "match"),
		Country:       fv("DEU", "match"),
		AddressMatch: &connector.EventAddressMatch{
			MailRedirectionDomestic: true, MailRedirectionInternational: true,
			Undeliverable: true, AddresseeDeceased: true,
		},
	}
}

func address() *connector.EventAddress {
	return &connector.EventAddress{
		StreetAddress: new("Heidestr. 17"), Appendix: new("Hinterhaus"),
		PostalCode: new("51147"), City: new("Köln"), Country: new("DEU"),
	}
}

func callback(name string) *connector.EventCallbackURL {
	return &connector.EventCallbackURL{WebURL: new("https://musterbank.eu/" + name), AppURL: new("app://" + name)}
}

// CaseResult returns a CaseResultEvent with every field set, nested
// records and arrays included.
func CaseResult() *connector.CaseResultEvent {
	return &connector.CaseResultEvent{
		EventID:     "9c5b94b1-35ad-59f1-a1a6-2b6d3e4f7a10",
		ClientID:    "1234ABCD",
		CaseID:      "YR9W91GEZK24",
		ReferenceID: new("REF-1"),
		CaseStatus: connector.EventCaseStatus{
			Status: connector.CaseClosed, Archived: true,
			ValidUntil: at(1000), Created: *at(0), Modified: at(100),
		},
		OrderData: &connector.EventOrderData{
			CustomData: map[string]string{"custom1": "REF_101485489"},
			ProcessData: &connector.EventProcessData{
				TargetCountry:                 new("DEU"),
				PreferredLanguage:             new("DE_DE"),
				WebHookURL:                    new("https://musterbank.eu/api/pi/webhooklistener"),
				WebHookURLPartner:             new("https://partner.example/hook"),
				ReferenceID:                   new("REF-1"),
				CallbackURLCouponRequested:    callback("coupon"),
				CallbackURLReviewPending:      callback("review"),
				CallbackURLIncomplete:         callback("incomplete"),
				CallbackURLSuccess:            callback("success"),
				CallbackURLDeclined:           callback("declined"),
				CallbackURLCancelledAndClosed: callback("closed"),
			},
			ContactDataProvided: &connector.EventContactDataProvided{
				Title: new("Dr."), FirstName: new("Erika"), LastName: new("Mustermann"),
				BirthDate: new("1964-08-12"), BirthPlace: new("Berlin"), MobilePhone: new("+49160123456"),
				Email: new("erika@example.org"), Address: address(),
			},
			IdentificationDocumentProvided: &connector.EventIdentificationDocumentProvided{
				Type: new("1"), CountryOfDocument: new("DEU"), Number: new("T01012148"),
				FirstName: new("Erika"), LastName: new("Mustermann"), BirthName: new("Gabler"),
				BirthDate: new("1964-08-12"), BirthPlace: new("Berlin"), Nationality: new("DEU"),
				Address: address(), DateIssued: new("2010-11-01"), DateOfExpiry: new("2020-10-31"),
				PlaceOfIssue: new("Köln"), Authority: new("Stadt Köln"),
			},
			DrivingLicenceProvided: &connector.EventDrivingLicenceProvided{
				CountryOfDocument: new("DEU"), Number: new("B072RRE2I55"), FirstName: new("Erika"),
				LastName: new("Mustermann"), BirthDate: new("1964-08-12"), DateOfExpiry: new("2030-01-01"),
			},
		},
		ContactData: &connector.EventContactDataResult{
			Title:       fv("Dr.", "new"),
			FirstName:   fv("Erika", "match"),
			LastName:    fv("Mustermann", "match"),
			MobilePhone: fv("011111111111", "new"),
			Email:       fv("erika.mustermann@deutschepost.de", "new"),
			Epost:       fv("erika@epost.example", "change"),
			Address:     addressResult(),
		},
		PrimaryIdentification: &connector.EventIdentificationResult{
			IdentificationMethod: "video",
			IdentificationStatus: connector.EventIdentificationStatus{
				Status:              "declined",
				SubStatusCode:       new(int32(11)),
				SubStatusText:       new("Fraud suspicion"),
				SubStatusReasonCode: new(int32(110)),
				SubStatusReasonText: new("Identification document possibly forged"),
				IdentificationTime:  at(80),
				Created:             at(10),
				Modified:            at(90),
			},
			IdentificationDocument: &connector.EventIdentificationDocumentResult{
				CountryOfDocument: fv("DEU", "match"), Type: fv("1", "match"), Number: fv("T01012148", "match"),
				FirstName: fv("Erika", "match"), LastName: fv("Mustermann", "match"), BirthName: fv("Gabler", "match"),
				BirthDate: fv("1964-08-12", "match"), BirthPlace: fv("Berlin", "match"), Nationality: fv("DEU", "match"),
				Address: addressResult(), DateIssued: fv("2010-11-01", "match"), DateOfExpiry: fv("2020-10-31", "match"),
				PlaceOfIssue: fv("Köln", "match"), Authority: fv("Stadt Köln", "match"),
				Records: records("identificationdocument"),
			},
			DrivingLicence: &connector.EventDrivingLicenceResult{
				CountryOfDocument: fv("DEU", "new"), Number: fv("B072RRE2I55", "new"), FirstName: fv("Erika", "new"),
				LastName: fv("Mustermann", "new"), BirthDate: fv("1964-08-12", "new"), BirthPlace: fv("Berlin", "new"),
				DrivingLicenceClasses: []connector.EventDrivingLicenceClassResult{{
					ClassName: fv("B", "new"), DateIssued: fv("1997-03-02", "new"),
					DateOfExpiry: fv("2027-03-01", "new"), Restrictions: fv("Daylight driving only.", "new"),
				}},
				Restrictions: fv("Corrective lenses.", "new"), DateIssued: fv("1997-03-02", "new"),
				DateOfExpiry: fv("2030-01-01", "match"), Authority: fv("Stadt Bonn", "new"),
				Records: records("drivinglicence"),
			},
			Records: records("method"),
			AdditionalDataBasic: &connector.EventAdditionalDataBasic{
				CouponByPiAppRequestCount: new(int32(1)), CouponByPiAppRequestLastTimestamp: at(20),
				CouponByTpAppRequestCount: new(int32(2)), CouponByTpAppRequestLastTimestamp: at(21),
				CouponDownloadCount: new(int32(3)), CouponDownloadLastTimestamp: at(22),
				CouponByEmailRequestCount: new(int32(4)), CouponByEmailRequestLastTimestamp: at(23),
				PostOffice: new("227208750"), PostOfficeStreetAddress: new("Musterstr. 1"),
				PostOfficeCity: new("12345 Musterstadt"), CheckoutNote: new("85014869 3013"),
				IDCardReaderCheck: &connector.EventIDCardReaderCheck{
					CheckedCategories: []connector.EventIDCardReaderCheckCategory{{
						Name: new("optical"), Status: new("failed"),
						FailedChecksOfIDCardReader: []connector.EventFailedCheckOfIDCardReader{{
							CheckName: new("hologram"), SubCheckName: new("present"),
							AdditionalInformation: []connector.KeyValue{{Key: "confidence", Value: "0.42"}},
						}},
					}},
				},
			},
			AdditionalDataEid: &connector.EventAdditionalDataEid{DKK: new("BB30E18C3428F73891DCF8D5C9FB9223D0F8AB8159127D6CD43C4420CEB175CA")},
			AdditionalDataVideo: &connector.EventAdditionalDataVideo{
				IdentificationServiceCenter:      new("1 DP CSC GmbH, Location Flensburg"),
				IdentificationServiceCenterVideo: new("Flensburg"),
				IdentificationAgentAlias:         new("agent-7"),
				IdentReviews:                     []string{`{"reviewer":"QA","result":"ok"}`},
				VideoRecordingAccepted:           at(30),
				VideoRecordingDeliveryShaft:      new(true),
				TanChannel:                       new("sms"),
			},
		},
		AccountingData: &connector.EventAccountingData{AccountingNumber: new("11235813523701"), AccountingProduct: new("Postident Video")},
		StatusType:     "final",
		ObservedAt:     *at(101),
		Origin:         string(connector.OriginWebhook),
		UnmappedJSON:   new(`{"/newTopLevel":{"a":1},"/primaryIdent/additionalDataBasic/newNested":"x"}`),
	}
}

// Notification returns a Notification with every field set.
func Notification() *connector.Notification {
	return &connector.Notification{
		CaseID:      "YR9W91GEZK24",
		ReferenceID: new("REF-1"),
		Origin:      string(connector.OriginReconcile),
		ReceivedAt:  *at(5),
		Snapshot: &connector.StatusSnapshot{
			CaseStatus: connector.CaseInProgress, Archived: true,
			Method: new("basic"), Status: new("incomplete"),
			SubStatusCode: new(int32(53)), SubStatusReasonCode: new(int32(591)), Modified: at(4), Created: at(1),
		},
	}
}

// CaseState returns a CaseState with every field set.
func CaseState() *connector.CaseState {
	return &connector.CaseState{
		CaseID: "YR9W91GEZK24", CaseStatus: connector.CaseClosed,
		Method: new("video"), Status: new("success"),
		SubStatusCode: new(int32(1)), SubStatusReasonCode: new(int32(2)),
		IdentModified: at(90), StatusType: "final",
		LastStatusEventID: "1b4e28ba-2fa1-5ed2-883f-0016d3cca427",
		ResultEventID:     new("9c5b94b1-35ad-59f1-a1a6-2b6d3e4f7a10"),
		UpdatedAt:         *at(102),
		ForgottenAt:       at(103),
	}
}

// DeadLetter returns a populated parked-case record.
func DeadLetter() *connector.DeadLetter {
	st := int32(200)
	return &connector.DeadLetter{
		CaseID: "YR9W91GEZK24", ErrorClass: connector.ClassUnreadable,
		Message:    "scr: get case (GET /cases/{caseId} caseId=YR9W91GEZK24): malformed response: invalid JSON at byte offset 10 of 10",
		HTTPStatus: &st, Endpoint: new("GET /cases/{caseId}"), Attempts: 3,
		FirstFailureAt: *at(100), LastFailureAt: *at(101), ConnectorVersion: "1.2.3",
		CaseModified: at(90), EncryptedAnswer: new("eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d"),
	}
}

// Events returns one populated value of each event type, by record name.
func Events() map[string]any {
	return map[string]any{
		"CaseStatusChanged": StatusChanged(),
		"CaseResult":        CaseResult(),
		"Notification":      Notification(),
		"CaseState":         CaseState(),
		"CaseDeadLetter":    DeadLetter(),
	}
}

// New returns a new zero value of the same (pointer) type as v, to decode
// into.
func New(v any) any { return reflect.New(reflect.TypeOf(v).Elem()).Interface() }

var timeType = reflect.TypeFor[time.Time]()

// Unpopulated lists the paths of fields of v that hold no value: nil
// pointers, empty strings, slices and maps, zero times. Booleans and
// numbers are not checked (false and 0 are values).
func Unpopulated(v any) []string {
	var out []string
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		switch {
		case rv.Type() == timeType:
			if rv.Interface().(time.Time).IsZero() {
				out = append(out, path)
			}
			return
		}
		switch rv.Kind() {
		case reflect.Pointer:
			if rv.IsNil() {
				out = append(out, path)
				return
			}
			walk(path, rv.Elem())
		case reflect.Struct:
			for k := range rv.NumField() {
				walk(path+"."+rv.Type().Field(k).Name, rv.Field(k))
			}
		case reflect.Slice:
			if rv.Len() == 0 {
				out = append(out, path)
			}
			for k := range rv.Len() {
				walk(fmt.Sprintf("%s[%d]", path, k), rv.Index(k))
			}
		case reflect.Map:
			if rv.Len() == 0 {
				out = append(out, path)
			}
		case reflect.String:
			if rv.Len() == 0 {
				out = append(out, path)
			}
		}
	}
	walk(reflect.TypeOf(v).String(), reflect.ValueOf(v))
	return out
}

// Diff returns the first difference between a and b as a path and the two
// values, or "" when they are equal the way an Avro round trip keeps data:
// nil and empty slices or maps are equal, times are compared with Equal.
func Diff(a, b any) string {
	return diff(reflect.TypeOf(a).String(), reflect.ValueOf(a), reflect.ValueOf(b))
}

func diff(path string, a, b reflect.Value) string {
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type())
	}
	if a.Type() == timeType {
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		if !ta.Equal(tb) {
			return fmt.Sprintf("%s: %s vs %s", path, ta, tb)
		}
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: nil %v vs %v", path, a.IsNil(), b.IsNil())
			}
			return ""
		}
		return diff(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for k := range a.NumField() {
			if d := diff(path+"."+a.Type().Field(k).Name, a.Field(k), b.Field(k)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len())
		}
		for k := range a.Len() {
			if d := diff(fmt.Sprintf("%s[%d]", path, k), a.Index(k), b.Index(k)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len())
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() {
				return fmt.Sprintf("%s[%v]: missing", path, it.Key())
			}
			if d := diff(fmt.Sprintf("%s[%v]", path, it.Key()), it.Value(), bv); d != "" {
				return d
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
		}
		return ""
	}
}
