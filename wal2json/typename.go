package wal2json

import (
	"strconv"
)

// builtinType is a row of pg_type for a built-in type (PostgreSQL 15).
type builtinType struct {
	name string // typname
	elem uint32 // element type of a true array type, else 0
}

// builtinTypes maps the OID of every built-in type a table column can
// have to its typname and, for arrays, element type. TestFormatTypeServer
// checks every entry against a server's pg_type and format_type.
var builtinTypes = map[uint32]builtinType{}

func init() {
	// OID, typname, array type OID (0: none)
	base := []struct {
		oid   uint32
		name  string
		array uint32
	}{
		{16, "bool", 1000}, {17, "bytea", 1001}, {18, "char", 1002}, {19, "name", 1003},
		{20, "int8", 1016}, {21, "int2", 1005}, {22, "int2vector", 1006}, {23, "int4", 1007},
		{24, "regproc", 1008}, {25, "text", 1009}, {26, "oid", 1028}, {27, "tid", 1010},
		{28, "xid", 1011}, {29, "cid", 1012}, {30, "oidvector", 1013}, {114, "json", 199},
		{142, "xml", 143}, {194, "pg_node_tree", 0}, {3361, "pg_ndistinct", 0},
		{3402, "pg_dependencies", 0}, {5017, "pg_mcv_list", 0}, {4600, "pg_brin_bloom_summary", 0},
		{4601, "pg_brin_minmax_multi_summary", 0}, {5069, "xid8", 271},
		{600, "point", 1017}, {601, "lseg", 1018}, {602, "path", 1019}, {603, "box", 1020},
		{604, "polygon", 1027}, {628, "line", 629}, {700, "float4", 1021}, {701, "float8", 1022},
		{718, "circle", 719}, {790, "money", 791}, {829, "macaddr", 1040}, {869, "inet", 1041},
		{650, "cidr", 651}, {774, "macaddr8", 775}, {1033, "aclitem", 1034},
		{1042, "bpchar", 1014}, {1043, "varchar", 1015}, {1082, "date", 1182},
		{1083, "time", 1183}, {1114, "timestamp", 1115}, {1184, "timestamptz", 1185},
		{1186, "interval", 1187}, {1266, "timetz", 1270}, {1560, "bit", 1561},
		{1562, "varbit", 1563}, {1700, "numeric", 1231}, {1790, "refcursor", 2201},
		{2202, "regprocedure", 2207}, {2203, "regoper", 2208}, {2204, "regoperator", 2209},
		{2205, "regclass", 2210}, {4191, "regcollation", 4192}, {2206, "regtype", 2211},
		{4096, "regrole", 4097}, {4089, "regnamespace", 4090}, {2950, "uuid", 2951},
		{3220, "pg_lsn", 3221}, {3614, "tsvector", 3643}, {3642, "gtsvector", 3644},
		{3615, "tsquery", 3645}, {3734, "regconfig", 3735}, {3769, "regdictionary", 3770},
		{3802, "jsonb", 3807}, {4072, "jsonpath", 4073}, {2970, "txid_snapshot", 2949},
		{5038, "pg_snapshot", 5039}, {3904, "int4range", 3905}, {3906, "numrange", 3907},
		{3908, "tsrange", 3909}, {3910, "tstzrange", 3911}, {3912, "daterange", 3913},
		{3926, "int8range", 3927}, {4451, "int4multirange", 6150},
		{4532, "nummultirange", 6151}, {4533, "tsmultirange", 6152},
		{4534, "tstzmultirange", 6153}, {4535, "datemultirange", 6155},
		{4536, "int8multirange", 6157}, {2249, "record", 2287}, {2275, "cstring", 1263}, {705, "unknown", 0},
		{71, "pg_type", 210}, {75, "pg_attribute", 270}, {81, "pg_proc", 272}, {83, "pg_class", 273},
	}
	for _, b := range base {
		builtinTypes[b.oid] = builtinType{name: b.name}
		if b.array != 0 {
			builtinTypes[b.array] = builtinType{name: "_" + b.name, elem: b.oid}
		}
	}
}

