package bench

import (
	"math/rand"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pgwal/pgwal/internal/nfkc"
)

// The tables of internal/nfkc are generated from x/text's; these tests check
// that the algorithm around them gives what x/text's NFKC gives. Both are
// Unicode 15.0.0 (x/text v0.14.0).
//
// x/text v0.14 is not a perfect oracle: it looks compositions up by the low
// 16 bits of both code points (norm/forminfo.go, combine), so U+10047 LINEAR
// B SYLLABLE B030 MI followed by U+0302 comes out as U+011C, as if it were
// 'G'. Strings holding a code point that shares its low 16 bits with a
// different code point that composes forward are left out of the comparison
// (internal/nfkc's own tests pin those cases down).

// aliased is the set of code points x/text may compose wrongly: those that
// share their low 16 bits with a different code point that starts a
// canonical composition pair. (Hangul is composed by arithmetic, correctly.)
var aliased = sync.OnceValue(func() map[rune]bool {
	first := map[uint16][]rune{}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) || r >= 0xAC00 && r <= 0xD7A3 {
			continue
		}
		s := string(r)
		d := norm.NFD.String(s)
		if d == s || norm.NFC.String(s) != s {
			continue // not a primary composite
		}
		_, n := utf8.DecodeLastRuneInString(d)
		a, _ := utf8.DecodeRuneInString(norm.NFC.String(d[:len(d)-n]))
		first[uint16(a)] = append(first[uint16(a)], a)
	}
	m := map[rune]bool{}
	for low, as := range first {
		for plane := rune(0); plane <= 0x10; plane++ {
			r := plane<<16 | rune(low)
			for _, a := range as {
				if a != r && utf8.ValidRune(r) {
					m[r] = true
				}
			}
		}
	}
	return m
})

// xtextReliable reports whether x/text composes s right: s holds no aliased
// code point.
func xtextReliable(s string) bool {
	al := aliased()
	for _, r := range s {
		if al[r] {
			return false
		}
	}
	return true
}

func TestNFKCTablesVersion(t *testing.T) {
	if nfkc.UnicodeVersion != norm.Version {
		t.Fatalf("internal/nfkc has Unicode %s, x/text has %s: regenerate with go generate ./internal/nfkc",
			nfkc.UnicodeVersion, norm.Version)
	}
}

// TestNFKCEveryCodePoint compares every code point alone, and followed by
// marks and jamo that compose with many starters.
func TestNFKCEveryCodePoint(t *testing.T) {
	suffixes := []string{"", "\u0301", "\u0323\u0302", "\u0308\u0304", "\u0345", "\u1161", "\u11A8", "\u0B3E", "\u3099"}
	if testing.Short() {
		suffixes = suffixes[:3]
	}
	al := aliased()
	bad, skipped := 0, 0
	for r := rune(0); r <= utf8.MaxRune && bad < 20; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		if al[r] {
			skipped++
			continue
		}
		for _, suf := range suffixes {
			s := string(r) + suf
			if got, want := nfkc.String(s), norm.NFKC.String(s); got != want {
				t.Errorf("NFKC(%+q) = %+q, x/text gives %+q", s, got, want)
				bad++
			}
		}
	}
	t.Logf("%d code points skipped as aliased in x/text", skipped)
}

// TestNFKCRandomStrings compares random strings drawn mostly from the code
// points that take part in normalization: marks, composable pairs, jamo,
// compatibility characters.
func TestNFKCRandomStrings(t *testing.T) {
	var pool []rune
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		p := norm.NFKD.PropertiesString(string(r))
		if p.CCC() != 0 || p.Decomposition() != nil || !p.BoundaryBefore() || !p.BoundaryAfter() {
			pool = append(pool, r)
		}
	}
	for r := rune(0x1100); r <= 0x11FF; r++ {
		pool = append(pool, r)
	}
	pool = append(pool, 'a', 'e', 'A', ' ', '1', 0xAC00, 0xAC01, 0xD7A3)
	rng := rand.New(rand.NewSource(1))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	var b strings.Builder
	skipped, bad := 0, 0
	for i := 0; i < n && bad < 20; i++ {
		b.Reset()
		for k := 1 + rng.Intn(12); k > 0; k-- {
			if rng.Intn(8) == 0 {
				b.WriteRune(rune(rng.Intn(0x30000))) // anything, mostly unassigned
			} else {
				b.WriteRune(pool[rng.Intn(len(pool))])
			}
		}
		s := strings.ToValidUTF8(b.String(), "")
		want := norm.NFKC.String(s)
		if !xtextReliable(s) || strings.ContainsRune(want, 0x034F) && !strings.ContainsRune(s, 0x034F) {
			skipped++ // x/text's Stream-Safe U+034F after 30 marks is not NFKC
			continue
		}
		if got := nfkc.String(s); got != want {
			t.Errorf("NFKC(%+q) = %+q, x/text gives %+q", s, got, want)
			bad++
		}
	}
	t.Logf("%d random strings, %d skipped (aliased, or U+034F)", n, skipped)
}

func FuzzNFKCAgreesWithXText(f *testing.F) {
	for _, s := range []string{"cafe\u0301", "\uFB01", "\u1100\u1161\u11A8", "a\u0302\u0323", "\u3131\u314F", "\uFDFA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || !xtextReliable(s) || strings.ContainsRune(s, 0x034F) || utf8.RuneCountInString(s) > 30 {
			t.Skip()
		}
		want := norm.NFKC.String(s)
		if strings.ContainsRune(want, 0x034F) {
			t.Skip()
		}
		if got := nfkc.String(s); got != want {
			t.Errorf("NFKC(%+q) = %+q, x/text gives %+q", s, got, want)
		}
	})
}
