package store

import (
	"errors"
	"testing"
)

func TestCompareSchema(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		applied, want int64
		msg           string // "" means nil
	}{
		{"current", 3, 3, ""},
		{"unmigrated", 0, 3, "database is not migrated: run `notifyd migrate`"},
		{"behind", 2, 3, "database schema is at version 2, this notifyd needs 3: run `notifyd migrate`"},
		{"newer", 4, 3, "database schema version 4 is newer than this notifyd (3): upgrade notifyd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := CompareSchema(c.applied, c.want)
			if c.msg == "" {
				if err != nil {
					t.Errorf("CompareSchema = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrSchema) || err.Error() != c.msg {
				t.Errorf("CompareSchema = %v, want ErrSchema saying %q", err, c.msg)
			}
			var se *SchemaError
			if !errors.As(err, &se) || se.Applied != c.applied || se.Want != c.want {
				t.Errorf("CompareSchema = %#v, want a *SchemaError{%d, %d}", err, c.applied, c.want)
			}
		})
	}
}