// Built-in type OIDs that format_type or wal2json treat specially.
const (
	oidBool        = 16
	oidBytea       = 17
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidOID         = 26
	oidFloat4      = 700
	oidFloat8      = 701
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidTimetz      = 1266
	oidBit         = 1560
	oidVarbit      = 1562
	oidNumeric     = 1700
)

// TypeName returns pg_type.typname of a built-in type ("int4", "_text",
// "timestamptz"), and whether oid is one.
func TypeName(oid uint32) (string, bool) {
	t, ok := builtinTypes[oid]
	return t.name, ok
}

// FormatType returns what PostgreSQL's format_type(oid, typmod) prints
// for a built-in type, with typmod given (-1 for none): "integer",
// "character varying(40)", "numeric(12,4)", "integer[]",
// "timestamp(3) with time zone", and false if oid is not built in.
func FormatType(oid uint32, typmod int32) (string, bool) {
	b, ok := appendFormatType(nil, oid, typmod)
	return string(b), ok
}

func appendFormatType(dst []byte, oid uint32, typmod int32) ([]byte, bool) {
	t, ok := builtinTypes[oid]
	if !ok {
		return dst, false
	}
	isArray := t.elem != 0
	if isArray {
		oid = t.elem
		t = builtinTypes[oid]
	}
	withMod := typmod >= 0
	switch oid {
	case oidBit:
		if withMod {
			dst = append(dst, "bit"...)
			dst = appendParenMod(dst, typmod)
		} else {
			// bit with typmod -1 is not BIT (which means BIT(1)): the
			// quoted type name
			dst = append(dst, `"bit"`...)
		}
	case oidBool:
		dst = append(dst, "boolean"...)
	case oidBpchar:
		if withMod {
			dst = append(dst, "character"...)
			dst = appendCharMod(dst, typmod)
		} else {
			dst = append(dst, "bpchar"...)
		}
	case oidFloat4:
		dst = append(dst, "real"...)
	case oidFloat8:
		dst = append(dst, "double precision"...)
	case oidInt2:
		dst = append(dst, "smallint"...)
	case oidInt4:
		dst = append(dst, "integer"...)
	case oidInt8:
		dst = append(dst, "bigint"...)
	case oidNumeric:
		dst = append(dst, "numeric"...)
		if withMod {
			dst = appendNumericMod(dst, typmod)
		}
	case oidInterval:
		dst = append(dst, "interval"...)
		if withMod {
			dst = appendIntervalMod(dst, typmod)
		}
	case oidTime, oidTimetz, oidTimestamp, oidTimestamptz:
		if oid == oidTime || oid == oidTimetz {
			dst = append(dst, "time"...)
		} else {
			dst = append(dst, "timestamp"...)
		}
		if withMod {
			dst = appendParenMod(dst, typmod)
		}
		if oid == oidTimetz || oid == oidTimestamptz {
			dst = append(dst, " with time zone"...)
		} else {
			dst = append(dst, " without time zone"...)
		}
	case oidVarbit:
		dst = append(dst, "bit varying"...)
		if withMod {
			dst = appendParenMod(dst, typmod)
		}
	case oidVarchar:
		dst = append(dst, "character varying"...)
		if withMod {
			dst = appendCharMod(dst, typmod)
		}
	default:
		// Built-in types live in pg_catalog, always visible: the name,
		// quoted if it needs to be. No other built-in type has a typmod
		// output function; with a typmod PostgreSQL prints it in
		// parentheses.
		dst = appendQuoteIdent(dst, t.name)
		if withMod {
			dst = appendParenMod(dst, typmod)
		}
	}
	if isArray {
		dst = append(dst, "[]"...)
	}
	return dst, true
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
		dst = append(dst, '(')
		dst = strconv.AppendInt(dst, int64(typmod-4), 10)
		dst = append(dst, ')')
	}
	return dst
}

// appendNumericMod is numerictypmodout: (precision,scale), where the
// scale is an 11-bit signed number (PostgreSQL 15).
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

