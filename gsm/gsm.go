// Package gsm tells how an SMS body is encoded and how many segments it takes: GSM-7
// (GSM 03.38) when every character allows it, else UCS-2. It is a leaf package: both
// templates (which reports segments with every rendered SMS) and channels use it.
package gsm

// SMS encodings.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// gsmBasic is the GSM 03.38 basic character set; gsmExt the extension table, whose
// characters take two septets (escape + char).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

var gsmBasicSet, gsmExtSet = runeSet(gsmBasic), runeSet(gsmExt)

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool)
	for _, r := range s {
		m[r] = true
	}
	return m
}

// Segments returns how many SMS segments body takes and its encoding: GSM-7 (160
// septets in one segment, 153 per segment when concatenated) when every character is
// in the GSM 03.38 set, else UCS-2 (70 UTF-16 code units, 67 when concatenated).
func Segments(body string) (segments int, encoding string) {
	septets, gsm := 0, true
	units := 0
	for _, r := range body {
		switch {
		case gsmBasicSet[r]:
			septets++
		case gsmExtSet[r]:
			septets += 2
		default:
			gsm = false
		}
		if r > 0xFFFF {
			units += 2
		} else {
			units++
		}
	}
	if gsm {
		return count(septets, 160, 153), GSM7
	}
	return count(units, 70, 67), UCS2
}

func count(n, single, multi int) int {
	switch {
	case n == 0:
		return 0
	case n <= single:
		return 1
	default:
		return (n + multi - 1) / multi
	}
}
