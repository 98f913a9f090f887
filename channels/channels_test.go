package channels_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/notifyd/notifyd/channels"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		body     string
		segments int
		encoding string
	}{
		{"empty", "", 0, channels.GSM7},
		{"160 GSM-7 chars fit one segment", strings.Repeat("a", 160), 1, channels.GSM7},
		{"161 GSM-7 chars need two of 153", strings.Repeat("a", 161), 2, channels.GSM7},
		{"306 GSM-7 chars fill two", strings.Repeat("a", 306), 2, channels.GSM7},
		{"307 GSM-7 chars need three", strings.Repeat("a", 307), 3, channels.GSM7},
		{"extension chars count twice", strings.Repeat("€", 80), 1, channels.GSM7},
		{"81 euro signs overflow", strings.Repeat("€", 81), 2, channels.GSM7},
		{"GSM accents stay GSM-7", "Grüße à Noel? é", 1, channels.GSM7},
		{"ë is not in GSM 03.38", "Noël", 1, channels.UCS2},
		{"one non-GSM char forces UCS-2", strings.Repeat("a", 70) + "ç", 2, channels.UCS2},
		{"70 UCS-2 units fit one", strings.Repeat("ł", 70), 1, channels.UCS2},
		{"71 UCS-2 units need two of 67", strings.Repeat("ł", 71), 2, channels.UCS2},
		{"emoji take two UTF-16 units", strings.Repeat("😀", 35), 1, channels.UCS2},
		{"36 emoji overflow", strings.Repeat("😀", 36), 2, channels.UCS2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n, enc := channels.Segments(c.body)
			if n != c.segments || enc != c.encoding {
				t.Errorf("Segments = %d %s, want %d %s", n, enc, c.segments, c.encoding)
			}
		})
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	if !channels.IsPermanent(channels.Permanent("550", base)) {
		t.Error("Permanent not permanent")
	}
	if channels.IsPermanent(channels.Temporary("451", base)) {
		t.Error("Temporary is permanent")
	}
	if channels.IsPermanent(base) {
		t.Error("an unclassified error must count as temporary")
	}
	wrapped := errors.Join(errors.New("ctx"), channels.Permanent("21211", base))
	if !channels.IsPermanent(wrapped) || !errors.Is(wrapped, base) {
		t.Error("classification lost through wrapping")
	}
	if got := channels.Permanent("550", base).Error(); got != "permanent failure (code 550): boom" {
		t.Errorf("Error() = %q", got)
	}
}
