package value

// The built-in types a table column can have that nothing here renders:
// catalog-internal types, and types whose binary form is not decoded here.
// They are listed so that every built-in type has its name (Lookup,
// FormatType); AppendText and Decode of one is ErrUnknownType. Their
// arrays are in arrayTypes.
func init() {
	register(
		&Type{OID: 194, Name: "pg_node_tree", Category: 'Z'},
		&Type{OID: 1033, Name: "aclitem", Category: CategoryUser, Array: 1034},
		&Type{OID: 1790, Name: "refcursor", Category: CategoryUser, Array: 2201},
		&Type{OID: 2275, Name: "cstring", Category: CategoryPseudo, Array: 1263},
		&Type{OID: 2970, Name: "txid_snapshot", Category: CategoryUser, Array: 2949},
		&Type{OID: 3361, Name: "pg_ndistinct", Category: 'Z'},
		&Type{OID: 3402, Name: "pg_dependencies", Category: 'Z'},
		&Type{OID: 3642, Name: "gtsvector", Category: CategoryUser, Array: 3644},
		&Type{OID: 4600, Name: "pg_brin_bloom_summary", Category: 'Z'},
		&Type{OID: 4601, Name: "pg_brin_minmax_multi_summary", Category: 'Z'},
		&Type{OID: 5017, Name: "pg_mcv_list", Category: 'Z'},
		&Type{OID: 5038, Name: "pg_snapshot", Category: CategoryUser, Array: 5039},
	)
}
