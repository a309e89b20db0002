// Package msgjson renders decoded messages as flat JSON records, for the
// pgwal command and the golden files of the captured corpus. Field order is
// fixed, so the output is stable and diffs well.
package msgjson

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/value"
)

// Record is one message. Only the fields the message has are set.
type Record struct {
	LSN      string `json:"lsn,omitempty"` // where the message was captured (capture line or XLogData header)
	Type     string `json:"type"`
	InStream bool   `json:"in_stream,omitempty"`
	Xid      uint32 `json:"xid,omitempty"`
	SubXid   uint32 `json:"subxid,omitempty"`
	Flags    uint8  `json:"flags,omitempty"`

	FinalLSN       string `json:"final_lsn,omitempty"`
	CommitLSN      string `json:"commit_lsn,omitempty"`
	PrepareLSN     string `json:"prepare_lsn,omitempty"`
	EndLSN         string `json:"end_lsn,omitempty"`
	PrepareEndLSN  string `json:"prepare_end_lsn,omitempty"`
	RollbackEndLSN string `json:"rollback_end_lsn,omitempty"`
	AbortLSN       string `json:"abort_lsn,omitempty"`
	MessageLSN     string `json:"message_lsn,omitempty"`
	CommitTime     string `json:"commit_time,omitempty"`
	PrepareTime    string `json:"prepare_time,omitempty"`
	RollbackTime   string `json:"rollback_time,omitempty"`
	AbortTime      string `json:"abort_time,omitempty"`
	GID            string `json:"gid,omitempty"`
	Origin         string `json:"origin,omitempty"`
	FirstSegment   bool   `json:"first_segment,omitempty"`
	Parallel       bool   `json:"parallel,omitempty"`

	RelationID      uint32      `json:"relation_id,omitempty"`
	Relation        string      `json:"relation,omitempty"` // schema.table, resolved through the cache for row changes
	ReplicaIdentity string      `json:"replica_identity,omitempty"`
	Columns         []ColumnDef `json:"columns,omitempty"`
	TypeOID         uint32      `json:"type_oid,omitempty"`
	TypeName        string      `json:"type_name,omitempty"`

	OldKind string  `json:"old_kind,omitempty"` // "key" or "full"
	Old     []Value `json:"old,omitempty"`
	New     []Value `json:"new,omitempty"`

	Relations       []string `json:"relations,omitempty"` // Truncate
	Cascade         bool     `json:"cascade,omitempty"`
	RestartIdentity bool     `json:"restart_identity,omitempty"`

	Transactional *bool   `json:"transactional,omitempty"` // Message
	Prefix        *string `json:"prefix,omitempty"`
	Content       *string `json:"content,omitempty"`     // when valid UTF-8
	ContentHex    *string `json:"content_hex,omitempty"` // otherwise

	// CopyData messages.
	WALStart       string `json:"wal_start,omitempty"`
	WALEnd         string `json:"wal_end,omitempty"`
	ServerTime     string `json:"server_time,omitempty"`
	ClientTime     string `json:"client_time,omitempty"`
	ReplyRequested bool   `json:"reply_requested,omitempty"`
	Write          string `json:"write,omitempty"`
	Flush          string `json:"flush,omitempty"`
	Apply          string `json:"apply,omitempty"`
	DataLen        *int   `json:"data_len,omitempty"`

	OldestXidInCommit uint64 `json:"oldest_xid_in_commit,omitempty"`
	NextXid           uint64 `json:"next_xid,omitempty"`
	Xmin              uint32 `json:"xmin,omitempty"`
	XminEpoch         uint32 `json:"xmin_epoch,omitempty"`
	CatalogXmin       uint32 `json:"catalog_xmin,omitempty"`
	CatalogXminEpoch  uint32 `json:"catalog_xmin_epoch,omitempty"`
}

// ColumnDef is a column of a Relation message.
type ColumnDef struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	TypeOID uint32 `json:"type_oid"`
	TypeMod int32  `json:"type_mod"`
	Key     bool   `json:"key,omitempty"`
}

