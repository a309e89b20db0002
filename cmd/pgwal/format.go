package main

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// A formatter renders the decoded stream for pgwal stream --format. It is
// handed every message in stream order and writes what it renders to w;
// it says which WAL positions are complete: once what it has written so
// far is durable, the server may forget everything up to the position.
//
// A formatter that renders per message (pgwal) writes at once and reports
// the end of each unit of work as it passes; one that renders whole
// transactions (txn, wal2json) can hold a transaction's messages and write
// it at its end. Either way the caller acknowledges a position only after
// the bytes written up to the report that returned it are written (and,
// for a file, synced): nothing is confirmed that is not in the output.
type formatter interface {
	// Write takes m, delivered at WAL position at (0 for Relation and
	// Type messages). complete is true when m ends a unit of work and
	// everything up to end is then in what Write has written. m and its
	// byte fields are valid only during the call.
	Write(w io.Writer, m codec.Message, at lsn.LSN) (end lsn.LSN, complete bool, err error)
	// Reset starts a new session from resumeAfter (the end of the last
	// unit made durable, 0 if none is known): the server sends Relation
	// messages again and resends any unit that was not acknowledged, so
	// state from the last session (relations, a partial transaction) is
	// dropped, and a unit ending at or before resumeAfter is not written
	// again.
	Reset(resumeAfter lsn.LSN)
}

// formats are the --format values; each builds a formatter from the -o
// options that are not pgoutput's own.
var formats = map[string]func(opts []pluginOption) (formatter, error){
	"pgwal":    newChangesFormat,
	"wal2json": newWal2JSONFormat,
	"messages": newMessagesFormat,
}

func formatNames() string {
	var names []string
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// newFormatter builds the --format formatter.
func newFormatter(name string, opts []pluginOption) (formatter, error) {
	mk, ok := formats[name]
	if !ok {
		return nil, usagef("--format %q: want one of %s", name, formatNames())
	}
	return mk(opts)
}

// messagesFormat is the protocol view, pgwal decode's JSON lines: one
// object per pgoutput message, with "lsn" the WAL position of the message.
type messagesFormat struct {
	cat msgjson.Catalog
}

func newMessagesFormat(opts []pluginOption) (formatter, error) {
	for _, o := range opts {
		return nil, usagef("-o %s: --format messages has no option %q (-o takes pgoutput's options proto_version, publication_names, binary, messages, streaming, origin, two_phase, and the options of other formats)", o, o.Name)
	}
	return &messagesFormat{}, nil
}

func (p *messagesFormat) Reset(lsn.LSN) { p.cat = msgjson.Catalog{} }

func (p *messagesFormat) Write(w io.Writer, m codec.Message, at lsn.LSN) (lsn.LSN, bool, error) {
	p.cat.Apply(m)
	r := p.cat.Message(m)
	if at != 0 {
		r.LSN = at.String()
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return 0, false, err
	}
	end, ok := wire.AckPosition(m, at)
	return end, ok, nil
}
