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
// that names the OID. A Registry adds domains, enums and extension types.
// The table holds every built-in type a column can have, by OID and by
// name (LookupName), some of them named only (catalog.go); FormatType
// spells one as SQL does, as PostgreSQL's format_type prints it with the
// column's typmod ("character varying(40)", "numeric(12,2)[]").
// Nothing here allocates on the hot path: appending into a reused buffer
// costs no allocation for any scalar type, arrays and ranges included.
//
// The built-in types, by family (each file says what its Go values are):
//   - bool.go, int.go, float.go, numeric.go, money.go, geometric.go: bool,
//     int2/4/8, oid, xid, xid8, cid, the reg* types (in binary they are
//     bare OIDs, rendered as numbers: their names need the catalog),
//     float4/8 (the server's shortest exact digits), numeric (exact:
//     Numeric, with big.Rat/big.Int/float64 conversions), money (the "C"
//     lc_monetary form only), point, line, lseg, box, path, polygon,
//     circle;
//   - datetime.go, interval.go: date, time, timetz, timestamp,
//     timestamptz, interval, with ±infinity and BC dates;
//   - text.go, bytea.go, json.go, uuid.go, network.go, bits.go, misc.go,
//     tsearch.go, vector.go: text, varchar, bpchar, name, "char", bytea,
//     json, jsonb, jsonpath, xml, uuid, inet, cidr, macaddr, macaddr8, bit,
//     varbit, pg_lsn, tid, tsvector, tsquery, int2vector, oidvector;
//   - array.go, range.go, record.go: every built-in array type, the
//     built-in ranges and multiranges, and records (the binary record
//     carries its fields' types, so any composite renders).
//
// Accessors follow one naming rule. A value that is a Go standard type is
// read by a function named for that type: Bool, Int64, Uint64, Float64,
// Text, Char, JSON, UUID, Time, LSN, Prefix, Addr, HardwareAddr. A value
// that is one of this package's types is read by Decode<Type>:
// DecodeNumeric, DecodeTimestamp, DecodeDate, DecodeTimeOfDay,
// DecodeInterval, DecodeMoney, DecodeTID, DecodePoint and the other
// geometric types, and the containers DecodeArray, DecodeRange,
// DecodeMultirange and DecodeRecord, which iterate over their elements
// without allocating (scratch holds the elements' text when src is in text
// form). Every accessor takes the column's type OID, its kind (text or
// binary) and its bytes, accepts either form, and returns views into src
// where it returns bytes. Encoders are Append<Type>Text and
// Append<Type>Binary; AppendText renders any binary value as text.
//
// Renderer.AppendJSON writes values as JSON by one convention: numbers as
// numbers (NaN and ±Infinity as strings), bool as true/false, everything
// else as a string of its text form.
//
// # Compared with wal2json
//
// TestWal2JSON runs the typed workload through the real wal2json 2.5 on
// Debian's PostgreSQL 15 (formats 1 and 2) and through pgoutput, text and
// binary, and compares every column's JSON. They agree except in two
// deliberate ways. wal2json prints a float4, float8 or numeric NaN or
// ±Infinity as null, the same as SQL NULL; Renderer prints the string
// PostgreSQL prints ("NaN", "Infinity", "-Infinity"), so the value
// survives. wal2json prints bytea as bare hex digits; Renderer prints
// bytea's text form ("\\x00ff10"), as for every other string-valued type,
// so it reads back as bytea input. (wal2json spells U+0008 and U+000C
// \b and \f where Renderer writes \u0008 and \u000c: the same
// strings.) In a binary session a reg* value is a bare OID, which Renderer
// prints as its digits where a text session and wal2json print the name.
//
// # User types
//
// pgoutput sends a Type message for each column type that is not built in:
// for a domain it names the base type, which Registry.ApplyType turns into
// a domain, so its values render, decode and become JSON as the base
// type's. An enum or a composite it names by its own name, which does not
// say what it is: in a binary session their values render only once they
// are registered (RegisterText, RegisterComposite), as a consumer that
// knows its schema, or has read pg_type, does; in a text session their
// text is a JSON string without registration. Arrays, ranges and
// multiranges over user types are registered too (RegisterArray,
// RegisterRange, RegisterMultirange); the containers a Registry holds
// render and decode their elements, fields and bounds through it
// (Registry.AppendText, Registry.Decode), where the package functions know
// the built-in types only.
package value
