package wire

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/lsn"
)

// SystemInfo is IDENTIFY_SYSTEM's answer.
type SystemInfo struct {
	SystemID string  // the cluster's system identifier
	Timeline uint32  // current timeline
	XLogPos  lsn.LSN // current WAL flush position
	DBName   string  // the database of a logical session, "" otherwise
}

// IdentifySystem runs IDENTIFY_SYSTEM.
func (c *Conn) IdentifySystem(ctx context.Context) (SystemInfo, error) {
	r, err := c.command1(ctx, "IDENTIFY_SYSTEM")
	if err != nil {
		return SystemInfo{}, err
	}
	return ParseIdentifySystem(r)
}

// ParseIdentifySystem reads IDENTIFY_SYSTEM's result, for drivers that run
// the command themselves.
func ParseIdentifySystem(r *Result) (SystemInfo, error) {
	if len(r.Rows) != 1 {
		return SystemInfo{}, fmt.Errorf("%w: IDENTIFY_SYSTEM returned %d rows", ErrProtocol, len(r.Rows))
	}
	info := SystemInfo{SystemID: r.Value(0, "systemid"), DBName: r.Value(0, "dbname")}
	var err error
	if info.Timeline, err = parseTimeline(r.Value(0, "timeline")); err != nil {
		return info, fmt.Errorf("%w: IDENTIFY_SYSTEM timeline: %w", ErrProtocol, err)
	}
	if info.XLogPos, err = lsn.Parse(r.Value(0, "xlogpos")); err != nil {
		return info, fmt.Errorf("%w: IDENTIFY_SYSTEM xlogpos: %w", ErrProtocol, err)
	}
	return info, nil
}

// parseTimeline reads a timeline ID: 1 to 2^32-1.
func parseTimeline(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, fmt.Errorf("timeline 0")
	}
	return uint32(v), nil
}

// Show runs SHOW name and returns the setting's value.
func (c *Conn) Show(ctx context.Context, name string) (string, error) {
	if !isSettingName(name) {
		return "", fmt.Errorf("wire: SHOW: %q is not a setting name", name)
	}
	r, err := c.command1(ctx, "SHOW "+name)
	if err != nil {
		return "", err
	}
	return parseShow(r)
}

// parseShow reads SHOW's result: one row of one column.
func parseShow(r *Result) (string, error) {
	if len(r.Rows) != 1 || len(r.Rows[0]) != 1 {
		return "", fmt.Errorf("%w: SHOW returned %d rows", ErrProtocol, len(r.Rows))
	}
	return r.Rows[0][0].String, nil
}

// TimelineHistory runs TIMELINE_HISTORY for timeline tli and returns the
// history file's name and content. Timeline 0 does not exist and is
// refused before anything is sent; timeline 1 never has a history file, so
// the server answers it with a *ServerError (SQLSTATE 58P01).
func (c *Conn) TimelineHistory(ctx context.Context, tli uint32) (name string, content []byte, err error) {
	if tli < 1 {
		return "", nil, fmt.Errorf("wire: TIMELINE_HISTORY: timeline %d", tli)
	}
	r, err := c.command1(ctx, "TIMELINE_HISTORY "+strconv.FormatUint(uint64(tli), 10))
	if err != nil {
		return "", nil, err
	}
	return ParseTimelineHistory(r)
}

// ParseTimelineHistory reads TIMELINE_HISTORY's result.
func ParseTimelineHistory(r *Result) (name string, content []byte, err error) {
	if len(r.Rows) != 1 {
		return "", nil, fmt.Errorf("%w: TIMELINE_HISTORY returned %d rows", ErrProtocol, len(r.Rows))
	}
	return r.Value(0, "filename"), []byte(r.Value(0, "content")), nil
}

// SlotOptions configure CREATE_REPLICATION_SLOT.
type SlotOptions struct {
	Temporary  bool   // dropped when the session ends, and on any error in the session
	Physical   bool   // a physical slot; otherwise logical
	Plugin     string // logical decoding output plugin; default "pgoutput"
	Snapshot   string // logical: "export" (server default), "use" or "nothing"
	TwoPhase   bool   // logical: decode prepared transactions at PREPARE (PostgreSQL 15+)
	Failover   bool   // logical: synchronise to standbys (PostgreSQL 17+)
	ReserveWAL bool   // physical: reserve WAL now
}

// Slot is what CREATE_REPLICATION_SLOT returns.
type Slot struct {
	Name            string
	ConsistentPoint lsn.LSN // logical: where decoding starts; 0/0 for physical
	SnapshotName    string  // exported snapshot, valid until the next command on this connection
	OutputPlugin    string
}

