package connector

// This file holds the rows of the status catalog, one table per
// identification method, as the guide prints them in chapter 4 (see the
// conventions at the top of catalog.go). catalog.go builds its index from
// them and answers the lookups.

// catalogCode is a subStatus or subStatusReason code with its text, as
// printed in the guide tables.
type catalogCode struct {
	code int
	text string
}

// catalogRow is one row of a guide chapter 4 table: the Identification Status,
// Status Type, Sub Status, Sub Status Reason and Result Data columns.
type catalogRow struct {
	status  string
	typ     StatusType
	subs    []catalogCode // Sub Status column
	reasons []catalogCode // Sub Status Reason column, for every subStatus of the row
	result  bool          // Result Data column: "yes"
}

// autoIDTable is guide 4.1 (AutoID).
var autoIDTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	// The 4.1 table shows '-' as the type of review pending; the 2.6 summary
	// for AutoID/Photo gives 'notification' (webhook, callbackUrlReviewPending)
	// and the changelog of 28.11.2024 documents notification webhooks for
	// pending reviews in AutoID. 2.6 wins.
	{status: StatusReviewPending, typ: StatusTypeNotification},
	{status: StatusIncomplete, typ: StatusTypeNotification,
		subs: []catalogCode{
			{80, "Problem with recordings"},
			{81, "Problem with document"},
			{82, "Problem with result data"},
			{83, "Incomplete other"},
			{85, "Abort due to technical problem"},
			{86, "Abort due to connection problem"},
			{87, "Problem with person"},
			{97, "Cancellation by user"},
		},
		reasons: []catalogCode{
			{800, "User has cancelled"},
			{801, "Recordings not complete"},
			{802, "Quality of one or more recordings too poor"},
			{803, "Document not recognized"},
			{804, "Document not supported"},
			{805, "Document damaged"},
			{806, "Document covered"},
			{807, "Document expired"},
			{808, "Address not complete"},
			{809, "Other technical problem during identification attempt"},
			{810, "Ident/case already finished"},
			{811, "Incomplete other reason"},
			{817, "Technical problem with recorded files"},
			{818, "Backend cannot finish identification attempt"},
			{819, "Problem with WebSocket connection"},
			{820, "Data fields from document not complete"},
			{821, "Problem with agent result"},
			{822, "Cancelled by automatic cleanup"},
			{823, "Liveness check not sufficient"},
			{824, "Security features not recognisable well enough"},
			{825, "Once no serious attempt to identify"},
			{826, "No document captured"},
			{827, "Wrong document page captured"},
			{828, "Device moved instead of document"},
			{829, "Device moved instead of person"},
			{831, "Problem with review result"},
			{832, "Residence permit no ID card substitute"},
			{833, "More than one document captured"},
			{834, "Timeout during machine phase"},
			{835, "Document blocked by business customer"},
			{973, "Timeout at user"},
			{974, "Timeout in app because in background"},
		}},
	// Only AutoID has the status cancelled (2.6: "cancelled (autoid)").
	{status: StatusCancelled, typ: StatusTypeCancelled,
		subs:    []catalogCode{{94, "Cancellation by this ident"}},
		reasons: []catalogCode{{900, "Maximum number of cancellations by user exceeded"}}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{
			{830, "Identification document from copy instead of original"},
			{110, "Identification document possibly forged"},
			{111, "Person does not match photo"},
			{113, "Multiple persons present"},
			{124, "Digital manipulation"},
			{119, "Other reason for fraud suspicion"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs:    []catalogCode{{15, "Abuse"}},
		reasons: []catalogCode{{815, "Inappropriate content in recordings"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{84, "Declined other"}},
		reasons: []catalogCode{
			{814, "Repeatedly no serious attempt to identify"},
			{816, "Declined other reason"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// basicTable is guide 4.2 (Basic, post office). The status cancelled was
// removed for basic (changelog 23.11.2020).
var basicTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	{status: StatusCouponRequested, typ: StatusTypeNotification},
	// Type '-' in 4.2 and empty in the 2.6 summary for Basic/eID/Video.
	// The subStatus codes of this row have no reasons.
	{status: StatusIncomplete, typ: StatusTypeNone,
		subs: []catalogCode{
			{53, "Identification document has expired"},
			{54, "Unsupported identification document"},
			{70, "Error in the printed form data"},
			{71, "User rejects document scan"},
			{97, "Cancellation by user"},
			{98, "Cancellation for technical reasons"},
		}},
	// 4.2 prints "pelimina ry".
	{status: StatusReviewPending, typ: StatusTypePreliminary},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{
			// The guide text includes its deprecation note; kept verbatim.
			{115, "No matching signature (deprecated: no longer used since 2020)"},
			{116, "No matching photo"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{16, "Identification with abnormalities"}},
		reasons: []catalogCode{
			{114, "Document shows abnormalities"},
			{117, "Inconsistencies with date of expiry"},
			{112, "Multiple identity checks for single person"},
			{113, "Multiple persons present"},
			{123, "Multiple identity checks for single person over longer period of time"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs:    []catalogCode{{17, "Identification with unrecoverable data problem in identification document"}},
		reasons: []catalogCode{{118, "Images of document not received"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// eidTable is guide 4.3 (eID). eID has no review pending; its former status
// cancelled became declined (changelog 20.04.2020). The text extraction of
// the guide prints "elD" (lower-case L) in the subStatus texts 60-63 and 65;
// that is the method name eID, written as such everywhere else, and is kept as
// eID.
var eidTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	// Type cell empty in 4.3 and in the 2.6 summary for Basic/eID/Video.
	{status: StatusIncomplete, typ: StatusTypeNone,
		subs: []catalogCode{
			{53, "Identification document has expired"},
			{54, "Identification document not supported"},
			{59, "Identification document invalid"},
			{60, "eID unknown error"},
			{61, "eID problem with authentication / PIN"},
			{62, "eID problem reading card"},
			{63, "eID problem with eID server"},
			{64, "Problem with custom step"},
			{65, "Problem during eID phase"},
			{66, "Problem with document"},
			{97, "Cancellation by user"},
			{98, "Cancellation for technical reasons"},
			{99, "Cancellation for other reasons"},
		},
		reasons: []catalogCode{
			{591, "Document with invalid certificate (e.g. test ID card)"},
			{592, "Document does not provide all of the required data"},
			{600, "eCardAPI reports unknown error"},
			{610, "Error in eID client"},
			{611, "Incomplete data from PIN or card"},
			{612, "Authentication failed"},
			{613, "PIN entered incorrectly too often"},
			{614, "PIN deactivated"},
			{620, "Error in communcation between Ecard client (browser) and card reader"}, // sic
			{621, "Error in communication between eID client (app) and card"},
			{622, "Chip card error"},
			{623, "Card slipped / not readable / removed"},
			{630, "eID server not operational"},
			{631, "eID client cannot communicate with eID server"},
			{632, "eID server internal error"},
			{640, "Document image upload step cannot start"},
			{650, "eID type unknown"},
			{651, "eID type not accepted or supported"},
			{652, "problem with attestation request"},
			{653, "certificate does not cover requested attribute set"},
			{660, "Document authenticity not verifiable (e.g. test ID card, chip corrupted)"},
			{661, "Document not supported"},
			{662, "Document expired"},
			{973, "Timeout at user"},
			{974, "Timeout in app because in background"},
			{975, "User cancelled eID attempt"},
			{996, "Ident/case already finished"},
			{998, "Other reason for cancellation"},
		}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs:    []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{{122, "Identification document blocked by authorities"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// photoTable is guide 4.4 (Photo). Photo has subStatus codes but no
// subStatusReasons: its fourth column is the record status of 4.4.1 (see
// ValidationStatuses and PhotoValidationSubStatuses), not reason codes.
var photoTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	{status: StatusReviewPending, typ: StatusTypeNotification},
	{status: StatusIncomplete, typ: StatusTypeNotification,
		subs: []catalogCode{
			{31, "Identification document or driving licence not supported"},
			{32, "Identification document or driving licence expired"},
			{33, "Document or person not clearly identifiable"},
			{34, "Image or video quality insufficient"},
		}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{15, "Abuse (e.g. nonsense, nude photos)"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs: []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}}},
}

// videoTable is guide 4.5 (Video).
var videoTable = []catalogRow{
	{status: StatusStarted, typ: StatusTypeNone},
	// Type '-' in 4.5 and empty in the 2.6 summary for Basic/eID/Video.
	{status: StatusIncomplete, typ: StatusTypeNone,
		subs: []catalogCode{
			{50, "Problem with identification document"},
			{51, "Language problems"},
			{52, "Insufficient video quality (security features cannot be verified or identification document unreadable)"},
			{53, "Identification document has expired"},
			{54, "Unsupported identification document"},
			{55, "Problem with TAN"},
			{56, "Identification document damaged"},
			{57, "Cancellation in queue"},
			{58, "Problem with video chat recording"},
			{97, "Cancellation by user"},
			{98, "Cancellation for technical reasons"},
			{99, "Cancellation for other reasons"},
		},
		reasons: []catalogCode{
			{200, "Video only, no audio"},
			{201, "Audio only, no video"},
			{202, "Videochat recording not possible"},
			{203, "Videochat recording faulty"},
			{204, "Videochat recording with other problem"},
			{205, "Videochat recording faulty due to max queue size reached"},
			{206, "Videochat recording faulty due to too many chunks lost"},
			{207, "Videochat recording faulty due to agent disallowing screen share function (e.g. pressing stop button)"},
			{500, "Identification document blocked by business customer"},
			{510, "Communication with user not possible due to language problems"},
			{511, "Language of the user blocked by business customer"},
			{520, "Pixelated/blurry/no autofocus/mirrored"},
			{523, "Bad lighting conditions"},
			{525, "User has problems with camera"},
			{550, "User did not enter correct TAN"},
			{570, "Cancellation in queue by system"},
			{971, "Cancellation in queue by user"},
			{972, "User has hung up"},
			{973, "Timeout at user"},
			{974, "Timeout in app because in background"},
			{980, "Connection quality"},
			{981, "Video cannot be accepted"},
			{982, "Video and audio are not established"},
			{985, "User did not receive TAN"},
			{986, "Sudden disconnection"},
			{987, "Frozen image"},
			{988, "Timeout in queue"},
			{989, "Other technical reason for cancellation"},
			{990, "User uncooperative"},
			{991, "User operating error"},
			{992, "Case belongs to different person"},
			{996, "Ident/case already finished"},
			{998, "Other reason for cancellation"},
		}},
	// The texts of 11 and 15 are verbatim from 4.5, although the example in
	// parentheses reads as if it belonged to 15 (compare declined 15).
	{status: StatusReviewPending, typ: StatusTypePreliminary,
		subs: []catalogCode{
			{11, "Fraud suspicion (e.g. nonsense, nude photos)"},
			{15, "Abuse"},
		}},
	{status: StatusSuccess, typ: StatusTypeFinal, result: true},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{11, "Fraud suspicion"}},
		reasons: []catalogCode{
			{110, "Identification document possibly forged"},
			{111, "Person does not match photo"},
			{112, "Multiple identity checks for single person"},
			{113, "Multiple persons present"},
			{119, "Other reason for fraud suspicion"},
			{121, "Social engineering"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{{15, "Abuse (e.g. nonsense, nude photos)"}}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: true,
		subs: []catalogCode{
			{19, "Identification with unrecoverable data problem in videochat recording"},
			{99, "Cancellation for other reason"},
		}},
	{status: StatusDeclined, typ: StatusTypeFinal, result: false,
		subs:    []catalogCode{{12, "Operation valid time frame exceeded (case ID)"}},
		reasons: []catalogCode{{120, "Videochat recording missing or faulty"}}},
}

// catalogTables lists the tables in the order of Methods.
var catalogTables = []struct {
	method Method
	rows   []catalogRow
}{
	{MethodAutoID, autoIDTable},
	{MethodBasic, basicTable},
	{MethodEID, eidTable},
	{MethodPhoto, photoTable},
	{MethodVideo, videoTable},
}
