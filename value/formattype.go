package value

import "strconv"

// FormatType returns what PostgreSQL's format_type(oid, typmod) prints for
// a built-in type, typmod -1 meaning none: "integer", "character
// varying(40)", "numeric(12,4)", "integer[]", "timestamp(3) with time
// zone"; false if oid is not a built-in type.
func FormatType(oid uint32, typmod int32) (string, bool) {
	b, ok := AppendFormatType(nil, oid, typmod)
	return string(b), ok
}

// AppendFormatType is FormatType appending to dst; dst comes back as it
// was when oid is not a built-in type.
func AppendFormatType(dst []byte, oid uint32, typmod int32) ([]byte, bool) {
	t, ok := Lookup(oid)
	if !ok {
		return dst, false
	}
	// format_type prints an array as its element type, typmod and all,
	// then "[]" (the _record pseudo-type too).
	isArray := t.Elem != 0
	if isArray {
		if t, ok = Lookup(t.Elem); !ok {
			return dst, false
		}
	}
	withMod := typmod >= 0
	switch t.OID {
	case strOIDBit:
		if withMod {
			dst = appendParenMod(append(dst, "bit"...), typmod)
		} else {
			// BIT alone means bit(1), so bit without a typmod is the
			// quoted type name.
			dst = append(dst, `"bit"`...)
		}
	case strOIDBpchar:
		if withMod {
			dst = appendCharMod(append(dst, "character"...), typmod)
		} else {
			dst = append(dst, "bpchar"...)
		}
	case oidBool, oidFloat4, oidFloat8, oidInt2, oidInt4, oidInt8:
		// types that take no typmod; format_type ignores one
		dst = append(dst, sqlNames[t.OID]...)
	case oidNumeric:
		dst = appendWithMod(dst, "numeric", typmod, appendNumericMod)
	case dtOIDInterval:
		dst = appendWithMod(dst, "interval", typmod, appendIntervalMod)
	case strOIDVarbit:
		dst = appendWithMod(dst, "bit varying", typmod, appendParenMod)
	case strOIDVarchar:
		dst = appendWithMod(dst, "character varying", typmod, appendCharMod)
	case dtOIDTime:
		dst = append(appendWithMod(dst, "time", typmod, appendParenMod), " without time zone"...)
	case dtOIDTimeTZ:
		dst = append(appendWithMod(dst, "time", typmod, appendParenMod), " with time zone"...)
	case dtOIDTimestamp:
		dst = append(appendWithMod(dst, "timestamp", typmod, appendParenMod), " without time zone"...)
	case dtOIDTimestampTZ:
		dst = append(appendWithMod(dst, "timestamp", typmod, appendParenMod), " with time zone"...)
	default:
		// Built-in types live in pg_catalog, always visible: the name,
		// quoted if it needs to be. No other built-in type has a typmod
		// output function; with a typmod PostgreSQL prints it in
		// parentheses.
		dst = appendQuoteIdent(dst, t.Name)
		if withMod {
			dst = appendParenMod(dst, typmod)
		}
	}
	return appendArraySuffix(dst, isArray), true
}

// sqlNames are the SQL standard's names that format_type prints for
// types without a typmod.
var sqlNames = map[uint32]string{
	oidBool: "boolean", oidFloat4: "real", oidFloat8: "double precision",
	oidInt2: "smallint", oidInt4: "integer", oidInt8: "bigint",
}

// appendWithMod is a type's SQL name, then its typmod as mod prints it
// unless there is none.
func appendWithMod(dst []byte, name string, typmod int32, mod func([]byte, int32) []byte) []byte {
	dst = append(dst, name...)
	if typmod >= 0 {
		dst = mod(dst, typmod)
	}
	return dst
}

func appendArraySuffix(dst []byte, isArray bool) []byte {
	if isArray {
		dst = append(dst, "[]"...)
	}
	return dst
}

// AppendFormatTypeName is format_type for a type known by its schema and
// pg_type name, as a pgoutput Type message names it: a built-in type in
// pg_catalog (schema "" or "pg_catalog"; pgoutput names a domain's base
// type so) as AppendFormatType prints it with typmod, any other
// schema-qualified, each part quoted as needed. pgoutput's session has an
// empty search_path, so no other schema is visible. A name "_x" that is
// not built in is taken for an array of x, as PostgreSQL names array
// types.
func AppendFormatTypeName(dst []byte, schema, name string, typmod int32) []byte {
	inCatalog := schema == "" || schema == "pg_catalog"
	if inCatalog {
		if t, ok := LookupName(name); ok {
			b, _ := AppendFormatType(dst, t.OID, typmod)
			return b
		}
	}
	array := len(name) > 1 && name[0] == '_'
	if array {
		name = name[1:]
	}
	if !inCatalog {
		dst = appendQuoteIdent(dst, schema)
		dst = append(dst, '.')
	}
	return appendArraySuffix(appendQuoteIdent(dst, name), array)
}

// appendParenMod is "(typmod)": bit, varbit, time and timestamp types.
func appendParenMod(dst []byte, typmod int32) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendInt(dst, int64(typmod), 10)
	return append(dst, ')')
}

// appendCharMod is anychar_typmodout: the length after the varlena header.
func appendCharMod(dst []byte, typmod int32) []byte {
	if typmod > 4 {
		dst = appendParenMod(dst, typmod-4)
	}
	return dst
}

// appendNumericMod is numerictypmodout: (precision,scale), where the
// scale is an 11-bit signed number (PostgreSQL 15 on; 14 allows no
// negative scale, so never sends one).
func appendNumericMod(dst []byte, typmod int32) []byte {
	tm := typmod - 4
	prec := (tm >> 16) & 0xffff
	scale := ((tm & 0x7ff) ^ 1024) - 1024
	dst = append(dst, '(')
	dst = strconv.AppendInt(dst, int64(prec), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(scale), 10)
	return append(dst, ')')
}

// Interval field masks (datetime.h): 1 << MONTH, YEAR, DAY, HOUR, MINUTE, SECOND.
const (
	imMonth  = 1 << 1
	imYear   = 1 << 2
	imDay    = 1 << 3
	imHour   = 1 << 10
	imMinute = 1 << 11
	imSecond = 1 << 12
)

// intervalFields are intervaltypmodout's spellings of the field masks.
var intervalFields = map[int32]string{
	imYear: " year", imMonth: " month", imDay: " day", imHour: " hour",
	imMinute: " minute", imSecond: " second", imYear | imMonth: " year to month",
	imDay | imHour: " day to hour", imDay | imHour | imMinute: " day to minute",
	imDay | imHour | imMinute | imSecond: " day to second", imHour | imMinute: " hour to minute",
	imHour | imMinute | imSecond: " hour to second", imMinute | imSecond: " minute to second",
}

// appendIntervalMod is intervaltypmodout: the fields, then the precision
// unless it is the full one (0xffff).
func appendIntervalMod(dst []byte, typmod int32) []byte {
	dst = append(dst, intervalFields[(typmod>>16)&0x7fff]...)
	if prec := typmod & 0xffff; prec != 0xffff {
		dst = appendParenMod(dst, prec)
	}
	return dst
}
