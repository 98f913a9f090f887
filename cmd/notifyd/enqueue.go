package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/jobs"
)

// enqueue implements `notifyd enqueue [--partial] [FILE|-]`.
func (p *program) enqueue(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	partial := fs.Bool("partial", false, "enqueue the valid events of a file that also holds invalid ones (exit code still 2)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err, quiet: true}
	}
	if fs.NArg() > 1 {
		return usageError("enqueue takes one FILE (or - for standard input), got %d", fs.NArg())
	}
	name := "-"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	raw, err := readInput(name, p.stdin)
	if err != nil {
		return err
	}
	cfg, err := p.loadConfig(p.env, config.LoadOptions{NoSigning: true})
	if err != nil {
		return err
	}
	events, problems, err := parseInput(name, raw, event.Options{Brands: cfg.BrandIDs()})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	for _, pr := range problems {
		fmt.Fprintln(p.stderr, pr)
	}
	if len(problems) > 0 && !*partial {
		return &exitError{code: 2, quiet: true,
			err: fmt.Errorf("%d problem(s) in %s; nothing enqueued (use --partial to enqueue the valid events)", len(problems), name)}
	}
	if len(events) > 0 {
		if err := p.ingest(ctx, cfg, events); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("%d problem(s) in %s; the %d valid event(s) were passed on (see above)", len(problems), name, len(events))}
	}
	return nil
}

func (p *program) ingest(ctx context.Context, cfg *config.Config, events []*event.Event) error {
	st, err := openCheckedStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	_, q, err := redisClient(cfg)
	if err != nil {
		return err
	}
	defer q.Close()
	res, err := jobs.Ingest(ctx, st, q, events, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(p.stdout, "enqueued %d event(s); %d duplicate(s) ignored\n", len(res.Accepted), len(res.Duplicates))
	for _, id := range res.Duplicates {
		fmt.Fprintf(p.stdout, "duplicate: %s\n", id)
	}
	for _, id := range res.Changed {
		fmt.Fprintf(p.stderr, "warning: %s was received before with different content; the first one stands\n", id)
	}
	return nil
}

// readInput reads FILE, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return b, nil
}

// parseInput validates every event of an input (object, array or JSON lines) and
// formats each problem as CONTRACT.md §1 says: SOURCE:N: id=ID: PATH: message.
func parseInput(name string, raw []byte, opts event.Options) ([]*event.Event, []string, error) {
	items, err := event.Split(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var events []*event.Event
	var problems []string
	for _, it := range items {
		if it.Err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: id=: : invalid JSON: %v", name, it.N, it.Err))
			continue
		}
		e, ps := event.Parse(it.Raw, opts)
		for _, pr := range ps {
			problems = append(problems, fmt.Sprintf("%s:%d: id=%s: %s: %s", name, it.N, pr.ID, pr.Path, pr.Message))
		}
		if len(ps) == 0 {
			events = append(events, e)
		}
	}
	return events, problems, nil
}
