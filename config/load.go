package config

import (
	"errors"
	"io/fs"
	"os"
)

// LoadOptions are what Load needs besides the environment.
type LoadOptions struct {
	// Demo relaxes what only production needs (the signing key).
	Demo bool
	// NoSigning is for commands that sign no customer link (enqueue, migrate, tokens,
	// config check): NOTIFYD_SIGNING_KEY may be unset, but is still checked when set.
	NoSigning bool
	// File is the YAML used when NOTIFYD_CONFIG is unset, e.g. the demo's built-in brands.
	File []byte
	// FileName names File in messages; "built-in config" when empty.
	FileName string
}

// Load builds the effective configuration: Default, then the YAML file named by
// NOTIFYD_CONFIG (or opts.File), then the environment, which wins; then Validate. An
// empty variable counts as unset.
//
// Every problem is reported at once in a *ValidationError. The Config returned with it
// is what could be read, for `notifyd config check` to print; nothing should run on it.
func Load(lookupEnv func(string) (string, bool), opts LoadOptions) (*Config, error) {
	c := Default()
	var v problems
	name, data := opts.FileName, opts.File
	if name == "" {
		name = "built-in config"
	}
	if path, ok := lookupEnv("NOTIFYD_CONFIG"); ok && path != "" {
		name = path
		var err error
		if data, err = os.ReadFile(path); err != nil {
			if pe, ok := errors.AsType[*fs.PathError](err); ok {
				err = pe.Err
			}
			v.addf("NOTIFYD_CONFIG: cannot read the file: %v, got %q", err, path)
		}
	}
	if data != nil {
		v = append(v, c.readFile(name, data)...)
	}
	c.readEnv(lookupEnv, &v)
	if err := c.Validate(opts.Demo || opts.NoSigning); err != nil {
		v = append(v, err.(*ValidationError).Problems...)
	}
	return c, v.err()
}
