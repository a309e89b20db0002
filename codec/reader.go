package codec

import (
	"encoding/binary"
	"strconv"
)

// layer says which protocol layer a reader decodes; the same type byte means
// different messages in different layers.
type layer uint8

const (
	layerPgoutput   layer = iota // pgoutput messages (XLogData payloads)
	layerServerCopy              // CopyData payloads sent by the server
	layerClientCopy              // CopyData payloads sent by the client
)

// reader walks one message. Every read checks bounds; the first failure is
// recorded with its field and offset, and later reads keep failing, so a
// decoder can read every field and check once, in done. The failure path is
// the only one that allocates.
type reader struct {
	b     []byte
	off   int
	layer layer
	err   *DecodeError
	// cut and cutAt record the first field that ran past the end of the
	// input, without a call, so the fixed-width reads stay small enough
	// to inline; done turns them into the error.
	cut   string
	cutAt int
}

// start points r at a message whose type byte has been read. Assigning the
// fields one by one keeps the compiler from building the struct in a
// temporary and copying it, which stalls store forwarding.
func (r *reader) start(b []byte, l layer) {
	r.b, r.off, r.layer = b, 1, l
}

// fail records the first failure; a later one, even at the same offset, is
// only a consequence of it (a String read after a truncated integer finds
// no NUL), so it is dropped.
func (r *reader) fail(field string, err error) {
	if r.err == nil && r.cut == "" {
		r.err = &DecodeError{
			Message: messageName(r.layer, r.b[0]),
			Type:    r.b[0],
			Field:   field,
			Offset:  r.off,
			Err:     err,
		}
	}
	r.off = len(r.b)
}

// failIndexed is fail for a field inside a repeated group, e.g.
// ("new tuple", "column", 3, "length") → "new tuple column 3 length"; a
// negative i leaves the index out.
func (r *reader) failIndexed(group, item string, i int, what string, err error) {
	if r.failed() {
		return
	}
	f := make([]byte, 0, len(group)+len(item)+len(what)+8)
	if group != "" {
		f = append(f, group...)
		f = append(f, ' ')
	}
	f = append(f, item...)
	if i >= 0 {
		f = append(f, ' ')
		f = strconv.AppendInt(f, int64(i), 10)
	}
	if what != "" {
		f = append(f, ' ')
		f = append(f, what...)
	}
	r.fail(string(f), err)
}

// truncated records the first field that ran out of input and moves past
// the end, so every later read fails too.
func (r *reader) truncated(field string) {
	if r.cut == "" && r.err == nil {
		r.cut, r.cutAt = field, r.off
	}
	r.off = len(r.b)
}

// failed reports whether any read has failed.
func (r *reader) failed() bool { return r.err != nil || r.cut != "" }

// settle turns a recorded truncation into r.err. Only the first failure is
// recorded, so at most one of r.cut and r.err is set.
func (r *reader) settle() {
	if r.cut != "" {
		r.off = r.cutAt
		cut := r.cut
		r.cut = ""
		r.fail(cut, ErrTruncated)
	}
}

func (r *reader) u8(field string) uint8 {
	if r.off < len(r.b) {
		v := r.b[r.off]
		r.off++
		return v
	}
	r.truncated(field)
	return 0
}

// boolean reads a byte that must be 0 or 1.
func (r *reader) boolean(field string) bool {
	if r.off < len(r.b) && r.b[r.off] <= 1 {
		v := r.b[r.off] == 1
		r.off++
		return v
	}
	r.badBoolean(field)
	return false
}

func (r *reader) badBoolean(field string) {
	if r.off < len(r.b) {
		r.fail(field, ErrInvalidValue)
		return
	}
	r.truncated(field)
}

func (r *reader) u16(field string) uint16 {
	if len(r.b)-r.off >= 2 {
		v := binary.BigEndian.Uint16(r.b[r.off:])
		r.off += 2
		return v
	}
	r.truncated(field)
	return 0
}

func (r *reader) u32(field string) uint32 {
	if len(r.b)-r.off >= 4 {
		v := binary.BigEndian.Uint32(r.b[r.off:])
		r.off += 4
		return v
	}
	r.truncated(field)
	return 0
}

func (r *reader) u64(field string) uint64 {
	if len(r.b)-r.off >= 8 {
		v := binary.BigEndian.Uint64(r.b[r.off:])
		r.off += 8
		return v
	}
	r.truncated(field)
	return 0
}

// cstring reads a NUL-terminated String and returns it without the NUL,
// aliasing the input (capacity clipped so appends cannot clobber the input).
func (r *reader) cstring(field string) []byte {
	b, start := r.b, r.off
	i := start
	for i < len(b) && b[i] != 0 { // names are short: a loop beats a call
		i++
	}
	if i == len(b) {
		r.fail(field, ErrUnterminatedString)
		return nil
	}
	r.off = i + 1
	return b[start:i:i]
}

// lengthPrefixed reads an Int32 length and that many bytes; errors point at
// the length field.
func (r *reader) lengthPrefixed(field string) []byte {
	at := r.off
	n := int32(r.u32(field))
	if r.failed() {
		return nil
	}
	if n < 0 || int64(n) > int64(len(r.b)-r.off) {
		r.off = at
		err := ErrTruncated
		if n < 0 {
			err = ErrNegativeLength
		}
		r.fail(field, err)
		return nil
	}
	s := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return s
}

// count checks that n items of at least minSize bytes each could fit in the
// remaining input; at is the offset of the count field, for the error. It
// must be called before anything is sized by n. The product is taken in
// uint64: a uint32 count times a small size cannot overflow it, while in an
// int it does on 32-bit platforms.
func (r *reader) count(field string, at int, n uint32, minSize int) bool {
	if r.failed() {
		return false
	}
	if uint64(n)*uint64(minSize) > uint64(len(r.b)-r.off) {
		r.off = at
		r.fail(field, ErrCountTooLarge)
		return false
	}
	return true
}

// streamXid reads the xid prefix row-level messages carry inside a stream
// block.
func (r *reader) streamXid(inStream bool) (bool, uint32) {
	if !inStream {
		return false, 0
	}
	return true, r.u32("xid")
}

// done finishes a message: it reports trailing bytes and returns the first
// failure, or nil.
func (r *reader) done() error {
	if r.err == nil && r.cut == "" && r.off == len(r.b) {
		return nil
	}
	return r.finish()
}

func (r *reader) finish() error {
	r.settle()
	if r.err == nil && r.off != len(r.b) {
		r.fail("", ErrTrailingBytes)
	}
	if r.err != nil {
		return r.err
	}
	return nil
}
