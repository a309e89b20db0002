package codec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRelationCache(t *testing.T) {
	var d Decoder
	var c RelationCache
	feed := func(b []byte) Message {
		t.Helper()
		m, err := d.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		c.Apply(m)
		return m
	}
	feed(cat(b1('Y'), b4(16400), str("app"), str("mood")))
	feed(cat(b1('Y'), b4(16401), str(""), str("int4"))) // a domain over int4
	feed(cat(b1('R'), b4(16390), str("app"), str("people"), b1('d'), b2(4),
		b1(1), str("id"), b4(23), b4(0xFFFFFFFF),
		b1(0), str("名前"), b4(25), b4(0xFFFFFFFF),
		b1(0), str("mood"), b4(16400), b4(0xFFFFFFFF),
		b1(0), str("age"), b4(16401), b4(0xFFFFFFFF)))

	want := &RelationInfo{ID: 16390, Namespace: "app", Name: "people", ReplicaIdentity: 'd', Columns: []ColumnInfo{
		{Name: "id", TypeOID: 23, TypeMod: -1, Key: true, TypeName: "int4"},
		{Name: "名前", TypeOID: 25, TypeMod: -1, TypeName: "text"},
		{Name: "mood", TypeOID: 16400, TypeMod: -1, TypeName: "app.mood"},
		{Name: "age", TypeOID: 16401, TypeMod: -1, TypeName: "int4"},
	}}
	got, ok := c.Relation(16390)
	if !ok {
		t.Fatal("relation not cached")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached relation (-want +got):\n%s", diff)
	}

	// The cache owns its strings: reusing the decoder's memory changes nothing.
	feed(cat(b1('R'), b4(1), str("zzz"), str("zzzzzz"), b1('f'), b2(0)))
	if got.Name != "people" || got.Columns[1].Name != "名前" {
		t.Errorf("cached names changed with the input: %q %q", got.Name, got.Columns[1].Name)
	}

	ins := feed(cat(b1('I'), b4(16390), b1('N'), b2(4), text("1"), text("x"), text("happy"), b1('n')))
	info, err := c.Resolve(ins)
	if err != nil || info != got {
		t.Fatalf("Resolve = %v, %v", info, err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.Resolve(ins) }); n != 0 {
		t.Errorf("Resolve allocates %v times per row", n)
	}

	short := feed(cat(b1('I'), b4(16390), b1('N'), b2(1), text("1")))
	if _, err := c.Resolve(short); !errors.Is(err, ErrColumnCount) {
		t.Errorf("Resolve with wrong column count: %v", err)
	}
	unknown := feed(cat(b1('D'), b4(99), b1('K'), b2(0)))
	var re *RelationError
	if _, err := c.Resolve(unknown); !errors.Is(err, ErrUnknownRelation) || !errors.As(err, &re) || re.RelationID != 99 {
		t.Errorf("Resolve of unknown relation: %v", err)
	}
	if _, err := c.Resolve(&Begin{}); !errors.Is(err, ErrUnexpected) {
		t.Errorf("Resolve(Begin) = %v", err)
	}

	// A relation described again replaces the old description.
	feed(cat(b1('R'), b4(16390), str("app"), str("people"), b1('f'), b2(1), b1(1), str("id"), b4(20), b4(0xFFFFFFFF)))
	if r, _ := c.Relation(16390); len(r.Columns) != 1 || r.Columns[0].TypeName != "int8" || r.ReplicaIdentity != 'f' {
		t.Errorf("relation not replaced: %+v", r)
	}
	if ti, ok := c.Type(16400); !ok || ti.Name != "mood" {
		t.Errorf("Type(16400) = %+v, %v", ti, ok)
	}
	if c.TypeName(999999) != "" {
		t.Errorf("unknown type has a name")
	}
}

func TestClone(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]byte(nil), tc.in...)
			d := NewDecoder(tc.opts)
			d.SetInStream(tc.inStream)
			m, err := d.Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			c := Clone(m)
			if diff := cmp.Diff(tc.want, c, cmpOpts...); diff != "" {
				t.Fatalf("clone differs (-want +got):\n%s", diff)
			}
			// Overwrite the input and decode something else with the same
			// decoder: the clone must not change.
			for i := range in {
				in[i] = 0xAA
			}
			_, _ = d.Decode(cat(b1('I'), b4(1), b1('N'), b2(3), text("zz"), text("zz"), text("zz")))
			if diff := cmp.Diff(tc.want, c, cmpOpts...); diff != "" {
				t.Errorf("clone changed with the decoder's memory (-want +got):\n%s", diff)
			}
		})
	}
}
