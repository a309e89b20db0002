package codec

// Fixed-size messages decode with one length check and direct loads; when
// the length is wrong, their layout (field names and sizes, in wire order)
// tells which field the input cuts short, or that bytes are left over.

type fixedField struct {
	name string
	size int
}

type fixedLayout []fixedField

// Encoded sizes, type byte included.
const (
	beginSize               = 1 + 8 + 8 + 4
	commitSize              = 1 + 1 + 8 + 8 + 8
	streamStartSize         = 1 + 4 + 1
	streamStopSize          = 1
	streamCommitSize        = 1 + 4 + 1 + 8 + 8 + 8
	streamAbortSize         = 1 + 4 + 4
	streamAbortParallelSize = streamAbortSize + 8 + 8
)

var (
	beginLayout               = fixedLayout{{"final LSN", 8}, {"commit time", 8}, {"xid", 4}}
	commitLayout              = fixedLayout{{"flags", 1}, {"commit LSN", 8}, {"end LSN", 8}, {"commit time", 8}}
	streamStartLayout         = fixedLayout{{"xid", 4}, {"first segment", 1}}
	streamStopLayout          = fixedLayout{}
	streamCommitLayout        = fixedLayout{{"xid", 4}, {"flags", 1}, {"commit LSN", 8}, {"end LSN", 8}, {"commit time", 8}}
	streamAbortLayout         = fixedLayout{{"xid", 4}, {"subtransaction xid", 4}}
	streamAbortParallelLayout = fixedLayout{{"xid", 4}, {"subtransaction xid", 4}, {"abort LSN", 8}, {"abort time", 8}}
)

// size is the encoded size, type byte included.
func (l fixedLayout) size() int {
	n := 1
	for _, f := range l {
		n += f.size
	}
	return n
}

// fault explains why b does not have the layout's size: the first field
// it cuts short, or the bytes left over.
func (l fixedLayout) fault(b []byte) error {
	r := reader{b: b, off: 1, layer: layerPgoutput}
	for _, f := range l {
		if len(b)-r.off < f.size {
			r.fail(f.name, ErrTruncated)
			return r.err
		}
		r.off += f.size
	}
	r.fail("", ErrTrailingBytes)
	return r.err
}
