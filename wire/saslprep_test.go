package wire

import "testing"

func TestSASLprep(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		// ASCII fast path.
		{"", "", true},
		{"pencil", "pencil", true},
		{"I'm a P@ssw0rd ~!", "I'm a P@ssw0rd ~!", true},
		// ASCII control characters are prohibited (C.2.1): raw, not ok.
		{"pass\tword", "pass\tword", false},
		{"pass\x00word", "pass\x00word", false},
		{"del\x7f", "del\x7f", false},
		// C.1.2 non-ASCII spaces map to SPACE.
		{"pass\u00A0word", "pass word", true},
		{"a\u3000b\u2003c\u200Bd", "a b c d", true},
		// B.1 mapped to nothing.
		{"soft\u00ADhyphen", "softhyphen", true},
		{"zw\u200Cj\u200D\uFEFFx\uFE0F", "zwjx", true},
		// Only mapped-to-nothing characters: prohibited, as in PostgreSQL.
		{"\u00AD", "\u00AD", false},
		// Invalid UTF-8: raw.
		{"pass\xffword", "pass\xffword", false},
		{"\xc3", "\xc3", false},
		// Prohibited control character alongside non-ASCII.
		{"caf\u00E9\x01", "caf\u00E9\x01", false},
		{"caf\u00E9\u0085", "caf\u00E9\u0085", false}, // C.2.2
		{"x\uE000", "x\uE000", false},                 // C.3 private use
		{"x\u200E", "x\u200E", false},                 // C.8 LRM
		// NFKC-stable characters pass unchanged.
		{"caf\u00E9", "caf\u00E9", true},
		{"\u00DFtra\u00DFe", "\u00DFtra\u00DFe", true},
		{"\u043F\u0430\u0440\u043E\u043B\u044C", "\u043F\u0430\u0440\u043E\u043B\u044C", true},
		{"\u03B1\u03B2\u03B3", "\u03B1\u03B2\u03B3", true},
		{"\u5BC6\u7801\u30D1\u30B9\uD55C\uAE00", "\u5BC6\u7801\u30D1\u30B9\uD55C\uAE00", true},
		// Exact NFKC of compatibility characters in the repertoire.
		{"\u00AA\u00B2\u00B5", "a2\u03BC", true},
		{"x\u00BD", "x1\u20442", true},
		{"\u00A8", " \u0308", true},
		{"\u0132\u017F", "IJs", true},
		{"\uFF30\uFF41\uFF53\uFF53\uFF01", "Pass!", true},
		// Bidi: RandALCat only, first and last RandALCat.
		{"\u05E9\u05DC\u05D5\u05DD", "\u05E9\u05DC\u05D5\u05DD", true},
		{"\u05E9 1 \u05DD", "\u05E9 1 \u05DD", true},
		{"\u0645\u0631\u062D\u0628\u0627", "\u0645\u0631\u062D\u0628\u0627", true},
		{"\u05E9\u05DC\u05D5\u05DDabc", "\u05E9\u05DC\u05D5\u05DDabc", false}, // RandAL + L
		{"1\u05E9", "1\u05E9", false},                                         // first not RandAL
		{"\u05E91", "\u05E91", false},                                         // last not RandAL
		{"\u05E9\u00A0", "\u05E9\u00A0", false},                               // mapped space ends it
		// Outside the supported repertoire: raw (documented limitation).
		{"e\u0301", "e\u0301", false},                       // combining mark (NFKC would compose)
		{"\uFB01", "\uFB01", false},                         // ligature fi
		{"\u2126", "\u2126", false},                         // ohm sign (NFKC -> omega)
		{"\u0E44\u0E17\u0E22", "\u0E44\u0E17\u0E22", false}, // Thai: stable but unsupported
		{"\U0001F600", "\U0001F600", false},
	} {
		got, ok := saslprep(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("saslprep(%+q) = %+q, %v; want %+q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSASLprepRepertoire checks the invariants the approximation relies on:
// every accepted character maps to non-control output, and bidi classes do
// not overlap.
func TestSASLprepRepertoire(t *testing.T) {
	n := 0
	for r := rune(0); r <= 0x10FFFF; r++ {
		m, ok := saslprepNFKC(r)
		if !ok {
			continue
		}
		n++
		if saslprepIsNonASCIISpace(r) && r != 0x00A0 || saslprepIsMappedToNothing(r) && r != 0x00AD {
			t.Errorf("U+%04X both mapped and in repertoire", r)
		}
		for _, o := range m {
			if o < 0x20 || o == 0x7f {
				t.Errorf("U+%04X maps to control U+%04X", r, o)
			}
		}
		if saslprepIsRandAL(r) && saslprepIsL(r) {
			t.Errorf("U+%04X both RandAL and L", r)
		}
	}
	if n < 32000 {
		t.Errorf("repertoire has only %d characters", n)
	}
}
