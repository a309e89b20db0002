package wire

import (
	"context"
	"database/sql"
	"fmt"
)

// Result is one statement's outcome of a simple query: its columns, rows
// in text format (NULL as an invalid sql.NullString) and command tag.
type Result struct {
	Columns []string
	Rows    [][]sql.NullString
	Tag     string
}

// Value returns the text of column name in row i, "" when NULL or absent.
func (r *Result) Value(i int, name string) string {
	for j, c := range r.Columns {
		if c == name && i < len(r.Rows) && j < len(r.Rows[i]) {
			return r.Rows[i][j].String
		}
	}
	return ""
}

// Exec runs sql with the simple query protocol and returns one Result per
// statement. It is how replication commands (IDENTIFY_SYSTEM, SHOW, …) and,
// on a replication=database session, plain SQL are sent. A server error
// ends with a *ServerError after the server is ready again.
func (c *Conn) Exec(ctx context.Context, sql string) ([]Result, error) {
	if err := c.acquire(); err != nil {
		return nil, err
	}
	defer c.release()
	if err := c.writeCtx(ctx, appendQuery(nil, sql)); err != nil {
		return nil, err
	}
	return c.readResults(ctx)
}

func (c *Conn) readResults(ctx context.Context) ([]Result, error) {
	var results []Result
	var cur *Result
	var firstErr error
	for {
		typ, body, err := c.readMsg(ctx)
		if err != nil {
			if ctx.Err() != nil {
				// The command is still running on the server; the session
				// cannot be reused safely.
				c.fail(err)
			}
			return nil, err
		}
		switch typ {
		case msgRowDescription:
			results = append(results, Result{})
			cur = &results[len(results)-1]
			cur.Columns, err = parseRowDescription(body)
		case msgDataRow:
			if cur == nil {
				results = append(results, Result{})
				cur = &results[len(results)-1]
			}
			var row []sql.NullString
			row, err = parseDataRow(body)
			cur.Rows = append(cur.Rows, row)
		case msgCommandComplete:
			if cur == nil {
				results = append(results, Result{})
				cur = &results[len(results)-1]
			}
			cur.Tag = string(trimNUL(body))
			cur = nil
		case msgEmptyQuery:
			cur = nil
		case msgErrorResponse:
			if firstErr == nil {
				firstErr = parseErrorFields(body)
			}
		case msgNoticeResponse:
			c.notice(body)
		case msgParameterStatus:
			if k, v, ok := twoStrings(body); ok {
				c.params[k] = v
			}
		case msgNotification:
		case msgReadyForQuery:
			return results, firstErr
		case msgCopyBothResponse, msgCopyOutResponse, msgCopyInResponse:
			err = fmt.Errorf("%w: Exec cannot run a command that starts COPY (use StartReplication)", ErrProtocol)
			c.fail(err)
			return nil, err
		default:
			err = fmt.Errorf("%w: unexpected message %q in a query result", ErrProtocol, typ)
		}
		if err != nil {
			c.fail(err)
			return nil, err
		}
	}
}
