package nfkc

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// Expected values are from the Unicode Character Database (UnicodeData.txt
// decompositions and classes); the bench module also compares this package
// with x/text for every code point.
func TestString(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ascii", "Pass w0rd!", "Pass w0rd!"},
		{"composes", "cafe\u0301", "caf\u00E9"},
		{"already composed", "caf\u00E9", "caf\u00E9"},
		{"ligature", "\uFB01", "fi"},
		{"fullwidth", "\uFF30\uFF41\uFF53\uFF53", "Pass"},
		{"roman numeral", "\u2168", "IX"},
		{"superscript", "x\u00B2", "x2"},
		{"vulgar fraction", "\u00BD", "1\u20442"},
		{"ohm sign is omega", "\u2126", "\u03A9"},
		{"angstrom sign", "\u212B", "\u00C5"},
		{"compatibility then composition", "\u00A8\u0301", " \u0308\u0301"},
		{"math bold", "\U0001D400\U0001D41B", "Ab"},
		{"long compatibility", "\uFDFA", "\u0635\u0644\u0649 \u0627\u0644\u0644\u0647 \u0639\u0644\u064A\u0647 \u0648\u0633\u0644\u0645"},

		// Canonical ordering: dot below (220) goes before circumflex (230),
		// whichever order they come in, and then both compose.
		{"marks in order", "a\u0323\u0302", "\u1EAD"},
		{"marks out of order", "a\u0302\u0323", "\u1EAD"},
		{"decomposed then reordered", "\u00E2\u0323", "\u1EAD"},
		// Same class: the second acute is blocked by the first.
		{"blocked", "a\u0301\u0301", "\u00E1\u0301"},
		// Class 1 (overlay) sorts first but blocks nothing of a higher class.
		{"overlay first", "o\u0301\u0338", "\u00F3\u0338"},
		{"mark at text start", "\u0301\u0323a", "\u0323\u0301a"},
		{"two-step composition", "u\u0308\u0304", "\u01D6"},

		// Hangul.
		{"jamo LV", "\u1100\u1161", "\uAC00"},
		{"jamo LVT", "\u1100\u1161\u11A8", "\uAC01"},
		{"syllable plus T", "\uAC00\u11A8", "\uAC01"},
		{"syllable stays", "\uD55C\uAE00", "\uD55C\uAE00"},
		{"LVT plus T does not compose", "\uAC01\u11A8", "\uAC01\u11A8"},
		{"U+11A7 is no T", "\uAC00\u11A7", "\uAC00\u11A7"},
		{"compatibility jamo", "\u3131\u314F", "\uAC00"},
		{"halfwidth jamo", "\uFFA1\uFFC2", "\uAC00"},
		{"parenthesized hangul", "\u3200", "(\u1100)"},
		{"mark blocks T", "\uAC00\u0301\u11A8", "\uAC00\u0301\u11A8"},

		// A starter that composes with the starter before it.
		{"oriya two-part vowel", "\u0B47\u0B3E", "\u0B4B"},
		// Composition exclusion and singleton: not recomposed.
		{"exclusion", "\u0958", "\u0915\u093C"},
		{"singleton", "\u0340", "\u0300"},
		{"non-starter decomposition", "\u0344", "\u0308\u0301"},

		// Supplementary compositions, and code points that x/text v0.14
		// wrongly composes (it keys compositions by the low 16 bits).
		{"kaithi", "\U00011099\U000110BA", "\U0001109A"},
		{"linear B is not G", "\U00010047\u0302", "\U00010047\u0302"},
		{"myanmar is not kaithi", "\u1099\U000110BA", "\u1099\U000110BA"},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("%s: String(%+q) = %+q, want %+q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestLongSegment passes the inline segment size, so the pending segment
// moves to the heap in the middle of a text.
func TestLongSegment(t *testing.T) {
	marks := strings.Repeat("\u0301", 2*inlineSegment)
	in := "xa" + marks + "\u0323b" + "e\u0301"
	want := "x\u1EA1" + marks + "b\u00E9"
	if got := String(in); got != want {
		t.Errorf("String(%+q) = %+q, want %+q", in, got, want)
	}
	// Out of order, and long: sorted stably by class, then only the first
	// dot below composes.
	in = "a" + strings.Repeat("\u0301\u0323", 40)
	want = "\u1EA1" + strings.Repeat("\u0323", 39) + strings.Repeat("\u0301", 40)
	if got := String(in); got != want {
		t.Errorf("String(%+q) = %+q, want %+q", in, got, want)
	}
}

// TestLongSegmentOfMarks normalizes 200,000 out-of-order marks after one
// starter. It asserts no time, but sorting them one insertion at a time (as
// this package first did) made it take minutes instead of milliseconds.
func TestLongSegmentOfMarks(t *testing.T) {
	in := "a" + strings.Repeat("\u0301\u0323", 100000)
	if got := String(in); utf8.RuneCountInString(got) != 200000 {
		t.Errorf("%d code points out", utf8.RuneCountInString(got))
	}
}

func TestInvalidUTF8(t *testing.T) {
	if got, want := String("a\xffe\u0301\xc3"), "a\uFFFD\u00E9\uFFFD"; got != want {
		t.Errorf("got %+q, want %+q", got, want)
	}
	var z Normalizer
	var dst []byte
	for _, r := range []rune{-1, 0xD800, utf8.MaxRune + 1, 'e', 0x301} {
		dst = z.Append(dst, r)
	}
	if got, want := string(z.Flush(dst)), "\uFFFD\uFFFD\uFFFD\u00E9"; got != want {
		t.Errorf("invalid runes: got %+q, want %+q", got, want)
	}
}

func TestNoAllocations(t *testing.T) {
	buf := make([]byte, 0, 64)
	in := "cafe\u0301 \uFB01 \u1100\u1161\u11A8 a\u0302\u0323"
	if n := testing.AllocsPerRun(100, func() { buf = AppendString(buf[:0], in) }); n != 0 {
		t.Errorf("AppendString into a large enough buffer allocates %v times", n)
	}
}

func TestTables(t *testing.T) {
	for i := range cccRuns {
		c := cccRuns[i]
		if c.lo > c.hi || c.class == 0 || i > 0 && cccRuns[i-1].hi >= c.lo {
			t.Errorf("cccRuns[%d] = %+v out of order", i, c)
		}
	}
	if len(decompOffs) != len(decompKeys)+1 || int(decompOffs[len(decompKeys)]) != len(decompData) {
		t.Fatalf("%d keys, %d offsets, %d bytes", len(decompKeys), len(decompOffs), len(decompData))
	}
	for i, k := range decompKeys {
		d := decompData[decompOffs[i]:decompOffs[i+1]]
		if i > 0 && decompKeys[i-1] >= k || d == "" || !utf8.ValidString(d) || utf8.RuneCountInString(d) > maxDecomposition {
			t.Errorf("decomposition %d of U+%04X: %+q", i, k, d)
		}
		for _, r := range d {
			if _, ok := decomposition(r); ok || r >= sBase && r < sBase+sCount {
				t.Errorf("decomposition of U+%04X holds U+%04X, which decomposes", k, r)
			}
		}
	}
	for i := range compPairs {
		if i > 0 && compPairs[i-1]>>21 >= compPairs[i]>>21 {
			t.Errorf("compPairs[%d] out of order", i)
		}
		a := rune(compPairs[i] >> 42)
		if combiningClass(a) != 0 {
			t.Errorf("composition pair starts with non-starter U+%04X", a)
		}
	}
}

// genText draws strings from code points that take part in normalization.
func genText() gopter.Gen {
	interesting := []rune{'a', 'e', 'o', 'u', 'A', ' ', 0x00E2, 0x00A8, 0x0300, 0x0301, 0x0302, 0x0308,
		0x0323, 0x0327, 0x0338, 0x0344, 0x0345, 0x1100, 0x1161, 0x11A7, 0x11A8, 0xAC00, 0xAC01,
		0x3131, 0x314F, 0xFB01, 0x2126, 0x0B47, 0x0B3E, 0x0958, 0x0F71, 0x0F72, 0x0F73, 0xFDFA,
		0x1FC1, 0x1FEE, 0x3099, 0x304B, 0x30AB, 0xFF76, 0xFF9E, 0x1D15E, 0x1D165, 0x11099, 0x110BA}
	return gen.SliceOf(gen.OneGenOf(
		gen.IntRange(0, len(interesting)-1).Map(func(i int) rune { return interesting[i] }),
		gen.Rune(),
	)).Map(func(rs []rune) string { return string(rs) })
}

func TestProperties(t *testing.T) {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 2000
	if testing.Short() {
		p.MinSuccessfulTests = 200
	}
	props := gopter.NewProperties(p)
	props.Property("NFKC is idempotent", prop.ForAll(func(s string) bool {
		n := String(s)
		return String(n) == n
	}, genText()))
	props.Property("a normalizer reused after Flush starts afresh", prop.ForAll(func(a, b string) bool {
		var z Normalizer
		var out []byte
		for _, r := range a {
			out = z.Append(out, r)
		}
		out = z.Flush(out)
		mark := len(out)
		for _, r := range b {
			out = z.Append(out, r)
		}
		out = z.Flush(out)
		return string(out[:mark]) == String(a) && string(out[mark:]) == String(b)
	}, genText(), genText()))
	props.Property("a text splits at a starter no mark follows", prop.ForAll(func(a, b string) bool {
		// No composition starts or ends with '0', so only marks right
		// after it tie b to a.
		if r, _ := utf8.DecodeRuneInString(b); b != "" {
			if d, ok := decomposition(r); ok {
				r, _ = utf8.DecodeRuneInString(d)
			}
			if combiningClass(r) != 0 {
				return true
			}
		}
		return String(a+"0"+b) == String(a+"0")+String(b)
	}, genText(), genText()))
	props.TestingRun(t)
}