// CreateReplicationSlot creates a slot, with the syntax the server
// understands (the parenthesised options from PostgreSQL 15 on). Options the
// server version lacks are an ErrUnsupported error before anything is sent.
func (c *Conn) CreateReplicationSlot(ctx context.Context, name string, o SlotOptions) (Slot, error) {
	if err := checkSlotName(name); err != nil {
		return Slot{}, err
	}
	v := c.ServerVersionNum()
	var b strings.Builder
	b.WriteString("CREATE_REPLICATION_SLOT ")
	b.WriteString(name)
	if o.Temporary {
		b.WriteString(" TEMPORARY")
	}
	var opts []string
	if o.Physical {
		if o.Snapshot != "" || o.TwoPhase || o.Failover || o.Plugin != "" {
			return Slot{}, fmt.Errorf("wire: CREATE_REPLICATION_SLOT: Snapshot, TwoPhase, Failover and Plugin are for logical slots")
		}
		b.WriteString(" PHYSICAL")
		if o.ReserveWAL {
			if v >= 150000 {
				opts = append(opts, "RESERVE_WAL true")
			} else {
				b.WriteString(" RESERVE_WAL")
			}
		}
	} else {
		if o.ReserveWAL {
			return Slot{}, fmt.Errorf("wire: CREATE_REPLICATION_SLOT: ReserveWAL is for physical slots")
		}
		plugin := o.Plugin
		if plugin == "" {
			plugin = "pgoutput"
		}
		if !isSettingName(plugin) {
			return Slot{}, fmt.Errorf("wire: CREATE_REPLICATION_SLOT: plugin name %q", plugin)
		}
		b.WriteString(" LOGICAL ")
		b.WriteString(plugin)
		if o.TwoPhase && v < 150000 {
			return Slot{}, fmt.Errorf("%w: TWO_PHASE slots need PostgreSQL 15 (server %d)", ErrUnsupported, v)
		}
		if o.Failover && v < 170000 {
			return Slot{}, fmt.Errorf("%w: FAILOVER slots need PostgreSQL 17 (server %d)", ErrUnsupported, v)
		}
		if o.Failover && o.Temporary {
			return Slot{}, fmt.Errorf("wire: CREATE_REPLICATION_SLOT: a temporary slot cannot be a failover slot")
		}
		switch o.Snapshot {
		case "", "export", "use", "nothing":
		default:
			return Slot{}, fmt.Errorf("wire: CREATE_REPLICATION_SLOT: snapshot %q (want export, use or nothing)", o.Snapshot)
		}
		if v >= 150000 {
			if o.Snapshot != "" {
				opts = append(opts, "SNAPSHOT "+quoteLiteral(o.Snapshot))
			}
			if o.TwoPhase {
				opts = append(opts, "TWO_PHASE true")
			}
			if o.Failover {
				opts = append(opts, "FAILOVER true")
			}
		} else if o.Snapshot != "" {
			b.WriteString(" " + map[string]string{"export": "EXPORT_SNAPSHOT", "use": "USE_SNAPSHOT", "nothing": "NOEXPORT_SNAPSHOT"}[o.Snapshot])
		}
	}
	if len(opts) > 0 {
		b.WriteString(" (" + strings.Join(opts, ", ") + ")")
	}
	r, err := c.command1(ctx, b.String())
	if err != nil {
		return Slot{}, err
	}
	return ParseCreateReplicationSlot(r)
}

// ParseCreateReplicationSlot reads CREATE_REPLICATION_SLOT's result.
func ParseCreateReplicationSlot(r *Result) (Slot, error) {
	if len(r.Rows) != 1 {
		return Slot{}, fmt.Errorf("%w: CREATE_REPLICATION_SLOT returned %d rows", ErrProtocol, len(r.Rows))
	}
	s := Slot{Name: r.Value(0, "slot_name"), SnapshotName: r.Value(0, "snapshot_name"), OutputPlugin: r.Value(0, "output_plugin")}
	if cp := r.Value(0, "consistent_point"); cp != "" {
		var err error
		if s.ConsistentPoint, err = lsn.Parse(cp); err != nil {
			return s, fmt.Errorf("%w: consistent_point: %w", ErrProtocol, err)
		}
	}
	return s, nil
}

