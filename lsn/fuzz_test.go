package lsn

import (
	"regexp"
	"testing"
)

var lsnSyntax = regexp.MustCompile(`^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0/0", "FFFFFFFF/FFFFFFFF", "16/B374D848", "0/0000ABCD", "16/b374d848",
		"", "/", "1/", "/1", "1//1", " 1/1", "1/1 ", "+1/1", "0x1/1",
		"123456789/1", "1/123456789", "g/1", "1/1/1", "١/1", "1/1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if match := lsnSyntax.MatchString(s); match != (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v; regexp match = %v", s, l, err, match)
		}
		if err != nil {
			if l != 0 {
				t.Fatalf("Parse(%q) returned %v along with error %v", s, l, err)
			}
			return
		}
		for _, form := range []string{l.String(), l.Padded()} {
			back, err := Parse(form)
			if err != nil || back != l {
				t.Fatalf("Parse(%q) = %v; Parse(%q) = %v, %v; want the same value", s, l, form, back, err)
			}
		}
	})
}