// Value is one tuple column.
type Value struct {
	Name     string          `json:"name,omitempty"` // from the relation cache, when known
	Type     string          `json:"type,omitempty"`
	Kind     string          `json:"kind"`                // "null", "unchanged", "text", "binary"
	Value    json.RawMessage `json:"value,omitempty"`     // the value as JSON by package value's convention, the same for text and binary
	ValueHex *string         `json:"value_hex,omitempty"` // binary values as sent, and text that is not UTF-8
}

func lsnText(l lsn.LSN) string {
	if l == 0 {
		return ""
	}
	return l.String()
}

func timeText(t lsn.Timestamp) string {
	if t == 0 {
		return ""
	}
	return t.String()
}

func qualified(namespace, name []byte) string {
	if len(namespace) == 0 {
		return "pg_catalog." + string(name)
	}
	return string(namespace) + "." + string(name)
}

// Message renders a pgoutput message. rels, if not nil, names the relation
// and columns of row changes; apply the message to it first so Relation and
// Type messages are known. types, if not nil, adds the user types (a
// domain, learnt from pgoutput's Type message with ApplyType) to the
// built-in ones a column value is rendered by.
func Message(m codec.Message, rels *codec.RelationCache, types *value.Registry) Record {
	r := Record{Type: m.MessageType().String()}
	switch m := m.(type) {
	case *codec.Begin:
		r.FinalLSN, r.CommitTime, r.Xid = lsnText(m.FinalLSN), timeText(m.CommitTime), m.Xid
	case *codec.Commit:
		r.Flags, r.CommitLSN, r.EndLSN, r.CommitTime = m.Flags, lsnText(m.CommitLSN), lsnText(m.EndLSN), timeText(m.CommitTime)
	case *codec.Origin:
		r.CommitLSN, r.Origin = lsnText(m.CommitLSN), string(m.Name)
	case *codec.LogicalMessage:
		r.InStream, r.Xid, r.Flags, r.MessageLSN = m.InStream, m.Xid, m.Flags, lsnText(m.LSN)
		tx, prefix := m.Transactional(), string(m.Prefix)
		r.Transactional, r.Prefix = &tx, &prefix
		r.Content, r.ContentHex = textOrHex(m.Content)
	case *codec.Relation:
		r.InStream, r.Xid, r.RelationID = m.InStream, m.Xid, m.RelationID
		r.Relation = qualified(m.Namespace, m.Name)
		r.ReplicaIdentity = replicaIdentity(m.ReplicaIdentity)
		for _, c := range m.Columns {
			name := ""
			if rels != nil {
				name = rels.TypeName(c.TypeOID)
			} else {
				name = codec.BuiltinTypeName(c.TypeOID)
			}
			r.Columns = append(r.Columns, ColumnDef{Name: string(c.Name), Type: name, TypeOID: c.TypeOID, TypeMod: c.TypeMod, Key: c.Key()})
		}
		if r.Columns == nil {
			r.Columns = []ColumnDef{}
		}
	case *codec.Type:
		r.InStream, r.Xid, r.TypeOID, r.TypeName = m.InStream, m.Xid, m.TypeOID, qualified(m.Namespace, m.Name)
	case *codec.Insert:
		r.InStream, r.Xid, r.RelationID = m.InStream, m.Xid, m.RelationID
		info := resolve(rels, m)
		r.Relation = relationName(info)
		r.New = values(m.New, info, types)
	case *codec.Update:
		r.InStream, r.Xid, r.RelationID = m.InStream, m.Xid, m.RelationID
		info := resolve(rels, m)
		r.Relation = relationName(info)
		r.OldKind = oldKind(m.OldKind)
		r.Old, r.New = values(m.Old, info, types), values(m.New, info, types)
	case *codec.Delete:
		r.InStream, r.Xid, r.RelationID = m.InStream, m.Xid, m.RelationID
		info := resolve(rels, m)
		r.Relation = relationName(info)
		r.OldKind = oldKind(m.OldKind)
		r.Old = values(m.Old, info, types)
	case *codec.Truncate:
		r.InStream, r.Xid = m.InStream, m.Xid
		r.Cascade = m.Options&codec.TruncateCascade != 0
		r.RestartIdentity = m.Options&codec.TruncateRestartIdentity != 0
		r.Flags = m.Options &^ (codec.TruncateCascade | codec.TruncateRestartIdentity)
		for _, id := range m.RelationIDs {
			name := ""
			if rels != nil {
				if info, ok := rels.Relation(id); ok {
					name = relationName(info)
				}
			}
			if name == "" {
				name = "oid:" + strconv.FormatUint(uint64(id), 10)
			}
			r.Relations = append(r.Relations, name)
		}
	case *codec.StreamStart:
		r.Xid, r.FirstSegment = m.Xid, m.FirstSegment
	case *codec.StreamStop:
	case *codec.StreamCommit:
		r.Xid, r.Flags, r.CommitLSN, r.EndLSN, r.CommitTime = m.Xid, m.Flags, lsnText(m.CommitLSN), lsnText(m.EndLSN), timeText(m.CommitTime)
	case *codec.StreamAbort:
		r.Xid, r.SubXid, r.Parallel = m.Xid, m.SubXid, m.Parallel
		r.AbortLSN, r.AbortTime = lsnText(m.AbortLSN), timeText(m.AbortTime)
	case *codec.BeginPrepare:
		r.PrepareLSN, r.EndLSN, r.PrepareTime, r.Xid, r.GID = lsnText(m.PrepareLSN), lsnText(m.EndLSN), timeText(m.PrepareTime), m.Xid, string(m.GID)
	case *codec.Prepare:
		r.Flags, r.PrepareLSN, r.EndLSN, r.PrepareTime, r.Xid, r.GID = m.Flags, lsnText(m.PrepareLSN), lsnText(m.EndLSN), timeText(m.PrepareTime), m.Xid, string(m.GID)
	case *codec.StreamPrepare:
		r.Flags, r.PrepareLSN, r.EndLSN, r.PrepareTime, r.Xid, r.GID = m.Flags, lsnText(m.PrepareLSN), lsnText(m.EndLSN), timeText(m.PrepareTime), m.Xid, string(m.GID)
	case *codec.CommitPrepared:
		r.Flags, r.CommitLSN, r.EndLSN, r.CommitTime, r.Xid, r.GID = m.Flags, lsnText(m.CommitLSN), lsnText(m.EndLSN), timeText(m.CommitTime), m.Xid, string(m.GID)
	case *codec.RollbackPrepared:
		r.Flags, r.PrepareEndLSN, r.RollbackEndLSN = m.Flags, lsnText(m.PrepareEndLSN), lsnText(m.RollbackEndLSN)
		r.PrepareTime, r.RollbackTime, r.Xid, r.GID = timeText(m.PrepareTime), timeText(m.RollbackTime), m.Xid, string(m.GID)
	}
	return r
}

