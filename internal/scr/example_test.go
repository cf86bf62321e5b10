package scr_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/postident-connector/postident-connector/internal/guidesample"
	"github.com/postident-connector/postident-connector/internal/scr"
)

// A client for the integration environment, fetching one case. In
// production set PrivateKey (from scr.LoadPrivateKey) and DataPassword, and
// RequireEncryption.
func ExampleNew() {
	// Stand-in for POSTIDENT, answering with the guide's sample (7.4.1).
	sample := guidesample.Case()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/scr/v1/1234ABCD/cases/YR9W91GEZK24" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(sample)
	}))
	defer srv.Close()

	c, err := scr.New(scr.Config{
		BaseURL:  srv.URL + "/api/scr/v1", // e.g. https://postident-itu.deutschepost.de/api/scr/v1
		ClientID: "1234ABCD",
		Username: "GK42.SCR",
		Password: "secret",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cr, err := c.GetCase(ctx, "YR9W91GEZK24", scr.GetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	p := cr.Primary()
	fmt.Println(cr.CaseID, cr.CaseStatus.Status, p.IdentificationMethod, p.IdentificationStatus.Status)

	_, err = c.GetCase(ctx, "KRZ1A8M4UBZZ", scr.GetOptions{})
	fmt.Println(err)
	// Output:
	// YR9W91GEZK24 closed video success
	// scr: get case (GET /cases/{caseId} caseId=KRZ1A8M4UBZZ): http 404: not found
}
