// Package wal2json prints logical replication changes exactly as the
// wal2json output plugin (version 2.5) does, from pgoutput messages
// decoded on the client, so a consumer of wal2json's JSON can read a
// pgoutput slot instead and the server needs no extension.
//
//	opts, err := wal2json.ParseOptions("format-version=2", "include-xids", "include-lsn=1")
//	if err != nil {
//		return err // an *wal2json.OptionError naming the option
//	}
//	w, err := wal2json.NewWriter(opts, func(piece []byte) error {
//		_, err := os.Stdout.Write(append(piece, '\n')) // as pg_recvlogical prints it
//		return err
//	})
//	if err != nil {
//		return err
//	}
//	f := wal2json.NewFeeder(w)
//	for {
//		m, err := st.Next(ctx) // a wire.Stream on pgoutput, messages on, no streaming
//		if err != nil {
//			return err
//		}
//		if err := f.Apply(m, st.WALStart()); err != nil {
//			return err
//		}
//		if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
//			st.Ack(pos)
//		}
//	}
//
// A Writer takes whole transactions (Begin, then Change, Truncate and
// Message, then Commit) in this package's small input types, which an
// assembled transaction maps onto field by field; Feeder builds them from
// plain pgoutput messages and a codec.RelationCache.
//
// # Options
//
// ParseOptions takes wal2json's options by wal2json's names, defaults and
// value syntax: booleans as PostgreSQL's parse_bool reads them (t, true,
// yes, on, 1, any case, and their prefixes), a bare name meaning true;
// format-version as parse_int (a bare name means 2); table lists as
// schema.table with * for any schema or table and backslash escapes; the
// same list syntax for actions and message prefixes. Options whose output
// needs the server's catalog are refused with an *OptionError matching
// ErrUnsupported when set true: include-not-null, include-default,
// include-column-positions, include-origin (wal2json prints the origin's
// numeric id, pgoutput sends its name), include-domain-data-type,
// partition-root, and filter-origins with a list. include-generated is not
// a wal2json option (ErrUnknownOption).
//
// # Values
//
// Values follow wal2json's rules, not package value's JSON convention:
// int2, int4, int8, oid, float4, float8 and numeric are JSON numbers
// (strings with numeric-data-types-as-string), and NaN and ±Infinity are
// null, which a reader cannot tell from SQL NULL — wal2json's choice, kept
// because this package's purpose is wal2json's bytes; bool is true or
// false; bytea is its hex digits without the \x; everything else, a
// domain over a number included, is a string of the text PostgreSQL
// prints, escaped as PostgreSQL's escape_json does (\b, \f, \u001f).
// Binary sessions are rendered to text with package value first (Writer.Types
// for user types). Unchanged TOAST values are left out of the columns, as
// wal2json leaves them out. Type names are format_type's (value.FormatType) for
// built-in types, from the type OID and modifier.
//
// # Known differences
//
// Some of what wal2json prints needs what pgoutput does not send; the
// comparison test (TestCompareWal2JSON) allows exactly these:
//   - wal2json prints transactions with no changes (a CREATE TABLE's, or
//     one that changed only unpublished tables) as {"change":[]} or a B
//     and C pair; pgoutput (PostgreSQL 15+) does not send them.
//   - A domain column's type: pgoutput names the domain's base type, so
//     from pgoutput alone the type printed is the base type's (integer),
//     where wal2json prints the domain's (public.posint); a caller that
//     sets the Relation's Column.TypeSchema and TypeName from the catalogs
//     gets the domain's, as pgwal stream does. Its values are printed as wal2json
//     prints a domain's (as strings), its type OID is the domain's.
//   - wal2json 2.5's format 1 prints a comma before a non-transactional
//     message's object after a transaction that printed two or more
//     changes ({"change":[,{...), which is not JSON; Writer does not.
//   - include-pk: wal2json 2.5's format 1 prints a primary key only under
//     REPLICA IDENTITY DEFAULT, where it is the replica identity pgoutput
//     flags, so Writer matches it unaided. Format 2 prints the table's
//     primary key under any identity; pgoutput does not say which it is,
//     so for tables with another identity set Relation.PrimaryKey
//     (Feeder.PrimaryKey) from the catalog, or they print "pk":[].
//   - numeric-data-types-as-string is a wal2json 2.6 option, which 2.5
//     refuses as unknown; Writer implements 2.6's rule (numbers, NaN and
//     infinities as strings).
//   - An array of a user type: format_type prints elem[], Writer derives
//     that from the array type's name (_elem).
//   - Timestamps are printed as in a session with TimeZone UTC (run
//     wal2json's pg_recvlogical with PGOPTIONS=-c TimeZone=UTC to compare);
//     values are what the pgoutput session printed, under its settings.
//
// wal2json's UPDATE without an old tuple takes the identity from the new
// row (the key columns); Writer does the same, from the Relation's key
// flags.
package wal2json
