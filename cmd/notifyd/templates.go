package main

import (
	"context"
	"fmt"

	"github.com/notifyd/notifyd/templates"
)

// templates implements `notifyd templates check`: it renders every kind for both
// channels against a sample view and reports each problem. Override directories
// (NOTIFYD_TEMPLATES_DIR, [DIR]) arrive with the branded template set.
func (p *program) templates(_ context.Context, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError("usage: notifyd templates check [DIR]")
	}
	if len(args) > 1 {
		return usageError("templates check: override directories are not supported by this version; run it without DIR")
	}
	r, err := templates.New()
	if err != nil {
		fmt.Fprintln(p.stderr, err)
		return &exitError{code: 1, err: err, quiet: true}
	}
	problems := 0
	for _, k := range templates.Kinds {
		if _, err := r.Render(k, templates.SampleView()); err != nil {
			fmt.Fprintf(p.stderr, "default/%s.tmpl: %v\n", k, err)
			problems++
		}
	}
	if problems > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d template problem(s)", problems), quiet: true}
	}
	fmt.Fprintf(p.stdout, "templates: %d kinds rendered for email and SMS without problems\n", len(templates.Kinds))
	return nil
}
