package snapshot

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/wire"
)

// Table is one published table as of the snapshot: the columns the
// publications publish, in attribute order, and the row filter, if any.
type Table struct {
	OID             uint32
	Schema, Name    string
	Kind            byte // pg_class.relkind: 'r' table, 'p' partitioned table
	ReplicaIdentity byte // 'd' default, 'n' nothing, 'f' full, 'i' index
	Columns         []Column
	// RowFilter is the publications' row filter as SQL (several are
	// ORed), "" when every row is published (always on PostgreSQL 14).
	RowFilter string

	ancestors []uint32 // the partitioned tables a partition is in
}

// Column is one published column.
type Column struct {
	Name      string
	TypeOID   uint32
	TypeMod   int32 // atttypmod, -1 when none
	Key       bool  // part of the replica identity, as pgoutput flags it
	Generated bool  // a generated column (published on PostgreSQL 18 only when asked)
	// TypeSchema and TypeName name the column's type (pg_type.typname).
	TypeSchema, TypeName string
	// Text: the type is not built in (an enum, a domain, a composite, an
	// extension's type; OID 10000 and up, the types pgoutput describes
	// in Type messages), whose binary form a client cannot be expected
	// to read: it is copied as its text, and its values come as
	// ColumnText.
	Text bool
}

// firstUserTypeOID is where pgoutput starts sending Type messages
// (FirstGenbkiObjectId): the types below are built in.
const firstUserTypeOID = 10000

// Types returns the pgoutput Type messages describing the types of the
// table's columns that are not built in, as a stream sends them before
// the Relation message: applied to a codec.RelationCache they name the
// columns' types.
func (t *Table) Types() []*codec.Type {
	var ts []*codec.Type
	seen := map[uint32]bool{}
	for _, c := range t.Columns {
		if c.TypeOID < firstUserTypeOID || seen[c.TypeOID] {
			continue
		}
		seen[c.TypeOID] = true
		ts = append(ts, &codec.Type{TypeOID: c.TypeOID, Namespace: []byte(c.TypeSchema), Name: []byte(c.TypeName)})
	}
	return ts
}

// Relation returns the table as the pgoutput Relation message describing
// it would, so code that renders streamed rows renders copied ones too.
func (t *Table) Relation() *codec.Relation {
	r := &codec.Relation{
		RelationID:      t.OID,
		Namespace:       []byte(t.Schema),
		Name:            []byte(t.Name),
		ReplicaIdentity: t.ReplicaIdentity,
		Columns:         make([]codec.RelationColumn, len(t.Columns)),
	}
	for i, c := range t.Columns {
		rc := codec.RelationColumn{Name: []byte(c.Name), TypeOID: c.TypeOID, TypeMod: c.TypeMod}
		if c.Key {
			rc.Flags = 1
		}
		r.Columns[i] = rc
	}
	return r
}

// QualifiedName is the table's quoted schema-qualified name.
func (t *Table) QualifiedName() string { return quoteIdent(t.Schema) + "." + quoteIdent(t.Name) }

// CopyQuery is the COPY that reads the table's published rows and columns
// in binary: COPY table (columns) for a plain table published whole,
// otherwise COPY (SELECT columns FROM [ONLY] table WHERE filter), with
// the Text columns cast to text.
func (t *Table) CopyQuery() string {
	cols := make([]string, len(t.Columns))
	plain := true // COPY table (columns) will do
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c.Name)
		if c.Text {
			cols[i] += "::text"
		}
		plain = plain && !c.Generated && !c.Text
	}
	list := strings.Join(cols, ", ")
	if t.RowFilter == "" && t.Kind == 'r' && plain {
		return "COPY " + t.QualifiedName() + " (" + list + ") TO STDOUT (FORMAT binary)"
	}
	q := "COPY (SELECT " + list + " FROM "
	if t.Kind != 'p' {
		// An inheritance parent's children are published (and copied) as
		// tables of their own; a partitioned table is published with its
		// partitions' rows (publish_via_partition_root).
		q += "ONLY "
	}
	q += t.QualifiedName()
	if t.RowFilter != "" {
		q += " WHERE " + t.RowFilter
	}
	return q + ") TO STDOUT (FORMAT binary)"
}

// catalogQuery lists the publications' tables and published columns, one
// row per table, publication and column (PostgreSQL 14 lists a partition
// twice for a publication that names it and its partitioned parent
// without publish_via_partition_root), with the partitioned tables a
// partition is in (ancestors). PostgreSQL 15 added column lists
// and row filters (pg_publication_tables.attnames and rowfilter); before
// 18 generated columns are never published, though 15–17 list them in
// attnames when a table has no column list.
func catalogQuery(version int, pubs []string) string {
	lits := make([]string, len(pubs))
	for i, p := range pubs {
		lits[i] = quoteLiteral(p)
	}
	rowfilter, attr := "NULL::text", ""
	if version >= 150000 {
		rowfilter, attr = "pt.rowfilter", " AND a.attname = ANY (pt.attnames)"
	}
	if version < 180000 {
		attr += " AND a.attgenerated = ''"
	}
	return `SELECT c.oid, n.nspname, c.relname, c.relkind, c.relreplident, pt.pubname, ` + rowfilter + ` AS rowfilter,
  a.attname, a.atttypid, a.atttypmod, a.attgenerated <> '' AS generated, tn.nspname AS typnspname, ty.typname,
  ARRAY(SELECT pa.relid::oid FROM pg_catalog.pg_partition_ancestors(c.oid) pa WHERE pa.relid <> c.oid)::text AS ancestors,
  CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false ELSE EXISTS (
    SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid
      AND CASE c.relreplident WHEN 'd' THEN i.indisprimary ELSE i.indisreplident END
      AND a.attnum = ANY (i.indkey)) END AS key
FROM pg_catalog.pg_publication_tables pt
JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped` + attr + `
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
WHERE pt.pubname IN (` + strings.Join(lits, ", ") + `)
ORDER BY n.nspname, c.relname, pt.pubname, a.attnum`
}

