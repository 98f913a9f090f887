package gsm_test

import (
	"strings"
	"testing"

	"github.com/notifyd/notifyd/gsm"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		body     string
		segments int
		encoding string
	}{
		{"empty", "", 0, gsm.GSM7},
		{"160 GSM-7 chars fit one segment", strings.Repeat("a", 160), 1, gsm.GSM7},
		{"161 GSM-7 chars need two of 153", strings.Repeat("a", 161), 2, gsm.GSM7},
		{"306 GSM-7 chars fill two", strings.Repeat("a", 306), 2, gsm.GSM7},
		{"307 GSM-7 chars need three", strings.Repeat("a", 307), 3, gsm.GSM7},
		{"extension chars count twice", strings.Repeat("€", 80), 1, gsm.GSM7},
		{"81 euro signs overflow", strings.Repeat("€", 81), 2, gsm.GSM7},
		{"GSM accents stay GSM-7", "Grüße à Noel? é", 1, gsm.GSM7},
		{"ë is not in GSM 03.38", "Noël", 1, gsm.UCS2},
		{"one non-GSM char forces UCS-2", strings.Repeat("a", 70) + "ç", 2, gsm.UCS2},
		{"70 UCS-2 units fit one", strings.Repeat("ł", 70), 1, gsm.UCS2},
		{"71 UCS-2 units need two of 67", strings.Repeat("ł", 71), 2, gsm.UCS2},
		{"emoji take two UTF-16 units", strings.Repeat("😀", 35), 1, gsm.UCS2},
		{"36 emoji overflow", strings.Repeat("😀", 36), 2, gsm.UCS2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n, enc := gsm.Segments(c.body)
			if n != c.segments || enc != c.encoding {
				t.Errorf("Segments = %d %s, want %d %s", n, enc, c.segments, c.encoding)
			}
		})
	}
}
