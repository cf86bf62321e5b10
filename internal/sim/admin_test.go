package sim

import (
	"net/http"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/connector"
)

func TestAdminAPI(t *testing.T) {
	rc := newReceiver(t, nil)
	s, srv := newTestSim(t, Config{WebhookURL: rc.srv.URL})
	ctx := testCtx(t)
	admin := func(method, path, body string) response {
		return call(t, ctx, method, srv.URL+"/sim/v1"+path, "", "", body, nil)
	}

	r := admin("POST", "/cases", `{"method":"basic","class":"TKG","scenario":"success","count":3,"referenceId":"R","customData":{"k":"v"}}`)
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	var created struct{ CaseIDs []string }
	r.json(t, &created)
	if len(created.CaseIDs) != 3 {
		t.Fatalf("ids %v", created.CaseIDs)
	}
	id := created.CaseIDs[0]

	var st adminStep
	for i, want := range []string{connector.StatusStarted, connector.StatusCouponRequested, connector.StatusReviewPending, connector.StatusSuccess} {
		r = admin("POST", "/cases/"+id+"/step", "")
		r.json(t, &st)
		if r.code != 200 || st.Identification.IdentificationStatus.Status != want || st.Done != (i == 3) {
			t.Errorf("step %d: %d %s", i, r.code, r.body)
		}
	}
	if r = admin("POST", "/cases/"+created.CaseIDs[1]+"/run", ""); r.code != 200 {
		t.Errorf("run: %d", r.code)
	}
	r.json(t, &st)
	if !st.Done || st.CaseStatus != connector.CaseClosed {
		t.Errorf("run: %s", r.body)
	}
	var detail struct {
		Case        connector.CaseResult
		Class       connector.Class
		Scenario    []string
		Transitions []connector.IdentificationStatus
	}
	admin("GET", "/cases/"+id, "").json(t, &detail)
	if detail.Class != connector.ClassTKG || len(detail.Transitions) != 4 || len(detail.Scenario) != 4 || detail.Case.CaseID != id {
		t.Errorf("detail: %+v", detail)
	}
	for _, p := range []struct{ method, path string }{{"POST", "/cases/NOSUCHCASE01/step"}, {"GET", "/cases/NOSUCHCASE01"}} {
		if r := admin(p.method, p.path, ""); r.code != 404 {
			t.Errorf("%s %s: %d", p.method, p.path, r.code)
		}
	}
	for _, body := range []string{`{"method":"nope"}`, `{"scenario":"started,flying"}`, `{"count":-1}`, `{"unknown":1}`, `[`} {
		if r := admin("POST", "/cases", body); r.code != 400 {
			t.Errorf("create %s: %d", body, r.code)
		}
	}

	before := s.Now()
	var clock struct{ Now time.Time }
	admin("POST", "/clock/advance", `{"seconds":3600}`).json(t, &clock)
	if !clock.Now.Equal(before.Add(time.Hour)) {
		t.Errorf("clock %s, want %s", clock.Now, before.Add(time.Hour))
	}
	if r := admin("POST", "/clock/advance", `{"seconds":-1}`); r.code != 400 {
		t.Errorf("negative advance: %d", r.code)
	}

	waitIdle(t, s)
	var log []WebhookDelivery
	admin("GET", "/webhooks?caseId="+id, "").json(t, &log)
	if len(log) != 3 { // coupon requested, review pending, success
		t.Errorf("webhooks of %s: %d", id, len(log))
	}
	admin("GET", "/webhooks?limit=1", "").json(t, &log)
	if len(log) != 1 {
		t.Errorf("limit=1: %d", len(log))
	}

	if r := admin("PUT", "/faults", `{"latency":"1ms","errorRate":0.5,"dropWebhookRate":0.1,"partialPageSize":10,"webhookDelay":"2ms","reorderWebhooks":true}`); r.code != 204 {
		t.Fatalf("put faults: %d %s", r.code, r.body)
	}
	if f := s.CurrentFaults(); f.Latency != time.Millisecond || f.ErrorRate != 0.5 || f.PartialPageSize != 10 || f.WebhookDelay != 2*time.Millisecond || !f.ReorderWebhooks {
		t.Errorf("faults %+v", f)
	}
	var af adminFaults
	admin("GET", "/faults", "").json(t, &af)
	if af.Latency != "1ms" || af.DropWebhookRate != 0.1 {
		t.Errorf("get faults %+v", af)
	}
	for _, body := range []string{`{"errorRate":2}`, `{"latency":"soon"}`} {
		if r := admin("PUT", "/faults", body); r.code != 400 {
			t.Errorf("faults %s: %d", body, r.code)
		}
	}
	admin("PUT", "/faults", `{}`)

	if r := admin("POST", "/stream", `{"rate":500,"methods":["video","eid"],"classes":["GwG"]}`); r.code != 202 {
		t.Fatalf("stream: %d %s", r.code, r.body)
	}
	var stats Stats
	for deadline := time.Now().Add(5 * time.Second); ; {
		admin("GET", "/stats", "").json(t, &stats)
		if stats.Created > 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if stats.StreamRate != 500 || stats.Created <= 10 {
		t.Errorf("stream stats %+v", stats)
	}
	if r := admin("DELETE", "/stream", ""); r.code != 204 {
		t.Errorf("stop stream: %d", r.code)
	}
	admin("GET", "/stats", "").json(t, &stats)
	if stats.StreamRate != 0 || stats.Cases != int(stats.Created) || stats.New+stats.InProgress+stats.Closed != stats.Cases {
		t.Errorf("stats after stop %+v", stats)
	}
	for _, body := range []string{`{"rate":0}`, `{"rate":1,"methods":["nope"]}`, `{"rate":1,"classes":["nope"]}`} {
		if r := admin("POST", "/stream", body); r.code != 400 {
			t.Errorf("stream %s: %d", body, r.code)
		}
	}
	var sc map[string][]string
	admin("GET", "/scenarios", "").json(t, &sc)
	if len(sc) != 5 || len(sc["autoid"]) < 5 {
		t.Errorf("scenarios %v", sc)
	}
	if r := call(t, ctx, "GET", srv.URL+"/healthz", "", "", "", nil); r.code != 200 {
		t.Errorf("healthz %d", r.code)
	}
}

// TestStream: streamed cases advance by themselves on the simulated clock;
// with a frozen clock, Advance drives them to the end.
func TestStream(t *testing.T) {
	rc := newReceiver(t, nil)
	s, srv := newTestSim(t, Config{WebhookURL: rc.srv.URL})
	ctx := testCtx(t)
	s.StartStream(ctx, 400, []connector.Method{connector.MethodAutoID}, nil)
	for len(s.CaseIDs()) < 20 {
		select {
		case <-ctx.Done():
			t.Fatal("stream created no cases")
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.StopStream()
	n := len(s.CaseIDs())
	time.Sleep(30 * time.Millisecond)
	if len(s.CaseIDs()) != n {
		t.Errorf("stream went on after StopStream")
	}
	// Every step lies within 10 min of simulated time; 20 steps at most.
	for range 20 {
		s.Advance(10 * time.Minute)
	}
	a := newAPI(t, srv)
	list, _ := a.getList("/cases/status?new=true&inProgress=true&maxResults=1000")
	closed := 0
	for _, c := range list {
		if c.CaseStatus.Status == connector.CaseClosed {
			closed++
		}
		if c.PrimaryIdent != nil && c.PrimaryIdent.IdentificationMethod != connector.MethodAutoID {
			t.Errorf("method %s", c.PrimaryIdent.IdentificationMethod)
		}
	}
	if closed != n || len(list) != n {
		t.Errorf("%d of %d streamed cases closed (%d listed)", closed, n, len(list))
	}
	waitIdle(t, s)
	if len(rc.got()) == 0 {
		t.Errorf("streamed cases sent no webhooks")
	}
}
