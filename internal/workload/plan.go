package workload

import (
	"fmt"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/wire"
)

// Publication is the publication the workload creates (01-schema.sql).
const Publication = "pgwal_pub"

// Spec is one pgoutput option set at one protocol version: what a capture
// file is made with.
type Spec struct {
	Proto     int
	Name      string // option set name: plain, binary, messages, origin-none, stream, twophase, parallel, all, all-immediate
	Binary    bool
	Messages  bool
	Streaming string // off, on, parallel
	TwoPhase  bool   // two_phase 'true'; needs a two-phase slot
	Origin    string // "" (not sent), "none", "any"
	// Immediate peeks with debug_logical_replication_streaming = immediate
	// set in the peeking session (16+): every transaction is streamed from
	// its first change. Peek only.
	Immediate bool
}

// FileName is the name of the peek capture: v<proto>-<name>.txt.
func (s Spec) FileName() string { return fmt.Sprintf("v%d-%s.txt", s.Proto, s.Name) }

// LiveFileName is the name of the live (replication connection) capture:
// live-v<proto>-<name>.txt.
func (s Spec) LiveFileName() string { return "live-" + s.FileName() }

// PeekSlot is the slot the option set is peeked from: PlainSlot, or
// TwoPhaseSlot for the option sets with two_phase.
func (s Spec) PeekSlot() string {
	if s.TwoPhase {
		return TwoPhaseSlot
	}
	return PlainSlot
}

// LiveSlot is the name of the slot streamed for the live capture of the
// option set, e.g. pgwal_live_v4_all (one slot per live capture: a stream
// acknowledges, and so consumes, what it reads).
func (s Spec) LiveSlot() string {
	return "pgwal_live_v" + fmt.Sprint(s.Proto) + "_" + strings.ReplaceAll(s.Name, "-", "_")
}

// SlotKind is the capture header value for the slot: "plain" or "two_phase".
func (s Spec) SlotKind() string {
	if s.TwoPhase {
		return "two_phase"
	}
	return "plain"
}

// MaxProto is the highest proto_version pgoutput of that major accepts.
func MaxProto(major int) int {
	switch {
	case major >= 16:
		return 4
	case major == 15:
		return 3
	default:
		return 2
	}
}

// Plan lists the peek captures made for a server major version. Option
// sets that cannot change the bytes with a higher protocol version
// (everything that does not use streaming or two_phase) are captured with
// proto 1 only: with streaming and two_phase off, pgoutput writes the same
// bytes for every proto_version. Each protocol version gets its own "all".
func Plan(major int) []Spec {
	origin := ""
	if major >= 16 {
		origin = "any" // sent explicitly in "all", so the Origin message stays
	}
	list := []Spec{
		{Proto: 1, Name: "plain", Streaming: "off"},
		{Proto: 1, Name: "binary", Binary: true, Streaming: "off"},
		{Proto: 1, Name: "messages", Messages: true, Streaming: "off"},
	}
	if major >= 16 {
		list = append(list, Spec{Proto: 1, Name: "origin-none", Messages: true, Streaming: "off", Origin: "none"})
	}
	list = append(list, Spec{Proto: 1, Name: "all", Binary: true, Messages: true, Streaming: "off", Origin: origin})
	for p := 2; p <= MaxProto(major); p++ {
		all := Spec{Proto: p, Name: "all", Binary: true, Messages: true, Streaming: "on", Origin: origin}
		switch p {
		case 2:
			list = append(list, Spec{Proto: 2, Name: "stream", Streaming: "on"})
		case 3:
			list = append(list, Spec{Proto: 3, Name: "twophase", Streaming: "on", TwoPhase: true})
			all.TwoPhase = true
		case 4:
			list = append(list, Spec{Proto: 4, Name: "parallel", Streaming: "parallel"})
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

// LivePlan lists the live captures made for a server major version: "all"
// at the highest protocol version and, on 16+, "parallel". They are
// entries of Plan, so each live capture has a peek twin.
func LivePlan(major int) []Spec {
	var out []Spec
	for _, s := range Plan(major) {
		if s.Proto == MaxProto(major) && (s.Name == "all" || s.Name == "parallel") {
			out = append(out, s)
		}
	}
	return out
}

// LiveAll is the live capture of "all" at major's highest protocol version.
func LiveAll(major int) Spec {
	for _, s := range LivePlan(major) {
		if s.Name == "all" {
			return s
		}
	}
	panic("workload: no live all") // LivePlan always has one
}

// Options are the pgoutput options, in the order they are passed.
func (s Spec) Options() [][2]string {
	o := [][2]string{
		{"proto_version", fmt.Sprint(s.Proto)},
		{"publication_names", Publication},
	}
	if s.Binary {
		o = append(o, [2]string{"binary", "true"})
	}
	if s.Messages {
		o = append(o, [2]string{"messages", "true"})
	}
	if s.Streaming != "off" && s.Streaming != "" {
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

// OptionsText is Options as written in the capture header:
// "proto_version '4', publication_names 'pgwal_pub', ...".
func (s Spec) OptionsText() string {
	var parts []string
	for _, o := range s.Options() {
		parts = append(parts, o[0]+" '"+o[1]+"'")
	}
	return strings.Join(parts, ", ")
}

// LogicalOptions are the same options for wire's START_REPLICATION (wire
// sends them in the same order).
func (s Spec) LogicalOptions() wire.LogicalOptions {
	o := wire.LogicalOptions{
		ProtoVersion: s.Proto,
		Publications: []string{Publication},
		Binary:       s.Binary,
		Messages:     s.Messages,
		TwoPhase:     s.TwoPhase,
		Origin:       s.Origin,
	}
	if s.Streaming != "off" {
		o.Streaming, _ = codec.ParseStreaming(s.Streaming)
	}
	return o
}

// TypeOrder is the canonical order of message type letters in the capture
// header "expect".
const TypeOrder = "BCOMRYIUDTSEcAbPKrp"

func ordered(set map[byte]bool) string {
	var b []byte
	for i := 0; i < len(TypeOrder); i++ {
		if set[TypeOrder[i]] {
			b = append(b, TypeOrder[i])
		}
	}
	return string(b)
}

// ExpectTypes is the exact set of message types the workload produces with
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
func (s Spec) ExpectTypes() string {
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

// ExpectTuple lists tuple features the capture must contain: column kinds
// n (NULL), u (unchanged TOAST), t (text, without binary) or b (binary), and
// old-tuple kinds K and O.
func (s Spec) ExpectTuple() string {
	if s.Binary {
		return "nubKO"
	}
	return "nutKO"
}
