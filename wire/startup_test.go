package wire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A setting in options (-c, --) replaces the pin of the same name instead
// of being silently overridden by it; other pins stay.
func TestStartupParamsOptions(t *testing.T) {
	for _, tc := range []struct {
		params map[string]string
		want   map[string]string
	}{
		{nil, map[string]string{"user": "u", "replication": "database", "search_path": "", "client_encoding": "UTF8", "DateStyle": "ISO", "IntervalStyle": "postgres", "extra_float_digits": "3", "TimeZone": "UTC"}},
		{map[string]string{"options": "-c TimeZone=Europe/Paris --datestyle=SQL,DMY -cextra-float-digits=1"},
			map[string]string{"user": "u", "replication": "database", "search_path": "", "client_encoding": "UTF8", "IntervalStyle": "postgres", "options": "-c TimeZone=Europe/Paris --datestyle=SQL,DMY -cextra-float-digits=1"}},
		{map[string]string{"options": `-c search_path=a\ b -c geqo=off`},
			map[string]string{"user": "u", "replication": "database", "client_encoding": "UTF8", "DateStyle": "ISO", "IntervalStyle": "postgres", "extra_float_digits": "3", "TimeZone": "UTC", "options": `-c search_path=a\ b -c geqo=off`}},
		{map[string]string{"timezone": "Asia/Tokyo"},
			map[string]string{"user": "u", "replication": "database", "search_path": "", "client_encoding": "UTF8", "DateStyle": "ISO", "IntervalStyle": "postgres", "extra_float_digits": "3", "timezone": "Asia/Tokyo"}},
	} {
		c := &Conn{cfg: Config{User: "u", Replication: ReplicationLogical, RuntimeParams: tc.params}}
		got := map[string]string{}
		for _, p := range c.startupParams() {
			if _, dup := got[p[0]]; dup {
				t.Errorf("%v: %s sent twice", tc.params, p[0])
			}
			got[p[0]] = p[1]
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%v: startup parameters (-want +got):\n%s", tc.params, d)
		}
	}
	// An SQL session keeps the role's search_path.
	c := &Conn{cfg: Config{User: "u"}}
	for _, p := range c.startupParams() {
		if p[0] == "search_path" {
			t.Errorf("SQL session: search_path=%q sent", p[1])
		}
	}
	if got := optionsSettings(`-c a=1 --b-c=2 -cd=3 -c\ e=4 x -c`); !cmp.Equal(got, []string{"a", "b_c", "d", " e"}) {
		t.Errorf("optionsSettings: %q", got)
	}
}
