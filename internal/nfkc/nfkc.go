// Package nfkc implements Unicode Normalization Form KC (UAX #15) with the
// standard library only, for SASLprep: full compatibility decomposition,
// canonical ordering, canonical composition (with the composition
// exclusions) and the arithmetic Hangul syllables.
//
// The tables (tables.go) are generated from golang.org/x/text's Unicode
// 15.0.0 data by bench/cmd/gen-nfkc; the bench module checks the result
// against x/text's norm.NFKC for every code point and for random strings.
// Unlike x/text, nothing here inserts U+034F into long runs of combining
// marks (the Stream-Safe Text Format is not part of NFKC, and PostgreSQL
// does not do it either).
package nfkc

//go:generate go run -C ../../bench ./cmd/gen-nfkc -o ../internal/nfkc/tables.go

import (
	"sort"
	"unicode/utf8"
)

// Hangul syllables are composed and decomposed by arithmetic (Unicode
// chapter 3.12) rather than stored in the tables.
const (
	sBase  = 0xAC00
	lBase  = 0x1100
	vBase  = 0x1161
	tBase  = 0x11A7
	lCount = 19
	vCount = 21
	tCount = 28
	nCount = vCount * tCount
	sCount = lCount * nCount
)

// inlineSegment is how many code points a Normalizer holds without
// allocating: a starter and the combining marks after it.
const inlineSegment = 32

type cccRun struct {
	lo, hi uint32
	class  uint8
}

// A Normalizer turns a sequence of code points, given one at a time, into
// NFKC appended as UTF-8 to a caller's buffer. The zero value is ready.
// Output is held back only while a following code point could still change
// it: the last starter and the combining marks after it.
type Normalizer struct {
	seg  [inlineSegment]rune // the pending segment while it fits
	n    int
	long []rune // the pending segment once it has outgrown seg
}

// AppendString appends the NFKC form of s to dst. Invalid UTF-8 is read as
// U+FFFD, one per bad byte, as a range loop reads it.
func AppendString(dst []byte, s string) []byte {
	var z Normalizer
	for _, r := range s {
		dst = z.Append(dst, r)
	}
	return z.Flush(dst)
}

// String returns the NFKC form of s.
func String(s string) string {
	return string(AppendString(make([]byte, 0, len(s)), s))
}

// Append feeds r to the normalizer and appends to dst whatever output r
// makes final.
func (z *Normalizer) Append(dst []byte, r rune) []byte {
	if r < 0xA0 { // nothing below U+00A0 decomposes
		return z.add(dst, r, 0)
	}
	if r >= sBase && r < sBase+sCount {
		s := r - sBase
		dst = z.add(dst, lBase+s/nCount, 0)
		dst = z.add(dst, vBase+s%nCount/tCount, 0)
		if t := s % tCount; t != 0 {
			dst = z.add(dst, tBase+t, 0)
		}
		return dst
	}
	if d, ok := decomposition(r); ok {
		for _, x := range d {
			dst = z.add(dst, x, combiningClass(x))
		}
		return dst
	}
	return z.add(dst, r, combiningClass(r))
}

// Flush appends the output still held back and resets z for a new text.
func (z *Normalizer) Flush(dst []byte) []byte {
	dst = appendRunes(dst, z.composeSegment())
	z.reset()
	return dst
}

// add takes one fully decomposed code point of class ccc.
func (z *Normalizer) add(dst []byte, r rune, ccc uint8) []byte {
	if ccc == 0 && z.len() > 0 {
		// A starter ends the pending segment: no reordering crosses it,
		// and only the segment's starter, left alone by the marks after
		// it, can compose with it (Hangul LV + T, U+0B47 + U+0B3E, ...).
		seg := z.composeSegment()
		if len(seg) == 1 {
			if c, ok := compose(seg[0], r); ok {
				z.set(c)
				return dst
			}
		}
		dst = appendRunes(dst, seg)
		z.reset()
		z.push(r)
		return dst
	}
	z.push(r)
	if ccc != 0 {
		// Canonical ordering: a stable sort of the marks by class, moving
		// r back past marks of a higher class but never past a starter.
		// The first code point of a text takes part even when it is a
		// mark, as in PostgreSQL.
		seg := z.segment()
		for i := len(seg) - 1; i > 0; i-- {
			prev := combiningClass(seg[i-1])
			if prev == 0 || prev <= ccc {
				break
			}
			seg[i-1], seg[i] = seg[i], seg[i-1]
		}
	}
	return dst
}

