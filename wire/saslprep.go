package wire

import "unicode/utf8"

// saslprep prepares a password with SASLprep (RFC 4013, a profile of
// stringprep, RFC 3454) the way PostgreSQL's pg_saslprep does before SCRAM.
// It returns the prepared string and true, or the input unchanged and false
// when the string cannot (or, see below, cannot exactly) be prepared. Like
// PostgreSQL (client and server), callers then use the raw password bytes,
// which is what the server did when it stored a verifier for such a password.
//
// Exact parts:
//   - Pure ASCII fast path: printable ASCII is returned unchanged. ASCII
//     control characters (RFC 3454 C.2.1) make it fail (PostgreSQL's own
//     fast path returns any pure-ASCII string unchanged, so the caller ends up
//     with the same bytes either way).
//   - Invalid UTF-8 fails.
//   - Step 1, mapping: non-ASCII space characters (C.1.2) become U+0020 and
//     "commonly mapped to nothing" characters (B.1) are removed, with
//     PostgreSQL's tables (U+200B is treated as a space, as PostgreSQL does).
//     A string that maps to nothing fails, as in PostgreSQL.
//   - Step 4, bidi (RFC 3454 section 6): if any RandALCat (D.1) character is
//     present there must be no LCat (D.2) character, and the first and last
//     characters must be RandALCat. Classification is exact for every
//     character this implementation accepts (see the repertoire below).
//
// Approximated part — step 2 (NFKC) and the A.1/C.3–C.9 prohibition checks:
// the standard library has no Unicode normalisation tables, so instead of a
// full NFKC this implementation accepts only a fixed repertoire of characters
// whose NFKC result it knows exactly, all assigned in Unicode 3.2 and none
// prohibited:
//
//	U+0020–007E   printable ASCII (unchanged)
//	U+00A1–00FF   Latin-1 (unchanged, except the 13 compatibility characters
//	              ¨ ª ¯ ² ³ ´ µ ¸ ¹ º ¼ ½ ¾, mapped to their exact NFKC forms)
//	U+0100–017F   Latin Extended-A (unchanged, except Ĳ ĳ Ŀ ŀ ŉ ſ, mapped)
//	U+0386, 0388–038A, 038C, 038E–03A1, 03A3–03CE   Greek letters
//	U+0400–045F   Cyrillic
//	U+05D0–05EA   Hebrew letters            (RandALCat)
//	U+0621–063A, 0640–064A   Arabic letters (RandALCat)
//	U+0660–0669   Arabic-Indic digits
//	U+3041–3096, 309D–309E, 30A1–30FE   Hiragana, Katakana (no combining marks)
//	U+4E00–9FA5   CJK Unified Ideographs (Unicode 3.2 block)
//	U+AC00–D7A3   Hangul syllables
//	U+FF01–FF5E   fullwidth ASCII, mapped to U+0021–007E (exact NFKC)
//
// No combining marks or conjoining jamo are accepted, so canonical
// composition cannot join neighbouring characters and the per-character
// mapping above equals NFKC of the whole string. Any other character
// (including every prohibited one) makes saslprep fail, and the caller falls
// back to the raw password. LIMITATION: that is correct when PostgreSQL would
// also have failed (prohibited or unassigned characters) or when the password
// contains no mapped characters and is already NFKC-normal; it is WRONG (the
// server computed the verifier from a different string, so authentication
// fails) for passwords containing a character outside the repertoire that
// NFKC changes, or that also contain a C.1.2/B.1 character the server mapped.
func saslprep(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f {
				return s, false // C.2.1 ASCII control character
			}
		}
		return s, true
	}
	if !utf8.ValidString(s) {
		return s, false
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case saslprepIsNonASCIISpace(r):
			out = append(out, ' ')
		case saslprepIsMappedToNothing(r):
		default:
			m, ok := saslprepNFKC(r)
			if !ok {
				return s, false
			}
			out = append(out, m...)
		}
	}
	if len(out) == 0 {
		return s, false
	}
	for _, r := range out {
		if r < 0x20 || r == 0x7f {
			return s, false
		}
	}
	hasRandAL, hasL := false, false
	for _, r := range out {
		if saslprepIsRandAL(r) {
			hasRandAL = true
		} else if saslprepIsL(r) {
			hasL = true
		}
	}
	if hasRandAL && (hasL || !saslprepIsRandAL(out[0]) || !saslprepIsRandAL(out[len(out)-1])) {
		return s, false
	}
	return string(out), true
}

