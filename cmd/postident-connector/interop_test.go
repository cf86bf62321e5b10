package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/guidesample"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
	"github.com/postident-connector/postident-connector/internal/sim"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// The interop export: the connector writes real events to a real broker, and
// this test writes down what it wrote, so that a consumer this project did
// not write (deploy/interop/consume.py: Python confluent-kafka and fastavro,
// with nothing of this repository but schemas/*.avsc) can read the same
// topics and prove that framing, headers and every field decode the same way
// outside Go. deploy/interop/run.sh runs both halves.

// Environment of the export.
const (
	// envInteropDir names the directory expected.json is written to; the
	// test skips without it (the Python half is what checks the output).
	envInteropDir = "INTEROP_DIR"
	// envInteropRegistry, when set, adds a run with SCHEMA_REGISTRY_URL
	// pointing at this Confluent-compatible registry.
	envInteropRegistry = "INTEROP_REGISTRY_URL"
)

// interopExpected is the file expected.json.
type interopExpected struct {
	GeneratedBy string       `json:"generatedBy"`
	Brokers     []string     `json:"brokers"`
	Runs        []interopRun `json:"runs"`
}

// interopRun is one connector run on its own topics.
type interopRun struct {
	// Framing is "single-object" (Avro single-object encoding) or
	// "confluent" (Confluent wire format through RegistryURL).
	Framing     string          `json:"framing"`
	RegistryURL string          `json:"registryUrl,omitempty"`
	Topics      []interopTopic  `json:"topics"`
	Cases       []interopCase   `json:"cases"`
	Records     []interopRecord `json:"records"`
	// UnmappedProbe names a member POSTIDENT's answer had and the model
	// does not map: the consumer must find it in the unmappedJson of that
	// case's CaseResult (issue 13, forward compatibility).
	UnmappedProbe *interopProbe `json:"unmappedProbe,omitempty"`
}

// interopProbe is one invented member: its JSON Pointer in the answer and
// its value.
type interopProbe struct {
	CaseID string `json:"caseId"`
	Path   string `json:"path"`
	Value  any    `json:"value"`
}

type interopTopic struct {
	Name string `json:"name"`
	// Kind is "status" or "result"; Schema the .avsc file of its values.
	Kind   string `json:"kind"`
	Schema string `json:"schema"`
}

// interopCase says what was driven, to make a failure readable.
type interopCase struct {
	CaseID   string `json:"caseId"`
	Method   string `json:"method"`
	Class    string `json:"class"`
	Scenario string `json:"scenario"`
}

// interopRecord is one record as the connector wrote it: where it is, its
// key and headers, and its value decoded by the connector's own codec and
// rendered as a generic Avro reader returns it (see avroJSON).
type interopRecord struct {
	Topic     string            `json:"topic"`
	Kind      string            `json:"kind"`
	Partition int               `json:"partition"`
	Offset    int64             `json:"offset"`
	Key       string            `json:"key"`
	Headers   map[string]string `json:"headers"`
	Value     any               `json:"value"`
}

// interopHeaders are the headers written to expected.json: the CloudEvents
// binary-mode set, the origin and the W3C trace context.
var interopHeaders = []string{
	connector.HeaderID, connector.HeaderType, connector.HeaderSource, connector.HeaderSubject,
	connector.HeaderSpecVersion, connector.HeaderTime, connector.HeaderContentType, connector.HeaderOrigin,
	"traceparent",
}

// interopCases cover every method, several classes, success and declined
// (one declined without a result: video subStatus 12), and customData.
var interopCases = []struct {
	method   connector.Method
	class    connector.Class
	scenario string
	custom   map[string]string
}{
	{connector.MethodAutoID, connector.ClassGwG, "success", map[string]string{"tenant": "de-01", "umlaut": "Grüße"}},
	{connector.MethodBasic, connector.ClassStandard, "declined-fraud", nil},
	{connector.MethodEID, connector.ClassEIDAS, "success", nil},
	{connector.MethodPhoto, connector.ClassMobility, "success", map[string]string{"channel": "app"}},
	{connector.MethodVideo, connector.ClassTKG, "declined-fraud", nil},
	{connector.MethodVideo, connector.ClassGwG, "success", nil},
	{connector.MethodVideo, connector.ClassStandard, "declined-recording", nil},
}

