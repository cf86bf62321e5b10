package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/scr"
)

// cmdCheck verifies the configuration, Kafka, the POSTIDENT credentials and
// the key, and says what is wrong in words a person can act on. It prints
// one line per check and fails if any check failed.
func cmdCheck(ctx context.Context, stdout io.Writer) error {
	failed := 0
	report := func(name string, err error, okText string) {
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL  %-13s %v\n", name, err)
			return
		}
		fmt.Fprintf(stdout, "ok    %-13s %s\n", name, okText)
	}
	cfg, err := app.LoadConfig(ctx)
	if err != nil {
		report("configuration", err, "")
		return fmt.Errorf("check failed")
	}
	report("configuration", cfg.Validate(false), fmt.Sprintf("roles %v", cfg.Roles))

	kcfg, err := cfg.KafkaClientConfig()
	if err != nil {
		report("kafka", err, "")
	} else {
		kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = kafka.Ping(kctx, kcfg)
		cancel()
		if err != nil {
			err = fmt.Errorf("%w (check KAFKA_BROKERS, KAFKA_TLS_* and KAFKA_SASL_*)", err)
		}
		report("kafka", err, fmt.Sprintf("brokers %v answer", cfg.Kafka.Brokers))
	}

	client, err := app.NewSCRClient(cfg, nil, version)
	if err != nil {
		report("postident", err, "")
		return fmt.Errorf("check failed")
	}
	defer client.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	yes := true
	list, err := client.ListCaseStatus(pctx, scr.ListFilter{New: &yes, InProgress: &yes, Closed: &yes, Archived: &yes, MaxResults: 1}, false)
	if err != nil {
		report("credentials", explainSCR(err), "")
		return fmt.Errorf("check failed")
	}
	report("credentials", nil, "POSTIDENT accepted the client id and credentials")
	if w := app.KeyFileWarning(cfg.Postident.PrivateKeyFile); w != "" {
		fmt.Fprintf(stdout, "WARN  %-13s %s\n", "key file", w)
	}
	switch {
	case cfg.Postident.PrivateKeyFile == "":
		report("encryption", nil, "no key configured: results arrive in plain JSON (integration environments only)")
	case cfg.Postident.PartnerMode:
		report("encryption", nil, "partner mode reads status only")
	case len(list.Cases) == 0:
		report("encryption", nil, "key loaded; no case exists yet to prove POSTIDENT accepts it")
	default:
		_, err := client.GetCase(pctx, list.Cases[0].CaseID, scr.GetOptions{})
		if err != nil {
			err = explainSCR(err)
		}
		report("encryption", err, "a case was fetched and decrypted with the configured key")
	}
	if failed > 0 {
		return fmt.Errorf("check failed: %d problem(s)", failed)
	}
	return nil
}