// composeSegment applies canonical composition to the pending segment in place and
// returns it. The first code point is the starter (a text's first code
// point serves even when it is a mark: no composition starts with one, which
// the generator checks); a mark composes with it unless an earlier mark left
// in place has the same or a higher class (UAX #15, D115).
func (z *Normalizer) composeSegment() []rune {
	seg := z.segment()
	if len(seg) < 2 {
		return seg
	}
	starter, last, k := seg[0], -1, 1
	for _, r := range seg[1:] {
		ccc := int(combiningClass(r))
		if last < ccc {
			if c, ok := compose(starter, r); ok {
				starter = c
				continue
			}
		}
		last = ccc
		seg[k] = r
		k++
	}
	seg[0] = starter
	z.truncate(k)
	return seg[:k]
}

func (z *Normalizer) len() int {
	if z.long != nil {
		return len(z.long)
	}
	return z.n
}

func (z *Normalizer) segment() []rune {
	if z.long != nil {
		return z.long
	}
	return z.seg[:z.n]
}

func (z *Normalizer) push(r rune) {
	switch {
	case z.long != nil:
		z.long = append(z.long, r)
	case z.n < len(z.seg):
		z.seg[z.n] = r
		z.n++
	default:
		// A starter with more than inlineSegment-1 marks: rare enough to
		// allocate for, and kept for the rest of the text.
		z.long = append(make([]rune, 0, 2*len(z.seg)), z.seg[:]...)
		z.long = append(z.long, r)
	}
}

func (z *Normalizer) truncate(n int) {
	if z.long != nil {
		z.long = z.long[:n]
	} else {
		z.n = n
	}
}

func (z *Normalizer) reset() { z.truncate(0) }

func (z *Normalizer) set(r rune) {
	z.truncate(0)
	z.push(r)
}

func appendRunes(dst []byte, rs []rune) []byte {
	for _, r := range rs {
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// combiningClass returns the canonical combining class of r.
func combiningClass(r rune) uint8 {
	if r < 0x0300 || r > rune(cccRuns[len(cccRuns)-1].hi) {
		return 0
	}
	i := sort.Search(len(cccRuns), func(i int) bool { return cccRuns[i].hi >= uint32(r) })
	if i < len(cccRuns) && cccRuns[i].lo <= uint32(r) {
		return cccRuns[i].class
	}
	return 0
}

// decomposition returns the full compatibility decomposition of r in UTF-8,
// unless r is its own (Hangul syllables are handled by the caller).
func decomposition(r rune) (string, bool) {
	i := sort.Search(len(decompKeys), func(i int) bool { return decompKeys[i] >= uint32(r) })
	if i == len(decompKeys) || decompKeys[i] != uint32(r) {
		return "", false
	}
	return decompData[decompOffs[i]:decompOffs[i+1]], true
}

// compose returns the primary composite of the pair (a, b), if there is one.
func compose(a, b rune) (rune, bool) {
	switch {
	case a >= lBase && a < lBase+lCount && b >= vBase && b < vBase+vCount:
		return sBase + ((a-lBase)*vCount+(b-vBase))*tCount, true
	case a >= sBase && a < sBase+sCount && (a-sBase)%tCount == 0 && b > tBase && b < tBase+tCount:
		// b > tBase, not >=: U+11A7 is no trailing consonant. (PostgreSQL
		// 18's unicode_norm.c accepts it and drops it; SASLprep cannot
		// tell, since U+11A7 is unassigned in Unicode 3.2 and prohibited.)
		return a + (b - tBase), true
	}
	key := uint64(a)<<21 | uint64(b)
	i := sort.Search(len(compPairs), func(i int) bool { return compPairs[i]>>21 >= key })
	if i < len(compPairs) && compPairs[i]>>21 == key {
		return rune(compPairs[i] & (1<<21 - 1)), true
	}
	return 0, false
}
