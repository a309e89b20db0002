package codec

// Clone returns a deep copy of m that owns all its memory, for keeping a
// decoded message beyond the Decoder's validity window. All byte fields of
// the copy share one new allocation.
func Clone(m Message) Message {
	var c Message
	switch m := m.(type) {
	case *Begin:
		v := *m
		return &v
	case *Commit:
		v := *m
		return &v
	case *StreamStart:
		v := *m
		return &v
	case *StreamStop:
		v := *m
		return &v
	case *StreamCommit:
		v := *m
		return &v
	case *StreamAbort:
		v := *m
		return &v
	case *Origin:
		v := *m
		c = &v
	case *LogicalMessage:
		v := *m
		c = &v
	case *Relation:
		v := *m
		v.Columns = append([]RelationColumn(nil), m.Columns...)
		c = &v
	case *Type:
		v := *m
		c = &v
	case *Insert:
		v := *m
		v.New = cloneTuple(m.New)
		c = &v
	case *Update:
		v := *m
		v.Old, v.New = cloneTuple(m.Old), cloneTuple(m.New)
		c = &v
	case *Delete:
		v := *m
		v.Old = cloneTuple(m.Old)
		c = &v
	case *Truncate:
		v := *m
		v.RelationIDs = append([]uint32(nil), m.RelationIDs...)
		return &v
	case *BeginPrepare:
		v := *m
		c = &v
	case *Prepare:
		v := *m
		c = &v
	case *CommitPrepared:
		v := *m
		c = &v
	case *RollbackPrepared:
		v := *m
		c = &v
	case *StreamPrepare:
		v := *m
		c = &v
	default:
		return m
	}
	// The copy's byte fields still alias the original: move them all into
	// one buffer.
	n := 0
	byteFields(c, func(p *[]byte) { n += len(*p) })
	buf := make([]byte, 0, n)
	byteFields(c, func(p *[]byte) {
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

// byteFields calls f with a pointer to every byte-slice field of m.
func byteFields(m Message, f func(*[]byte)) {
	switch m := m.(type) {
	case *Origin:
		f(&m.Name)
	case *LogicalMessage:
		f(&m.Prefix)
		f(&m.Content)
	case *Relation:
		f(&m.Namespace)
		f(&m.Name)
		for i := range m.Columns {
			f(&m.Columns[i].Name)
		}
	case *Type:
		f(&m.Namespace)
		f(&m.Name)
	case *Insert:
		tupleFields(m.New, f)
	case *Update:
		tupleFields(m.Old, f)
		tupleFields(m.New, f)
	case *Delete:
		tupleFields(m.Old, f)
	case *BeginPrepare:
		f(&m.GID)
	case *Prepare:
		f(&m.GID)
	case *CommitPrepared:
		f(&m.GID)
	case *RollbackPrepared:
		f(&m.GID)
	case *StreamPrepare:
		f(&m.GID)
	}
}

func tupleFields(t Tuple, f func(*[]byte)) {
	for i := range t {
		f(&t[i].Data)
	}
}
