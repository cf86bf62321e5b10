// Package webhook is the HTTP ingress for POSTIDENT webhooks (SCR-Ident API
// Guide 2, chapter 5): POSTIDENT POSTs {"caseId", "referenceId"} when a case
// reaches a notification, preliminary or final status, expects 200 within
// 2 seconds, and otherwise retries immediately, after 900 s and after another
// 3600 s.
//
// The Handler checks the call (source address, rate, Basic auth, method,
// Content-Type, size, strict JSON with a validated caseId), hands the
// notification to a Sink and answers 200 only once the sink has made it
// durable — in the connector, once Kafka acknowledged it with acks=all. If the
// sink fails or is not done within Config.Deadline (1.5 s by default) it
// answers 503 with Retry-After: 1, so POSTIDENT retries and the reconciler
// covers what is still missing. Duplicates are expected and harmless: the
// notification only says "look at this case again".
//
// What it does not do: it does not talk to Kafka (the Sink is wired to
// internal/kafka by the binary), does not fetch the case, and does not
// terminate TLS by itself; http.Server does, with CertReloader.GetCertificate
// if the connector serves TLS (WEBHOOK_TLS_CERT_FILE, WEBHOOK_TLS_KEY_FILE).
// POSTIDENT only accepts publicly trusted certificates.
//
// Answers are short plain-text reasons ("invalid caseId", "unauthorized",
// "source address not allowed", ...) that never echo the request. Every
// request on the path gets an X-Request-Id (the caller's, if sane), a span
// "webhook.receive", one log line and the metrics postident_webhooks_total
// {outcome, reason} and postident_webhook_duration_seconds through the global
// OpenTelemetry providers. The referenceId may be a customer reference and is
// treated as personal data: it reaches the sink and nothing else — no logs,
// span attributes or metric labels. The caseId is logged once validated.
//
// A referenceId the connector cannot pass on (over 256 characters, a control
// or format character, invalid UTF-8, not a string, or given twice) does not
// cost the notification: the guide gives it no format (chapter 5), and a 400
// would fail POSTIDENT's retries alike. The caseId is accepted, the
// referenceId dropped (not truncated), counted in
// postident_webhook_reference_id_dropped_total{reason} and logged with the
// reason but never the value.
//
// Rejection reasons (the metric label "reason"): method (405),
// content_type (415), too_large (413), bad_json (400: body unreadable or not
// one JSON object), bad_case_id (400), unauthorized (401),
// forbidden (403), rate_limited (429), overloaded (503: MaxInFlight reached,
// or draining), sink_error (503), timeout (503: Deadline passed). Other paths
// get 404 and are not counted; the path is matched as sent, so a
// percent-encoded variant (/postident%2Fwebhook) is another path.
//
// NewServer returns the http.Server for the handler with bounded header,
// read, write and idle times and a 16 KiB header limit.
//
// Shutdown: call http.Server.Shutdown, then Handler.Drain, which refuses new
// calls and waits for the ones in flight, including sink calls.
package webhook
