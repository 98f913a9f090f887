// Package tz loads IANA time zones once per process.
//
// time.LoadLocation reads and parses the zone from the system database or the
// embedded time/tzdata on every call (tens of microseconds); a restock of 100,000
// orders asks for the same few zones hundreds of thousands of times.
package tz

import (
	"sync"
	"time"
)

var cache sync.Map // name → *time.Location

// Load is time.LoadLocation, remembered: a zone is parsed the first time it is asked
// for. Errors are not remembered.
func Load(name string) (*time.Location, error) {
	if loc, ok := cache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	cache.Store(name, loc)
	return loc, nil
}
