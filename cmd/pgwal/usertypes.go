package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/value"
	"github.com/pgwal/pgwal/wire"
)

// A binary session (--binary) sends each value in its type's binary form,
// and pgoutput's Type message does not say what a type that is not built
// in is (an enum and a composite look alike). So before START_REPLICATION
// the types that the published tables' columns use are read from the
// catalogs, on the replication connection, and registered where the
// formats render values: enums (their binary form is the label),
// composites (record_send names each field's type), domains over any of
// them, and arrays, ranges and multiranges over these.
//
// A type created while streaming (ALTER TABLE ... ADD COLUMN of a new
// enum) is first seen in a Relation message. A replication connection
// cannot run SQL once streaming, so pgwal ends the session and reconnects,
// which loads the types again, the new one with them; nothing after the
// last acknowledged position was acknowledged, so the server sends it
// again. With --no-loop or a temporary slot there is no reconnection and
// the error says to start pgwal again. Each type is asked for once: one
// that the catalogs do not describe in a way pgwal can render (an
// extension's base type) is left to fail when a value of it comes.
//
// The formats that print column types (wal2json, pgwal) load the types in
// text sessions too, for the names of domains: pgoutput's Type message for
// a domain names its base type (logicalrep_write_typ looks through
// domains), where wal2json prints format_type of the column's own type.
// Every other user type's Type message names the type itself. A text
// session that cannot reconnect by itself (--no-loop, a temporary slot)
// goes on with the Type message's name for a type created while streaming.

// typeRegistrar is a formatter that renders values through a registry.
type typeRegistrar interface{ typeRegistry() *value.Registry }

// typeNamer is a formatter that prints column types: names overrides the
// Type messages' names of user types (domains) for the session.
type typeNamer interface {
	setTypeNames(names map[uint32]typeName)
}

// typeName is a user type's name in the catalogs.
type typeName struct{ schema, name string }

// qualified is the name as codec.RelationCache spells a Type message's.
func (n typeName) qualified() string {
	if n.schema == "" || n.schema == "pg_catalog" {
		return n.name
	}
	return n.schema + "." + n.name
}

func (u *units) typeRegistry() *value.Registry { return &u.types }

// firstNormalOID is FirstNormalObjectId: OIDs below it are built in (or
// made by initdb), none of them a user's type.
const firstNormalOID = 16384

// userType is one pg_type row of the load.
type userType struct {
	oid      uint32
	schema   string
	name     string
	typtype  byte // 'e' enum, 'c' composite, 'd' domain, 'r' range, 'm' multirange, 'b' base
	category byte // typcategory: 'A' for an array
	elem     uint32
	base     uint32 // a domain's typbasetype
	sub      uint32 // a range's or multirange's subtype
}

// userTypes is what the stream knows of the session's user types.
type userTypes struct {
	loaded []userType
	binary bool            // the loaded session's values are binary
	asked  map[uint32]bool // OIDs looked up by a load, found or not
	extra  []uint32        // OIDs a Relation named that a load has not looked up
}

// errTypesChanged ends a session to load the types again.
type errTypesChanged struct {
	rel  string
	col  string
	oid  uint32
	loop bool // the stream reconnects by itself
	temp bool // a temporary slot, which a reconnection would lose
}

func (e *errTypesChanged) Error() string {
	msg := fmt.Sprintf("relation %s column %s has type OID %d, which was created after the stream started (pgwal reads each user type from the catalogs)", e.rel, e.col, e.oid)
	switch {
	case e.loop:
		return msg + ": reconnecting to load it"
	case e.temp:
		return msg + ": a temporary slot cannot reconnect: start pgwal stream again (with a new slot) to load it"
	}
	return msg + ": start pgwal stream again to load it (or run without --no-loop)"
}

// needsTypes says whether fm needs the user types of a session: for their
// names, or to render a binary session's values.
func needsTypes(f *replFlags, fm formatter) bool {
	if _, ok := fm.(typeNamer); ok {
		return true
	}
	_, ok := fm.(typeRegistrar)
	return ok && f.binary
}

