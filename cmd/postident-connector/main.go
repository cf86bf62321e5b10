// Command postident-connector streams the results of POSTIDENT identity
// checks into Apache Kafka. See the README for the configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `postident-connector streams POSTIDENT identification results into Apache Kafka.

Usage:
  postident-connector <command> [flags]

Commands:
  run                 run the connector roles (ROLES, default all: webhook, processor, reconciler, archiver)
  dev                 everything in one process: in-process Kafka, the POSTIDENT simulator, all roles,
                      and a live view of the events (zero setup)
  case get CASEID     print the decrypted case as JSON (--full: all identifications, --status: status only)
  check               verify configuration, Kafka, POSTIDENT credentials and the key
  backfill            re-list a created-date range and re-emit its events with the same ids
  forget CASEID...    erase cases: result and dead-letter tombstones, a forget marker on the state topic (--file F)
  dead-letter list    the parked cases (answers POSTIDENT sent that could not be used): caseId, class, since, attempts
  dead-letter retry CASEID... | --all
                      fetch parked cases again (after a fix or an upgrade); success emits the normal events
  schemas             print the Avro schemas (schemas register: register them in SCHEMA_REGISTRY_URL)
  version             print the version

Configuration comes from the environment (every variable also as NAME_FILE); see the README.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "postident-connector:", err)
		}
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil // help is success
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// Subcommands without flags of their own answer -h/--help here; the
	// others in parseFlags, with their flags listed.
	switch args[0] {
	case "run", "check", "schemas", "version":
		if wantsHelp(args[1:]) {
			printUsage(stdout, args[0], nil)
			return errHelp
		}
	case "case":
		if len(args) < 2 || args[1] != "get" {
			if wantsHelp(args[1:]) {
				printUsage(stdout, "case", nil)
				return errHelp
			}
		}
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, stderr)
	case "dev":
		return cmdDev(ctx, args[1:], stdout, stderr)
	case "case":
		return cmdCase(ctx, args[1:], stdout, stderr)
	case "check":
		return cmdCheck(ctx, stdout)
	case "backfill":
		return cmdBackfill(ctx, args[1:], stdout, stderr)
	case "forget":
		return cmdForget(ctx, args[1:], stdout, stderr)
	case "dead-letter":
		return cmdDeadLetter(ctx, args[1:], stdout, stderr)
	case "schemas":
		return cmdSchemas(ctx, args[1:], stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "postident-connector", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
