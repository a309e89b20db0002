package wal2json

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Options are wal2json's options, as pg_recvlogical -o name=value passes
// them. Start from DefaultOptions (or ParseOptions): the zero value is not
// wal2json's default.
type Options struct {
	FormatVersion      int  // format-version: 1 (the default) or 2
	IncludeTransaction bool // include-transaction: B and C objects (format 2); default true
	IncludeXids        bool // include-xids; default false
	IncludeTimestamp   bool // include-timestamp: the commit time; default false
	IncludeLSN         bool // include-lsn; default false
	IncludeSchemas     bool // include-schemas; default true
	IncludeTypes       bool // include-types; default true
	IncludeTypmod      bool // include-typmod (format 1; format 2 always prints it); default true
	IncludeTypeOIDs    bool // include-type-oids; default false
	IncludePK          bool // include-pk; default false
	// NumericDataTypesAsString (numeric-data-types-as-string) prints int2,
	// int4, int8, oid, float4, float8 and numeric values as strings, NaN
	// and infinities included; default false.
	NumericDataTypesAsString bool
	// PrettyPrint (pretty-print, format 1) indents with tabs and newlines.
	// As in wal2json, once set true it stays on: a later
	// pretty-print=false clears the flag but not the layout, which is
	// why ParseOptions leaves it true.
	PrettyPrint bool
	// WriteInChunks (write-in-chunks, format 1) emits a transaction in
	// pieces, one per change plus the opening and closing brackets,
	// instead of as one object: each piece is one call of the Writer's
	// emit function (one line of pg_recvlogical output), and only their
	// concatenation is a JSON object.
	WriteInChunks bool
	Actions       Actions // actions
	// AddTables (add-tables) are the tables whose changes are printed;
	// DefaultOptions has one pattern, *.*. Empty prints none.
	AddTables []TablePattern
	// FilterTables (filter-tables) are tables whose changes are not printed.
	FilterTables []TablePattern
	// AddMsgPrefixes (add-msg-prefixes): if any, only messages with one of
	// these prefixes are printed.
	AddMsgPrefixes []string
	// FilterMsgPrefixes (filter-msg-prefixes): messages with these
	// prefixes are not printed.
	FilterMsgPrefixes []string
}

// Actions says which changes are printed (option actions, a comma-separated
// list of insert, update, delete, truncate). wal2json prints truncates only
// in format 2; by default all four.
type Actions struct {
	Insert, Update, Delete, Truncate bool
}

// TablePattern is one entry of add-tables or filter-tables: schema.table,
// where a whole part * matches every name and a backslash makes the next
// character literal (\* is a table named *, \. a dot within a name).
type TablePattern struct {
	Schema, Table string
	AnySchema     bool // the schema part is *
	AnyTable      bool // the table part is *
}

// Match reports whether the pattern matches the table.
func (p TablePattern) Match(schema, table string) bool {
	return (p.AnySchema || p.Schema == schema) && (p.AnyTable || p.Table == table)
}

// DefaultOptions returns wal2json 2.5's defaults.
func DefaultOptions() Options {
	return Options{
		FormatVersion:      1,
		IncludeTransaction: true,
		IncludeSchemas:     true,
		IncludeTypes:       true,
		IncludeTypmod:      true,
		Actions:            Actions{Insert: true, Update: true, Delete: true, Truncate: true},
		AddTables:          []TablePattern{{AnySchema: true, AnyTable: true}},
	}
}

// Errors an *OptionError matches.
var (
	ErrUnknownOption = errors.New("unknown option")
	ErrInvalidValue  = errors.New("invalid value")
	// ErrUnsupported: wal2json has the option, but what it prints needs
	// the server's catalog, which pgoutput does not send (not-null
	// constraints, defaults, column positions, origin ids, a domain's
	// base type, partition roots).
	ErrUnsupported = errors.New("not derivable from pgoutput")
	ErrDeprecated  = errors.New("deprecated")
)

// OptionError is an option ParseOptions or Options.Set refuses.
type OptionError struct {
	Option   string
	Value    string
	HasValue bool
	Err      error // ErrUnknownOption, ErrInvalidValue, ErrUnsupported or ErrDeprecated
}

