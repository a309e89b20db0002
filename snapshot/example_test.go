package snapshot_test

import (
	"context"
	"fmt"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/snapshot"
	"github.com/pgwal/pgwal/value"
	"github.com/pgwal/pgwal/wire"
)

// Copy the published tables, then stream what follows from the slot's
// consistent point on the same session.
func ExampleCopy() {
	ctx := context.Background()
	cfg, err := wire.ParseConfig("postgres://repl@db.example/app?replication=database")
	if err != nil {
		panic(err)
	}
	var buf []byte
	res, err := snapshot.Copy(ctx, cfg, snapshot.Options{Publications: []string{"my_pub"}, Slot: "my_slot", Jobs: 2},
		func(t *snapshot.Table, row codec.Tuple) error {
			for i, col := range row {
				if col.Kind == codec.ColumnNull {
					fmt.Printf("%s.%s = NULL\n", t.Name, t.Columns[i].Name)
					continue
				}
				buf, err = value.AppendText(buf[:0], t.Columns[i].TypeOID, t.Columns[i].TypeMod, col.Data)
				if err != nil {
					return err
				}
				fmt.Printf("%s.%s = %s\n", t.Name, t.Columns[i].Name, buf)
			}
			return nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Conn.Close()
	stream, err := res.Conn.StartReplication(ctx, res.Slot.Name, res.Slot.ConsistentPoint,
		wire.LogicalOptions{Publications: []string{"my_pub"}, Binary: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		m, err := stream.Next(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
			stream.Ack(pos)
		}
	}
}
