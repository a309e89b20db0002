package wire

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Result is one statement's outcome of a simple query: its columns, rows
// in text format (NULL as an invalid sql.NullString) and command tag.
type Result struct {
	Columns []string
	Rows    [][]sql.NullString
	Tag     string
}

// Get returns column name of row i, and whether the row and the column
// exist. A NULL is an invalid sql.NullString.
func (r *Result) Get(i int, name string) (sql.NullString, bool) {
	if i < 0 || i >= len(r.Rows) {
		return sql.NullString{}, false
	}
	for j, c := range r.Columns {
		if c == name {
			if j < len(r.Rows[i]) {
				return r.Rows[i][j], true
			}
			return sql.NullString{}, false
		}
	}
	return sql.NullString{}, false
}

// Value returns the text of column name in row i, "" when NULL or absent.
func (r *Result) Value(i int, name string) string {
	v, _ := r.Get(i, name)
	return v.String
}

// Exec runs sql with the simple query protocol and returns one Result per
// statement. It is how replication commands (IDENTIFY_SYSTEM, SHOW, …) and,
// on a replication=database session, plain SQL are sent. A server error
// ends with a *ServerError after the server is ready again.
//
// If ctx ends while the server is still working, Exec sends the server a
// CancelRequest and reads the rest of the answer (up to cancelWait), so
// the session stays usable: the error then matches ctx's error and, if the
// server cancelled the command, wraps its *ServerError 57014. Only if that
// fails is the session marked broken.
func (c *Conn) Exec(ctx context.Context, sql string) ([]Result, error) {
	if err := c.acquire(); err != nil {
		return nil, err
	}
	defer c.release()
	if err := c.send(ctx, "query", AppendQuery(nil, sql)); err != nil {
		return nil, err
	}
	return c.readResults(ctx)
}

// readResults collects the answer to a simple query up to ReadyForQuery.
func (c *Conn) readResults(ctx context.Context) ([]Result, error) {
	var results []Result
	var cur *Result
	var firstErr error
	for {
		typ, body, err := c.receive(ctx, readOpts{})
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil, c.abandon(err, false)
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
			if se := c.serverError(body); firstErr == nil {
				firstErr = se
			}
		case msgReadyForQuery:
			return results, firstErr
		case msgCopyBothResponse, msgCopyOutResponse, msgCopyInResponse:
			err = fmt.Errorf("%w: Exec cannot run a command that starts COPY (use StartReplication)", ErrProtocol)
		default:
			err = fmt.Errorf("%w: unexpected message %q in a query result", ErrProtocol, typ)
		}
		if err != nil {
			c.fail(err)
			return nil, err
		}
	}
}

// cancelWait bounds the cancel request and the rest of the answer after a
// command's context ended.
const cancelWait = 10 * time.Second

// abandon answers a context that ended while the server still works on a
// command: a CancelRequest, then the rest of the answer up to
// ReadyForQuery, dropped, so the session can run the next command. If
// that fails, the session is broken: where the answer ends is unknown.
// copyOut says the command was a COPY TO STDOUT: its CopyOutResponse and
// data may still come (the server may announce the COPY only after ctx
// ended) and are dropped, and a COPY FROM STDIN is refused with CopyFail;
// for other commands any COPY is a protocol error.
func (c *Conn) abandon(cause error, copyOut bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), cancelWait)
	defer cancel()
	if err := c.Cancel(ctx); err != nil {
		c.fail(cause)
		return fmt.Errorf("%w (and the cancel request failed: %w)", cause, err)
	}
	var serverErr error
	for {
		typ, body, err := c.receive(ctx, readOpts{})
		if err != nil {
			c.fail(cause)
			return fmt.Errorf("%w (and then, reading the rest of the answer: %w)", cause, err)
		}
		switch typ {
		case msgErrorResponse:
			if se := c.serverError(body); serverErr == nil {
				serverErr = se
			}
		case msgReadyForQuery:
			if serverErr != nil {
				return fmt.Errorf("%w: %w", cause, serverErr)
			}
			return cause // it finished before the cancel arrived
		case msgCopyOutResponse:
			if copyOut {
				continue
			}
			err := fmt.Errorf("%w: a COPY started while the command was abandoned", ErrProtocol)
			c.fail(err)
			return fmt.Errorf("%w (%w)", cause, err)
		case msgCopyInResponse:
			if copyOut {
				if err := c.send(ctx, "CopyFail", appendCopyFail(nil, "pgwal: CopyOut cannot send data")); err != nil {
					return fmt.Errorf("%w (%w)", cause, err)
				}
				continue
			}
			err := fmt.Errorf("%w: a COPY started while the command was abandoned", ErrProtocol)
			c.fail(err)
			return fmt.Errorf("%w (%w)", cause, err)
		case msgCopyBothResponse:
			err := fmt.Errorf("%w: a COPY BOTH started while the command was abandoned", ErrProtocol)
			c.fail(err)
			return fmt.Errorf("%w (%w)", cause, err)
		}
	}
}
