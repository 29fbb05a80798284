package graph

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// StrictNumbers refuses, before execution, a variable that gives a string
// where the schema wants an Int or a Float (quantity: "5"): gqlgen's Int
// reads "5" as 5, GraphQL's input coercion does not. A string literal in
// the document is already refused by validation.
type StrictNumbers struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &StrictNumbers{}

// ExtensionName implements graphql.HandlerExtension.
func (*StrictNumbers) ExtensionName() string { return "StrictNumbers" }

// Validate implements graphql.HandlerExtension.
func (s *StrictNumbers) Validate(es graphql.ExecutableSchema) error {
	s.schema = es.Schema()
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (s *StrictNumbers) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for _, def := range oc.Operation.VariableDefinitions {
		if path, typ := s.firstString(def.Type, oc.Variables[def.Variable], "$"+def.Variable, 0); path != "" {
			e := gqlerror.Errorf("%s: %s must be a number, not a string", path, typ)
			e.Extensions = map[string]any{"code": errcode.ValidationFailed}
			return e
		}
	}
	return nil
}

// firstString returns the path and type of the first string given where t
// wants a number, or "".
func (s *StrictNumbers) firstString(t *ast.Type, v any, path string, depth int) (string, string) {
	if v == nil || depth > 32 {
		return "", ""
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return s.firstString(t.Elem, v, path, depth+1) // a single value coerces to a list
		}
		for i, e := range list {
			if p, typ := s.firstString(t.Elem, e, fmt.Sprintf("%s[%d]", path, i), depth+1); p != "" {
				return p, typ
			}
		}
		return "", ""
	}
	switch t.NamedType {
	case "Int", "Float":
		switch v.(type) {
		case json.Number, float64, float32, int, int32, int64:
			return "", ""
		}
		return path, t.NamedType
	}
	def := s.schema.Types[t.NamedType]
	m, ok := v.(map[string]any)
	if def == nil || def.Kind != ast.InputObject || !ok {
		return "", ""
	}
	for _, f := range def.Fields {
		if p, typ := s.firstString(f.Type, m[f.Name], path+"."+f.Name, depth+1); p != "" {
			return p, typ
		}
	}
	return "", ""
}
