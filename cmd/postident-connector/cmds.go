package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/scr"
	"github.com/postident-connector/postident-connector/schemas"
)

// cmdRun runs the connector's roles as the environment configures them.
func cmdRun(ctx context.Context, stderr io.Writer) error {
	cfg, err := app.LoadConfig(ctx)
	if err != nil {
		return err
	}
	a, _, done, err := app.Start(ctx, cfg, stderr, app.Options{Version: version})
	if err != nil {
		return err
	}
	defer done()
	return a.Run(ctx)
}

// cmdCase implements `case get CASEID [--full] [--status]`.
func cmdCase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "get" {
		fmt.Fprintln(stderr, "usage: postident-connector case get CASEID [--full] [--status]")
		return errUsage
	}
	fs := flag.NewFlagSet("case get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	full := fs.Bool("full", false, "all identifications of the case, not only the primary one")
	status := fs.Bool("status", false, "status only (no personal data; works for partner accounts)")
	pdf := fs.Bool("include-result-pdf", false, "include the result PDF (base64)")
	bin := fs.Bool("include-binary-data", false, "include images (base64)")
	// Accept flags before or after the case id.
	var ids []string
	rest := args[1:]
	for len(rest) > 0 {
		if err := parseFlags("case", fs, rest, stdout, stderr); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) > 0 {
			ids = append(ids, rest[0])
			rest = rest[1:]
		}
	}
	if len(ids) != 1 {
		fmt.Fprintln(stderr, "usage: postident-connector case get CASEID [--full] [--status]")
		return errUsage
	}
	cfg, err := app.LoadConfig(ctx)
	if err != nil {
		return err
	}
	client, err := app.NewSCRClient(cfg, nil, version)
	if err != nil {
		return err
	}
	defer client.Close()
	var c any
	if *status || cfg.Postident.PartnerMode {
		c, err = client.GetCaseStatus(ctx, ids[0], *full)
	} else {
		c, err = client.GetCase(ctx, ids[0], scr.GetOptions{Full: *full, IncludeResultPDF: *pdf, IncludeBinaryData: *bin})
	}
	if err != nil {
		return explainSCR(err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(c)
}

// explainSCR adds what a person can do about common POSTIDENT errors.
func explainSCR(err error) error {
	switch {
	case errors.Is(err, scr.ErrUnauthorized):
		return fmt.Errorf("%w\n  check POSTIDENT_CLIENT_ID, POSTIDENT_USERNAME and POSTIDENT_PASSWORD (the client id must be enabled for the SCR-Ident API)", err)
	case errors.Is(err, scr.ErrNotFound):
		return fmt.Errorf("%w\n  the case does not exist for this client id, or was deleted after the retention period", err)
	case errors.Is(err, scr.ErrDecrypt):
		return fmt.Errorf("%w\n  the response could not be decrypted with POSTIDENT_PRIVATE_KEY_FILE: is it the key whose public half was sent, and is POSTIDENT_DATA_PASSWORD right?", err)
	case errors.Is(err, scr.ErrBadRequest):
		return fmt.Errorf("%w\n  POSTIDENT rejected the request as malformed; with encryption on, a POSTIDENT_DATA_PASSWORD that is not this client id's data password makes the x-scr-keyhash header invalid", err)
	case errors.Is(err, scr.ErrNotEncrypted):
		return fmt.Errorf("%w\n  POSTIDENT answered in plain JSON although encryption is required; set POSTIDENT_REQUIRE_ENCRYPTION=false only for an integration environment", err)
	}
	return err
}

func cmdSchemas(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "register" {
		return cmdSchemasRegister(ctx, stdout)
	}
	for _, name := range schemas.Names() {
		fmt.Fprintf(stdout, "// %s\n%s\n", name, strings.TrimSpace(schemas.Source(name)))
	}
	return nil
}

// readIDs reads case ids, one a line, skipping blanks and # comments.
func readIDs(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ids = append(ids, line)
	}
	return ids, nil
}

// cmdSchemasRegister registers the event schemas in SCHEMA_REGISTRY_URL
// under <topic>-value for the configured topics, and prints their ids.
func cmdSchemasRegister(ctx context.Context, stdout io.Writer) error {
	cfg, err := app.LoadConfig(ctx)
	if err != nil {
		return err
	}
	if cfg.Registry.URL == "" {
		return errors.New("schemas register: SCHEMA_REGISTRY_URL is not set")
	}
	cfg.Registry.AutoRegister = true // registering is what was asked for
	codec, err := cfg.NewCodec()
	if err != nil {
		return err
	}
	for _, p := range []struct {
		topic string
		v     any
	}{
		{cfg.Topics.Status, &connector.CaseStatusChanged{}},
		{cfg.Topics.Result, &connector.CaseResultEvent{}},
		{cfg.Topics.Notifications, &connector.Notification{}},
		{cfg.Topics.State, &connector.CaseState{}},
		{cfg.Topics.DeadLetter, &connector.DeadLetter{}},
	} {
		id, err := codec.RegisterTopic(ctx, p.topic, p.v)
		if err != nil {
			return fmt.Errorf("register %s: %w", avro.Subject(p.topic), err)
		}
		fmt.Fprintf(stdout, "%s\tschema id %d\n", avro.Subject(p.topic), id)
	}
	return nil
}