func (e *OptionError) Error() string {
	v := "(no value)"
	if e.HasValue {
		v = strconv.Quote(e.Value)
	}
	return fmt.Sprintf("wal2json: option %q = %s: %v", e.Option, v, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

// ParseOptions applies wal2json options, each "name" or "name=value" as
// pg_recvlogical's -o takes them, in order, to DefaultOptions. A name
// without a value sets a boolean true (and format-version to 2).
func ParseOptions(args ...string) (Options, error) {
	o := DefaultOptions()
	for _, a := range args {
		name, value, has := strings.Cut(a, "=")
		if err := o.Set(name, value, has); err != nil {
			return o, err
		}
	}
	return o, nil
}

// Set applies one option as wal2json's startup callback does; hasValue
// false is an option given without "=value".
func (o *Options) Set(name, value string, hasValue bool) error {
	fail := func(err error) error {
		return &OptionError{Option: name, Value: value, HasValue: hasValue, Err: err}
	}
	boolean := func(p *bool) error {
		if !hasValue {
			*p = true
			return nil
		}
		v, ok := parseBool(value)
		if !ok {
			return fail(ErrInvalidValue)
		}
		*p = v
		return nil
	}
	switch name {
	case "include-transaction":
		return boolean(&o.IncludeTransaction)
	case "include-xids":
		return boolean(&o.IncludeXids)
	case "include-timestamp":
		return boolean(&o.IncludeTimestamp)
	case "include-pk":
		return boolean(&o.IncludePK)
	case "include-schemas":
		return boolean(&o.IncludeSchemas)
	case "include-types":
		return boolean(&o.IncludeTypes)
	case "include-type-oids":
		return boolean(&o.IncludeTypeOIDs)
	case "include-typmod":
		return boolean(&o.IncludeTypmod)
	case "include-lsn":
		return boolean(&o.IncludeLSN)
	case "numeric-data-types-as-string":
		return boolean(&o.NumericDataTypesAsString)
	case "write-in-chunks":
		return boolean(&o.WriteInChunks)
	case "pretty-print":
		var v bool
		if err := boolean(&v); err != nil {
			return err
		}
		o.PrettyPrint = o.PrettyPrint || v
		return nil
	case "include-origin", "include-domain-data-type", "include-column-positions",
		"include-not-null", "include-default", "partition-root":
		// Refused only when they would change the output.
		var v bool
		if err := boolean(&v); err != nil {
			return err
		}
		if v {
			return fail(ErrUnsupported)
		}
		return nil
	case "filter-origins":
		if hasValue && strings.TrimSpace(value) != "" {
			return fail(ErrUnsupported)
		}
		return nil
	case "include-unchanged-toast":
		return fail(ErrDeprecated)
	case "actions":
		if !hasValue {
			return nil // the default
		}
		list, ok := splitList(value)
		if !ok {
			return fail(ErrInvalidValue)
		}
		var a Actions
		for _, p := range list {
			switch p {
			case "insert":
				a.Insert = true
			case "update":
				a.Update = true
			case "delete":
				a.Delete = true
			case "truncate":
				a.Truncate = true
			default:
				return &OptionError{Option: name, Value: p, HasValue: true, Err: ErrInvalidValue}
			}
		}
		o.Actions = a
		return nil
	case "filter-tables", "add-tables":
		p := &o.FilterTables
		if name == "add-tables" {
			o.AddTables = []TablePattern{} // replaces the default *.*
			p = &o.AddTables
		}
		if !hasValue {
			*p = []TablePattern{}
			if name == "filter-tables" {
				*p = nil
			}
			return nil
		}
		list, ok := parseTables(value)
		if !ok {
			return fail(ErrInvalidValue)
		}
		*p = append(*p, list...)
		return nil
	case "filter-msg-prefixes", "add-msg-prefixes":
		p := &o.FilterMsgPrefixes
		if name == "add-msg-prefixes" {
			p = &o.AddMsgPrefixes
		}
		if !hasValue {
			*p = nil
			return nil
		}
		list, ok := splitList(value)
		if !ok {
			return fail(ErrInvalidValue)
		}
		*p = append(*p, list...)
		return nil
	case "format-version":
		if !hasValue {
			o.FormatVersion = 2
			return nil
		}
		v, ok := parseInt(value)
		if !ok || v < 1 || v > 2 {
			return fail(ErrInvalidValue)
		}
		o.FormatVersion = v
		return nil
	}
	return fail(ErrUnknownOption)
}

// parseBool is PostgreSQL's parse_bool: a non-empty prefix of true,
// false, yes or no, any case; on, off (of); 1; 0.
func parseBool(s string) (v, ok bool) {
	prefixOf := func(word string, min int) bool {
		return len(s) >= min && len(s) <= len(word) && strings.EqualFold(s, word[:len(s)])
	}
	if s == "" {
		return false, false
	}
	switch s[0] {
	case 't', 'T':
		return true, prefixOf("true", 1)
	case 'f', 'F':
		return false, prefixOf("false", 1)
	case 'y', 'Y':
		return true, prefixOf("yes", 1)
	case 'n', 'N':
		return false, prefixOf("no", 1)
	case 'o', 'O':
		if prefixOf("on", 2) {
			return true, true
		}
		return false, prefixOf("off", 2)
	case '1':
		return true, s == "1"
	case '0':
		return false, s == "0"
	}
	return false, false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseInt is PostgreSQL's parse_int without units: strtol with base 0
// (0x hex, leading-0 octal) between optional white space, or a number
// with a fraction or exponent rounded to the nearest integer.
func parseInt(s string) (int, bool) {
	s = strings.TrimRightFunc(strings.TrimLeftFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }),
		func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return 0, false
	}
	neg := s[0] == '-'
	base := 10
	digits := body
	switch {
	case len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'):
		base, digits = 16, body[2:]
	case len(body) > 1 && body[0] == '0' && !strings.ContainsAny(body, ".eE"):
		base, digits = 8, body[1:]
	}
	if base == 10 && strings.ContainsAny(digits, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "_xXpPnNiI") {
			return 0, false
		}
		f = math.RoundToEven(f)
		if f < math.MinInt32 || f > math.MaxInt32 {
			return 0, false
		}
		return int(f), true
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; c == '_' || c == '+' || c == '-' {
			return 0, false
		}
	}
	u, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		u = -u
	}
	if u < math.MinInt32 || u > math.MaxInt32 {
		return 0, false
	}
	return int(u), true
}

