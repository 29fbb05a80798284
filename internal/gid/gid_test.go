package gid_test

import (
	"strings"
	"testing"

	"onramp/ent/migrate"
	"onramp/internal/gid"
)

// Every entity table must have a prefix, or node(id:) cannot find its rows.
func TestEveryTableHasAPrefix(t *testing.T) {
	known := map[string]bool{}
	for _, table := range gid.Tables() {
		known[table] = true
	}
	for _, tbl := range migrate.Tables {
		if strings.Contains(tbl.Name, "_") && len(tbl.PrimaryKey) == 2 {
			continue // a join table (organization_managed_customers)
		}
		if !known[tbl.Name] {
			t.Errorf("table %s has no id prefix in internal/gid", tbl.Name)
		}
	}
}

func TestIDsCarryTheirTable(t *testing.T) {
	id := gid.New(gid.Order)
	if !strings.HasPrefix(string(id), "ord_") || len(id) != 4+26 {
		t.Fatalf("unexpected id %q", id)
	}
	if table, err := gid.Table(id); err != nil || table != "orders" {
		t.Fatalf("Table(%q) = %q, %v", id, table, err)
	}
	if a, b := gid.New(gid.Order), gid.New(gid.Order); a == b || a > b {
		t.Fatalf("ids not unique and increasing: %s, %s", a, b)
	}
	for _, bad := range []gid.ID{"", "ord", "ord_", "ord_123", "xyz_01jd3q7z5w8m2k4t6v9x0y1z2a", "ord_01JD3Q7Z5W8M2K4T6V9X0Y1Z2!"} {
		if _, err := gid.Table(bad); err == nil {
			t.Errorf("Table(%q) accepted a malformed id", bad)
		}
	}
}

func FuzzTable(f *testing.F) {
	f.Add(string(gid.New(gid.Organization)))
	f.Add("../../etc/passwd")
	f.Fuzz(func(t *testing.T, s string) {
		if table, err := gid.Table(gid.ID(s)); err == nil && table == "" {
			t.Fatalf("Table(%q) found an empty table", s)
		}
	})
}
