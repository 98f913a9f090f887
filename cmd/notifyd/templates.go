package main

import (
	"context"
	"fmt"

	"github.com/notifyd/notifyd/templates"
)

// templates implements `notifyd templates check [DIR]` (CONTRACT.md §1): it renders
// every kind × channel × brand × locale against the fixtures, with DIR (or
// NOTIFYD_TEMPLATES_DIR) layered over the embedded defaults, and prints each problem
// as path:line: message. Exit 1 on any.
func (p *program) templates(_ context.Context, args []string) error {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return usageError("usage: notifyd templates check [DIR]")
	}
	dir := ""
	if len(args) == 2 {
		dir = args[1]
	} else if d, ok := p.env("NOTIFYD_TEMPLATES_DIR"); ok {
		dir = d
	}
	problems := templates.Check(dir)
	for _, pr := range problems {
		fmt.Fprintln(p.stderr, pr.Error())
	}
	if len(problems) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d template problem(s)", len(problems)), quiet: true}
	}
	fmt.Fprintf(p.stdout, "templates: %d kinds × email and SMS × %d brands × %d locales rendered without problems\n",
		len(templates.Kinds), len(templates.FixtureBrands()), len(templates.Locales))
	return nil
}
