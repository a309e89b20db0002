package capture

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
)

// Well-known header keys. Any other key a writer is given is kept as is;
// readers return every key they find.
const (
	// KeyServerVersion is the server's server_version parameter ("18.4").
	KeyServerVersion = "server_version"
	// KeyProtoVersion is the pgoutput proto_version the session
	// negotiated, 1 to 4.
	KeyProtoVersion = "proto_version"
	// KeyStreaming is the session's streaming option: off, on or parallel.
	// It decides which Stream Abort form the payloads hold.
	KeyStreaming = "streaming"
	// KeySlot is the name of the replication slot the session streamed
	// (format v2; a v1 file's "slot" key is the slot's kind, plain or
	// two_phase, and is an ordinary key here).
	KeySlot = "slot_name"
)

// wellKnown is the order in which a Writer puts the well-known keys first.
var wellKnown = []string{KeyServerVersion, KeyProtoVersion, KeyStreaming, KeySlot}

// Header is a capture's header: "key: value" pairs. Keys are
// case-sensitive; the well-known ones (KeyServerVersion, KeyProtoVersion,
// KeyStreaming, KeySlot) have helpers, every other key is free-form.
type Header map[string]string

// DecoderOptions returns the codec options the header records: the
// proto_version (0 when absent) and the streaming mode (StreamingAuto when
// absent). A value that is present but invalid is an ErrHeader error.
func (h Header) DecoderOptions() (codec.Options, error) {
	var o codec.Options
	if v := h[KeyProtoVersion]; v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 4 {
			return o, fmt.Errorf("%w: %s %q: want 1 to 4", ErrHeader, KeyProtoVersion, v)
		}
		o.ProtoVersion = p
	}
	s, err := codec.ParseStreaming(h[KeyStreaming])
	if err != nil {
		return o, fmt.Errorf("%w: %s %q: want off, on or parallel", ErrHeader, KeyStreaming, h[KeyStreaming])
	}
	o.Streaming = s
	return o, nil
}

// SetDecoderOptions records o: proto_version when o.ProtoVersion is set,
// streaming unless it is StreamingAuto (then the key is removed).
func (h Header) SetDecoderOptions(o codec.Options) {
	if o.ProtoVersion > 0 {
		h[KeyProtoVersion] = strconv.Itoa(o.ProtoVersion)
	} else {
		delete(h, KeyProtoVersion)
	}
	if o.Streaming != codec.StreamingAuto {
		h[KeyStreaming] = o.Streaming.String()
	} else {
		delete(h, KeyStreaming)
	}
}

// ServerVersion returns the server_version the capture was made on, or "".
func (h Header) ServerVersion() string { return h[KeyServerVersion] }

// Slot returns the replication slot name the capture was streamed from,
// or "".
func (h Header) Slot() string { return h[KeySlot] }

// checkKey reports whether k can be written: it must read back as the
// same key.
func checkKey(k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty key", ErrHeader)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || (i > 0 && (c == '-' || c == '.'))) {
			return fmt.Errorf("%w: key %q: want letters, digits, '_', and '-' or '.' after the first", ErrHeader, k)
		}
	}
	return nil
}

// checkValue reports whether v can be written: one line, no surrounding
// blanks (readers trim them).
func checkValue(k, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("%w: value of %q holds a line break or NUL", ErrHeader, k)
	}
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("%w: value of %q has leading or trailing blanks", ErrHeader, k)
	}
	return nil
}

// appendHeader appends the magic line, the header lines and the blank
// line that ends the header, after checking every key and value.
func appendHeader(dst []byte, h Header) ([]byte, error) {
	if _, err := h.DecoderOptions(); err != nil {
		return dst, err
	}
	keys := make([]string, 0, len(h))
	for k, v := range h {
		if err := checkKey(k); err != nil {
			return dst, err
		}
		if err := checkValue(k, v); err != nil {
			return dst, err
		}
		keys = append(keys, k)
	}
	rank := func(k string) int {
		for i, w := range wellKnown {
			if k == w {
				return i
			}
		}
		return len(wellKnown)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	dst = append(dst, MagicV2...)
	dst = append(dst, '\n')
	for _, k := range keys {
		dst = append(dst, "# "...)
		dst = append(dst, k...)
		dst = append(dst, ": "...)
		dst = append(dst, h[k]...)
		dst = append(dst, '\n')
	}
	return append(dst, '\n'), nil
}
