package value_test

import (
	"fmt"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/value"
)

// A row of an Insert rendered as a JSON object, with a column of a domain
// over int4 learnt from pgoutput's Type message, as a consumer renders it.
func ExampleRenderer_AppendJSON() {
	var types value.Registry
	// pgoutput sends, for a domain column, the domain's OID with the base
	// type's name.
	types.ApplyType(&codec.Type{TypeOID: 16396, Name: []byte("int4")})

	cols := []codec.ColumnInfo{
		{Name: "id", TypeOID: 20, TypeMod: -1},
		{Name: "price", TypeOID: 1700, TypeMod: -1},
		{Name: "qty", TypeOID: 16396, TypeMod: -1},
		{Name: "doc", TypeOID: 3802, TypeMod: -1},
		{Name: "note", TypeOID: 25, TypeMod: -1},
	}
	id, _ := value.AppendInt64Binary(nil, 20, 300)
	num, _ := value.AppendNumericBinary(nil, value.Numeric{Digits: []byte("1250"), Exp: -2})
	row := codec.Tuple{
		{Kind: codec.ColumnBinary, Data: id},
		{Kind: codec.ColumnBinary, Data: num},
		{Kind: codec.ColumnText, Data: []byte("42")},
		{Kind: codec.ColumnText, Data: []byte(`{"a": null}`)},
		{Kind: codec.ColumnNull},
	}
	r := value.Renderer{Types: &types}
	out := []byte{'{'}
	for i, c := range row {
		if i > 0 {
			out = append(out, ',')
		}
		out = value.AppendJSONString(out, []byte(cols[i].Name))
		out = append(out, ':')
		var err error
		if out, err = r.AppendJSON(out, cols[i].TypeOID, cols[i].TypeMod, c.Kind, c.Data); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(string(append(out, '}')))
	// Output: {"id":300,"price":12.50,"qty":42,"doc":"{\"a\": null}","note":null}
}

// An enum's binary form is its label; it renders once the type is
// registered, and an unknown OID is an error that names it.
func ExampleRegistry() {
	var types value.Registry
	text, err := types.AppendText(nil, 16388, -1, []byte("happy"))
	fmt.Printf("%q %v\n", text, err)
	types.RegisterText(16388, "app.mood", value.CategoryEnum)
	text, err = types.AppendText(nil, 16388, -1, []byte("happy"))
	fmt.Printf("%q %v\n", text, err)
	// Output:
	// "" value: binary to text OID 16388: unknown type OID
	// "happy" <nil>
}

func ExampleFormatType() {
	// A Relation message's column: varchar(40) is typmod 40 plus the
	// 4-byte header, numeric(12,2) precision<<16 | scale plus 4.
	for _, c := range []struct {
		oid    uint32
		typmod int32
	}{{1043, 44}, {1231, 12<<16 | 2 + 4}, {1184, 3}, {16, -1}} {
		name, _ := value.FormatType(c.oid, c.typmod)
		fmt.Println(name)
	}
	// Output:
	// character varying(40)
	// numeric(12,2)[]
	// timestamp(3) with time zone
	// boolean
}
