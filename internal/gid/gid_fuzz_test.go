package gid

import (
	"strings"
	"testing"
)

func FuzzID(f *testing.F) {
	f.Add(string(New(Order)))
	f.Add(string(New(Organization)))
	for _, s := range []string{
		"", "ord_", "ord", "_", "ord_01JD3Q7Z5W8M2K4T6V9X0Y1Z2A", "ord_81jd3q7z5w8m2k4t6v9x0y1z2a",
		"ord_01jd3q7z5w8m2k4t6v9x0y1z2", "ord_01jd3q7z5w8m2k4t6v9x0y1z2ab", "ord_01jd3q7z5w8m2k4t6v9x0y1z2u",
		"x_y_01jd3q7z5w8m2k4t6v9x0y1z2a", "../../etc_01jd3q7z5w8m2k4t6v9x0y1z2a", "ord_01jd3q7z5w8m2k4t6v9x0y1z\u017f",
		strings.Repeat("a", 65), "\xff_\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// UnmarshalGQL accepts exactly the ids Table knows, in lower case,
		// and leaves the id untouched when it refuses.
		var id ID
		err := id.UnmarshalGQL(s)
		tbl, tableErr := Table(ID(s))
		want := (tableErr == nil || rowless[ID(s).Prefix()]) && strings.ToLower(s) == s
		if (err == nil) != want {
			t.Fatalf("UnmarshalGQL(%q) = %v; Table = %q, %v", s, err, tbl, tableErr)
		}
		if err != nil {
			if id != "" {
				t.Fatalf("UnmarshalGQL(%q) set %q and refused it", s, id)
			}
			return
		}
		if string(id) != s {
			t.Fatalf("UnmarshalGQL(%q) = %q", s, id)
		}
		// A well-formed id: the prefix is what comes before the first
		// underscore, and a table exists only for the known prefixes.
		p := id.Prefix()
		if !strings.HasPrefix(s, p+"_") || len(s) != len(p)+1+26 {
			t.Fatalf("Prefix(%q) = %q", s, p)
		}
		if _, known := tables[p]; !known && !rowless[p] {
			t.Fatalf("UnmarshalGQL(%q) accepted the unknown prefix %q", s, p)
		}
	})
}
