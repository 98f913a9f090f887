package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/httpapi"
	"github.com/notifyd/notifyd/store"
)

// version, commit are set with -ldflags "-X main.version=… -X main.commit=…".
var version, commit = "dev", ""

func (p *program) version() error {
	c := commit
	if info, ok := debug.ReadBuildInfo(); ok && c == "" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				c = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	info, _ := debug.ReadBuildInfo()
	goVersion := "unknown"
	if info != nil {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(p.stdout, "notifyd %s (commit %s, %s)\n", version, c, goVersion)
	return nil
}

// migrate implements `notifyd migrate`.
func (p *program) migrate(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usageError("migrate takes no arguments, got %q", args)
	}
	cfg, err := p.loadConfig(p.env, config.LoadOptions{NoSigning: true})
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	applied, _, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.stdout, "database migrated to schema version %d\n", applied)
	return nil
}

// config implements `notifyd config check`.
func (p *program) config(args []string) error {
	if len(args) != 1 || args[0] != "check" {
		return usageError("usage: notifyd config check")
	}
	cfg, err := p.loadConfig(p.env, config.LoadOptions{})
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(p.stderr, "warning:", w)
	}
	return cfg.WriteEffective(p.stdout)
}

// tokens implements `notifyd tokens create|list|revoke`.
func (p *program) tokens(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("usage: notifyd tokens create --role ROLE --name NAME | tokens list | tokens revoke ID")
	}
	cfg, err := p.loadConfig(p.env, config.LoadOptions{NoSigning: true})
	if err != nil {
		return err
	}
	st, err := openCheckedStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "create":
		return p.tokenCreate(ctx, st, args[1:])
	case "list":
		return p.tokenList(ctx, st)
	case "revoke":
		if len(args) != 2 {
			return usageError("usage: notifyd tokens revoke ID")
		}
		err := st.RevokeToken(ctx, args[1], time.Now())
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("tokens revoke: no token with id %q (see `notifyd tokens list`)", args[1])
		}
		if err == nil {
			fmt.Fprintf(p.stdout, "token %s revoked\n", args[1])
		}
		return err
	}
	return usageError("unknown tokens command %q: want create, list or revoke", args[0])
}

func (p *program) tokenCreate(ctx context.Context, st store.Store, args []string) error {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	role := fs.String("role", "", "one of "+strings.Join(store.Roles, ", "))
	name := fs.String("name", "", "what the token is for, e.g. the system that uses it")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err, quiet: true}
	}
	var problems []string
	if !slices.Contains(store.Roles, *role) {
		problems = append(problems, fmt.Sprintf("--role: must be one of %s, got %q", strings.Join(store.Roles, ", "), *role))
	}
	if strings.TrimSpace(*name) == "" {
		problems = append(problems, "--name: required")
	}
	if len(problems) > 0 {
		return usageError("%s", strings.Join(problems, "; "))
	}
	secret, hash, err := httpapi.NewTokenSecret()
	if err != nil {
		return err
	}
	t := &store.Token{ID: "tok_" + newID()[:8] + newID()[24:], Name: *name, Role: *role, Hash: hash, CreatedAt: time.Now()}
	if err := st.CreateToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(p.stdout, "token %s (%s, role %s) created; it is shown only this once:\n%s\n", t.ID, t.Name, t.Role, secret)
	return nil
}

func (p *program) tokenList(ctx context.Context, st store.Store) error {
	ts, err := st.ListTokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(p.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tREVOKED")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, fmtTime(&t.CreatedAt), fmtTime(t.LastUsedAt), fmtTime(t.RevokedAt))
	}
	return tw.Flush()
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
