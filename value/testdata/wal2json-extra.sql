-- Rows for the wal2json comparison (wal2json_integration_test.go) that
-- types.sql lacks: every JSON string escape (\b and \f included, which
-- PostgreSQL and pgwal spell differently), characters JSON leaves raw
-- (DEL, U+2028, non-BMP), floats printed with an exponent, numerics JSON
-- reads as numbers however long, a high-bit "char", and a row of NULLs.
-- Run after types.sql, under the pinned settings.
INSERT INTO public.types_t (id, c_text, c_varchar, c_bpchar, c_name, c_char,
  c_json, c_jsonb, c_xml, c_text_arr, c_float4, c_float8, c_numeric, c_numeric_s, c_money, c_oid, c_bytea) VALUES
(5, E'bs\b ff\f nl\n cr\r tab\t 01\x01 1f\x1f del\x7f "q" \\ / \u2028\u2029 \U0001F600', E'\b\f"\\',
  E'\x01\x7f\b', E'n\f', E'\\351',
  E'{"k": "\\b\\f\\u0001\\u001f", "u": "\\u00e9\\ud83d\\ude00", "n": 1E+2}', E'{"k": "\\b\\f\\u0001\\u001f\\"\\\\/", "u": "\\u2028", "n": 1E+2, "z": -0.0}',
  E'<a>"\'&amp;\\</a>', E'{"\b\f","\x01",""}', '3.4028235e+38', '1e-07', '1e-7', '0', '-0.01', '0', E'\\x0a0d'),
(6, '', NULL, NULL, NULL, ' ',
  '{}', '[]', '', '{NULL}', '1.4e-45', '-1.7976931348623157e+308', '-1e300', '-0.0001', '0.01', '26', '\x41'),
(7, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
