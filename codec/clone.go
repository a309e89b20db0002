package codec

// cloneable is what cloning needs of a message of either layer; each type
// says it for itself, next to its definition.
type cloneable interface {
	// copyShallow returns a copy of the message with its own slices of
	// structs (tuple columns, relation columns, relation IDs); its byte
	// fields still alias the original.
	copyShallow() cloneable
	// byteFields calls f with a pointer to every byte-slice field.
	byteFields(f func(*[]byte))
}

// Clone returns a deep copy of m that owns all its memory, for keeping a
// decoded message beyond the Decoder's validity window. All byte fields of
// the copy share one new allocation. Clone(nil) is nil.
func Clone(m Message) Message {
	if m == nil {
		return nil
	}
	return deepCopy(m).(Message)
}

// CloneReplicationMessage is Clone for CopyData sub-messages: the copy of an
// *XLogData owns its Data, for keeping one beyond the Decoder's validity
// window (DecodeServerCopyData) or the life of the input buffer.
func CloneReplicationMessage(m ReplicationMessage) ReplicationMessage {
	if m == nil {
		return nil
	}
	return deepCopy(m).(ReplicationMessage)
}

func deepCopy(m cloneable) cloneable {
	c := m.copyShallow()
	// Move every byte field of the copy into one buffer.
	n := 0
	c.byteFields(func(p *[]byte) { n += len(*p) })
	// Empty fields move too: even a view of no bytes keeps its input alive.
	buf := make([]byte, 0, n)
	c.byteFields(func(p *[]byte) {
		if *p == nil {
			return
		}
		start := len(buf)
		buf = append(buf, *p...)
		*p = buf[start:len(buf):len(buf)]
	})
	return c
}

func cloneTuple(t Tuple) Tuple {
	if t == nil {
		return nil
	}
	return append(Tuple(nil), t...)
}

func tupleFields(t Tuple, f func(*[]byte)) {
	for i := range t {
		f(&t[i].Data)
	}
}
