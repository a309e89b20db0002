package wire

import (
	"crypto/md5"
	"encoding/hex"
)

// md5Password returns the response to AuthenticationMD5Password:
//
//	"md5" + hex(md5(hex(md5(password + user)) + salt))
//
// The inner hash is what PostgreSQL stores in pg_authid (without its "md5"
// prefix); the outer one binds it to the per-connection salt.
func md5Password(user, password string, salt [4]byte) string {
	inner := md5.Sum([]byte(password + user))
	var buf [32 + 4]byte
	hex.Encode(buf[:32], inner[:])
	copy(buf[32:], salt[:])
	outer := md5.Sum(buf[:])
	return "md5" + hex.EncodeToString(outer[:])
}
