package wire

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/codec"
)

// Backend message types used here.
const (
	msgAuthentication    = 'R'
	msgBackendKeyData    = 'K'
	msgParameterStatus   = 'S'
	msgReadyForQuery     = 'Z'
	msgErrorResponse     = 'E'
	msgNoticeResponse    = 'N'
	msgRowDescription    = 'T'
	msgDataRow           = 'D'
	msgCommandComplete   = 'C'
	msgEmptyQuery        = 'I'
	msgCopyData          = 'd'
	msgCopyDone          = 'c'
	msgCopyBothResponse  = 'W'
	msgCopyOutResponse   = 'H'
	msgCopyInResponse    = 'G'
	msgNegotiateProtocol = 'v'
	msgNotification      = 'A'
)

// Frontend message builders: each appends one complete message to dst.

// appendMessage starts a message of type typ and returns the offset of its
// length field, for finishMessage.
func appendMessage(dst []byte, typ byte) ([]byte, int) {
	dst = append(dst, typ)
	at := len(dst)
	return append(dst, 0, 0, 0, 0), at
}

func finishMessage(dst []byte, at int) []byte {
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}

// AppendQuery appends a simple Query message running sql.
func AppendQuery(dst []byte, sql string) []byte {
	dst, at := appendMessage(dst, 'Q')
	dst = append(dst, sql...)
	dst = append(dst, 0)
	return finishMessage(dst, at)
}

// AppendCopyDone appends a CopyDone message.
func AppendCopyDone(dst []byte) []byte {
	dst, at := appendMessage(dst, 'c')
	return finishMessage(dst, at)
}

func appendTerminate(dst []byte) []byte {
	dst, at := appendMessage(dst, 'X')
	return finishMessage(dst, at)
}

func appendPasswordMessage(dst []byte, password []byte) []byte {
	dst, at := appendMessage(dst, 'p')
	dst = append(dst, password...)
	dst = append(dst, 0)
	return finishMessage(dst, at)
}

func appendSASLInitial(dst []byte, mechanism string, data []byte) []byte {
	dst, at := appendMessage(dst, 'p')
	dst = append(dst, mechanism...)
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

func appendSASLResponse(dst []byte, data []byte) []byte {
	dst, at := appendMessage(dst, 'p')
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

// Startup packets have no type byte.
const (
	protocolVersion30 = 196608
	sslRequestCode    = 80877103
)

func appendStartup(dst []byte, params [][2]string) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, protocolVersion30)
	for _, p := range params {
		dst = append(dst, p[0]...)
		dst = append(dst, 0)
		dst = append(dst, p[1]...)
		dst = append(dst, 0)
	}
	dst = append(dst, 0)
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}

func appendSSLRequest(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, 8)
	return binary.BigEndian.AppendUint32(dst, sslRequestCode)
}

// AppendCopyData appends a CopyData message carrying payload.
func AppendCopyData(dst []byte, payload []byte) []byte {
	dst, at := appendMessage(dst, 'd')
	dst = append(dst, payload...)
	return finishMessage(dst, at)
}

// appendStandbyStatus appends a CopyData holding a standby status update.
func appendStandbyStatus(dst []byte, u *codec.StandbyStatusUpdate) []byte {
	dst, at := appendMessage(dst, 'd')
	dst = codec.AppendStandbyStatusUpdate(dst, u)
	return finishMessage(dst, at)
}

// appendHotStandbyFeedback appends a CopyData holding hot standby feedback.
func appendHotStandbyFeedback(dst []byte, h *codec.HotStandbyFeedback) []byte {
	dst, at := appendMessage(dst, 'd')
	dst = codec.AppendHotStandbyFeedback(dst, h)
	return finishMessage(dst, at)
}

// appendPrimaryStatusRequest appends a CopyData holding PostgreSQL 19's
// primary status request.
func appendPrimaryStatusRequest(dst []byte, p *codec.PrimaryStatusRequest) []byte {
	dst, at := appendMessage(dst, 'd')
	dst = codec.AppendPrimaryStatusRequest(dst, p)
	return finishMessage(dst, at)
}