// saslprepIsNonASCIISpace reports RFC 3454 table C.1.2 (PostgreSQL's
// non_ascii_space_ranges).
func saslprepIsNonASCIISpace(r rune) bool {
	switch {
	case r == 0x00A0, r == 0x1680, r >= 0x2000 && r <= 0x200B,
		r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// saslprepIsMappedToNothing reports RFC 3454 table B.1.
func saslprepIsMappedToNothing(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x1806, r >= 0x180B && r <= 0x180D,
		r >= 0x200B && r <= 0x200D, r == 0x2060, r >= 0xFE00 && r <= 0xFE0F,
		r == 0xFEFF:
		return true
	}
	return false
}

// saslprepNFKC returns the NFKC form of r for the characters of the
// repertoire documented on saslprep, and false for any other character.
func saslprepNFKC(r rune) ([]rune, bool) {
	switch r {
	case 0x00A8:
		return []rune{0x0020, 0x0308}, true
	case 0x00AA:
		return []rune{'a'}, true
	case 0x00AF:
		return []rune{0x0020, 0x0304}, true
	case 0x00B2:
		return []rune{'2'}, true
	case 0x00B3:
		return []rune{'3'}, true
	case 0x00B4:
		return []rune{0x0020, 0x0301}, true
	case 0x00B5:
		return []rune{0x03BC}, true
	case 0x00B8:
		return []rune{0x0020, 0x0327}, true
	case 0x00B9:
		return []rune{'1'}, true
	case 0x00BA:
		return []rune{'o'}, true
	case 0x00BC:
		return []rune{'1', 0x2044, '4'}, true
	case 0x00BD:
		return []rune{'1', 0x2044, '2'}, true
	case 0x00BE:
		return []rune{'3', 0x2044, '4'}, true
	case 0x0132:
		return []rune{'I', 'J'}, true
	case 0x0133:
		return []rune{'i', 'j'}, true
	case 0x013F:
		return []rune{'L', 0x00B7}, true
	case 0x0140:
		return []rune{'l', 0x00B7}, true
	case 0x0149:
		return []rune{0x02BC, 'n'}, true
	case 0x017F:
		return []rune{'s'}, true
	}
	switch {
	case r >= 0x0020 && r <= 0x007E,
		r >= 0x00A1 && r <= 0x017F,
		r == 0x0386, r >= 0x0388 && r <= 0x038A, r == 0x038C,
		r >= 0x038E && r <= 0x03A1, r >= 0x03A3 && r <= 0x03CE,
		r >= 0x0400 && r <= 0x045F,
		r >= 0x05D0 && r <= 0x05EA,
		r >= 0x0621 && r <= 0x063A, r >= 0x0640 && r <= 0x064A,
		r >= 0x0660 && r <= 0x0669,
		r >= 0x3041 && r <= 0x3096, r >= 0x309D && r <= 0x309E,
		r >= 0x30A1 && r <= 0x30FE,
		r >= 0x4E00 && r <= 0x9FA5,
		r >= 0xAC00 && r <= 0xD7A3:
		return []rune{r}, true
	case r >= 0xFF01 && r <= 0xFF5E:
		return []rune{r - 0xFEE0}, true
	}
	return nil, false
}

// saslprepIsRandAL reports RFC 3454 table D.1 for the repertoire.
func saslprepIsRandAL(r rune) bool {
	return r >= 0x05D0 && r <= 0x05EA || r >= 0x0621 && r <= 0x063A || r >= 0x0640 && r <= 0x064A
}

// saslprepIsL reports RFC 3454 table D.2 for the repertoire and the
// characters its mappings produce.
func saslprepIsL(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z',
		r == 0x00AA, r == 0x00B5, r == 0x00BA,
		r >= 0x00C0 && r <= 0x00D6, r >= 0x00D8 && r <= 0x00F6, r >= 0x00F8 && r <= 0x017F,
		r == 0x02BC,
		r == 0x0386, r >= 0x0388 && r <= 0x038A, r == 0x038C,
		r >= 0x038E && r <= 0x03A1, r >= 0x03A3 && r <= 0x03CE,
		r >= 0x0400 && r <= 0x045F,
		r >= 0x3041 && r <= 0x3096, r >= 0x309D && r <= 0x309E,
		r >= 0x30A1 && r <= 0x30FA, r >= 0x30FC && r <= 0x30FE,
		r >= 0x4E00 && r <= 0x9FA5,
		r >= 0xAC00 && r <= 0xD7A3:
		return true
	}
	return false
}