// load reads the user types of the published tables' columns, and those
// named since the last load, when fm needs them; otherwise it does
// nothing.
func (ut *userTypes) load(ctx context.Context, conn *wire.Conn, f *replFlags, fm formatter) error {
	ut.loaded, ut.binary = nil, f.binary
	if !needsTypes(f, fm) {
		return nil
	}
	rs, err := conn.Exec(ctx, userTypesQuery(f.publications, ut.extra, conn.ServerVersionNum()))
	if err != nil {
		return fmt.Errorf("loading the user types of the published tables: %w", err)
	}
	if ut.asked == nil {
		ut.asked = map[uint32]bool{}
	}
	for _, o := range ut.extra {
		ut.asked[o] = true
	}
	ut.extra = nil
	for _, r := range rs {
		for _, row := range r.Rows {
			t, err := parseUserType(row)
			if err != nil {
				return fmt.Errorf("loading the user types of the published tables: %w", err)
			}
			ut.asked[t.oid] = true
			ut.loaded = append(ut.loaded, t)
		}
	}
	return nil
}

// register gives fm the loaded types (after its Reset, which forgets
// them): the domains' names, and, in a binary session, the types in its
// registry. A text session's values are rendered as before: the registry
// would render an enum's or composite's text as its own JSON.
func (ut *userTypes) register(fm formatter) {
	if tn, ok := fm.(typeNamer); ok {
		tn.setTypeNames(domainNames(ut.loaded))
	}
	tr, ok := fm.(typeRegistrar)
	if !ok || !ut.binary || len(ut.loaded) == 0 {
		return
	}
	registerUserTypes(tr.typeRegistry(), ut.loaded)
}

// domainNames maps the loaded domains' OIDs to their names: the user
// types whose Type message names another (its base type).
func domainNames(ts []userType) map[uint32]typeName {
	var m map[uint32]typeName
	for _, t := range ts {
		if t.typtype != 'd' {
			continue
		}
		if m == nil {
			m = map[uint32]typeName{}
		}
		m[t.oid] = typeName{t.schema, t.name}
	}
	return m
}

// registerUserTypes registers ts into r. Containers look their parts up
// when a value comes, so their order does not matter; a domain takes its
// base's functions when registered, so domains go base first.
func registerUserTypes(r *value.Registry, ts []userType) {
	var domains []userType
	for _, t := range ts {
		switch {
		case t.typtype == 'd':
			domains = append(domains, t)
		case t.category == 'A' && t.elem != 0:
			r.RegisterArray(t.oid, t.elem, t.name)
		case t.typtype == 'e':
			r.RegisterText(t.oid, t.name, value.CategoryEnum)
		case t.typtype == 'c':
			r.RegisterComposite(t.oid, t.name)
		case t.typtype == 'r' && t.sub != 0:
			r.RegisterRange(t.oid, t.sub, t.name)
		case t.typtype == 'm' && t.sub != 0:
			r.RegisterMultirange(t.oid, t.sub, t.name)
		}
		// Other types (an extension's base types) have binary forms of
		// their own: a value of one is an unknown type, as before.
	}
	for progress := true; progress && len(domains) > 0; {
		progress = false
		rest := domains[:0]
		for _, d := range domains {
			if _, ok := r.Lookup(d.base); !ok {
				rest = append(rest, d) // its base is a domain still to come
				continue
			}
			if r.RegisterDomain(d.oid, d.base, d.name) == nil {
				progress = true
			}
		}
		domains = rest
	}
}

// check fails a Relation message that names a user type not yet looked
// up, to reconnect and load it (see above): in a binary session, one the
// registry cannot render; in a session whose format prints type names,
// any (it may be a domain), if the session reconnects by itself.
func (ut *userTypes) check(m codec.Message, f *replFlags, fm formatter) error {
	rel, ok := m.(*codec.Relation)
	if !ok || !needsTypes(f, fm) {
		return nil
	}
	_, names := fm.(typeNamer)
	var r *value.Registry
	if tr, ok := fm.(typeRegistrar); ok && f.binary {
		r = tr.typeRegistry()
	}
	loop := !f.noLoop && !f.temporary
	var first *errTypesChanged
	for _, c := range rel.Columns {
		if c.TypeOID < firstNormalOID || ut.asked[c.TypeOID] {
			continue
		}
		known := false
		if r != nil {
			_, known = r.Lookup(c.TypeOID) // a domain over a built-in type, learnt from its Type message
		}
		if (r == nil || known) && (!names || !loop) {
			// Only its name is missing, and it would take a restart:
			// the Type message's name it is.
			if ut.asked == nil {
				ut.asked = map[uint32]bool{}
			}
			ut.asked[c.TypeOID] = true
			continue
		}
		ut.extra = append(ut.extra, c.TypeOID)
		if first == nil {
			first = &errTypesChanged{rel: string(rel.Namespace) + "." + string(rel.Name), col: string(c.Name), oid: c.TypeOID, loop: loop, temp: f.temporary}
		}
	}
	if first != nil {
		return first
	}
	return nil
}

