package sim_test

import (
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/sim"
)

// A test drives a case through a scripted lifecycle and reads it the way a
// connector would, over HTTP.
func Example() {
	s, err := sim.New(sim.Config{Now: func() time.Time { return time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	id, err := s.CreateCase(sim.CaseSpec{
		Method:   connector.MethodVideo,
		Class:    connector.ClassGwG,
		Scenario: "started,incomplete:52:520,review pending,success",
	})
	if err != nil {
		panic(err)
	}
	for done := false; !done; {
		s.Advance(time.Minute)
		if done, err = s.Step(id); err != nil {
			panic(err)
		}
	}
	for _, st := range s.Transitions(id) {
		fmt.Print(st.Status)
		if st.SubStatus != nil {
			fmt.Printf(" %d", st.SubStatus.Code)
		}
		fmt.Println()
	}
	cr, _ := s.Case(id, false)
	fmt.Println(cr.CaseStatus.Status, cr.PrimaryIdent.IdentificationDocument.LastName.Status)
	// Output:
	// started
	// incomplete 52
	// review pending
	// success
	// closed new
}