// DropReplicationSlot drops a slot; with wait it waits for a session still
// using the slot to end instead of failing.
func (c *Conn) DropReplicationSlot(ctx context.Context, name string, wait bool) error {
	if err := checkSlotName(name); err != nil {
		return err
	}
	q := "DROP_REPLICATION_SLOT " + name
	if wait {
		q += " WAIT"
	}
	_, err := c.Exec(ctx, q)
	return err
}

// SlotState is READ_REPLICATION_SLOT's answer (physical slots only).
type SlotState struct {
	Exists     bool
	SlotType   string
	RestartLSN lsn.LSN
	RestartTLI uint32
}

// ReadReplicationSlot runs READ_REPLICATION_SLOT (PostgreSQL 15+).
func (c *Conn) ReadReplicationSlot(ctx context.Context, name string) (SlotState, error) {
	if err := checkSlotName(name); err != nil {
		return SlotState{}, err
	}
	if v := c.ServerVersionNum(); v < 150000 {
		return SlotState{}, fmt.Errorf("%w: READ_REPLICATION_SLOT needs PostgreSQL 15 (server %d)", ErrUnsupported, v)
	}
	r, err := c.command1(ctx, "READ_REPLICATION_SLOT "+name)
	if err != nil {
		return SlotState{}, err
	}
	return ParseReadReplicationSlot(r)
}

// ParseReadReplicationSlot reads READ_REPLICATION_SLOT's result: one row,
// all NULL when the slot does not exist.
func ParseReadReplicationSlot(r *Result) (SlotState, error) {
	if len(r.Rows) != 1 {
		return SlotState{}, fmt.Errorf("%w: READ_REPLICATION_SLOT returned %d rows", ErrProtocol, len(r.Rows))
	}
	typ, ok := r.Get(0, "slot_type")
	if !ok {
		return SlotState{}, fmt.Errorf("%w: READ_REPLICATION_SLOT result has no slot_type", ErrProtocol)
	}
	if !typ.Valid {
		return SlotState{}, nil
	}
	st := SlotState{Exists: true, SlotType: typ.String}
	var err error
	if v := r.Value(0, "restart_lsn"); v != "" {
		if st.RestartLSN, err = lsn.Parse(v); err != nil {
			return st, fmt.Errorf("%w: restart_lsn: %w", ErrProtocol, err)
		}
	}
	if v := r.Value(0, "restart_tli"); v != "" {
		if st.RestartTLI, err = parseTimeline(v); err != nil {
			return st, fmt.Errorf("%w: restart_tli: %w", ErrProtocol, err)
		}
	}
	return st, nil
}

// AlterReplicationSlot changes a logical slot's failover (PostgreSQL 17+)
// or two_phase (PostgreSQL 18+) setting; nil leaves a setting alone.
func (c *Conn) AlterReplicationSlot(ctx context.Context, name string, failover, twoPhase *bool) error {
	if err := checkSlotName(name); err != nil {
		return err
	}
	v := c.ServerVersionNum()
	if v < 170000 {
		return fmt.Errorf("%w: ALTER_REPLICATION_SLOT needs PostgreSQL 17 (server %d)", ErrUnsupported, v)
	}
	var opts []string
	if failover != nil {
		opts = append(opts, "FAILOVER "+strconv.FormatBool(*failover))
	}
	if twoPhase != nil {
		if v < 180000 {
			return fmt.Errorf("%w: ALTER_REPLICATION_SLOT TWO_PHASE needs PostgreSQL 18 (server %d)", ErrUnsupported, v)
		}
		opts = append(opts, "TWO_PHASE "+strconv.FormatBool(*twoPhase))
	}
	if len(opts) == 0 {
		return fmt.Errorf("wire: ALTER_REPLICATION_SLOT: nothing to change")
	}
	_, err := c.Exec(ctx, "ALTER_REPLICATION_SLOT "+name+" ("+strings.Join(opts, ", ")+")")
	return err
}

// command1 runs a command that returns one result.
func (c *Conn) command1(ctx context.Context, q string) (*Result, error) {
	rs, err := c.Exec(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%w: %s returned no result", ErrProtocol, strings.Fields(q)[0])
	}
	return &rs[0], nil
}

// checkSlotName enforces PostgreSQL's slot name rule, which also keeps the
// name safe to send unquoted.
func checkSlotName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("wire: slot name %q: want 1 to 63 characters", name)
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_') {
			return fmt.Errorf("wire: slot name %q: only lower-case letters, digits and underscores", name)
		}
	}
	return nil
}

func isSettingName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// quoteLiteral quotes s for the replication command grammar: single
// quotes, doubled inside; no E” form and no backslash escapes.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// quoteIdent double-quotes s, doubling quotes inside.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
