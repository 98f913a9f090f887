// Command notifyd is the delivery-experience notification worker: see `notifyd help`.
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitError carries a process exit code (CONTRACT.md §1: 1 failure of the work, 2 bad
// usage or invalid events). Its message, if any, has been printed already when quiet.
type exitError struct {
	code  int
	err   error
	quiet bool // the problems were already printed one per line
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.quiet {
			fmt.Fprintln(stderr, "notifyd:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "notifyd:", err)
	return 1
}

const usage = `notifyd — delivery-experience notifications for backordered and delayed orders

Usage:
  notifyd demo [--once] [--addr A] [--outbox DIR] [--events FILE] [--config FILE]
  notifyd run                      worker and HTTP server in one process
  notifyd worker                   worker only (any number per Redis)
  notifyd serve                    HTTP only
  notifyd migrate                  apply database migrations
  notifyd enqueue [--partial] [FILE|-]
  notifyd templates check [DIR]
  notifyd config check
  notifyd tokens create --role ROLE --name NAME | tokens list | tokens revoke ID
  notifyd version

Configuration comes from NOTIFYD_* environment variables and the YAML file named by
NOTIFYD_CONFIG; see the README.
`

// run is the whole program; tests call it with their own arguments and environment.
func run(ctx context.Context, args []string, env func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2, err: errors.New("no command"), quiet: true}
	}
	p := &program{env: env, stdin: stdin, stdout: stdout, stderr: stderr}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return p.demo(ctx, rest)
	case "run", "worker", "serve":
		return p.serve(ctx, cmd, rest)
	case "migrate":
		return p.migrate(ctx, rest)
	case "enqueue":
		return p.enqueue(ctx, rest)
	case "templates":
		return p.templates(ctx, rest)
	case "config":
		return p.config(rest)
	case "tokens":
		return p.tokens(ctx, rest)
	case "version", "--version":
		return p.version()
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError("unknown command %q", cmd)
}

// program holds the process's outside world.
type program struct {
	env            func(string) (string, bool)
	stdin          io.Reader
	stdout, stderr io.Writer
}
