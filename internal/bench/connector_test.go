package bench

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/internal/app"
)

// TestChildRunsTheAppOfRun: the load tool's connector child builds the
// same roles, topics and settings from the same configuration as
// `postident-connector run`, so its figures are the connector's. The run
// side is cmdRun's path: the environment read by app.LoadConfig, then
// app.New with no options but the version; the child side is the child's
// own constructor. Nothing is started: Plan is what Run builds every role
// from.
func TestChildRunsTheAppOfRun(t *testing.T) {
	o := ConnectorOptions{Brokers: []string{"127.0.0.1:9"}, Topics: scenarioTopics("bench-plan-test."), GroupPrefix: "bench-plan-test",
		Roles: []string{"webhook", "processor", "reconciler", "archiver"}, WebhookAddr: "127.0.0.1:0", SimURL: "http://127.0.0.1:9",
		KeyFile: "/nonexistent/bench-key.pem", Parallelism: 3, MaxConns: 5, Coalesce: true, ArchiveLinger: 3 * time.Second}
	for k, v := range o.env() {
		t.Setenv(k, v) // the operator's environment of `run`
	}
	cfg, err := app.LoadConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	run, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, app.Options{Version: "dev"}).Plan()
	if err != nil {
		t.Fatal(err)
	}
	childPlan := func(o ConnectorOptions) app.Plan {
		t.Helper()
		a, _, done, err := newConnectorApp(t.Context(), o, &sourceCounter{})
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		if !reflect.DeepEqual(a.Config(), cfg) {
			t.Errorf("the child's Config differs from run's:\nchild %+v\nrun   %+v", a.Config(), cfg)
		}
		p, err := a.Plan()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	child := childPlan(o)
	if d := planDiff(run, child); len(d) > 0 {
		t.Errorf("the bench child builds another connector than run:\n%s", strings.Join(d, "\n"))
	}
	// The options reached the connector (a Plan of defaults would match
	// too, and prove nothing).
	if !slices.Equal(child.Roles, []string{"webhook", "processor", "archiver"}) || child.Processor.Parallelism != 3 || child.SCR.MaxConns != 5 ||
		child.Archiver.Linger != 3*time.Second || !child.Processor.Coalesce.Enabled || child.ProcessorGroup != "bench-plan-test.processor" ||
		child.Processor.Topics != o.Topics || child.Webhook.Username != hookUser {
		t.Errorf("the child's plan does not carry its options: %+v", child)
	}
	// The load tool's experiments are the only settings without an
	// environment variable; the comparison sees them.
	o.CoalesceMin, o.BatchTimeout = 7, 20*time.Millisecond
	d := planDiff(run, childPlan(o))
	if want := []string{"Kafka.BatchTimeout", "Processor.Coalesce.Min"}; !slices.Equal(fieldsOf(d), want) {
		t.Errorf("with tuning, differences %v, want %v", d, want)
	}
}

// planDiff lists the fields in which two Plans differ, by path.
func planDiff(a, b app.Plan) []string {
	var out []string
	var walk func(path string, x, y reflect.Value)
	walk = func(path string, x, y reflect.Value) {
		if x.Kind() == reflect.Struct {
			for i := range x.NumField() {
				f := x.Type().Field(i)
				p := f.Name
				if path != "" {
					p = path + "." + f.Name
				}
				if !f.IsExported() {
					continue
				}
				walk(p, x.Field(i), y.Field(i))
			}
			return
		}
		if !reflect.DeepEqual(x.Interface(), y.Interface()) {
			out = append(out, fmt.Sprintf("%s: run %v, child %v", path, x.Interface(), y.Interface()))
		}
	}
	walk("", reflect.ValueOf(a), reflect.ValueOf(b))
	return out
}

func fieldsOf(diff []string) []string {
	var out []string
	for _, d := range diff {
		f, _, _ := strings.Cut(d, ":")
		out = append(out, f)
	}
	return out
}
