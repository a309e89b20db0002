package wire

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAuthRefused: the server asked for an authentication exchange that
// Config.RequireAuth or Config.ChannelBinding does not allow, or finished
// authentication without one they require. Nothing secret was sent for the
// refused request.
var ErrAuthRefused = errors.New("wire: authentication refused by the client's policy")

// authPolicy is a parsed require_auth: the methods the server may use.
type authPolicy struct {
	set     bool            // require_auth was given
	negated bool            // the list names forbidden methods
	methods map[string]bool // the list
	text    string          // as given, for errors
}

// The method names of require_auth (libpq). gss, sspi and oauth are
// accepted in the list, though this package cannot use those methods.
var authMethodNames = map[string]bool{
	"password": true, "md5": true, "scram-sha-256": true, "none": true,
	"gss": true, "sspi": true, "oauth": true,
}

// parseRequireAuth parses libpq's require_auth: a comma-separated list of
// methods the server may use, or of !methods it may not; "none" stands for
// no authentication at all (trust). A list may not mix the two forms or
// name a method twice. "" allows everything.
func parseRequireAuth(s string) (authPolicy, error) {
	p := authPolicy{text: s}
	if s == "" {
		return p, nil
	}
	p.set, p.methods = true, map[string]bool{}
	for i, m := range strings.Split(s, ",") {
		neg := strings.HasPrefix(m, "!")
		if neg {
			m = m[1:]
		}
		if i == 0 {
			p.negated = neg
		} else if neg != p.negated {
			return p, fmt.Errorf("require_auth %q mixes negated and plain methods", s)
		}
		if !authMethodNames[m] {
			return p, fmt.Errorf("invalid require_auth method %q (valid: password, md5, scram-sha-256, none, gss, sspi, oauth; ! negates)", m)
		}
		if p.methods[m] {
			return p, fmt.Errorf("require_auth method %q given twice", m)
		}
		p.methods[m] = true
	}
	return p, nil
}

// allows reports whether the server may authenticate with method.
func (p authPolicy) allows(method string) bool {
	if !p.set {
		return true
	}
	return p.methods[method] != p.negated
}

// refuse builds the error for a request the policy refuses.
func (p authPolicy) refuse(what string) error {
	return fmt.Errorf("%w: the server %s; require_auth=%s", ErrAuthRefused, what, p.text)
}

func channelBindingRefused(what string) error {
	return fmt.Errorf("%w: channel_binding=require, but the server %s", ErrAuthRefused, what)
}