// splitList is wal2json's split_string_to_list: names separated by commas,
// white space around them ignored, a backslash keeping the next character
// in the name (the backslash stays); "" is an empty list, an empty name an
// error.
func splitList(s string) ([]string, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) {
		return []string{}, true
	}
	var out []string
	for {
		start := i
		for i < len(s) && s[i] != ',' && !isSpace(s[i]) {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			i++
		}
		end := i
		if start == end {
			return nil, false
		}
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		out = append(out, s[start:end])
		if i == len(s) {
			return out, true
		}
		if s[i] != ',' {
			return nil, false
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
}

// parseTables is wal2json's string_to_SelectTable: a list (as splitList)
// of schema.table, each with its escapes removed; * as a whole part (before
// unescaping) matches any name.
func parseTables(s string) ([]TablePattern, bool) {
	list, ok := splitList(s)
	if !ok {
		return nil, false
	}
	out := make([]TablePattern, 0, len(list))
	for _, q := range list {
		var t TablePattern
		t.AnySchema = strings.HasPrefix(q, "*.")
		var schema []byte
		i := 0
		for i < len(q) && q[i] != '.' {
			if q[i] == '\\' {
				i++
				if i == len(q) {
					break
				}
			}
			schema = append(schema, q[i])
			i++
		}
		if i >= len(q) {
			return nil, false // no separator: no schema
		}
		i++
		rest := q[i:]
		t.AnyTable = rest == "*"
		var table []byte
		for j := 0; j < len(rest); j++ {
			if rest[j] == '\\' {
				j++
				if j == len(rest) {
					break
				}
			}
			table = append(table, rest[j])
		}
		t.Schema, t.Table = string(schema), string(table)
		out = append(out, t)
	}
	return out, true
}