// TestInteropExport drives cases through the connector into the broker of
// KAFKA_BROKERS and writes $INTEROP_DIR/expected.json for
// deploy/interop/consume.py. It is the Go half of a two-language check and
// skips unless deploy/interop/run.sh (or CI) sets INTEROP_DIR.
func TestInteropExport(t *testing.T) {
	dir := os.Getenv(envInteropDir)
	if dir == "" {
		t.Skip(envInteropDir + " not set: deploy/interop/run.sh runs this test and checks its output in Python")
	}
	brokers := kafkatest.External()
	if len(brokers) == 0 {
		// kfake lives in this process: a consumer started after the test
		// would find nothing.
		t.Fatalf("%s needs a real broker in %s", envInteropDir, kafkatest.EnvBrokers)
	}
	// The connector's main installs the W3C propagator and a tracer
	// provider (telemetry.Setup); the harness does not, and without them no
	// traceparent header is written. SetupForTest installs the same
	// propagator and exports nothing.
	tel, _ := telemetry.SetupForTest()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	out := interopExpected{GeneratedBy: "TestInteropExport", Brokers: brokers}
	t.Run("single-object", func(t *testing.T) {
		out.Runs = append(out.Runs, runInterop(t, ""))
	})
	if reg := os.Getenv(envInteropRegistry); reg != "" {
		t.Run("confluent", func(t *testing.T) {
			out.Runs = append(out.Runs, runInterop(t, reg))
		})
	}
	if t.Failed() {
		return
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// Write then rename: the consumer never sees half a file.
	tmp := filepath.Join(dir, "expected.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "expected.json")); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Runs {
		n += len(r.Records)
	}
	t.Logf("wrote %s: %d runs, %d records", filepath.Join(dir, "expected.json"), len(out.Runs), n)
}

// runInterop runs the connector (with the registry at registryURL, or
// without one), drives interopCases to their end, stops the connector and
// reads back every record of the status and result topics.
func runInterop(t *testing.T, registryURL string) interopRun {
	framing := "single-object"
	var env map[string]string
	if registryURL != "" {
		framing = "confluent"
		env = map[string]string{"SCHEMA_REGISTRY_URL": registryURL, "SCHEMA_REGISTRY_AUTO_REGISTER": "true"}
	}
	e := newE2E(t, envOpts{env: env, noStart: true})
	precreateTopics(t, e)
	e.start()
	if registryURL != "" {
		// The harness's codec has no registry; Confluent-framed values
		// need one to be read back. Set before collect starts its readers.
		codec, err := avro.New(avro.Config{RegistryURL: registryURL})
		if err != nil {
			t.Fatal(err)
		}
		e.codec = codec
	}
	col := e.collect()
	statusTopic, resultTopic := e.cfgEnv["TOPIC_STATUS"], e.cfgEnv["TOPIC_RESULT"]
	run := interopRun{
		Framing: framing, RegistryURL: registryURL,
		Topics: []interopTopic{
			{Name: statusTopic, Kind: "status", Schema: "case-status-changed.avsc"},
			{Name: resultTopic, Kind: "result", Schema: "case-result.avsc"},
		},
	}

	ids := make([]string, len(interopCases))
	for i, c := range interopCases {
		id, err := e.sim.CreateCase(sim.CaseSpec{Method: c.method, Class: c.class, Scenario: c.scenario,
			ReferenceID: fmt.Sprintf("INTEROP-%d", i), CustomData: c.custom})
		if err != nil {
			t.Fatalf("%s/%s/%s: %v", c.method, c.class, c.scenario, err)
		}
		ids[i] = id
		run.Cases = append(run.Cases, interopCase{CaseID: id, Method: string(c.method), Class: string(c.class), Scenario: c.scenario})
	}

	run.UnmappedProbe = loadInteropProbe(t, e)

	// Step all cases in rounds so every intermediate state becomes an event
	// (with a previous state); a reconcile pass per round sees the states
	// POSTIDENT sends no webhook for.
	done := make([]bool, len(ids))
	for round := 0; round < 20; round++ {
		more := false
		for i, id := range ids {
			if done[i] {
				continue
			}
			d, err := e.sim.Step(id)
			if err != nil {
				t.Fatalf("%s: step: %v", id, err)
			}
			done[i] = d
			more = more || !d
		}
		e.reconcile()
		// Waiting here only keeps the states apart; the wait after the
		// loop is the one that must succeed.
		deadline := time.Now().Add(15 * time.Second)
		for !allStatuses(e, col, ids) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !more {
			break
		}
	}
	eventually(t, 30*time.Second, "final status events and results", func() (bool, string) {
		statuses, results := col.snapshot()
		for i, id := range ids {
			c, _ := e.sim.Case(id, false)
			evs := statuses[id]
			if len(evs) == 0 {
				return false, id + ": no status event"
			}
			last := evs[len(evs)-1]
			if last.CaseStatus != c.CaseStatus.Status {
				return false, fmt.Sprintf("%s: last event case status %q, simulator %q", id, last.CaseStatus, c.CaseStatus.Status)
			}
			if last.ResultExpected && len(results[id]) == 0 {
				return false, fmt.Sprintf("%s (%s/%s): no result yet", id, interopCases[i].method, interopCases[i].scenario)
			}
		}
		return true, ""
	})
	eventually(t, 30*time.Second, "the result of the unmapped-member probe", func() (bool, string) {
		_, results := col.snapshot()
		return len(results[run.UnmappedProbe.CaseID]) > 0, run.UnmappedProbe.CaseID + ": no result yet"
	})
	// Nothing may be written after the read below: the consumer must find
	// exactly these records.
	e.stop()

	results := map[string][]connector.CaseResultEvent{}
	for _, tp := range run.Topics {
		err := kafka.ReadAll(e.ctx, e.kcfg(), tp.Name, func(m connector.Message) error {
			rec, ev, err := interopRecordOf(e, tp.Kind, m)
			if err != nil {
				return err
			}
			if r, ok := ev.(*connector.CaseResultEvent); ok {
				results[r.CaseID] = append(results[r.CaseID], *r)
			}
			run.Records = append(run.Records, rec)
			return nil
		})
		if err != nil {
			t.Fatalf("read back %s: %v", tp.Name, err)
		}
	}
	checkInteropRun(t, e, ids, run, results)
	checkInteropProbe(t, run.UnmappedProbe, results)
	return run
}

// interopProbeMember is the invented member: nested in accountingData, with
// a non-ASCII string, a fraction with a trailing zero and an array, so that
// the text travels unchanged.
const interopProbeMember = `"interopProbe": {"note": "Grüße", "score": 2.50, "flags": [true, null]}`

// loadInteropProbe serves the guide's sample of 7.4.1, with an invented
// member in accountingData, as a closed case of the simulator (LoadCase
// serves accountingData as given, members the model does not map
// included); the reconciler finds it.
func loadInteropProbe(t *testing.T, e *e2eEnv) *interopProbe {
	t.Helper()
	raw := guidesample.Case()
	const at = `"accountingProduct": "Postident Video"`
	doc := strings.Replace(string(raw), at, at+", "+interopProbeMember, 1)
	if doc == string(raw) {
		t.Fatal("the guide sample has no accountingProduct")
	}
	var cr connector.CaseResult
	if err := connector.Unmarshal([]byte(doc), &cr); err != nil {
		t.Fatal(err)
	}
	cr.Normalize()
	cr.CaseID = "UNMAPPED0001"
	now := e.sim.Now()
	cr.CaseStatus.Created, cr.CaseStatus.Modified = connector.NewTime(now.Add(-time.Hour)), connector.NewTime(now.Add(-time.Minute))
	cr.CaseStatus.ValidUntil = connector.NewTime(now.Add(24 * time.Hour))
	if err := e.sim.LoadCase(cr, connector.ClassGwG); err != nil {
		t.Fatal(err)
	}
	var value any
	if err := json.Unmarshal([]byte("{"+interopProbeMember+"}"), &value); err != nil {
		t.Fatal(err)
	}
	return &interopProbe{CaseID: cr.CaseID, Path: "/accountingData/interopProbe", Value: value.(map[string]any)["interopProbe"]}
}

// checkInteropProbe: on the Go side too, the probe's member is in the
// result's unmappedJson, text for text.
func checkInteropProbe(t *testing.T, p *interopProbe, results map[string][]connector.CaseResultEvent) {
	t.Helper()
	evs := results[p.CaseID]
	if len(evs) == 0 {
		t.Fatalf("%s: no result", p.CaseID)
	}
	const want = `{"/accountingData/interopProbe":{"note":"Grüße","score":2.50,"flags":[true,null]}}`
	for _, ev := range evs {
		if ev.UnmappedJSON == nil || *ev.UnmappedJSON != want {
			t.Errorf("%s: unmappedJson %v, want %s", p.CaseID, ev.UnmappedJSON, want)
		}
	}
}

// precreateTopics creates the connector's topics and waits until every
// partition has a leader. The App creates missing topics itself, but reads
// the state topic right after creating it, and a real broker may not have
// elected the leaders yet ("Not Leader For Partition"); this export is about
// the records, not about that start-up race, so it starts the App on topics
// that exist, as in most deployments.
func precreateTopics(t *testing.T, e *e2eEnv) {
	t.Helper()
	plan, err := app.New(e.config(), slog.Default(), nil, app.Options{}).Plan()
	if err != nil {
		t.Fatal(err)
	}
	specs := plan.Topics
	if err := kafka.EnsureTopics(e.ctx, e.kcfg(), specs...); err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		eventually(t, 20*time.Second, "leaders of "+s.Name, func() (bool, string) {
			err := kafka.ReadAll(e.ctx, e.kcfg(), s.Name, func(connector.Message) error { return nil })
			if err != nil {
				return false, err.Error()
			}
			return true, ""
		})
	}
}

