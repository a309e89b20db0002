// Package lsn handles PostgreSQL write-ahead-log positions and
// PostgreSQL-epoch timestamps:
//
//	l, err := lsn.Parse("16/B374D848")
//	if err != nil {
//		return err
//	}
//	next := l.Add(8192)
//	fmt.Println(next, next.Sub(l))                         // 16/B374F848 8192
//	fmt.Println(l.FileName(1, lsn.DefaultSegmentSize))     // 0000000100000016000000B3
//	fmt.Println(lsn.Timestamp(0))                          // 2000-01-01T00:00:00.000000Z
//
// An [LSN] (PostgreSQL's XLogRecPtr, SQL type pg_lsn) is a 64-bit byte
// position in the WAL. [Parse] accepts exactly what pg_lsn input accepts,
// both the classic "16/B374D848" and the zero-padded "16/0000ABCD" printed
// by PostgreSQL 19; [LSN.String] prints the unpadded form every version
// accepts and [LSN.Padded] the new one. The segment helpers ([LSN.Segment],
// [FileName], [ParseFileName]) follow PostgreSQL's XLogSegNo and WAL file
// naming for any valid segment size.
//
// A [Timestamp] is a timestamptz as carried by the replication protocol:
// microseconds since 2000-01-01 00:00:00 UTC, with the extreme int64 values
// standing for 'infinity' and '-infinity'.
//
// LSN implements encoding.TextMarshaler, json.Marshaler, sql.Scanner and
// driver.Valuer (and their inverses); Timestamp the text and JSON ones.
package lsn
