package main

import (
	"context"

	"onramp/bench/twin/generated"
	"onramp/bench/twin/model"
)

// resolver answers from memory: the real server's answers, read at start.
type resolver struct{ answers Answers }

func (r *resolver) Query() generated.QueryResolver { return r }

func (r *resolver) Setup(context.Context) (*model.SetupSession, error) {
	return r.answers.Setup, nil
}

func (r *resolver) Orders(context.Context, *string, *int, *string, *int, *model.OrderOrder) (*model.OrderConnection, error) {
	return r.answers.Orders, nil
}