// CopyData renders a CopyData sub-message (for XLogData, the header only).
func CopyData(m codec.ReplicationMessage) Record {
	switch m := m.(type) {
	case *codec.XLogData:
		n := len(m.Data)
		return Record{Type: "XLogData", WALStart: m.WALStart.String(), WALEnd: m.WALEnd.String(), ServerTime: timeText(m.ServerTime), DataLen: &n}
	case *codec.PrimaryKeepalive:
		return Record{Type: "Primary Keepalive", WALEnd: m.WALEnd.String(), ServerTime: timeText(m.ServerTime), ReplyRequested: m.ReplyRequested}
	case *codec.PrimaryStatusUpdate:
		return Record{Type: "Primary Status Update", Write: m.WriteLSN.String(), ServerTime: timeText(m.ServerTime),
			OldestXidInCommit: m.OldestXidInCommit, NextXid: m.NextXid}
	case *codec.StandbyStatusUpdate:
		return Record{Type: "Standby Status Update", Write: m.Write.String(), Flush: m.Flush.String(), Apply: m.Apply.String(),
			ClientTime: timeText(m.ClientTime), ReplyRequested: m.ReplyRequested}
	case *codec.HotStandbyFeedback:
		return Record{Type: "Hot Standby Feedback", ClientTime: timeText(m.ClientTime),
			Xmin: m.Xmin, XminEpoch: m.XminEpoch, CatalogXmin: m.CatalogXmin, CatalogXminEpoch: m.CatalogXminEpoch}
	case *codec.PrimaryStatusRequest:
		return Record{Type: "Primary Status Request", ClientTime: timeText(m.ClientTime)}
	}
	return Record{Type: "unknown"}
}