// allStatuses reports whether every case has at least one status event per
// simulator transition.
func allStatuses(e *e2eEnv, col *collector, ids []string) bool {
	for _, id := range ids {
		if col.statusCount(id) < len(e.sim.Transitions(id)) {
			return false
		}
	}
	return true
}

// interopRecordOf decodes one record with the connector's codec and renders
// it for expected.json.
func interopRecordOf(e *e2eEnv, kind string, m connector.Message) (interopRecord, any, error) {
	rec := interopRecord{Topic: m.Topic, Kind: kind, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Headers: map[string]string{}}
	if m.Value == nil {
		return rec, nil, fmt.Errorf("%s/%d@%d: unexpected tombstone", m.Topic, m.Partition, m.Offset)
	}
	for _, h := range interopHeaders {
		if v := m.Header(h); v != nil {
			rec.Headers[h] = string(v)
		}
	}
	var ev any
	switch kind {
	case "status":
		ev = &connector.CaseStatusChanged{}
	case "result":
		ev = &connector.CaseResultEvent{}
	default:
		return rec, nil, fmt.Errorf("unknown kind %q", kind)
	}
	if err := e.codec.Decode(e.ctx, m.Value, ev); err != nil {
		return rec, nil, fmt.Errorf("%s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
	}
	v, err := avroJSON(reflect.ValueOf(ev))
	if err != nil {
		return rec, nil, err
	}
	rec.Value = v
	return rec, ev, nil
}

// checkInteropRun checks, on the Go side, what the Python side relies on:
// every case has its records, results equal the simulator's cases (as in
// TestEndToEndMethodsAndClasses), and every record has the headers.
func checkInteropRun(t *testing.T, e *e2eEnv, ids []string, run interopRun, results map[string][]connector.CaseResultEvent) {
	t.Helper()
	perCase := map[string]map[string]int{}
	for _, r := range run.Records {
		if perCase[r.Key] == nil {
			perCase[r.Key] = map[string]int{}
		}
		perCase[r.Key][r.Kind]++
		for _, h := range interopHeaders {
			if _, ok := r.Headers[h]; !ok {
				t.Errorf("%s/%d@%d: header %s missing", r.Topic, r.Partition, r.Offset, h)
			}
		}
	}
	for i, id := range ids {
		c := interopCases[i]
		if perCase[id]["status"] == 0 {
			t.Errorf("%s (%s/%s/%s): no status records", id, c.method, c.class, c.scenario)
		}
	}
	for id, evs := range results {
		for _, got := range evs {
			if want := expectResult(t, e.sim, id, got); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: result differs from the simulator's case:\n got %+v\nwant %+v", id, got, want)
			}
		}
	}
	if len(results) == 0 {
		t.Error("no result records")
	}
}

