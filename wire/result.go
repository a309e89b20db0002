package wire

import (
	"database/sql"
	"encoding/binary"
	"fmt"
)

// parseRowDescription returns the column names of a RowDescription body.
func parseRowDescription(body []byte) ([]string, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: short RowDescription", ErrProtocol)
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	if n > len(body)/19 { // a field takes at least 19 bytes
		return nil, fmt.Errorf("%w: RowDescription with %d fields in %d bytes", ErrProtocol, n, len(body))
	}
	cols := make([]string, n)
	for i := range cols {
		end := indexNUL(body)
		if end < 0 || len(body) < end+19 {
			return nil, fmt.Errorf("%w: malformed RowDescription", ErrProtocol)
		}
		cols[i] = string(body[:end])
		body = body[end+19:]
	}
	return cols, nil
}

// parseDataRow returns the text values of a DataRow body (NULL: invalid).
func parseDataRow(body []byte) ([]sql.NullString, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: short DataRow", ErrProtocol)
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	if n > len(body)/4 {
		return nil, fmt.Errorf("%w: DataRow with %d values in %d bytes", ErrProtocol, n, len(body))
	}
	row := make([]sql.NullString, n)
	for i := range row {
		if len(body) < 4 {
			return nil, fmt.Errorf("%w: malformed DataRow", ErrProtocol)
		}
		l := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if l < 0 {
			continue
		}
		if int(l) > len(body) {
			return nil, fmt.Errorf("%w: DataRow value longer than the message", ErrProtocol)
		}
		row[i] = sql.NullString{String: string(body[:l]), Valid: true}
		body = body[l:]
	}
	return row, nil
}

func twoStrings(b []byte) (string, string, bool) {
	i := indexNUL(b)
	if i < 0 {
		return "", "", false
	}
	j := indexNUL(b[i+1:])
	if j < 0 {
		return "", "", false
	}
	return string(b[:i]), string(b[i+1 : i+1+j]), true
}

func trimNUL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == 0 {
		return b[:n-1]
	}
	return b
}