func resolve(rels *codec.RelationCache, m codec.Message) *codec.RelationInfo {
	if rels == nil {
		return nil
	}
	info, err := rels.Resolve(m)
	if err != nil {
		return nil
	}
	return info
}

func relationName(info *codec.RelationInfo) string {
	if info == nil {
		return ""
	}
	if info.Namespace == "" {
		return "pg_catalog." + info.Name
	}
	return info.Namespace + "." + info.Name
}

func values(t codec.Tuple, info *codec.RelationInfo, types *value.Registry) []Value {
	if t == nil {
		return nil
	}
	out := make([]Value, len(t))
	jr := value.Renderer{Types: types}
	for i, c := range t {
		v := Value{}
		oid, mod := uint32(0), int32(-1)
		if info != nil {
			col := info.Columns[i]
			v.Name, v.Type, oid, mod = col.Name, col.TypeName, col.TypeOID, col.TypeMod
		}
		switch c.Kind {
		case codec.ColumnNull:
			v.Kind = "null"
		case codec.ColumnUnchanged:
			v.Kind = "unchanged"
		case codec.ColumnText:
			v.Kind = "text"
			if !utf8.Valid(c.Data) {
				h := hex.EncodeToString(c.Data)
				v.ValueHex = &h
				break
			}
			// Without the relation the type is not known: the text as a
			// string.
			if j, err := jr.AppendJSON(nil, oid, mod, c.Kind, c.Data); err == nil {
				v.Value = j
			}
		case codec.ColumnBinary:
			v.Kind = "binary"
			h := hex.EncodeToString(c.Data)
			v.ValueHex = &h
			if info != nil {
				// What a session without binary shows; a value of a type
				// that cannot render (a user type not registered) keeps
				// the hex only.
				if j, err := jr.AppendJSON(nil, oid, mod, c.Kind, c.Data); err == nil {
					v.Value = j
				}
			}
		}
		out[i] = v
	}
	return out
}

func textOrHex(b []byte) (*string, *string) {
	s := string(b)
	if utf8.ValidString(s) {
		return &s, nil
	}
	h := hex.EncodeToString(b)
	return nil, &h
}

func oldKind(k codec.OldTupleKind) string {
	switch k {
	case codec.OldKey:
		return "key"
	case codec.OldFull:
		return "full"
	}
	return ""
}

func replicaIdentity(b byte) string {
	switch b {
	case codec.ReplicaIdentityDefault:
		return "default"
	case codec.ReplicaIdentityNothing:
		return "nothing"
	case codec.ReplicaIdentityFull:
		return "full"
	case codec.ReplicaIdentityIndex:
		return "index"
	}
	return strconv.QuoteRune(rune(b))
}

// Catalog is what a reader of one session learns about its relations and
// types: apply every message to it, in order, then render with Message.
type Catalog struct {
	Relations codec.RelationCache
	Types     value.Registry
}

// Apply learns from a Relation or Type message; other messages leave the
// catalog as it is.
func (c *Catalog) Apply(m codec.Message) {
	c.Relations.Apply(m)
	if t, ok := m.(*codec.Type); ok {
		c.Types.ApplyType(t)
	}
}

// Message renders m with what the catalog knows.
func (c *Catalog) Message(m codec.Message) Record { return Message(m, &c.Relations, &c.Types) }