// appendIntervalMod is intervaltypmodout: the fields, then the precision.
func appendIntervalMod(dst []byte, typmod int32) []byte {
	fields := (typmod >> 16) & 0x7fff
	prec := typmod & 0xffff
	switch fields {
	case imYear:
		dst = append(dst, " year"...)
	case imMonth:
		dst = append(dst, " month"...)
	case imDay:
		dst = append(dst, " day"...)
	case imHour:
		dst = append(dst, " hour"...)
	case imMinute:
		dst = append(dst, " minute"...)
	case imSecond:
		dst = append(dst, " second"...)
	case imYear | imMonth:
		dst = append(dst, " year to month"...)
	case imDay | imHour:
		dst = append(dst, " day to hour"...)
	case imDay | imHour | imMinute:
		dst = append(dst, " day to minute"...)
	case imDay | imHour | imMinute | imSecond:
		dst = append(dst, " day to second"...)
	case imHour | imMinute:
		dst = append(dst, " hour to minute"...)
	case imHour | imMinute | imSecond:
		dst = append(dst, " hour to second"...)
	case imMinute | imSecond:
		dst = append(dst, " minute to second"...)
	}
	if prec != 0xffff {
		dst = append(dst, '(')
		dst = strconv.AppendInt(dst, int64(prec), 10)
		dst = append(dst, ')')
	}
	return dst
}

// appendQuoteIdent is quote_identifier: the name as is when it is a
// lower-case identifier and not a keyword that needs quoting, else in
// double quotes with quotes doubled.
func appendQuoteIdent(dst []byte, name string) []byte {
	safe := name != "" && (name[0] >= 'a' && name[0] <= 'z' || name[0] == '_')
	for i := 0; safe && i < len(name); i++ {
		c := name[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && quotedKeywords[name] {
		safe = false
	}
	if safe {
		return append(dst, name...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(name); i++ {
		if name[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, name[i])
	}
	return append(dst, '"')
}

// quotedKeywords are PostgreSQL 15's keywords that are not unreserved
// (reserved, type/function-name and column-name keywords), which
// quote_identifier quotes.
var quotedKeywords = map[string]bool{}

func init() {
	for _, k := range []string{
		// reserved
		"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
		"both", "case", "cast", "check", "collate", "column", "constraint", "create",
		"current_catalog", "current_date", "current_role", "current_time",
		"current_timestamp", "current_user", "default", "deferrable", "desc", "distinct",
		"do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant",
		"group", "having", "in", "initially", "intersect", "into", "lateral", "leading",
		"limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or",
		"order", "placing", "primary", "references", "returning", "select", "session_user",
		"some", "symmetric", "table", "then", "to", "trailing", "true", "union", "unique",
		"user", "using", "variadic", "when", "where", "window", "with",
		// type or function names
		"authorization", "binary", "collation", "concurrently", "cross", "current_schema",
		"freeze", "full", "ilike", "inner", "is", "isnull", "join", "left", "like",
		"natural", "notnull", "outer", "overlaps", "right", "similar", "tablesample",
		"verbose",
		// column names
		"between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec",
		"decimal", "exists", "extract", "float", "greatest", "grouping", "inout", "int",
		"integer", "interval", "least", "national", "nchar", "none", "normalize",
		"nullif", "numeric", "out", "overlay", "position", "precision", "real", "row",
		"setof", "smallint", "substring", "time", "timestamp", "treat", "trim", "values",
		"varchar", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest",
		"xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
	} {
		quotedKeywords[k] = true
	}
}

// appendUserType is format_type for a type that is not built in, named
// by a pgoutput Type message: schema-qualified (pgoutput's session has an
// empty search_path, so only pg_catalog is visible), each part quoted as
// needed. typname "_x" is taken for an array of x, as PostgreSQL names
// array types.
func appendUserType(dst []byte, schema, name string) []byte {
	array := len(name) > 1 && name[0] == '_'
	if array {
		name = name[1:]
	}
	if schema != "" && schema != "pg_catalog" {
		dst = appendQuoteIdent(dst, schema)
		dst = append(dst, '.')
	}
	dst = appendQuoteIdent(dst, name)
	if array {
		dst = append(dst, "[]"...)
	}
	return dst
}
