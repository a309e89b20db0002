package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCopyData(t *testing.T) {
	payload := cat(b1('B'), b8(1), b8(2), b4(3))
	cases := []struct {
		name   string
		server bool
		in     []byte
		want   ReplicationMessage
	}{
		{"XLogData", true, cat(b1('w'), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), payload),
			&XLogData{WALStart: someLSN, WALEnd: someLSN2, ServerTime: someTime, Data: payload}},
		{"XLogData with LSN 0 header (Relation, Type)", true, cat(b1('w'), b8(0), b8(0), b8(uint64(someTime)), b1('E')),
			&XLogData{ServerTime: someTime, Data: []byte{'E'}}},
		{"XLogData with empty payload (PostgreSQL 10-14 quirk)", true, cat(b1('w'), b8(5), b8(5), b8(6)),
			&XLogData{WALStart: 5, WALEnd: 5, ServerTime: 6, Data: []byte{}}},
		{"keepalive asking for a reply", true, cat(b1('k'), b8(uint64(someLSN)), b8(uint64(someTime)), b1(1)),
			&PrimaryKeepalive{WALEnd: someLSN, ServerTime: someTime, ReplyRequested: true}},
		{"keepalive", true, cat(b1('k'), b8(uint64(someLSN)), b8(uint64(someTime)), b1(0)),
			&PrimaryKeepalive{WALEnd: someLSN, ServerTime: someTime}},
		{"primary status update", true, cat(b1('s'), b8(uint64(someLSN)), b8(1<<32|740), b8(1<<32|800), b8(uint64(someTime))),
			&PrimaryStatusUpdate{WriteLSN: someLSN, OldestXidInCommit: 1<<32 | 740, NextXid: 1<<32 | 800, ServerTime: someTime}},
		{"standby status update", false, cat(b1('r'), b8(3), b8(2), b8(1), b8(uint64(someTime)), b1(1)),
			&StandbyStatusUpdate{Write: 3, Flush: 2, Apply: 1, ClientTime: someTime, ReplyRequested: true}},
		{"hot standby feedback", false, cat(b1('h'), b8(uint64(someTime)), b4(10), b4(1), b4(9), b4(1)),
			&HotStandbyFeedback{ClientTime: someTime, Xmin: 10, XminEpoch: 1, CatalogXmin: 9, CatalogXminEpoch: 1}},
		{"primary status request", false, cat(b1('p'), b8(uint64(someTime))),
			&PrimaryStatusRequest{ClientTime: someTime}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			decode, other := d.DecodeServerCopyData, d.DecodeClientCopyData
			if !tc.server {
				decode, other = other, decode
			}
			got, err := decode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if got.Tag() != tc.in[0] {
				t.Errorf("Tag = %q, want %q", got.Tag(), tc.in[0])
			}
			if enc := AppendReplicationMessage(nil, got); !bytes.Equal(enc, tc.in) {
				t.Errorf("re-encoded:\n got %x\nwant %x", enc, tc.in)
			}
			// The same tag byte belongs to the other direction's layer or to
			// nothing there; it never decodes as this message.
			if m, err := other(tc.in); err == nil && m.Tag() == tc.in[0] {
				t.Errorf("the other direction decoded %q too", tc.in[0])
			}
			// Every shorter input fails; a longer one too, except XLogData
			// whose data runs to the end.
			for n := 0; n < len(tc.in); n++ {
				if tc.in[0] == 'w' && n >= XLogDataHeaderSize {
					break
				}
				if _, err := decode(tc.in[:n]); err == nil {
					t.Errorf("prefix of %d bytes decoded", n)
				}
			}
			if tc.in[0] != 'w' {
				if _, err := decode(cat(tc.in, b1(0))); !errors.Is(err, ErrTrailingBytes) {
					t.Errorf("with a trailing byte: %v, want ErrTrailingBytes", err)
				}
			}
		})
	}
}

