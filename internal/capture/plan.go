package main

import (
	"fmt"
	"strings"
)

// spec is one option set peeked with one protocol version.
type spec struct {
	Proto     int
	Name      string
	Binary    bool
	Messages  bool
	Streaming string // off, on, parallel
	TwoPhase  bool
	Origin    string // "" (not sent), "none", "any"
	// Immediate peeks with debug_logical_replication_streaming = immediate
	// set in the peeking session (16+): every transaction is streamed from
	// its first change.
	Immediate bool
}

func (s spec) fileName() string { return fmt.Sprintf("v%d-%s.txt", s.Proto, s.Name) }

// maxProto is the highest proto_version pgoutput of that major accepts.
func maxProto(major int) int {
	switch {
	case major >= 16:
		return 4
	case major == 15:
		return 3
	default:
		return 2
	}
}

// plan lists the captures made for a server major version. Option sets that
// cannot change the bytes with a higher protocol version (everything that
// does not use streaming or two_phase) are captured with proto 1 only: with
// streaming and two_phase off, pgoutput writes the same bytes for every
// proto_version. Each protocol version gets its own "all".
func plan(major int) []spec {
	origin := ""
	if major >= 16 {
		origin = "any" // sent explicitly in "all", so the Origin message stays
	}
	list := []spec{
		{Proto: 1, Name: "plain", Streaming: "off"},
		{Proto: 1, Name: "binary", Binary: true, Streaming: "off"},
		{Proto: 1, Name: "messages", Messages: true, Streaming: "off"},
	}
	if major >= 16 {
		list = append(list, spec{Proto: 1, Name: "origin-none", Messages: true, Streaming: "off", Origin: "none"})
	}
	list = append(list, spec{Proto: 1, Name: "all", Binary: true, Messages: true, Streaming: "off", Origin: origin})
	for p := 2; p <= maxProto(major); p++ {
		all := spec{Proto: p, Name: "all", Binary: true, Messages: true, Streaming: "on", Origin: origin}
		switch p {
		case 2:
			list = append(list, spec{Proto: 2, Name: "stream", Streaming: "on"})
		case 3:
			list = append(list, spec{Proto: 3, Name: "twophase", Streaming: "on", TwoPhase: true})
			all.TwoPhase = true
		case 4:
			list = append(list, spec{Proto: 4, Name: "parallel", Streaming: "parallel"})
			all.TwoPhase = true
			all.Streaming = "parallel"
		}
		list = append(list, all)
	}
	if major >= 16 {
		all := list[len(list)-1]
		all.Name = "all-immediate"
		all.Immediate = true
		list = append(list, all)
	}
	return list
}

// options are the pgoutput options, in the order they are passed.
func (s spec) options() [][2]string {
	o := [][2]string{
		{"proto_version", fmt.Sprint(s.Proto)},
		{"publication_names", "pgwal_pub"},
	}
	if s.Binary {
		o = append(o, [2]string{"binary", "true"})
	}
	if s.Messages {
		o = append(o, [2]string{"messages", "true"})
	}
	if s.Streaming != "off" {
		o = append(o, [2]string{"streaming", s.Streaming})
	}
	if s.TwoPhase {
		o = append(o, [2]string{"two_phase", "true"})
	}
	if s.Origin != "" {
		o = append(o, [2]string{"origin", s.Origin})
	}
	return o
}

func (s spec) optionsText() string {
	var parts []string
	for _, o := range s.options() {
		parts = append(parts, o[0]+" '"+o[1]+"'")
	}
	return strings.Join(parts, ", ")
}

// typeOrder is the canonical order of message type letters in "expect".
const typeOrder = "BCOMRYIUDTSEcAbPKrp"

func ordered(set map[byte]bool) string {
	var b []byte
	for i := 0; i < len(typeOrder); i++ {
		if set[typeOrder[i]] {
			b = append(b, typeOrder[i])
		}
	}
	return string(b)
}

// expectTypes is the exact set of message types the workload produces with
// these options, derived from the workload's design (see
// testdata/workload), not from what a capture happened to hold.
//
//   - B C R Y I U D T always (Type: enum, domain and composite columns; Truncate: 06-truncate.sql)
//   - O unless origin 'none' (03-origin.sql)
//   - M with messages (02-dml.sql, 04-stream.sql)
//   - S E c A with streaming on/parallel (04-stream.sql: savepoint rollback, aborted transaction)
//   - b P K r with two_phase (05-twophase.sql), p with two_phase and streaming
//   - with debug_logical_replication_streaming = immediate and streaming,
//     every transaction is streamed, so B C b P disappear
func (s spec) expectTypes() string {
	set := map[byte]bool{}
	for _, c := range []byte("BCRYIUDT") {
		set[c] = true
	}
	if s.Origin != "none" {
		set['O'] = true
	}
	if s.Messages {
		set['M'] = true
	}
	if s.Streaming != "off" {
		for _, c := range []byte("SEcA") {
			set[c] = true
		}
	}
	if s.TwoPhase {
		for _, c := range []byte("bPKr") {
			set[c] = true
		}
		if s.Streaming != "off" {
			set['p'] = true
		}
	}
	if s.Immediate && s.Streaming != "off" {
		// every transaction with changes is streamed: no Begin/Commit,
		// no Begin Prepare/Prepare (Stream Prepare instead)
		for _, c := range []byte("BCbP") {
			delete(set, c)
		}
	}
	return ordered(set)
}

// expectTuple lists tuple features the capture must contain: column kinds
// n (NULL), u (unchanged TOAST), t (text, without binary) or b (binary), and
// old-tuple kinds K and O.
func (s spec) expectTuple() string {
	if s.Binary {
		return "nubKO"
	}
	return "nutKO"
}
