// Command deploycheck validates deployment files with the libraries the Docker
// tools themselves use, for machines without a Docker engine or the compose
// plugin:
//
//	deploycheck compose FILE
//	    Loads FILE with compose-go (the loader of `docker compose config`): Compose
//	    Specification JSON schema, interpolation, normalization and the consistency
//	    checks (unknown services, networks, volumes, secrets). Then checks that build
//	    contexts, Dockerfiles and bind-mount sources exist, that every
//	    `condition: service_healthy` dependency has a healthcheck, and that published
//	    ports bind to loopback. Prints the services.
//
//	deploycheck context [-copy DIR] ROOT
//	    Computes the Docker build context of ROOT the way the Docker CLI and BuildKit
//	    do (.dockerignore via moby/patternmatcher). Fails if the context lacks
//	    go.mod, go.sum or a file of a Go package of the module (embedded files
//	    included), or holds secrets-like files or .git. With -copy, copies the context
//	    into DIR so the Dockerfile's `go build` can be tried there.
//
// It is a separate module so the connector's go.mod does not carry these
// dependencies.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "compose":
		if len(os.Args) != 3 {
			usage()
		}
		err = checkCompose(os.Args[2])
	case "context":
		fset := flag.NewFlagSet("context", flag.ExitOnError)
		copyTo := fset.String("copy", "", "copy the build context into this directory")
		_ = fset.Parse(os.Args[2:])
		if fset.NArg() != 1 {
			usage()
		}
		err = checkContext(fset.Arg(0), *copyTo)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deploycheck compose FILE | deploycheck context [-copy DIR] ROOT")
	os.Exit(2)
}

// checkCompose loads the compose file as `docker compose config` would, with an
// empty environment so only the file's own defaults apply.
func checkCompose(file string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	abs, err := filepath.Abs(file)
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	dir := filepath.Dir(abs)
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(nil),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return fmt.Errorf("compose: options: %w", err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return fmt.Errorf("compose: %s: %w", file, err)
	}

	var problems []error
	bad := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }
	names := p.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		s := p.Services[name]
		if s.Build != nil {
			if st, err := os.Stat(s.Build.Context); err != nil || !st.IsDir() {
				bad("service %s: build context %s is not a directory", name, s.Build.Context)
			}
			df := s.Build.Dockerfile
			if !filepath.IsAbs(df) {
				df = filepath.Join(s.Build.Context, df)
			}
			if _, err := os.Stat(df); err != nil {
				bad("service %s: dockerfile %s: %v", name, df, err)
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					bad("service %s: bind mount source %s does not exist", name, v.Source)
				}
			}
		}
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				continue
			}
			t, ok := p.Services[dep]
			if !ok {
				continue // the consistency check already reported it
			}
			if t.HealthCheck == nil || t.HealthCheck.Disable || len(t.HealthCheck.Test) == 0 {
				bad("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
		}
		for _, port := range s.Ports {
			if port.Published != "" && port.HostIP != "127.0.0.1" && port.HostIP != "::1" {
				bad("service %s publishes port %s on all interfaces; bind it to 127.0.0.1", name, port.Published)
			}
		}
		img := s.Image
		if s.Build != nil {
			img += " (built from " + relTo(dir, s.Build.Context) + ", " + s.Build.Dockerfile + ")"
		}
		hc := "no healthcheck"
		if s.HealthCheck != nil && len(s.HealthCheck.Test) > 0 {
			hc = "healthcheck"
		}
		fmt.Printf("  service %-20s %s; %s\n", name, img, hc)
	}
	for name, sec := range p.Secrets {
		if sec.File != "" {
			if _, err := os.Stat(sec.File); err != nil {
				bad("secret %s: file %s does not exist", name, sec.File)
			}
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	fmt.Printf("  compose-go: %s is valid (%d services, project %q)\n", filepath.Base(file), len(names), p.Name)
	return nil
}

func relTo(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}

// checkContext lists the build context of root and checks its contents.
func checkContext(root, copyTo string) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("context: %w", err)
	}
	var patterns []string
	if f, err := os.Open(filepath.Join(root, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("context: .dockerignore: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("context: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return fmt.Errorf("context: .dockerignore: %w", err)
	}

	included := map[string]bool{}
	// goPkgFiles: every file that sits in a directory of a Go package of the
	// module (so also files it may //go:embed), outside tests and testdata.
	goDirs := map[string]bool{}
	var allFiles []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				// Still report it if the context would include it.
				if m, _ := pm.MatchesOrParentMatches(rel); !m {
					included[rel+"/"] = true
				}
				return filepath.SkipDir
			}
			// A nested module (like this tool) is not part of the main module.
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		allFiles = append(allFiles, rel)
		m, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if !m {
			included[rel] = true
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") && !inTestdata(rel) {
			goDirs[path.Dir(rel)] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("context: walk: %w", err)
	}

	var problems []error
	bad := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }
	for _, must := range []string{"go.mod", "go.sum"} {
		if !included[must] {
			bad("context lacks %s", must)
		}
	}
	for _, f := range allFiles {
		if !goDirs[path.Dir(f)] || strings.HasSuffix(f, "_test.go") || inTestdata(f) {
			continue
		}
		if !included[f] && !secretLike(f) {
			bad("context lacks %s (a file of Go package %s)", f, path.Dir(f))
		}
	}
	var inc []string
	for f := range included {
		inc = append(inc, f)
		if secretLike(f) || strings.HasPrefix(f, ".git/") || f == ".git/" || strings.HasPrefix(f, ".notes/") {
			bad("context includes %s, which must stay out of images", f)
		}
	}
	sort.Strings(inc)
	var dirs []string
	for d := range goDirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	fmt.Printf("  build context: %d of %d files, all %d Go package directories complete, no .git/keys/env files\n",
		len(inc), len(allFiles), len(dirs))
	if copyTo != "" {
		for _, f := range inc {
			if err := copyFile(filepath.Join(root, f), filepath.Join(copyTo, f)); err != nil {
				return fmt.Errorf("context: copy: %w", err)
			}
		}
	}
	return nil
}

func inTestdata(rel string) bool {
	return slices.Contains(strings.Split(rel, "/"), "testdata")
}

// secretLike names files that must never be sent to a Docker daemon.
func secretLike(rel string) bool {
	base := path.Base(rel)
	switch {
	case strings.HasSuffix(base, ".pem"), strings.HasSuffix(base, ".key"),
		base == ".env", strings.HasSuffix(base, ".env"):
		return true
	}
	return false
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
