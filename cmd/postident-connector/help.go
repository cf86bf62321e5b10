package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp is returned by a subcommand that printed its usage because the
// user asked for it (-h, -help, --help). Asking for help is success: run
// turns it into nil, so the process exits 0. A wrong flag or argument is
// errUsage (exit 2).
var errHelp = errors.New("help requested")

// synopses are the usage lines of the subcommands. Those with flags print
// their flags below (parseFlags).
var synopses = map[string]string{
	"run": `Usage: postident-connector run

Runs the connector roles named by ROLES (default all: webhook, processor,
reconciler, archiver). Configuration comes from the environment (every
variable also as NAME_FILE); see the README.
`,
	"dev": `Usage: postident-connector dev [flags]

Everything in one process: in-process Kafka, the POSTIDENT simulator, all
roles, and a live view of the events (zero setup).
`,
	"case": `Usage: postident-connector case get CASEID [--full] [--status] [--include-result-pdf] [--include-binary-data]

Prints the decrypted case as JSON.
`,
	"check": `Usage: postident-connector check

Verifies the configuration, Kafka, the POSTIDENT credentials and the key; one
line per check, exit 1 if any failed.
`,
	"backfill": `Usage: postident-connector backfill --created-from DATE --created-until DATE [flags]

Re-lists a created-date range and re-emits its events with the same ids.
`,
	"forget": `Usage: postident-connector forget CASEID... | --file FILE

Erases cases: tombstones the result and any dead-letter record, and writes
a forget marker (caseId and time only) on the state topic, so that the
processor, the reconciler and backfill never write the cases again.
`,
	"schemas": `Usage: postident-connector schemas [register]

Prints the Avro schemas; "schemas register" registers them in
SCHEMA_REGISTRY_URL under <topic>-value.
`,
	"version": `Usage: postident-connector version
`,
}

// isHelpFlag reports whether arg asks for help the way the flag package
// understands it.
func isHelpFlag(arg string) bool {
	switch strings.TrimLeft(arg, "-") {
	case "h", "help":
		return strings.HasPrefix(arg, "-")
	}
	return false
}

// wantsHelp reports whether args (of a subcommand without flags of its own)
// ask for help before a "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

// printUsage writes the synopsis of cmd and, when fs is not nil, its flags.
func printUsage(w io.Writer, cmd string, fs *flag.FlagSet) {
	fmt.Fprint(w, synopses[cmd])
	if fs != nil {
		fmt.Fprintln(w, "\nFlags:")
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
}

// parseFlags parses the flags of subcommand cmd. Help goes to stdout and
// yields errHelp; a bad flag is reported on stderr with the usage and
// yields errUsage.
func parseFlags(cmd string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed below, on the right stream
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, cmd, fs)
		return errHelp
	}
	printUsage(stderr, cmd, fs)
	return errUsage
}
