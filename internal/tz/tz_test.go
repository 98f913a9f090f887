package tz

import (
	"testing"
	"time"
)

func TestLoadRemembersZones(t *testing.T) {
	a, err := Load("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("the second Load parsed the zone again instead of returning the first")
	}
	want, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	if got, wantT := at.In(a).Format(time.RFC3339), at.In(want).Format(time.RFC3339); got != wantT {
		t.Errorf("cached zone gives %s, time.LoadLocation %s", got, wantT)
	}
}

func TestLoadRejectsUnknownZones(t *testing.T) {
	for _, name := range []string{"Mars/Olympus_Mons", "Mars/Olympus_Mons"} {
		if _, err := Load(name); err == nil {
			t.Errorf("Load(%q) = nil error, want one", name)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.Run("tz.Load", func(b *testing.B) {
		for b.Loop() {
			_, _ = Load("America/New_York")
		}
	})
	b.Run("time.LoadLocation", func(b *testing.B) {
		for b.Loop() {
			_, _ = time.LoadLocation("America/New_York")
		}
	})
}
