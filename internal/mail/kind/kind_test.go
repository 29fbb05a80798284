package kind

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"
)

// TestAllIsEveryConstant reads this package's source: every Kind constant
// is in All, in the order declared, and All holds nothing else.
func TestAllIsEveryConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "kind.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []Kind
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Kind" {
				continue
			}
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit)
				declared = append(declared, Kind(lit.Value[1:len(lit.Value)-1]))
			}
		}
	}
	if len(declared) == 0 {
		t.Fatal("no Kind constants found in kind.go")
	}
	if !slices.Equal(declared, All) {
		t.Errorf("All = %v\nthe constants = %v", All, declared)
	}
}
