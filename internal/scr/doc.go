// Package scr is the client of the POSTIDENT SCR-Ident result API (guide
// "SCR-Ident API Guide 2 - Result", chapter 7): single cases, case lists and
// archiving, under {BaseURL}/{clientId}/cases, with Basic auth.
//
// It adapts HTTP to the domain types of package connector: every call
// returns connector.CaseResult or connector.CaseStatus values, decoded with
// encoding/json (any Go from 1.26) so omitted objects stay
// nil and members the model has no field for are kept (CaseResult.
// UnmappedMembers), not dropped.
//
// Decoding rules (issue 13, "tolerant where the guide is loose"; the table
// per field is in docs/EVENTS.md, "Reading POSTIDENT's answers"): a value is
// passed on only if it can be passed on unaltered. Degrade and count where
// there is a lossless rendering: a JSON number where the guide shows digits
// or a code (connector.Text, connector.Int) becomes its literal text; an
// enumerated value the guide does not list passes through and is counted in
// postident_scr_unknown_values_total{field}; an unmapped member is kept and
// counted in postident_scr_unmapped_members_total; a free-text field of the
// post-office and video data (connector.Note) that holds neither text nor a
// number is left empty, its value moved into unmappedJson under the field's
// path, counted in postident_scr_degraded_values_total{field}. Fail the case
// otherwise: a value whose JSON type its field cannot hold (an array in
// caseStatus.status, an object where a code or id belongs, a timestamp
// that is not ISO 8601) makes decodeCase return an error that names the
// field path and byte offset, never the value. A list page with such a case fails to
// decode as a whole; setting the one case aside is the caller's part.
//
// Encryption: with Config.PrivateKey set, the GET calls that return result
// data send x-scr-key, x-scr-keyhash (HMAC-SHA256 keyed with the data
// password) and x-scr-alg: RSA-OAEP-256, and the response, a compact JWE, is
// decrypted with the private key, accepting any content encryption go-jose
// supports. A plain JSON answer is accepted (integration environment) unless
// Config.RequireEncryption is set; the status calls accept one even then
// (counted, warned about once), since they carry no result data. A JWE with
// a "zip" (compression) header is refused before decrypting. The archive
// call is never encrypted.
//
// Hostile answers: the client follows no redirect (ErrRedirect), and every
// kind of answer has a size cap (2 MiB a case, 32 MiB a list page, 64 MiB a
// case with binary data or PDF) beyond which nothing is read.
//
// Retries: one wrapper retries 5xx and 429 answers, per-attempt timeouts and
// connection errors, with capped exponential backoff and full jitter,
// honouring Retry-After; 400, 401, 403, 404, decryption and decoding errors
// are returned at once. Errors are *Error values that name the call
// ("GET /cases/{caseId}") and the caseId, and can be classified with
// errors.Is against the sentinels, IsRetryable and StatusCodeOf.
//
// Personal data: response bodies carry names, birth dates and document
// numbers. This package never logs, and its errors never include a body or a
// decoded value: decoding errors give a field path and a byte offset.
//
// Not covered: starting cases (guide 1), webhooks (package webhook), video
// recordings (SFTP only), and paging policy: List reports Partial and the
// caller (the reconciler) decides whether to archive or split the window.
package scr