var timeType = reflect.TypeFor[time.Time]()

// avroJSON renders an event as the value a generic Avro reader returns for
// it, in JSON: a record is an object keyed by field name (the json tags,
// which must equal the avro tags, i.e. the schema's field names), a nil
// pointer (a null branch of a union) is null, a time (timestamp-millis) is
// epoch milliseconds, and nil arrays and maps are empty ones, since Avro
// has no null array or map. encoding/json would write times as RFC 3339
// text and nil slices as null, which no Avro reader produces.
func avroJSON(v reflect.Value) (any, error) {
	if v.Type() == timeType {
		return v.Interface().(time.Time).UnixMilli(), nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return avroJSON(v.Elem())
	case reflect.Struct:
		out := make(map[string]any, v.NumField())
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			avroName, _, _ := strings.Cut(f.Tag.Get("avro"), ",")
			if name == "" || name != avroName {
				return nil, fmt.Errorf("%s.%s: json tag %q differs from avro tag %q", v.Type(), f.Name, name, avroName)
			}
			fv, err := avroJSON(v.Field(i))
			if err != nil {
				return nil, err
			}
			out[name] = fv
		}
		return out, nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil, fmt.Errorf("%s: bytes are not rendered", v.Type())
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			ev, err := avroJSON(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: map keys must be strings", v.Type())
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			ev, err := avroJSON(it.Value())
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = ev
		}
		return out, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	}
	return nil, fmt.Errorf("%s: kind %s is not rendered", v.Type(), v.Kind())
}
