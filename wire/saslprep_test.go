package wire

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pgwal/pgwal/internal/nfkc"
)

func TestSASLprep(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		// RFC 4013 section 3, the examples.
		{"rfc4013 soft hyphen", "I\u00ADX", "IX", true},
		{"rfc4013 no transformation", "user", "user", true},
		{"rfc4013 case preserved", "USER", "USER", true},
		{"rfc4013 feminine ordinal", "\u00AA", "a", true},
		{"rfc4013 roman nine", "\u2168", "IX", true},
		{"rfc4013 prohibited", "\u0007", "\u0007", false},
		{"rfc4013 bidi", "\u0627\u0031", "\u0627\u0031", false},

		// ASCII fast path.
		{"empty", "", "", true},
		{"ascii", "I'm a P@ssw0rd ~!", "I'm a P@ssw0rd ~!", true},
		{"ascii tab", "pass\tword", "pass\tword", false},
		{"ascii nul", "pass\x00word", "pass\x00word", false},
		{"ascii del", "del\x7f", "del\x7f", false},

		// Invalid UTF-8, a surrogate among it: raw.
		{"bad byte", "pass\xffword\u00E9", "pass\xffword\u00E9", false},
		{"truncated", "\xc3", "\xc3", false},
		{"surrogate", "a\xed\xa0\x80", "a\xed\xa0\x80", false},

		// Step 1.
		{"no-break space", "pass\u00A0word", "pass word", true},
		{"spaces", "a\u3000b\u2003c\u1680d", "a b c d", true},
		{"zero width space is a space", "a\u200Bb", "a b", true},
		{"mapped to nothing", "zw\u200Cj\u200D\uFEFFx\uFE0F\u034F", "zwjx", true},
		{"only mapped to nothing", "\u00AD\u200C", "\u00AD\u200C", false},

		// Step 2, NFKC.
		{"decomposed e acute", "cafe\u0301", "caf\u00E9", true},
		{"composed e acute", "caf\u00E9", "caf\u00E9", true},
		{"fi ligature", "\uFB01", "fi", true},
		{"fullwidth", "\uFF30\uFF41\uFF53\uFF53\uFF01", "Pass!", true},
		{"ohm sign", "\u2126", "\u03A9", true},
		{"latin-1 compatibility", "x\u00BD\u00B2\u00B5", "x1\u20442" + "2\u03BC", true},
		{"spacing diaeresis", "\u00A8", " \u0308", true},
		{"math bold", "\U0001D400\U0001D41B", "Ab", true},
		{"jamo", "\u1100\u1161", "\uAC00", true},
		{"jamo with final", "\u1100\u1161\u11A8", "\uAC01", true},
		{"compatibility jamo", "\u3131\u314F", "\uAC00", true},
		{"hangul syllables", "\uD55C\uAE00", "\uD55C\uAE00", true},
		{"marks reordered and composed", "a\u0302\u0323", "\u1EAD", true},
		{"marks blocked", "a\u0301\u0301", "\u00E1\u0301", true},
		{"cyrillic", "\u043F\u0430\u0440\u043E\u043B\u044C", "\u043F\u0430\u0440\u043E\u043B\u044C", true},
		{"cjk and kana", "\u5BC6\u7801\u30D1\u30B9", "\u5BC6\u7801\u30D1\u30B9", true},
		{"halfwidth katakana voiced", "\uFF8A\uFF9F", "\u30D1", true},
		{"thai", "\u0E44\u0E17\u0E22", "\u0E44\u0E17\u0E22", true},
		{"mark first", "\u0301e", "\u0301e", true},

		// Step 3, prohibited output (C.*) and unassigned in Unicode 3.2 (A.1).
		{"C.2.1 with non-ascii", "caf\u00E9\x01", "caf\u00E9\x01", false},
		{"C.2.2", "caf\u00E9\u0085", "caf\u00E9\u0085", false},
		{"C.2.2 supplementary", "a\U0001D173", "a\U0001D173", false},
		{"C.3 private use", "x\uE000", "x\uE000", false},
		{"C.3 plane 15", "x\U000F0000", "x\U000F0000", false},
		{"C.4 non-character", "x\uFDD0", "x\uFDD0", false},
		{"C.4 U+FFFE", "x\uFFFE", "x\uFFFE", false},
		{"C.6", "x\uFFFC", "x\uFFFC", false},
		{"C.7", "x\u2FF0", "x\u2FF0", false},
		{"C.8 LRM", "x\u200E", "x\u200E", false},
		{"C.8 RLO", "x\u202E", "x\u202E", false},
		{"C.9 tag", "x\U000E0001", "x\U000E0001", false},
		{"A.1", "x\u0221", "x\u0221", false},
		{"A.1 emoji", "\U0001F600", "\U0001F600", false},
		// Unassigned in 3.2 though NFKC would map it to an assigned
		// character: the check is on the input, as in PostgreSQL.
		{"A.1 later compatibility ideograph", "\uFA70", "\uFA70", false},
		// U+11A7 is where PostgreSQL's Hangul composition differs from
		// Unicode's; it never gets that far.
		{"A.1 U+11A7", "\uAC00\u11A7", "\uAC00\u11A7", false},

		// Step 4, bidi.
		{"hebrew", "\u05E9\u05DC\u05D5\u05DD", "\u05E9\u05DC\u05D5\u05DD", true},
		{"hebrew and digits", "\u05E9 1 \u05DD", "\u05E9 1 \u05DD", true},
		{"arabic and digit inside", "\u0627\u0031\u0628", "\u0627\u0031\u0628", true},
		{"RandAL and L", "\u05E9\u05DC\u05D5\u05DDabc", "\u05E9\u05DC\u05D5\u05DDabc", false},
		{"L inside", "\u05E9a\u05DD", "\u05E9a\u05DD", false},
		{"first not RandAL", "1\u05E9", "1\u05E9", false},
		{"last not RandAL", "\u05E91", "\u05E91", false},
		{"mapped space last", "\u05E9\u00A0", "\u05E9\u00A0", false},
		{"mark last", "\u05D0\u05B7", "\u05D0\u05B7", false},
		{"mapped to nothing last", "\u05D0\u200D", "\u05D0", true},
		// Checked before normalization, as PostgreSQL does: U+FE70 is
		// RandALCat, its NFKC starts with a space.
		{"checked before NFKC", "\uFE70", " \u064B", true},
		{"hebrew presentation form", "\uFB2A", "\u05E9\u05C1", true},
	} {
		got, ok := saslprep(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: saslprep(%+q) = %+q, %v; want %+q, %v", tc.name, tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSASLprepAllocations(t *testing.T) {
	for _, in := range []string{"cafe\u0301", "\u05E9\u05DC\u05D5\u05DD", "p\u00E4ssw\u00F6rd \uFB01 \u1100\u1161"} {
		if n := testing.AllocsPerRun(100, func() { saslprep(in) }); n > 1 {
			t.Errorf("saslprep(%+q) allocates %v times, want 1 (the result)", in, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { saslprep("x\uE000") }); n != 0 {
		t.Errorf("a failing saslprep allocates %v times", n)
	}
	long := strings.Repeat("\u00E9", 100)
	if got, ok := saslprep(long); !ok || got != long {
		t.Errorf("a password longer than the stack buffer: %v", ok)
	}
}

func TestSASLprepTables(t *testing.T) {
	for name, tab := range map[string]*unicode.RangeTable{
		"prohibited": stringprepProhibited, "unassigned": stringprepUnassigned,
		"RandAL": stringprepRandAL, "L": stringprepL,
	} {
		prev, latin := -1, 0
		for _, r := range tab.R16 {
			if int(r.Lo) <= prev || r.Lo > r.Hi || r.Stride != 1 {
				t.Errorf("%s: range %+v out of order", name, r)
			}
			prev = int(r.Hi)
			if r.Hi <= unicode.MaxLatin1 {
				latin++
			}
		}
		for _, r := range tab.R32 {
			if int(r.Lo) <= prev || r.Lo > r.Hi || r.Stride != 1 {
				t.Errorf("%s: range %+v out of order", name, r)
			}
			prev = int(r.Hi)
		}
		if latin != tab.LatinOffset {
			t.Errorf("%s: LatinOffset %d, want %d", name, tab.LatinOffset, latin)
		}
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if saslprepIsNonASCIISpace(r) && !unicode.Is(stringprepProhibited, r) {
			t.Errorf("C.1.2 U+%04X missing from the prohibited table", r)
		}
		if unicode.Is(stringprepRandAL, r) && unicode.Is(stringprepL, r) {
			t.Errorf("U+%04X is both RandALCat and LCat", r)
		}
	}
}

// FuzzSASLprep checks that no input panics, that a failure hands back the
// input, and that a success is the NFKC of the mapped input.
func FuzzSASLprep(f *testing.F) {
	for _, s := range []string{"", "pencil", "I\u00ADX", "cafe\u0301", "\uFB01", "\u1100\u1161\u11A8",
		"\u05E9\u05DC\u05D5\u05DD", "\u0627\u0031", "\uFE70", "pass\xffword", "\xed\xa0\x80", "a\u0302\u0323\u200B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := saslprep(s)
		if !ok {
			if got != s {
				t.Fatalf("saslprep(%+q) failed but returned %+q", s, got)
			}
			return
		}
		var mapped []rune
		for _, r := range s {
			if m, keep := saslprepMap(r); keep {
				mapped = append(mapped, m)
			}
		}
		if want := nfkc.String(string(mapped)); got != want || got == "" && s != "" || !utf8.ValidString(got) {
			t.Fatalf("saslprep(%+q) = %+q, want %+q", s, got, want)
		}
	})
}
