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
type DepthLimit struct{ Max int }

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
	if depth(oc.Operation.SelectionSet, 0, d.Max) > d.Max {
		e := gqlerror.Errorf("operation is nested deeper than the limit of %d", d.Max)
		e.Extensions = map[string]any{"code": codeDepthLimit}
		return e
	}
	return nil
}

// depth returns the nesting depth of set below level, giving up once it
// passes max (so a fragment cycle or a huge document costs little).
func depth(set ast.SelectionSet, level, max int) int {
	if level > max {
		return level
	}
	deepest := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = level + 1
			} else {
				d = depth(s.SelectionSet, level+1, max)
			}
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, level, max)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet, level, max)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}
