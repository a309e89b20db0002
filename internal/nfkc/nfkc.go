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
	seg  [inlineSegment]entry // the pending segment while it fits
	n    int
	long []entry // the pending segment once it has outgrown seg
}

// An entry is a code point with its combining class in the top byte, so
// that the class is looked up once.
type entry uint32

func (e entry) rune() rune   { return rune(e & 0x1FFFFF) }
func (e entry) class() uint8 { return uint8(e >> 24) }

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
// makes final. A value that is not a Unicode scalar value reads as U+FFFD.
func (z *Normalizer) Append(dst []byte, r rune) []byte {
	switch {
	case r < 0xA0: // nothing below U+00A0 decomposes or combines
		if r < 0 {
			r = utf8.RuneError
		}
		return z.add(dst, entry(r))
	case r >= sBase && r < sBase+sCount:
		s := r - sBase
		dst = z.add(dst, entry(lBase+s/nCount))
		dst = z.add(dst, entry(vBase+s%nCount/tCount))
		if t := s % tCount; t != 0 {
			dst = z.add(dst, entry(tBase+t))
		}
		return dst
	case !utf8.ValidRune(r):
		r = utf8.RuneError
	}
	if d, ok := decomposition(r); ok {
		for _, x := range d {
			dst = z.add(dst, newEntry(x))
		}
		return dst
	}
	return z.add(dst, newEntry(r))
}

func newEntry(r rune) entry { return entry(r) | entry(combiningClass(r))<<24 }

// Flush appends the output still held back and resets z for a new text.
func (z *Normalizer) Flush(dst []byte) []byte {
	dst = appendEntries(dst, z.composeSegment())
	z.truncate(0)
	return dst
}

// add takes one fully decomposed code point.
func (z *Normalizer) add(dst []byte, e entry) []byte {
	if e.class() != 0 || z.len() == 0 {
		z.push(e)
		return dst
	}
	// A starter ends the pending segment: no reordering crosses it, and
	// only the segment's starter, left alone by the marks after it, can
	// compose with it (Hangul LV + T, U+0B47 + U+0B3E, ...).
	seg := z.composeSegment()
	if len(seg) == 1 {
		if c, ok := compose(seg[0].rune(), e.rune()); ok {
			seg[0] = newEntry(c)
			return dst
		}
	}
	dst = appendEntries(dst, seg)
	z.truncate(0)
	z.push(e)
	return dst
}

// composeSegment puts the pending segment in canonical order and applies
// canonical composition to it, in place, and returns it.
//
// Canonical ordering is a stable sort of the marks by class; only the first
// code point can be a starter, and it stays first. The first code point of a
// text takes part even when it is a mark, as in PostgreSQL.
//
// That first code point is then the starter (a mark serves too: no
// composition starts with one, which the generator checks); a mark composes
// with it unless an earlier mark left in place has the same or a higher
// class (UAX #15, D115).
func (z *Normalizer) composeSegment() []entry {
	seg := z.segment()
	if len(seg) < 2 {
		return seg
	}
	if len(seg) <= inlineSegment {
		for i := 1; i < len(seg); i++ { // insertion sort: short and mostly ordered
			for j := i; j > 0 && seg[j-1].class() > seg[j].class(); j-- {
				seg[j-1], seg[j] = seg[j], seg[j-1]
			}
		}
	} else {
		// Only z.long is this long. Sorting it rather than seg keeps a
		// stack-allocated Normalizer on the stack.
		sort.Stable(byClass(z.long))
	}
	starter, last, k := seg[0].rune(), -1, 1
	for _, e := range seg[1:] {
		if last < int(e.class()) {
			if c, ok := compose(starter, e.rune()); ok {
				starter = c
				continue
			}
		}
		last = int(e.class())
		seg[k] = e
		k++
	}
	seg[0] = newEntry(starter)
	z.truncate(k)
	return seg[:k]
}

type byClass []entry

func (s byClass) Len() int           { return len(s) }
func (s byClass) Less(i, j int) bool { return s[i].class() < s[j].class() }
func (s byClass) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

func (z *Normalizer) len() int {
	if z.long != nil {
		return len(z.long)
	}
	return z.n
}

func (z *Normalizer) segment() []entry {
	if z.long != nil {
		return z.long
	}
	return z.seg[:z.n]
}

func (z *Normalizer) push(e entry) {
	switch {
	case z.long != nil:
		z.long = append(z.long, e)
	case z.n < len(z.seg):
		z.seg[z.n] = e
		z.n++
	default:
		// A starter with more than inlineSegment-1 marks: rare enough to
		// allocate for, and kept for the rest of the text.
		z.long = append(make([]entry, 0, 2*len(z.seg)), z.seg[:]...)
		z.long = append(z.long, e)
	}
}

func (z *Normalizer) truncate(n int) {
	if z.long != nil {
		z.long = z.long[:n]
	} else {
		z.n = n
	}
}

func appendEntries(dst []byte, seg []entry) []byte {
	for _, e := range seg {
		dst = utf8.AppendRune(dst, e.rune())
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
		// b > tBase, not >=: U+11A7 is no trailing consonant. (PostgreSQL's
		// unicode_norm.c tests code >= TBASE, so it drops a U+11A7 after
		// an LV syllable; SASLprep cannot tell, since U+11A7 is unassigned
		// in Unicode 3.2 and so prohibited before normalization.)
		return a + (b - tBase), true
	}
	key := uint64(a)<<21 | uint64(b)
	i := sort.Search(len(compPairs), func(i int) bool { return compPairs[i]>>21 >= key })
	if i < len(compPairs) && compPairs[i]>>21 == key {
		return rune(compPairs[i] & (1<<21 - 1)), true
	}
	return 0, false
}
