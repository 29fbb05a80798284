package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeDepthLimit is the code of the depth limit's error.
const codeDepthLimit = "DEPTH_LIMIT_EXCEEDED"

// DepthLimit refuses, before execution, an operation whose selections nest
// deeper than Max (fragments included). Complexity alone lets a cheap but
// deeply nested query through.
//
// With Introspection on, the introspection fields (__schema, __type) are not
// counted: GraphiQL's standard introspection query nests type references
// about 14 deep whatever the limit, and it reads only the schema, which
// Onramp's data cannot make deeper. Without it those fields are refused
// anyway.
type DepthLimit struct {
	Max           int
	Introspection bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (DepthLimit) ExtensionName() string { return "DepthLimit" }

// Validate implements graphql.HandlerExtension.
func (DepthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (d DepthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth(oc.Operation.SelectionSet, 0, d.Max, d.Introspection) > d.Max {
		e := gqlerror.Errorf("operation is nested deeper than the limit of %d", d.Max)
		e.Extensions = map[string]any{"code": codeDepthLimit}
		return e
	}
	return nil
}

// depth returns the nesting depth of set below level, giving up once it
// passes max (so a fragment cycle or a huge document costs little);
// skipSchema leaves out the introspection fields' selections.
func depth(set ast.SelectionSet, level, max int, skipSchema bool) int {
	if level > max {
		return level
	}
	deepest := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 || skipSchema && (s.Name == "__schema" || s.Name == "__type") {
				d = level + 1
			} else {
				d = depth(s.SelectionSet, level+1, max, skipSchema)
			}
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, level, max, skipSchema)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet, level, max, skipSchema)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}
