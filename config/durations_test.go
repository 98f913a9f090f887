package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"days", "30d", 30 * day},
		{"hours", "36h", 36 * time.Hour},
		{"days and hours", "1d12h", 36 * time.Hour},
		{"minutes", "10m", 10 * time.Minute},
		{"fractional days", "1.5d", 36 * time.Hour},
		{"fraction only", ".25d", 6 * time.Hour},
		{"negative days", "-3d", -3 * day},
		{"plus sign", "+2d", 2 * day},
		{"zero", "0", 0},
		{"hours then days", "12h1d", 36 * time.Hour},
		{"days, minutes, seconds", "1d1m1s", day + time.Minute + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "d", "30", "3x", "1..5d", "1d-2h", "30 d", "-", "999999999d", "106751d24h"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if d, err := ParseDuration(in); err == nil {
				t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"days", 30 * day, "30d"},
		{"day and a half", 36 * time.Hour, "1d12h"},
		{"hours", 12 * time.Hour, "12h"},
		{"minutes", 10 * time.Minute, "10m"},
		{"hour and minutes", 2*time.Hour + 10*time.Minute, "2h10m"},
		{"minute and seconds", 90 * time.Second, "1m30s"},
		{"days and seconds", day + 5*time.Second, "1d5s"},
		{"sub-second", 1500 * time.Millisecond, "1.5s"},
		{"negative", -3 * day, "-3d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := FormatDuration(tt.in)
			if got != tt.want {
				t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
			}
			if back, err := ParseDuration(got); err != nil || back != tt.in {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v back", got, back, err, tt.in)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	t.Parallel()
	overnight, err := ParseQuietHours("21:00-08:00")
	if err != nil {
		t.Fatal(err)
	}
	daytime, err := ParseQuietHours("12:30-13:45")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		q      QuietHours
		minute int
		want   bool
	}{
		{"overnight start is quiet", overnight, 21 * 60, true},
		{"overnight before start", overnight, 21*60 - 1, false},
		{"overnight midnight", overnight, 0, true},
		{"overnight last quiet minute", overnight, 8*60 - 1, true},
		{"overnight end is not quiet", overnight, 8 * 60, false},
		{"overnight noon", overnight, 12 * 60, false},
		{"daytime inside", daytime, 13 * 60, true},
		{"daytime before", daytime, 12*60 + 29, false},
		{"daytime end", daytime, 13*60 + 45, false},
		{"daytime midnight", daytime, 0, false},
		{"disabled", QuietHours{}, 22 * 60, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.q.Contains(tt.minute); got != tt.want {
				t.Errorf("%v.Contains(%d) = %v, want %v", tt.q, tt.minute, got, tt.want)
			}
		})
	}
	if got := overnight.String(); got != "21:00-08:00" {
		t.Errorf("String() = %q, want 21:00-08:00", got)
	}
	if got := (QuietHours{}).String(); got != "" {
		t.Errorf("disabled String() = %q, want empty", got)
	}
}

func TestParseQuietHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    QuietHours
		wantErr bool
	}{
		{"overnight", "21:00-08:00", QuietHours{Start: 21 * 60, End: 8 * 60}, false},
		{"empty disables", "", QuietHours{}, false},
		{"no dash", "21:00", QuietHours{}, true},
		{"hour out of range", "25:00-08:00", QuietHours{}, true},
		{"single-digit hour", "9:00-17:00", QuietHours{}, true},
		{"start equals end", "08:00-08:00", QuietHours{}, true},
		{"spaces", "21:00 - 08:00", QuietHours{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseQuietHours(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseQuietHours(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
