package capture_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
)

// Write a capture, then read it back and decode its messages.
func Example() {
	var file bytes.Buffer
	h := capture.Header{capture.KeyServerVersion: "18.4", capture.KeySlot: "app", "note": "example"}
	h.SetDecoderOptions(codec.Options{ProtoVersion: 4, Streaming: codec.StreamingOn})
	w, err := capture.NewWriter(&file, h)
	if err != nil {
		panic(err)
	}
	msg := codec.AppendMessage(nil, &codec.Begin{FinalLSN: 0x16B374D848, Xid: 741})
	w.WriteXLogData(&codec.XLogData{WALStart: 0x16B374D800, WALEnd: 0x16B374D800, Data: msg})
	w.WriteKeepalive(&codec.PrimaryKeepalive{WALEnd: 0x16B374D900})

	r, err := capture.NewReader(&file)
	if err != nil {
		panic(err)
	}
	opts, _ := r.Header().DecoderOptions()
	fmt.Println("version", r.Version(), "slot", r.Header().Slot(), "proto", opts.ProtoVersion, "streaming", opts.Streaming)
	d := codec.NewDecoder(opts)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		switch rec.Kind {
		case capture.KindXLogData:
			m, err := d.Decode(rec.XLogData.Data)
			if err != nil {
				panic(err)
			}
			fmt.Println(rec.Num, rec.XLogData.WALStart, m.MessageType())
		case capture.KindKeepalive:
			fmt.Println(rec.Num, "keepalive at", rec.Keepalive.WALEnd)
		}
	}
	// Output:
	// version 2 slot app proto 4 streaming on
	// 1 16/B374D800 Begin
	// 2 keepalive at 16/B374D900
}
