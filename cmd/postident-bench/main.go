// Command postident-bench is the connector's load tool: it drives the
// POSTIDENT simulator and the connector's pieces against a Kafka broker and
// prints the figures of docs/BENCHMARKS.md. See -help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/postident-connector/postident-connector/internal/bench"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

const usage = `postident-bench: load tool for the POSTIDENT connector.

Usage:
  postident-bench [flags] SCENARIO...

Scenarios:
  ingest     webhook ingest: latency at fixed offered rates, throughput at saturation
  e2e        final status in the simulator -> CaseResult on Kafka: latency at a fixed
             rate, then a burst (CPU per result, results/s)
  reconcile  closed cases found by one reconcile run -> CaseResults, cases/s
  memory     bytes per tracked case in the processor state (in process)
  reload     state reload time and connector RSS at -state-cases tracked cases
  steady     5 x -state-cases cases of all time, -state-cases live: expiry, compaction, reload
  rsa        RSA-OAEP-256 decryption cost for 2048/3072/4096-bit keys
  all        every scenario above, in that order

The simulator and the connector run as child processes (this binary
re-executed), so CPU and memory are the connector's own. Kafka: -brokers or
KAFKA_BROKERS; without either an in-process kfake broker is used (figures then
say nothing about a real broker). Start a private real broker with
  KAFKA_PORT=39092 KAFKA_CONTROLLER_PORT=39093 KAFKA_LOCAL_HOME=/tmp/bench-kafka \
    deploy/kafka/kafka-local.sh start

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 3 && os.Args[1] == bench.ChildArg {
		if err := bench.ChildMain(ctx, os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "postident-bench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "postident-bench:", err)
		os.Exit(1)
	}
}

func orDefault(d time.Duration) string {
	if d == 0 {
		return "default (5ms)"
	}
	return d.String()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("postident-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var o bench.Options
	brokers := fs.String("brokers", os.Getenv(kafkatest.EnvBrokers), "Kafka bootstrap brokers, comma separated (default $KAFKA_BROKERS)")
	rates := fs.String("rates", "500,2000,5000", "ingest: offered webhook rates per second, comma separated")
	fs.IntVar(&o.Partitions, "partitions", 6, "partitions of every topic the tool creates")
	fs.IntVar(&o.KeyBits, "key-bits", 3072, "RSA key size POSTIDENT encrypts results for")
	fs.BoolVar(&o.Coalesce, "coalesce", true, "run the connector's processor with list coalescing, as the connector does by default (PROCESSOR_COALESCE); -coalesce=false fetches every case with its own GET")
	fs.IntVar(&o.CoalesceMin, "coalesce-min", 0, "smallest group of closed cases fetched with a list call (0: the connector's default)")
	fs.DurationVar(&o.BatchTimeout, "batch-timeout", 0, "Kafka writer batch timeout of the connector child (0: the connector's default, 5ms)")
	fs.StringVar(&o.ProfileDir, "profile-dir", "", "write CPU profiles of the connector child's measured phases here")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "ingest: duration of each fixed-rate phase")
	fs.IntVar(&o.Conns, "conns", 512, "ingest: load generator workers (keep-alive connections) for fixed rates")
	fs.DurationVar(&o.SatDuration, "sat-duration", 10*time.Second, "ingest: duration of the saturation phase")
	fs.IntVar(&o.SatConns, "sat-conns", 256, "ingest: concurrent requests at saturation")
	fs.IntVar(&o.E2ERate, "e2e-rate", 200, "e2e: final statuses per second")
	fs.DurationVar(&o.E2EDuration, "e2e-duration", 15*time.Second, "e2e: duration of the fixed-rate phase")
	fs.IntVar(&o.Burst, "burst", 10000, "e2e: cases in the burst")
	fs.IntVar(&o.ReconcileCases, "reconcile-cases", 10000, "reconcile: closed cases to reconcile")
	fs.IntVar(&o.StateCases, "state-cases", 1000000, "memory, reload, steady: tracked (live) cases")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	scenarios := fs.Args()
	if len(scenarios) == 0 {
		fs.Usage()
		return errors.New("name at least one scenario")
	}
	if len(scenarios) == 1 && scenarios[0] == "all" {
		scenarios = []string{"ingest", "e2e", "reconcile", "memory", "reload", "rsa"}
	}
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", r)
		}
		o.Rates = append(o.Rates, n)
	}
	for _, b := range strings.Split(*brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			o.Brokers = append(o.Brokers, b)
		}
	}
	if len(o.Brokers) == 0 {
		addrs, closeFake, err := kafkatest.NewCluster()
		if err != nil {
			return err
		}
		defer closeFake()
		o.Brokers = addrs
		fmt.Fprintln(stderr, "postident-bench: no -brokers or KAFKA_BROKERS: using an in-process kfake broker")
	}
	o.Out = stdout
	d, err := bench.NewDriver(o)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }() // a temporary directory: nothing to do if it stays
	fmt.Fprintln(stdout, bench.DescribeMachine(ctx, o.Brokers))
	fmt.Fprintf(stdout, "settings: RSA-%d, %d partitions, processor list coalescing %v (min %d, 0 = default), writer batch timeout %s\n", o.KeyBits, o.Partitions, o.Coalesce, o.CoalesceMin, orDefault(o.BatchTimeout))
	steps := map[string]func(context.Context) error{
		"ingest": d.Ingest, "e2e": d.E2E, "reconcile": d.Reconcile, "memory": d.Memory, "reload": d.Reload, "steady": d.Steady, "rsa": d.RSA,
	}
	var failed []string
	for _, s := range scenarios {
		fn, ok := steps[s]
		if !ok {
			return fmt.Errorf("unknown scenario %q (see -help)", s)
		}
		if err := fn(ctx); err != nil {
			fmt.Fprintf(stdout, "%s failed: %v\n", s, err)
			failed = append(failed, s)
			if ctx.Err() != nil {
				break
			}
		}
	}
	bench.PrintFigures(stdout, d.Figures)
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failed, ", "))
	}
	return nil
}
