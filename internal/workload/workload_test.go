package workload

import (
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	files, err := Load(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(files[0].Name, "01-") || len(files) < 6 {
		t.Errorf("files: %d, first %s", len(files), files[0].Name)
	}
}

func TestLivePlan(t *testing.T) {
	for _, v := range []int{14, 15, 16, 17, 18} {
		all := LiveAll(v)
		if all.Proto != MaxProto(v) || all.Name != "all" || all.TwoPhase != (v >= 15) {
			t.Errorf("pg%d: LiveAll = %+v", v, all)
		}
		if n := len(LivePlan(v)); n != map[bool]int{true: 2, false: 1}[v >= 16] {
			t.Errorf("pg%d: %d live captures", v, n)
		}
		o := all.LogicalOptions()
		if o.ProtoVersion != all.Proto || o.Streaming.String() != all.Streaming || o.Origin != all.Origin || !o.Binary || !o.Messages {
			t.Errorf("pg%d: LogicalOptions %+v for %+v", v, o, all)
		}
		for _, s := range LivePlan(v) {
			if strings.ContainsAny(s.LiveSlot(), "-.") {
				t.Errorf("slot name %s", s.LiveSlot())
			}
		}
	}
}
