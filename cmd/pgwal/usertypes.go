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

// typeRegistrar is a formatter that renders values through a registry.
type typeRegistrar interface{ typeRegistry() *value.Registry }

func (u *units) typeRegistry() *value.Registry { return &u.types }

// firstNormalOID is FirstNormalObjectId: OIDs below it are built in (or
// made by initdb), none of them a user's type.
const firstNormalOID = 16384

// userType is one pg_type row of the load.
type userType struct {
	oid      uint32
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
	msg := fmt.Sprintf("relation %s column %s has type OID %d, which was created after the stream started (--binary needs each user type from the catalogs)", e.rel, e.col, e.oid)
	switch {
	case e.loop:
		return msg + ": reconnecting to load it"
	case e.temp:
		return msg + ": a temporary slot cannot reconnect: start pgwal stream again (with a new slot) to load it"
	}
	return msg + ": start pgwal stream again to load it (or run without --no-loop)"
}

// load reads the user types of the published tables' columns, and those
// named since the last load, for a binary session whose formatter renders
// values; otherwise it does nothing.
func (ut *userTypes) load(ctx context.Context, conn *wire.Conn, f *replFlags, fm formatter) error {
	ut.loaded = nil
	if _, ok := fm.(typeRegistrar); !ok || !f.binary {
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

// register puts the loaded types into fm's registry (after its Reset,
// which empties it).
func (ut *userTypes) register(fm formatter) {
	tr, ok := fm.(typeRegistrar)
	if !ok || len(ut.loaded) == 0 {
		return
	}
	registerUserTypes(tr.typeRegistry(), ut.loaded)
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

// check fails a binary session's Relation message that names a type not
// known and not yet looked up, to reconnect and load it (see above).
func (ut *userTypes) check(m codec.Message, f *replFlags, fm formatter) error {
	rel, ok := m.(*codec.Relation)
	if !ok || !f.binary {
		return nil
	}
	tr, ok := fm.(typeRegistrar)
	if !ok {
		return nil
	}
	r := tr.typeRegistry()
	var first *errTypesChanged
	for _, c := range rel.Columns {
		if c.TypeOID < firstNormalOID || ut.asked[c.TypeOID] {
			continue
		}
		if _, ok := r.Lookup(c.TypeOID); ok {
			continue // a domain over a built-in type, learnt from its Type message
		}
		ut.extra = append(ut.extra, c.TypeOID)
		if first == nil {
			first = &errTypesChanged{rel: string(rel.Namespace) + "." + string(rel.Name), col: string(c.Name), oid: c.TypeOID, loop: !f.noLoop && !f.temporary, temp: f.temporary}
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
SELECT t.oid, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, COALESCE(r.rngsubtype, 0)
FROM deps d JOIN pg_catalog.pg_type t ON t.oid = d.oid
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid OR r.rngmultitypid = t.oid`
}

var errBadTypeRow = errors.New("unexpected pg_type row")

func parseUserType(row []sql.NullString) (userType, error) {
	if len(row) != 7 {
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
	return userType{oid: nums[0], name: row[1].String, typtype: row[2].String[0], category: row[3].String[0],
		elem: nums[1], base: nums[2], sub: nums[3]}, nil
}
