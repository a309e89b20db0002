// Package value turns PostgreSQL column values, as pgoutput sends them in
// text or binary form, into the text PostgreSQL itself prints, into Go
// values, and into JSON; and Go values back into both forms.
//
//	var buf []byte
//	for i, col := range insert.New {
//		typ := rel.Columns[i]
//		switch col.Kind {
//		case codec.ColumnBinary:
//			// The text the server's output function prints.
//			buf, err = value.AppendText(buf[:0], typ.TypeOID, typ.TypeMod, col.Data)
//		case codec.ColumnText:
//			buf = append(buf[:0], col.Data...)
//		}
//	}
//
// Text is rendered as PostgreSQL prints it under the settings package wire
// pins for a session: DateStyle ISO, IntervalStyle postgres, TimeZone UTC,
// extra_float_digits 3 (shortest exact floats), client_encoding UTF8.
//
// Types are looked up by OID among the built-in types; Lookup tells what
// is known, and a type that is not is an *Error matching ErrUnknownType
// that names the OID. Nothing here allocates on the hot path: appending
// into a reused buffer costs no allocation for any scalar type.
package value