func TestCopyDataSingleDecoders(t *testing.T) {
	w := cat(b1('w'), b8(1), b8(2), b8(3), []byte("data"))
	x, err := DecodeXLogData(w)
	if err != nil || x.WALStart != 1 || x.WALEnd != 2 || x.ServerTime != 3 || string(x.Data) != "data" {
		t.Errorf("DecodeXLogData = %+v, %v", x, err)
	}
	k := AppendPrimaryKeepalive(nil, &PrimaryKeepalive{WALEnd: 7, ServerTime: 8, ReplyRequested: true})
	if len(k) != PrimaryKeepaliveSize {
		t.Errorf("keepalive is %d bytes, want %d", len(k), PrimaryKeepaliveSize)
	}
	if got, err := DecodePrimaryKeepalive(k); err != nil || got != (PrimaryKeepalive{WALEnd: 7, ServerTime: 8, ReplyRequested: true}) {
		t.Errorf("DecodePrimaryKeepalive = %+v, %v", got, err)
	}
	// A payload of the wrong kind is an unknown-type error naming the tag.
	var de *DecodeError
	if _, err := DecodePrimaryKeepalive(w); !errors.As(err, &de) || !errors.Is(err, ErrUnknownType) || de.Field != "tag" || de.Offset != 0 {
		t.Errorf("DecodePrimaryKeepalive(XLogData) error = %v", err)
	}
	if _, err := DecodeXLogData(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("DecodeXLogData(nil) = %v", err)
	}
	// A keepalive's reply flag is a boolean byte.
	if _, err := DecodePrimaryKeepalive(cat(b1('k'), b8(1), b8(2), b1(2))); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("keepalive with reply byte 2: %v, want ErrInvalidValue", err)
	}
	sizes := map[string][2]int{
		"r": {len(AppendStandbyStatusUpdate(nil, &StandbyStatusUpdate{})), StandbyStatusUpdateSize},
		"h": {len(AppendHotStandbyFeedback(nil, &HotStandbyFeedback{})), HotStandbyFeedbackSize},
		"p": {len(AppendPrimaryStatusRequest(nil, &PrimaryStatusRequest{})), PrimaryStatusRequestSize},
		"s": {len(AppendPrimaryStatusUpdate(nil, &PrimaryStatusUpdate{})), PrimaryStatusUpdateSize},
		"w": {len(AppendXLogData(nil, &XLogData{})), XLogDataHeaderSize},
	}
	for tag, s := range sizes {
		if s[0] != s[1] {
			t.Errorf("%s: encoded %d bytes, size constant %d", tag, s[0], s[1])
		}
	}
	for _, tc := range []struct {
		in   []byte
		dec  func([]byte) error
		name string
	}{
		{AppendStandbyStatusUpdate(nil, &StandbyStatusUpdate{Write: 1, Flush: 1}), func(b []byte) error { _, err := DecodeStandbyStatusUpdate(b); return err }, "r"},
		{AppendHotStandbyFeedback(nil, &HotStandbyFeedback{Xmin: 1}), func(b []byte) error { _, err := DecodeHotStandbyFeedback(b); return err }, "h"},
		{AppendPrimaryStatusRequest(nil, &PrimaryStatusRequest{ClientTime: 1}), func(b []byte) error { _, err := DecodePrimaryStatusRequest(b); return err }, "p"},
		{AppendPrimaryStatusUpdate(nil, &PrimaryStatusUpdate{NextXid: 1}), func(b []byte) error { _, err := DecodePrimaryStatusUpdate(b); return err }, "s"},
	} {
		if err := tc.dec(tc.in); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err := tc.dec(tc.in[:len(tc.in)-1]); !errors.Is(err, ErrTruncated) {
			t.Errorf("%s truncated: %v, want ErrTruncated", tc.name, err)
		}
	}
}

// 'r' is Rollback Prepared in pgoutput and a standby status update in
// CopyData; 'p' is Stream Prepare and a primary status request. Each layer
// decodes its own meaning.
func TestSameLetterDifferentLayer(t *testing.T) {
	var d Decoder
	status := AppendStandbyStatusUpdate(nil, &StandbyStatusUpdate{Write: 1, Flush: 1, Apply: 1})
	if m, err := d.DecodeClientCopyData(status); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*StandbyStatusUpdate); !ok {
		t.Fatalf("client layer decoded %T", m)
	}
	if m, err := d.Decode(status); err == nil {
		t.Errorf("pgoutput layer decoded a status update as %T", m)
	} else if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrUnterminatedString) {
		t.Errorf("pgoutput layer: unexpected error %v", err)
	}
}

// A cloned XLogData owns its Data: overwriting the input and decoding
// another payload with the same Decoder leave it as it was.
func TestCloneReplicationMessage(t *testing.T) {
	var d Decoder
	in := cat(b1('w'), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), []byte("payload"))
	m, err := d.DecodeServerCopyData(in)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := CloneReplicationMessage(m).(*XLogData)
	if !ok || c == m.(*XLogData) {
		t.Fatalf("clone is %T %p, the original %p", c, c, m)
	}
	want := &XLogData{WALStart: someLSN, WALEnd: someLSN2, ServerTime: someTime, Data: []byte("payload")}
	for i := range in {
		in[i] = 0xAA
	}
	_, _ = d.DecodeServerCopyData(cat(b1('w'), b8(1), b8(2), b8(3), []byte("other!!")))
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("clone changed with the input (-want +got):\n%s", diff)
	}
	if cap(c.Data) != len(c.Data) {
		t.Errorf("clone's Data has capacity %d for %d bytes: appends would share memory", cap(c.Data), len(c.Data))
	}
	// An empty payload (the PostgreSQL 10-14 quirk) clones to an empty one.
	empty := &XLogData{WALStart: 5, Data: in[len(in):]}
	if c := CloneReplicationMessage(empty).(*XLogData); c.WALStart != 5 || len(c.Data) != 0 {
		t.Errorf("clone of an empty XLogData = %+v", c)
	}
	// The other sub-messages have no byte fields: a clone is an equal copy.
	for _, m := range []ReplicationMessage{
		&PrimaryKeepalive{WALEnd: 1, ServerTime: 2, ReplyRequested: true},
		&PrimaryStatusUpdate{WriteLSN: 1, OldestXidInCommit: 2, NextXid: 3, ServerTime: 4},
		&StandbyStatusUpdate{Write: 1, Flush: 2, Apply: 3, ClientTime: 4, ReplyRequested: true},
		&HotStandbyFeedback{ClientTime: 1, Xmin: 2, XminEpoch: 3, CatalogXmin: 4, CatalogXminEpoch: 5},
		&PrimaryStatusRequest{ClientTime: 1},
	} {
		c := CloneReplicationMessage(m)
		if diff := cmp.Diff(m, c); diff != "" || c == m {
			t.Errorf("%q: clone is the original or differs:\n%s", m.Tag(), diff)
		}
	}
	if CloneReplicationMessage(nil) != nil || Clone(nil) != nil {
		t.Errorf("a clone of nil is not nil")
	}
}
