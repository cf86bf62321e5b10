// Package sim is a POSTIDENT SCR-Ident simulator: the result API of "SCR-Ident
// API Guide 2 - Result" (v2.19) with the lifecycles and codes of chapter 4,
// webhooks with the retry schedule of chapter 5, JWE responses, the list and
// archive limits of chapter 7, the regulatory classes of chapters 3 and 8,
// retention, and fault injection. Nobody can test against the real POSTIDENT;
// a connector that works against this simulator is meant to work against it.
// It is used by cmd/postident-sim, the connector's dev mode and tests.
//
// It does not simulate the user side (coupons, video chats, the Start API
// beyond creating a case), SFTP delivery, video-chat recordings, or the
// callback URLs of chapter 6.
//
// # SCR-Ident API (guide chapter 7)
//
// Under /api/scr/v1/{clientId}/, Basic auth with Config.Username/Password
// (401 for a wrong login and for an unknown client ID):
//
//	GET   cases/{caseId}[/full]            case with primary identification (/full: all);
//	                                        includeBinaryData, includeResultPdf (default false)
//	GET   cases/{caseId}/status[/full]     caseId, caseStatus, orderData.customData,
//	                                        identification method+status, accountingData
//	GET   cases[/full], cases/status[/full] lists, filters new, inProgress, closed (default
//	                                        true), archived, createdFrom/Until, closedFrom/Until
//	                                        (ISO 8601 with offset; bad values 400); status lists
//	                                        also maxResults; at most 1000 per response ordered by
//	                                        creation, X-PARTIAL-DELIVERY: true when more match
//	PATCH cases/archive                    JSON array of at most 10000 caseIds (more: 400);
//	                                        archives closed cases, answers the CaseStatus (with
//	                                        caseId) of each case that changed
//	POST  cases                            Start call (guide 9.1): order data in, {"caseId"} out
//
// Trailing slashes are accepted everywhere. Unknown and deleted cases are 404.
// A partner login (Config.PartnerUsername) may start cases and read the status
// endpoints; result endpoints and archive answer 403.
//
// Choices where the guide is silent or contradicts itself:
//   - /status (non-full) carries "primaryIdent" as the text of 7.4.2 says; the
//     sample response of 7.4.2 shows "identifications" instead, which
//     Config.StatusIdentificationsArray reproduces. /full and /status/full
//     carry "identifications" and no "primaryIdent".
//   - maxResults is honoured on the status lists only (7.5.2); the data lists
//     ignore it like any unknown parameter. maxResults above 1000 means 1000;
//     X-PARTIAL-DELIVERY is also set when maxResults cut the list short.
//   - An unencoded '+' in a date arrives as a space and is rejected (400):
//     the guide asks for URL-encoding.
//   - The archive answer lists only cases whose flag changed; archiving does
//     not change caseStatus.modified.
//   - Webhook URLs with a query are refused (guide 5).
//   - PATCH and POST need Content-Type application/json (mandatory per 7.2.5);
//     anything else is a 415, as a Spring-style server answers.
//   - Timestamps are printed with seconds accuracy, but a running clock keeps
//     sub-second precision internally and the date filters compare with it
//     (as a database with milliseconds would): a case created at
//     10:00:00.4 is not in createdUntil=10:00:00. Date filters are inclusive.
//   - Error bodies are JSON {"status","error","message"}.
//
// # Encryption (guide 7.8, ENCRYPTION.md)
//
// A GET with x-scr-key (base64 DER SubjectPublicKeyInfo of an RSA key of at
// least 2048 bits) and x-scr-keyhash (base64 HMAC-SHA256 of that DER keyed
// with the data password) is answered with a compact JWE (RSA-OAEP-256,
// Config.Enc, default A256GCM; header cty application/json) and Content-Type
// application/jose. A wrong keyhash, a single header, an unusable key or an
// x-scr-alg other than RSA-OAEP-256 is a 400: the login succeeded, the request
// is malformed. With Config.RequireEncryption a GET without the headers is a
// 400 (production: encryption is mandatory; the guide names no code, and 400
// keeps 401 meaning "wrong login" for the client). PATCH and POST answers are
// never encrypted.
//
// # Lifecycles and scenarios
//
// A case is new until its first identification starts, in progress while one
// is open, and closed on success or declined, when an autoid cancellation
// leaves no configured method, or when validUntil (created + 90 days) passes:
// then every open identification becomes declined 12 and the case closes (a
// case never started closes without an identification). The primary
// identification is the most progressed one (cancelled < started < coupon
// requested < incomplete < review pending < success/declined; ties: the most
// recently modified).
//
// Cases are driven by scenarios: a built-in name of Scenarios(method),
// "random" (a plausible lifecycle chosen from Seed and caseId), or a script
//
//	[method/]status[:subStatus[:subStatusReason]],...   or the step "expire"
//
// e.g. "started,incomplete:52:520,review pending,success" or
// "autoid/started,autoid/cancelled:94:900,video/started,video/success". Every
// state is checked against the catalog of chapter 4 (connector.LookupStatus,
// SubStatusText, ReasonText), so every code of chapter 4 can be reached.
// Methods named in a script are configured for the case. "expire" sets
// validUntil to now and expires the case.
//
// Built-in scenarios:
//
//	video   success, incomplete-then-success, declined-fraud, declined-abuse,
//	        declined-other, declined-recording, expired, expired-new
//	autoid  success, incomplete-retry-success, declined-fraud, declined-abuse,
//	        declined-other, cancelled, cancelled-switch (ExtraMethods[0],
//	        default video, then succeeds), expired
//	basic   success, incomplete-then-success, declined-fraud, declined-abnormal,
//	        declined-data, expired
//	eid     success, incomplete-then-success, declined-blocked, expired
//	photo   success, incomplete-then-success, declined-fraud, declined-abuse,
//	        expired
//	all     random
//
// # Result data
//
// Result data (success and declined except subStatus 12) is synthetic and
// deterministic from Seed and caseId, clearly fake ("Erika Testfrau",
// example.com, document numbers "TSIM....."), generated on every read (nothing
// is stored, so 100 000 cases stay small). Provided order data is echoed with
// status "match", except the document data of an identification restarted
// after 'incomplete' (a new document): differing provided values are
// overwritten with status "change" (8.5, 8.6.2, 8.6.3). One case in four also
// has the 'resultdata' and 'resultimages' PDFs of 8.6.7. The fields follow
// chapter 8 per class and method:
// number/dateIssued/authority only GwG and TKG and never eID; birthPlace and
// placeOfIssue only GwG; birthName and nationality not TKG; drivingLicence
// only photo in Mobility; additionalDataVideo identificationServiceCenter(Video)
// TKG and GwG, identificationAgentAlias and identReviews TKG, tanChannel and
// videoRecordingAccepted GwG; additionalDataBasic.postOffice not GwG and
// Standard; contactData.mobilePhone for video GwG. Record metadata is always
// present as POSTIDENT stores it; documentData (a real tiny JPEG, a valid
// one-page PDF) only when includeBinaryData / includeResultPdf ask and
// connector.BinaryDelivered allows. Photo records carry the record status of
// 4.4.1. LoadCase serves a fixed case (e.g. the guide's sample 7.4.1)
// verbatim.
//
// # Webhooks (guide 5)
//
// On every state whose status type is in Config.WebhookTypes, a POST of
// {"caseId"[, "referenceId"]} goes to processData.webHookUrl (else
// Config.WebhookURL) and to processData.webHookUrlPartner, with Basic auth when
// configured and a 2 s timeout. Anything but 200 is a failure, retried
// immediately, 900 s after the first retry and 3600 s after the second, in
// simulated time; then it gives up. A pool of workers sends (over 10 000/s on
// two cores to a local receiver). Faults drop, duplicate, delay or reorder
// them. Webhooks() is the delivery log; WaitIdle waits for the queue.
//
// # Time
//
// The simulated clock starts at Config.Now() and runs Config.TimeScale times
// as fast as it; Advance jumps it forward and applies what became due
// (expiry, retention, streamed steps, webhook retries) before returning. With
// a Now that does not move, only Advance moves the clock: tests are exact.
//
// # Admin API (JSON, no authentication: keep it off public networks)
//
//	POST   /sim/v1/cases            {"method","class","scenario","count","referenceId",
//	                                 "customData","extraMethods","webhookUrlPartner",
//	                                 "auto","run"} -> 201 {"caseIds":[...]}
//	GET    /sim/v1/cases/{id}       {"case" (full, plain), "class", "scenario", "transitions"}
//	POST   /sim/v1/cases/{id}/step  one step -> {"caseId","done","caseStatus","primaryIdent"}
//	POST   /sim/v1/cases/{id}/run   to the end -> same
//	POST   /sim/v1/clock/advance    {"seconds":n} -> {"now"}
//	GET    /sim/v1/clock            {"now"}
//	GET    /sim/v1/webhooks         delivery log; ?caseId=, ?limit=
//	GET    /sim/v1/faults           current faults
//	PUT    /sim/v1/faults           {"latency":"250ms","errorRate":0.1,"dropWebhookRate":0,
//	                                 "duplicateWebhookRate":0,"reorderWebhooks":false,
//	                                 "webhookDelay":"0s","partialPageSize":0,
//	                                 "unorderedLists":false} -> 204
//	POST   /sim/v1/stream           {"rate":n,"methods":[...],"classes":[...]} -> 202
//	DELETE /sim/v1/stream           -> 204
//	GET    /sim/v1/stats            counts of cases, requests, webhooks
//	GET    /sim/v1/scenarios        scenario names per method
//	GET    /healthz                 ok
//
// The Start call (POST /api/scr/v1/{clientId}/cases) takes simulator options
// as header or query parameter: x-sim-method, x-sim-class, x-sim-scenario,
// x-sim-auto=true (advance by itself on the simulated clock).
//
// A Sim is safe for concurrent use; Close stops its goroutines.
package sim
