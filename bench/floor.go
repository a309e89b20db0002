package bench

import (
	"encoding/binary"
)

// The floor: the least work any correct decoder must do. It walks a message
// exactly as the protocol defines it — bounds-checks every fixed-width field,
// finds every String's NUL, reads every tuple's column count, each column's
// kind and, for 't'/'b', its Int32 length, and checks that the message ends
// where its layout says — but keeps nothing: no structs, no slices, no
// errors, no interfaces, no allocations. It returns the sum of the lengths of
// the variable-width fields, so the compiler cannot drop the walk.
//
// pgwal is measured against it: a decoder within 2× of the floor spends
// little beyond reading the bytes.

// FloorPgoutput walks one pgoutput message. inStream says whether it was sent
// between Stream Start and Stream Stop (the xid prefix of §2.2); parallel
// whether the client asked for streaming 'parallel' (the Stream Abort form).
func FloorPgoutput(b []byte, inStream, parallel bool) (sum int, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	p := 1
	xid := 0
	if inStream {
		xid = 4
	}
	switch b[0] {
	case 'B': // final LSN, commit time, xid
		p += 20
	case 'C', 'c': // [xid] flags, commit LSN, end LSN, commit time
		if b[0] == 'c' {
			p += 4
		}
		p += 25
	case 'O': // origin LSN, name
		p += 8
		p, sum = floorString(b, p, sum)
	case 'R':
		p += xid + 4
		p, sum = floorString(b, p, sum) // namespace
		p, sum = floorString(b, p, sum) // name
		if p < 0 || len(b)-p < 3 {
			return 0, false
		}
		n := int(binary.BigEndian.Uint16(b[p+1:])) // after replica identity
		p += 3
		for ; n > 0; n-- {
			if p, sum = floorString(b, p+1, sum); p < 0 { // flags, name
				return 0, false
			}
			p += 8 // type OID, typmod
		}
	case 'Y':
		p += xid + 4
		p, sum = floorString(b, p, sum)
		p, sum = floorString(b, p, sum)
	case 'I':
		p += xid + 4
		if len(b) <= p || b[p] != 'N' {
			return 0, false
		}
		p, sum = floorTuple(b, p+1, sum)
	case 'U':
		p += xid + 4
		if len(b) <= p {
			return 0, false
		}
		if k := b[p]; k == 'K' || k == 'O' {
			p, sum = floorTuple(b, p+1, sum)
		}
		if p < 0 || len(b) <= p || b[p] != 'N' {
			return 0, false
		}
		p, sum = floorTuple(b, p+1, sum)
	case 'D':
		p += xid + 4
		if len(b) <= p || (b[p] != 'K' && b[p] != 'O') {
			return 0, false
		}
		p, sum = floorTuple(b, p+1, sum)
	case 'T':
		p += xid
		if len(b)-p < 5 {
			return 0, false
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		p += 5
		if n > (len(b)-p)/4 {
			return 0, false
		}
		p += 4 * n
		sum += n
	case 'M':
		p += xid + 1 + 8 // flags, LSN
		p, sum = floorString(b, p, sum)
		if p < 0 || len(b)-p < 4 {
			return 0, false
		}
		l := int(int32(binary.BigEndian.Uint32(b[p:])))
		p += 4
		if l < 0 || l > len(b)-p {
			return 0, false
		}
		p += l
		sum += l
	case 'S': // xid, first segment
		p += 5
	case 'E':
	case 'A': // xid, subxid [, abort LSN, abort time]
		if parallel {
			p += 16
		}
		p += 8
	case 'b': // prepare LSN, end LSN, prepare time, xid, GID
		p, sum = floorString(b, p+28, sum)
	case 'P', 'K', 'p': // flags, LSN, end LSN, time, xid, GID
		p, sum = floorString(b, p+29, sum)
	case 'r': // flags, prepare end LSN, rollback end LSN, two times, xid, GID
		p, sum = floorString(b, p+37, sum)
	default:
		return 0, false
	}
	return sum, p == len(b)
}

// FloorServerCopyData walks one server CopyData payload: an XLogData (its
// 25-byte header, then, unless framingOnly, the pgoutput payload) or a
// primary keepalive.
func FloorServerCopyData(b []byte, inStream, parallel, framingOnly bool) (sum int, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch b[0] {
	case 'w':
		if len(b) < 25 {
			return 0, false
		}
		if framingOnly {
			return len(b) - 25, true
		}
		return FloorPgoutput(b[25:], inStream, parallel)
	case 'k':
		return 0, len(b) == 18
	}
	return 0, false
}

// floorString skips the String at p: it returns the offset after its NUL
// (negative when there is none, or p was already negative).
func floorString(b []byte, p, sum int) (int, int) {
	if p < 0 || p > len(b) {
		return -1, sum
	}
	// Names are short: a byte loop beats a call to bytes.IndexByte.
	i := p
	for i < len(b) && b[i] != 0 {
		i++
	}
	if i == len(b) {
		return -1, sum
	}
	return i + 1, sum + i - p
}

// floorTuple skips the TupleData at p.
func floorTuple(b []byte, p, sum int) (int, int) {
	if p < 0 || len(b)-p < 2 {
		return -1, sum
	}
	n := int(binary.BigEndian.Uint16(b[p:]))
	p += 2
	for ; n > 0; n-- {
		if p >= len(b) {
			return -1, sum
		}
		switch b[p] {
		case 't', 'b':
			if len(b)-p < 5 {
				return -1, sum
			}
			l := int(int32(binary.BigEndian.Uint32(b[p+1:])))
			p += 5
			if l < 0 || l > len(b)-p {
				return -1, sum
			}
			p += l
			sum += l
		case 'n', 'u':
			p++
		default:
			return -1, sum
		}
	}
	return p, sum
}
