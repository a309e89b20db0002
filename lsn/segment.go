package lsn

import (
	"errors"
	"fmt"
)

// DefaultSegmentSize is the default WAL segment size, 16 MiB.
const DefaultSegmentSize = 16 << 20

const (
	minSegmentSize = 1 << 20 // 1 MiB
	maxSegmentSize = 1 << 30 // 1 GiB
	xlogIDSpan     = 1 << 32 // bytes covered by one "log ID" (the high half of an LSN)
)

// ErrSegmentSize is returned by [ParseFileName] when the segment size is not
// one accepted by [ValidSegmentSize].
var ErrSegmentSize = errors.New("lsn: invalid WAL segment size")

// ValidSegmentSize reports whether n is a WAL segment size PostgreSQL
// supports: a power of two from 1 MiB to 1 GiB inclusive.
func ValidSegmentSize(n uint64) bool {
	return n >= minSegmentSize && n <= maxSegmentSize && n&(n-1) == 0
}

// The functions below that take a segment size treat an invalid one as a
// programmer error and panic, since segment sizes come from configuration
// checked once (for example with ValidSegmentSize), not from WAL data.
func mustSegmentSize(segSize uint64) {
	if !ValidSegmentSize(segSize) {
		panic(fmt.Sprintf("lsn: invalid WAL segment size %d (want a power of two from 1 MiB to 1 GiB)", segSize))
	}
}

// maxSegNo is the largest segment number for the given size.
func maxSegNo(segSize uint64) uint64 { return ^uint64(0) / segSize }

// Segment returns the number of the WAL segment containing l (PostgreSQL's
// XLogSegNo), that is l / segSize. It panics if segSize is not valid.
func (l LSN) Segment(segSize uint64) uint64 {
	mustSegmentSize(segSize)
	return uint64(l) / segSize
}

// SegmentOffset returns the offset of l within its WAL segment, that is
// l % segSize. It panics if segSize is not valid.
func (l LSN) SegmentOffset(segSize uint64) uint64 {
	mustSegmentSize(segSize)
	return uint64(l) % segSize
}

// SegmentStart returns the LSN of the first byte of segment segno. It
// panics if segSize is not valid or segno is beyond the last segment of
// the 64-bit WAL space (so that the result would overflow).
func SegmentStart(segno, segSize uint64) LSN {
	mustSegmentSize(segSize)
	if segno > maxSegNo(segSize) {
		panic(fmt.Sprintf("lsn: WAL segment number %d out of range for segment size %d", segno, segSize))
	}
	return LSN(segno * segSize)
}

// FileName returns the name of the WAL file holding segment segno on the
// given timeline, as PostgreSQL names files in pg_wal: 24 upper-case hex
// digits made of the timeline, segno / (2^32/segSize) and
// segno % (2^32/segSize), 8 digits each. It panics if segSize is not valid
// or segno is out of range as for [SegmentStart].
func FileName(timeline uint32, segno, segSize uint64) string {
	mustSegmentSize(segSize)
	if segno > maxSegNo(segSize) {
		panic(fmt.Sprintf("lsn: WAL segment number %d out of range for segment size %d", segno, segSize))
	}
	perID := xlogIDSpan / segSize
	var buf [24]byte
	b := appendHex(buf[:0], timeline, 8)
	b = appendHex(b, uint32(segno/perID), 8)
	b = appendHex(b, uint32(segno%perID), 8)
	return string(b)
}

// FileName returns the name of the WAL file containing l on the given
// timeline; see the package-level [FileName]. It panics if segSize is not
// valid.
func (l LSN) FileName(timeline uint32, segSize uint64) string {
	return FileName(timeline, l.Segment(segSize), segSize)
}

// ParseFileName is the inverse of [FileName]. The name must be exactly 24
// upper-case hex digits, and its last 8 digits must be less than
// 2^32/segSize (the number of segments per log ID). It checks syntax only:
// in particular a timeline of 0, which PostgreSQL never uses, is accepted.
//
// A malformed name yields a *[SyntaxError] matching [ErrSyntax]; an invalid
// segSize yields an error matching [ErrSegmentSize].
func ParseFileName(name string, segSize uint64) (timeline uint32, segno uint64, err error) {
	if !ValidSegmentSize(segSize) {
		return 0, 0, fmt.Errorf("%w %d (want a power of two from 1 MiB to 1 GiB)", ErrSegmentSize, segSize)
	}
	fail := func(off int, reason string) (uint32, uint64, error) {
		return 0, 0, &SyntaxError{Input: name, Offset: off, Reason: reason, what: "WAL file name"}
	}
	if len(name) != 24 {
		return fail(0, fmt.Sprintf("length is %d, want 24", len(name)))
	}
	var parts [3]uint32
	for i := 0; i < 24; i++ {
		c := name[i]
		d := hexVal(c)
		if d < 0 || ('a' <= c && c <= 'f') {
			return fail(i, fmt.Sprintf("%q is not an upper-case hex digit", c))
		}
		parts[i/8] = parts[i/8]<<4 | uint32(d)
	}
	perID := xlogIDSpan / segSize
	if uint64(parts[2]) >= perID {
		return fail(16, fmt.Sprintf("segment part %08X is not below %X for segment size %d", parts[2], perID, segSize))
	}
	return parts[0], uint64(parts[1])*perID + uint64(parts[2]), nil
}