// readCatalog checks the publications exist and lists their tables, in
// the snapshot of session c.
func readCatalog(ctx context.Context, c *wire.Conn, pubs []string) ([]*Table, error) {
	lits := make([]string, len(pubs))
	for i, p := range pubs {
		lits[i] = quoteLiteral(p)
	}
	res, err := c.Exec(ctx, "SELECT pubname FROM pg_catalog.pg_publication WHERE pubname IN ("+strings.Join(lits, ", ")+")")
	if err != nil {
		return nil, fmt.Errorf("snapshot: reading the publications: %w", err)
	}
	have := map[string]bool{}
	for i := range res[0].Rows {
		have[res[0].Value(i, "pubname")] = true
	}
	var missing []string
	for _, p := range pubs {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, &PublicationError{Names: missing}
	}
	res, err = c.Exec(ctx, catalogQuery(c.ServerVersionNum(), pubs))
	if err != nil {
		return nil, fmt.Errorf("snapshot: reading the published tables: %w", err)
	}
	return parseCatalog(&res[0])
}

// parseCatalog groups catalogQuery's rows into tables, merging what
// several publications publish of one table as pgoutput does: the row
// filters are ORed (none if any publication has none), and the column
// lists must agree.
func parseCatalog(r *wire.Result) ([]*Table, error) {
	type pubCols struct {
		cols   []Column
		filter string
		hasF   bool
	}
	var tables []*Table
	byOID := map[uint32]*Table{}
	perPub := map[uint32]map[string]*pubCols{}
	for i := range r.Rows {
		v := func(name string) string { return r.Value(i, name) }
		oid, err := strconv.ParseUint(v("oid"), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("snapshot: catalog: table oid %q", v("oid"))
		}
		typ, err1 := strconv.ParseUint(v("atttypid"), 10, 32)
		mod, err2 := strconv.ParseInt(v("atttypmod"), 10, 32)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("snapshot: catalog: column type %q %q", v("atttypid"), v("atttypmod"))
		}
		t := byOID[uint32(oid)]
		if t == nil {
			t = &Table{OID: uint32(oid), Schema: v("nspname"), Name: v("relname"), Kind: first(v("relkind")), ReplicaIdentity: first(v("relreplident"))}
			byOID[t.OID] = t
			perPub[t.OID] = map[string]*pubCols{}
			tables = append(tables, t)
		}
		pub := v("pubname")
		pc := perPub[t.OID][pub]
		if pc == nil {
			f, ok := r.Get(i, "rowfilter")
			pc = &pubCols{filter: f.String, hasF: ok && f.Valid}
			perPub[t.OID][pub] = pc
		}
		if t.ancestors == nil {
			t.ancestors = parseOIDArray(v("ancestors"))
		}
		col := Column{Name: v("attname"), TypeOID: uint32(typ), TypeMod: int32(mod), Key: v("key") == "t", Generated: v("generated") == "t",
			TypeSchema: v("typnspname"), TypeName: v("typname"), Text: typ >= firstUserTypeOID}
		if slices.ContainsFunc(pc.cols, func(c Column) bool { return c.Name == col.Name }) {
			continue // a partition listed twice (PostgreSQL 14)
		}
		pc.cols = append(pc.cols, col)
	}
	tables = dropCopiedPartitions(tables)
	for _, t := range tables {
		pubs := make([]string, 0, len(perPub[t.OID]))
		for p := range perPub[t.OID] {
			pubs = append(pubs, p)
		}
		sort.Strings(pubs)
		var filters []string
		unfiltered := false
		for i, p := range pubs {
			pc := perPub[t.OID][p]
			if i == 0 {
				t.Columns = pc.cols
			} else if !sameColumns(t.Columns, pc.cols) {
				return nil, fmt.Errorf("%w: table %s: publications %s and %s", ErrColumnListConflict, t.QualifiedName(), pubs[0], p)
			}
			if pc.hasF {
				filters = append(filters, "("+pc.filter+")")
			} else {
				unfiltered = true
			}
		}
		if !unfiltered {
			t.RowFilter = strings.Join(filters, " OR ")
		}
	}
	return tables, nil
}

// dropCopiedPartitions leaves out a partition whose partitioned ancestor
// is copied too: the ancestor's COPY (SELECT … FROM parent) reads the
// partition's rows, and pgoutput publishes its changes as the ancestor's
// when any of the publications publishes via the partition root. (With
// publish_via_partition_root false the catalog lists the leaf partitions
// and never their parents, so nothing is dropped.)
func dropCopiedPartitions(tables []*Table) []*Table {
	parents := map[uint32]bool{}
	for _, t := range tables {
		if t.Kind == 'p' {
			parents[t.OID] = true
		}
	}
	if len(parents) == 0 {
		return tables
	}
	return slices.DeleteFunc(tables, func(t *Table) bool {
		return slices.ContainsFunc(t.ancestors, func(a uint32) bool { return parents[a] })
	})
}

// parseOIDArray reads an oid[] in text form ("{16384,16390}"); a bad
// element is left out (it can only be the server's own output).
func parseOIDArray(s string) []uint32 {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	oids := []uint32{}
	for _, e := range strings.Split(s, ",") {
		if n, err := strconv.ParseUint(e, 10, 32); err == nil {
			oids = append(oids, uint32(n))
		}
	}
	return oids
}

func sameColumns(a, b []Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

func first(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// quoteIdent double-quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLiteral quotes an SQL string literal (standard_conforming_strings
// on, which wire sessions pin).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
