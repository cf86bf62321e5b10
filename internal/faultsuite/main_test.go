//go:build faults

package faultsuite

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// Set up once by TestMain.
var (
	binary   string  // the connector binary
	keyPEM   []byte  // PKCS#8 PEM of the RSA key POSTIDENT encrypts for
	seed     uint64  // FAULTS_SEED, or the start time
	scale    float64 // FAULTS_SCALE, default 1
	suiteRun time.Time
)

func TestMain(m *testing.M) {
	suiteRun = time.Now()
	seed = uint64(suiteRun.UnixNano())
	if s := os.Getenv("FAULTS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "FAULTS_SEED:", err)
			os.Exit(2)
		}
		seed = v
	}
	scale = 1
	if s := os.Getenv("FAULTS_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 {
			fmt.Fprintln(os.Stderr, "FAULTS_SCALE must be a positive number")
			os.Exit(2)
		}
		scale = v
	}
	dir, err := os.MkdirTemp("", "faultsuite-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "postident-connector")
		start := time.Now()
		args := []string{"build", "-o", binary}
		if os.Getenv("FAULTS_RACE") == "1" {
			args = append(args, "-race")
		}
		args = append(args, "github.com/postident-connector/postident-connector/cmd/postident-connector")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "faultsuite: go build: %v\n%s", err, out)
			return 1
		}
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		fmt.Printf("faultsuite: connector built in %s; FAULTS_SEED=%d FAULTS_SCALE=%g\n", time.Since(start).Round(time.Millisecond), seed, scale)
		code := m.Run()
		printFigures(code)
		return code
	}()
	os.Exit(code)
}

// figures are one scenario's numbers, as printed in the table.
type figures struct {
	Scenario string
	Runs     int
	Faults   int // faults injected (kills, broker stops, 5xx, timeouts, dropped webhooks, shed requests...)
	Cases    int
	Closed   int
	Lost     int // closed cases without a result on Kafka
	SecondID int // closed cases with a result under an id other than the one their state determines
	Repeats  int // extra copies of a result record with the same id (tolerated: consumers de-duplicate)
	// StatusSecondID counts status events whose id is not the one their
	// transition determines (a transition seen under a second id).
	StatusSecondID int
	// FinalStatusMissing counts closed cases whose final state is not on the
	// status topic.
	FinalStatusMissing int
	// ArchivedEarly counts case ids POSTIDENT was asked to archive before
	// their result was durable on Kafka.
	ArchivedEarly  int
	ArchiveChecked int // case ids checked at the moment of archiving
	Archived       int // closed cases archived at the end
	Unexpected     int // connector exits the suite did not cause
	Detail         string
	Took           time.Duration
}

var (
	figMu  sync.Mutex
	allFig []figures
)

func record(f figures) {
	figMu.Lock()
	defer figMu.Unlock()
	allFig = append(allFig, f)
}

func printFigures(code int) {
	figMu.Lock()
	defer figMu.Unlock()
	if len(allFig) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nFAULT SUITE FIGURES (seed %d, scale %g, %s in total)\n", seed, scale, time.Since(suiteRun).Round(time.Second))
	w := tabwriter.NewWriter(&b, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\truns\tfaults injected\tcases\tclosed\tlost\tduplicated-with-new-id\tsame-id repeats\tstatus second id\tfinal status missing\tarchived early\tarchive checks\tarchived\tunexpected exits\ttook\t")
	var tot figures
	for _, f := range allFig {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", f.Scenario, f.Runs, f.Faults, f.Cases, f.Closed, f.Lost, f.SecondID,
			f.Repeats, f.StatusSecondID, f.FinalStatusMissing, f.ArchivedEarly, f.ArchiveChecked, f.Archived, f.Unexpected, f.Took.Round(time.Second))
		tot.Runs += f.Runs
		tot.Faults += f.Faults
		tot.Cases += f.Cases
		tot.Closed += f.Closed
		tot.Lost += f.Lost
		tot.SecondID += f.SecondID
		tot.Repeats += f.Repeats
		tot.StatusSecondID += f.StatusSecondID
		tot.FinalStatusMissing += f.FinalStatusMissing
		tot.ArchivedEarly += f.ArchivedEarly
		tot.ArchiveChecked += f.ArchiveChecked
		tot.Archived += f.Archived
		tot.Unexpected += f.Unexpected
		tot.Took += f.Took
	}
	fmt.Fprintf(w, "TOTAL\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", tot.Runs, tot.Faults, tot.Cases, tot.Closed, tot.Lost, tot.SecondID,
		tot.Repeats, tot.StatusSecondID, tot.FinalStatusMissing, tot.ArchivedEarly, tot.ArchiveChecked, tot.Archived, tot.Unexpected, tot.Took.Round(time.Second))
	w.Flush()
	b.WriteString("\nfaults per scenario:\n")
	for _, f := range allFig {
		fmt.Fprintf(&b, "  %-10s %s\n", f.Scenario+":", f.Detail)
	}
	verdict := "PASS"
	if code != 0 || tot.Lost > 0 || tot.SecondID > 0 || tot.StatusSecondID > 0 || tot.ArchivedEarly > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\nfault suite: %s: %d lost results, %d results with a second id across %d faults in %d runs over %d cases\n",
		verdict, tot.Lost, tot.SecondID, tot.Faults, tot.Runs, tot.Cases)
	fmt.Print(b.String())
	if p := os.Getenv("FAULTS_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "FAULTS_REPORT:", err)
		}
	}
}
