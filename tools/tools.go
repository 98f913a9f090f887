//go:build tools

// Package tools pins the test tools notifyd builds from source, in a module of its own
// so their dependencies stay out of notifyd's go.mod. Build them with
// `make tools` (or `go build -o bin/mailpit github.com/axllent/mailpit` here).
package tools

import _ "github.com/axllent/mailpit"
