package wire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
)

// authenticate runs the exchange the server asks for, as far as
// Config.RequireAuth and Config.ChannelBinding allow: a request they do not
// allow is refused before anything is sent for it, and once SASL has begun
// the server may not switch to another method (a man in the middle asking
// for the cleartext password mid-SCRAM).
func (c *Conn) authenticate() error {
	pol, err := parseRequireAuth(c.cfg.RequireAuth)
	if err != nil {
		return fmt.Errorf("wire: %w", err)
	}
	requireCB := c.cfg.ChannelBinding == ChannelBindingRequire
	var sc *scramClient
	scramDone, bound := false, false
	asked := false // the server asked for some authentication
	for {
		typ, body, err := c.receive(context.Background(), readOpts{})
		if err != nil {
			return err
		}
		switch typ {
		case msgErrorResponse:
			return parseErrorFields(body)
		case msgNegotiateProtocol:
			continue
		case msgAuthentication:
		default:
			return fmt.Errorf("%w: unexpected message %q during authentication", ErrProtocol, typ)
		}
		if len(body) < 4 {
			return fmt.Errorf("%w: short authentication request", ErrProtocol)
		}
		code, data := binary.BigEndian.Uint32(body), body[4:]
		if sc != nil && code != 11 && code != 12 && code != 0 {
			return fmt.Errorf("%w: authentication request %d after SASL began", ErrAuthRefused, code)
		}
		asked = asked || code != 0
		switch code {
		case 0: // AuthenticationOk
			if sc != nil && !scramDone {
				return fmt.Errorf("%w: server finished SCRAM without proving it knows the password", ErrProtocol)
			}
			if !asked && !pol.allows("none") {
				return pol.refuse("did not ask for authentication")
			}
			if requireCB && !bound {
				return channelBindingRefused("authenticated the client without channel binding")
			}
			return nil
		case 3: // cleartext password
			if !pol.allows("password") {
				return pol.refuse("asks for a cleartext password")
			}
			if requireCB {
				return channelBindingRefused("asks for a cleartext password")
			}
			var pw string
			if pw, err = c.password(); err == nil {
				err = c.write(appendPasswordMessage(nil, []byte(pw)))
			}
		case 5: // MD5
			if !pol.allows("md5") {
				return pol.refuse("asks for an MD5 password")
			}
			if requireCB {
				return channelBindingRefused("asks for an MD5 password")
			}
			if len(data) != 4 {
				return fmt.Errorf("%w: MD5 request without a 4-byte salt", ErrProtocol)
			}
			var pw string
			if pw, err = c.password(); err == nil {
				var salt [4]byte
				copy(salt[:], data)
				err = c.write(appendPasswordMessage(nil, []byte(md5Password(c.cfg.User, pw, salt))))
			}
		case 10: // SASL: the server's mechanisms
			if !pol.allows("scram-sha-256") {
				return pol.refuse("asks for SASL (SCRAM-SHA-256)")
			}
			sc, bound, err = c.startSCRAM(data, requireCB)
		case 11: // SASL continue
			if sc == nil {
				return fmt.Errorf("%w: SASL continue before SASL", ErrProtocol)
			}
			var final []byte
			final, err = sc.clientFinal(data)
			if err == nil {
				err = c.write(appendSASLResponse(nil, final))
			}
		case 12: // SASL final
			if sc == nil {
				return fmt.Errorf("%w: SASL final before SASL", ErrProtocol)
			}
			err = sc.verifyServerFinal(data)
			scramDone = err == nil
		default:
			return fmt.Errorf("wire: authentication method %d is not supported (use trust, password, md5 or scram-sha-256)", code)
		}
		if err != nil {
			return err
		}
	}
}

// password returns Config.Password, else the password file's entry for
// this server (see lookupPassFile), else an error.
func (c *Conn) password() (string, error) {
	if c.cfg.Password != "" {
		return c.cfg.Password, nil
	}
	pw, note := c.passFilePassword()
	if pw != "" {
		return pw, nil
	}
	return "", errors.New("wire: the server asks for a password and none was given" + note)
}

// startSCRAM picks the mechanism from the server's list and sends
// SASLInitialResponse. bound reports SCRAM-SHA-256-PLUS.
func (c *Conn) startSCRAM(list []byte, requireCB bool) (sc *scramClient, bound bool, err error) {
	var plus, plain bool
	for len(list) > 0 && list[0] != 0 {
		i := indexNUL(list)
		if i < 0 {
			break
		}
		switch string(list[:i]) {
		case "SCRAM-SHA-256":
			plain = true
		case "SCRAM-SHA-256-PLUS":
			plus = true
		}
		list = list[i+1:]
	}
	pw, err := c.password()
	if err != nil {
		return nil, false, err
	}
	var cb []byte
	mech := "SCRAM-SHA-256"
	canBind := c.tls && c.cfg.ChannelBinding != ChannelBindingDisable
	if plus && canBind {
		if t, ok := c.conn.(*tls.Conn); ok {
			if certs := t.ConnectionState().PeerCertificates; len(certs) > 0 {
				if data, err := tlsServerEndPoint(certs[0]); err == nil {
					mech, cb = "SCRAM-SHA-256-PLUS", data
				}
			}
		}
	}
	if requireCB && cb == nil {
		if !c.tls {
			return nil, false, channelBindingRefused("connection is not encrypted (no TLS)")
		}
		return nil, false, channelBindingRefused("offers no SCRAM-SHA-256-PLUS this client can use")
	}
	if cb == nil && !plain {
		return nil, false, errors.New("wire: the server offers no SASL mechanism this client supports")
	}
	sc, err = newSCRAM(mech, pw, cb, canBind, rand.Reader)
	if err != nil {
		return nil, false, err
	}
	return sc, cb != nil, c.write(appendSASLInitial(nil, mech, sc.clientFirst()))
}
