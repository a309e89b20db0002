// Package snapshot takes a consistent initial copy of the tables a
// publication publishes, and hands back the slot to stream the changes
// after it from:
//
//	cfg, _ := wire.ParseConfig("postgres://repl@db.example/app?replication=database")
//	res, err := snapshot.Copy(ctx, cfg, snapshot.Options{
//		Publications: []string{"my_pub"},
//		Slot:         "my_slot",
//		Jobs:         4, // tables copied four at a time
//	}, func(t *snapshot.Table, row codec.Tuple) error {
//		// row: one value per t.Columns entry, codec.ColumnBinary or
//		// codec.ColumnNull, valid during the call only.
//		for i, col := range row {
//			if col.Kind == codec.ColumnBinary {
//				buf, err = value.AppendText(buf[:0], t.Columns[i].TypeOID, t.Columns[i].TypeMod, col.Data)
//				...
//			}
//		}
//		return store(t, row)
//	})
//	if err != nil {
//		return err // *snapshot.TableError, ErrPublicationMissing, ...
//	}
//	defer res.Conn.Close()
//	stream, err := res.Conn.StartReplication(ctx, res.Slot.Name, res.Slot.ConsistentPoint,
//		wire.LogicalOptions{Publications: []string{"my_pub"}, Binary: true})
//	// ... apply the stream as package wire shows.
//
// # How the copy is consistent
//
// Copy opens a replication=database session and runs
// CREATE_REPLICATION_SLOT … LOGICAL pgoutput with SNAPSHOT 'export'. The
// server answers with the slot's consistent point and the name of a
// snapshot that sees exactly the transactions that committed before it:
// every later commit is decoded by the slot, no earlier one is. Copy then
// opens SQL sessions (Jobs of them, no more than there are tables), each in
// BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY with SET TRANSACTION
// SNAPSHOT of that name, reads the catalog in the first, and copies each
// table with COPY … TO STDOUT (FORMAT binary) in one of them. So every
// table is read as of the same instant, the one the slot starts decoding
// after: rows copied plus changes streamed from Slot.ConsistentPoint are
// the table, nothing missed and nothing twice.
//
// The exporting session must stay open and idle until every SQL session
// has imported the snapshot: the walsender keeps an exported snapshot only
// until it runs its next command or its session ends, and an import after
// that fails (ErrSnapshotImport). Copy imports into all its sessions
// before copying anything and runs nothing on the replication session; a
// caller that passes its own Options.Conn must not use it until Copy
// returns. Afterwards the session is free: START_REPLICATION on it (a
// Temporary slot lives only as long as it).
//
// # What is copied
//
// The tables are those pg_publication_tables lists for the publications
// (FOR ALL TABLES and FOR TABLES IN SCHEMA included), with the published
// columns in attribute order and, from PostgreSQL 15, the column lists
// and row filters: several publications' row filters are ORed, their
// column lists must agree (ErrColumnListConflict, as pgoutput). Generated
// columns are left out before PostgreSQL 18, as pgoutput leaves them out;
// on 18 they are copied when the publication publishes them. A table with
// no filter is read with COPY table (columns), others with COPY (SELECT …
// FROM ONLY table WHERE filter); a partitioned table published via its
// root is read through the root. Table.Columns carries each column's type
// OID, typmod and replica identity key flag, and Table.Relation the
// codec.Relation a stream would describe the table with, so one renderer
// serves copied and streamed rows.
//
// # Memory
//
// A row is never held after fn returns: wire.Conn.CopyOut hands each
// CopyData message on as a view into the session's read buffer, and
// BinaryReader parses it in place into a reused codec.Tuple. With Jobs N,
// at most N rows (one per session, in the socket buffers beside) are in
// flight; fn itself is never called concurrently.
//
// # Errors
//
// ErrPublicationMissing (a *PublicationError naming the publications), a
// *TableError for a table's failure, matching ErrTableVanished (dropped
// after the snapshot, SQLSTATE 42P01) or ErrPermissionDenied (42501), and
// wrapping fn's own error; ErrSnapshotImport; ErrBinaryCopy for bytes
// that are not binary COPY data. On an error Copy drops the slot it
// created and closes the sessions it opened.
package snapshot
