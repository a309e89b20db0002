package value

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