// userTypesQuery selects the pg_type rows of the user types the columns of
// the publications' tables use, with the types those are made of (array
// elements, domain bases, composite fields, range subtypes), and of the
// OIDs in extra. The tables come from the publication catalogs, not
// pg_publication_tables, which opens each table (for its column list),
// and a table opened before START_REPLICATION stays in the walsender's
// relcache with today's columns, which decoding older WAL then describes
// (and fails on a type created since: "cache lookup failed for type").
// A published partitioned table's partitions have its column types;
// schema publications are PostgreSQL 15's (version: server_version_num).
func userTypesQuery(pubs []string, extra []uint32, version int) string {
	lits := make([]string, len(pubs))
	for i, p := range pubs {
		lits[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	oids := make([]string, len(extra))
	for i, o := range extra {
		oids[i] = strconv.FormatUint(uint64(o), 10)
	}
	schemas := ""
	if version >= 150000 {
		schemas = `
  UNION SELECT c.oid FROM pg_catalog.pg_publication_namespace pn JOIN pubs p ON p.oid = pn.pnpubid
  JOIN pg_catalog.pg_class c ON c.relnamespace = pn.pnnspid AND c.relkind IN ('r', 'p')`
	}
	return `WITH RECURSIVE pubs AS (
  SELECT oid, puballtables FROM pg_catalog.pg_publication WHERE pubname IN (` + strings.Join(lits, ",") + `)
), rels(oid) AS (
  SELECT pr.prrelid FROM pg_catalog.pg_publication_rel pr JOIN pubs p ON p.oid = pr.prpubid
  UNION SELECT c.oid FROM pg_catalog.pg_class c
  WHERE c.relkind IN ('r', 'p') AND EXISTS (SELECT FROM pubs WHERE puballtables)` + schemas + `
), used(oid) AS (
  SELECT a.atttypid FROM rels r
  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE a.atttypid >= ` + strconv.Itoa(firstNormalOID) + `
  UNION SELECT unnest('{` + strings.Join(oids, ",") + `}'::pg_catalog.oid[])
), deps(oid) AS (
  SELECT oid FROM used
  UNION
  SELECT x.oid FROM deps d JOIN pg_catalog.pg_type t ON t.oid = d.oid,
  LATERAL (SELECT t.typelem UNION ALL SELECT t.typbasetype
    UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid OR r.rngmultitypid = t.oid
    UNION ALL SELECT fa.atttypid FROM pg_catalog.pg_attribute fa
      WHERE fa.attrelid = t.typrelid AND fa.attnum > 0 AND NOT fa.attisdropped) x(oid)
  WHERE x.oid >= ` + strconv.Itoa(firstNormalOID) + `
)
SELECT t.oid, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, COALESCE(r.rngsubtype, 0), n.nspname
FROM deps d JOIN pg_catalog.pg_type t ON t.oid = d.oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid OR r.rngmultitypid = t.oid`
}

var errBadTypeRow = errors.New("unexpected pg_type row")

func parseUserType(row []sql.NullString) (userType, error) {
	if len(row) != 8 {
		return userType{}, fmt.Errorf("%w: %d columns", errBadTypeRow, len(row))
	}
	var nums [4]uint32
	for i, col := range []int{0, 4, 5, 6} {
		n, err := strconv.ParseUint(row[col].String, 10, 32)
		if err != nil {
			return userType{}, fmt.Errorf("%w: column %d: %v", errBadTypeRow, col+1, err)
		}
		nums[i] = uint32(n)
	}
	if len(row[2].String) != 1 || len(row[3].String) != 1 {
		return userType{}, fmt.Errorf("%w: typtype %q, typcategory %q", errBadTypeRow, row[2].String, row[3].String)
	}
	return userType{oid: nums[0], schema: row[7].String, name: row[1].String, typtype: row[2].String[0], category: row[3].String[0],
		elem: nums[1], base: nums[2], sub: nums[3]}, nil
}
