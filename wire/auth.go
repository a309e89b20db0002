package wire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
)

func (c *Conn) authenticate() error {
	var sc *scramClient
	scramDone := false
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
		switch code {
		case 0: // AuthenticationOk
			if sc != nil && !scramDone {
				return fmt.Errorf("%w: server finished SCRAM without proving it knows the password", ErrProtocol)
			}
			return nil
		case 3: // cleartext password
			if c.cfg.Password == "" {
				return errors.New("wire: the server asks for a password and none was given")
			}
			err = c.write(appendPasswordMessage(nil, []byte(c.cfg.Password)))
		case 5: // MD5
			if len(data) != 4 {
				return fmt.Errorf("%w: MD5 request without a 4-byte salt", ErrProtocol)
			}
			if c.cfg.Password == "" {
				return errors.New("wire: the server asks for a password and none was given")
			}
			var salt [4]byte
			copy(salt[:], data)
			err = c.write(appendPasswordMessage(nil, []byte(md5Password(c.cfg.User, c.cfg.Password, salt))))
		case 10: // SASL: the server's mechanisms
			sc, err = c.startSCRAM(data)
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

func (c *Conn) startSCRAM(list []byte) (*scramClient, error) {
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
	if c.cfg.Password == "" {
		return nil, errors.New("wire: the server asks for a password (SCRAM) and none was given")
	}
	var cb []byte
	mech := "SCRAM-SHA-256"
	if plus && c.tls {
		if t, ok := c.conn.(*tls.Conn); ok {
			if certs := t.ConnectionState().PeerCertificates; len(certs) > 0 {
				if data, err := tlsServerEndPoint(certs[0]); err == nil {
					mech, cb = "SCRAM-SHA-256-PLUS", data
				}
			}
		}
	}
	if cb == nil && !plain {
		return nil, errors.New("wire: the server offers no SASL mechanism this client supports")
	}
	sc, err := newSCRAM(mech, c.cfg.Password, cb, c.tls, rand.Reader)
	if err != nil {
		return nil, err
	}
	return sc, c.write(appendSASLInitial(nil, mech, sc.clientFirst()))
}

// write sends b, whole, as one writer.
