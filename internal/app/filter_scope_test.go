package app_test

// The property that holds the scope for filters: for every token kind and
// every predicate of every where-input a query offers (read from the served
// schema, not listed here), the filtered connection's totalCount and page
// are exactly the caller's own readable rows filtered in Go. Values are
// drawn from every row of the database (the operator's view), so a
// predicate that reached rows outside the caller's scope would answer
// differently. A predicate the test cannot evaluate on the caller's own
// rows (an edge predicate, a field the type does not show) fails the test:
// it could not be proved in scope.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"onramp/ent/setuplink"
	"onramp/ent/user"
	"onramp/graph/generated"
	"onramp/internal/app"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
)

// filterOps are the suffixes ent gives a field's predicates, longest first
// where one is the end of another.
var filterOps = []string{"ContainsFold", "EqualFold", "HasPrefix", "HasSuffix", "Contains",
	"NotNil", "IsNil", "NotIn", "In", "NEQ", "GTE", "GT", "LTE", "LT", ""}

// filterRoot is a query field that takes a where-input.
type filterRoot struct {
	query    string // the Query field, e.g. "orders"
	node     *ast.Definition
	where    *ast.Definition
	scalars  map[string]*ast.FieldDefinition // the node's scalar and enum fields
	selected string                          // those fields, as a selection
}

// filterRoots reads, from the served schema, every query field taking a
// where-input.
func filterRoots(t *testing.T) []filterRoot {
	t.Helper()
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	var roots []filterRoot
	for _, f := range s.Query.Fields {
		arg := f.Arguments.ForName("where")
		if arg == nil {
			continue
		}
		where := s.Types[arg.Type.Name()]
		conn := s.Types[f.Type.Name()]
		edges := conn.Fields.ForName("edges")
		if edges == nil {
			t.Fatalf("%s(where:) is not a connection", f.Name)
		}
		node := s.Types[s.Types[edges.Type.Name()].Fields.ForName("node").Type.Name()]
		r := filterRoot{query: f.Name, node: node, where: where, scalars: map[string]*ast.FieldDefinition{}}
		var sel []string
		for _, nf := range node.Fields {
			k := s.Types[nf.Type.Name()].Kind
			if len(nf.Arguments) == 0 && (k == ast.Scalar || k == ast.Enum) {
				r.scalars[nf.Name] = nf
				sel = append(sel, nf.Name)
			}
		}
		r.selected = strings.Join(sel, " ")
		roots = append(roots, r)
	}
	if len(roots) < 2 {
		t.Fatalf("found %d query fields with where-inputs; want orders and escalations at least", len(roots))
	}
	return roots
}

// predicate is one input field of a where-input, split into the node's
// field it tests and the operation.
type predicate struct {
	name  string
	field *ast.FieldDefinition
	op    string
	typ   *ast.Type
}

func (r filterRoot) predicates(t *testing.T) []predicate {
	t.Helper()
	var out []predicate
	for _, in := range r.where.Fields {
		if in.Name == "not" || in.Name == "and" || in.Name == "or" {
			if in.Type.Name() != r.where.Name {
				t.Errorf("%s.%s combines %s, not its own type", r.where.Name, in.Name, in.Type.Name())
			}
			continue
		}
		p := predicate{name: in.Name, typ: in.Type}
		for _, op := range filterOps {
			if f, ok := r.scalars[strings.TrimSuffix(in.Name, op)]; ok && strings.HasSuffix(in.Name, op) {
				p.field, p.op = f, op
				break
			}
		}
		if p.field == nil {
			t.Errorf("%s.%s is not a predicate on a field %s shows its reader: it cannot be proved in scope",
				r.where.Name, in.Name, r.node.Name)
			continue
		}
		out = append(out, p)
	}
	return out
}

type filterCaller struct {
	name, token string
}

func TestFilterScopeProperty(t *testing.T) {
	s := apptest.Serve(t, func(c *app.Config) {
		// Each request below asks one predicate with every value at once.
		c.Limits.Complexity = 1 << 20
		c.Limits.Tokens = 1 << 20
	})
	op, err := s.App.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.Op = op
	c := s
	sqlite := s.App.Store.Dialect == "sqlite3"

	// Two partners' worlds: provisioned orders with organizations and
	// subdomains, a plain order each, an order on hold, a cancelled one,
	// escalations with notes.
	p1 := c.Provisioned(t, "F-1", "P1", "ana@p1.example", "admin@acme.example", "epsilonvault")
	p2 := c.Provisioned(t, "F-2", "P2", "bob@p2.example", "admin@beta.example", "betasite")
	plain1 := c.NewOrder(t, "F-3", "P1", func(in map[string]any) {
		in["product"] = "A_SPK"
		in["customer"].(map[string]any)["name"] = "Zeta Systems"
	})
	held := c.NewOrder(t, "F-4", "P2", func(in map[string]any) {
		in["provisioningContactEmail"] = "ops@p2.example"
		in["requestedStartDate"] = apptest.ISODate(apptest.Today())
	})
	// Its start date is today: the setup email's job issues a link at once.
	// Wait for it, so that it cannot replace the link issued here.
	testkit.Eventually(t, "the setup email's link of F-4", 15*time.Second, func() (bool, string) {
		n, err := s.App.Store.Client.SetupLink.Query().Where(setuplink.OrderID(gid.ID(held))).
			Count(store.System(context.Background()))
		return err == nil && n > 0, fmt.Sprint(n, err)
	})
	heldLink := c.Link(t, held, "ops@p2.example")
	c.Must(t, heldLink, "startSetup", nil)
	c.Must(t, heldLink, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, heldLink, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, heldLink, "reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER", "note", "fraud suspected"))
	cancelled := c.NewOrder(t, "F-5", "P2", nil)
	c.GQL(t, op, `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "test") { userErrors { code } } }`,
		map[string]any{"id": cancelled}).OK(t)
	ctx := store.System(context.Background())
	for _, esc := range []struct {
		order, note string
		resolve     bool
	}{{plain1, "fraud", false}, {held, "call the partner", true}, {p2.OrderID, "", false}} {
		q := s.App.Store.Client.Escalation.Create().SetOrderID(gid.ID(esc.order)).SetReason("setup not started")
		if esc.note != "" {
			q.SetNote(esc.note)
		}
		e, err := q.Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if esc.resolve {
			c.GQL(t, op, `mutation($id: ID!) { resolveEscalation(id: $id, note: "called") { userErrors { code } } }`,
				map[string]any{"id": string(e.ID)}).OK(t)
		}
	}

	callers := []filterCaller{
		{"operator", op},
		{"integration P1", mustToken(s.App.Auth.IssueIntegration("P1", time.Hour))},
		{"integration P2", mustToken(s.App.Auth.IssueIntegration("P2", time.Hour))},
		{"integration of an unknown account", mustToken(s.App.Auth.IssueIntegration("P9", time.Hour))},
		{"partner session P1", c.MustSignIn(t, p1.PartnerAdmin, apptest.Password)},
		{"setup link", c.Link(t, plain1, "provisioning@partner.example")},
		// The mailed links' tokens read nothing of these.
		{"partner-access link", func() string {
			tok, _, err := s.App.Auth.IssueAccessToken(ctx, gid.New(gid.PartnerAccess), "it@acme.example", auth.ActDecide)
			return mustToken(tok, err)
		}()},
		{"password-reset link", func() string {
			u, err := s.App.Store.Client.User.Query().Where(user.Email(p1.PartnerAdmin)).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := s.App.Auth.IssuePasswordReset(ctx, u)
			return mustToken(tok, err)
		}()},
	}

	for _, root := range filterRoots(t) {
		preds := root.predicates(t)
		all := filterRows(t, c, op, root)
		if len(all.rows) < 3 {
			t.Fatalf("%s: only %d rows to draw values from", root.query, len(all.rows))
		}
		for _, caller := range callers {
			t.Run(root.query+"/"+caller.name, func(t *testing.T) {
				mine := filterRows(t, c, caller.token, root)
				for _, p := range preds {
					values := filterValues(p, all.rows)
					if len(values) == 0 {
						t.Fatalf("%s: no value to try: the data has no %s", p.name, p.field.Name)
					}
					var decl, body []string
					vars := map[string]any{}
					for i, v := range values {
						decl = append(decl, fmt.Sprintf("$v%d: %s", i, p.typ.String()))
						body = append(body, fmt.Sprintf("v%d: %s(first: 100, where: {%s: $v%d}) { totalCount edges { node { id } } }",
							i, root.query, p.name, i))
						vars[fmt.Sprintf("v%d", i)] = v
					}
					q := fmt.Sprintf("query(%s) { %s }", strings.Join(decl, ", "), strings.Join(body, " "))
					r := c.GQL(t, caller.token, q, vars)
					if mine.code != "" {
						// The caller reads none of these rows at all: every
						// filter answers the same refusal.
						for _, e := range r.Errors {
							if e.Extensions.Code != mine.code {
								t.Fatalf("%s: error %+v, want %s as without a filter", p.name, e, mine.code)
							}
						}
						if len(r.Errors) != len(values) {
							t.Fatalf("%s: %d errors for %d filters, want the refusal %s for each", p.name, len(r.Errors), len(values), mine.code)
						}
						continue
					}
					var got map[string]struct {
						TotalCount int `json:"totalCount"`
						Edges      []struct {
							Node struct {
								ID string `json:"id"`
							} `json:"node"`
						} `json:"edges"`
					}
					r.OK(t).Decode(t, &got)
					for i, v := range values {
						var want []string
						for _, row := range mine.rows {
							if filterMatch(t, p, row[p.field.Name], v, sqlite) {
								want = append(want, row["id"].(string))
							}
						}
						g := got[fmt.Sprintf("v%d", i)]
						var ids []string
						for _, e := range g.Edges {
							ids = append(ids, e.Node.ID)
						}
						slices.Sort(ids)
						slices.Sort(want)
						if g.TotalCount != len(want) || !slices.Equal(ids, want) {
							raw, _ := json.Marshal(v)
							t.Errorf("%s: %s = %s: totalCount %d, page %v; the caller's own rows give %d, %v",
								root.query, p.name, raw, g.TotalCount, ids, len(want), want)
						}
					}
				}
			})
		}
	}
}

func mustToken(tok string, err error) string {
	if err != nil {
		panic(err)
	}
	return tok
}

type filterRead struct {
	rows []map[string]any
	code string // the error every read of this caller gets, if any
}

// filterRows reads every row of root the token can read, with all the
// node's scalar fields.
func filterRows(t *testing.T, c *apptest.Server, token string, root filterRoot) filterRead {
	t.Helper()
	r := c.GQL(t, token, fmt.Sprintf("{ %s(first: 100) { totalCount edges { node { %s } } } }", root.query, root.selected), nil)
	if len(r.Errors) > 0 {
		return filterRead{code: r.Errors[0].Extensions.Code}
	}
	var got map[string]struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node map[string]any `json:"node"`
		} `json:"edges"`
	}
	r.Decode(t, &got)
	conn := got[root.query]
	if conn.TotalCount >= 100 {
		t.Fatalf("%s: %d rows, more than one page", root.query, conn.TotalCount)
	}
	var out filterRead
	for _, e := range conn.Edges {
		out.rows = append(out.rows, e.Node)
	}
	return out
}

// filterValues are the values one predicate is tried with: every value of
// its field in the database, pieces of them for the string matches, and one
// that matches nothing.
func filterValues(p predicate, rows []map[string]any) []any {
	var distinct []any
	seen := map[string]bool{}
	add := func(v any) {
		k := fmt.Sprint(v)
		if !seen[k] {
			seen[k] = true
			distinct = append(distinct, v)
		}
	}
	for _, row := range rows {
		if v := row[p.field.Name]; v != nil {
			add(v)
		}
	}
	switch p.op {
	case "IsNil", "NotNil":
		return []any{true, false}
	case "In", "NotIn":
		out := []any{distinct}
		for _, v := range distinct {
			out = append(out, []any{v})
		}
		return out
	case "Contains", "HasPrefix", "HasSuffix", "ContainsFold", "EqualFold":
		if p.typ.Name() != "String" {
			return distinct // a Date's "contains" takes whole dates only
		}
		var out []any
		seen = map[string]bool{}
		for _, v := range distinct {
			s, _ := v.(string)
			for _, piece := range []string{s, s[:min(3, len(s))], s[max(0, len(s)-3):], s[len(s)/3 : len(s)/3+min(4, len(s)-len(s)/3)], strings.ToUpper(s)} {
				if !seen[piece] {
					seen[piece] = true
					out = append(out, piece)
				}
			}
		}
		return append(out, "no such value")
	}
	if p.field.Type.Name() == "Boolean" {
		return []any{true, false}
	}
	return distinct
}

// filterMatch evaluates one predicate on one row's value the way the
// database does: SQL NULL matches nothing but IsNil; SQLite's LIKE folds
// ASCII case, PostgreSQL's does not; the test databases order strings by
// code point (SQLite's BINARY, PostgreSQL's C collation), as Go does.
func filterMatch(t *testing.T, p predicate, have, want any, sqlite bool) bool {
	t.Helper()
	switch p.op {
	case "IsNil": // false asks nothing
		return !want.(bool) || have == nil
	case "NotNil":
		return !want.(bool) || have != nil
	}
	if have == nil {
		return false
	}
	if b, ok := have.(bool); ok {
		switch p.op {
		case "":
			return b == want.(bool)
		case "NEQ":
			return b != want.(bool)
		}
		t.Fatalf("%s: no evaluation of %q on a Boolean", p.name, p.op)
	}
	h := have.(string)
	cmp := func(w any) int {
		if p.field.Type.Name() == "Time" {
			a, _ := time.Parse(time.RFC3339Nano, h)
			b, _ := time.Parse(time.RFC3339Nano, w.(string))
			return a.Compare(b)
		}
		return strings.Compare(h, w.(string))
	}
	like := func(s string) (string, string) {
		if sqlite {
			return strings.ToLower(h), strings.ToLower(s)
		}
		return h, s
	}
	switch p.op {
	case "":
		return cmp(want) == 0
	case "NEQ":
		return cmp(want) != 0
	case "In", "NotIn":
		in := slices.ContainsFunc(want.([]any), func(w any) bool { return cmp(w) == 0 })
		return in == (p.op == "In")
	case "GT":
		return cmp(want) > 0
	case "GTE":
		return cmp(want) >= 0
	case "LT":
		return cmp(want) < 0
	case "LTE":
		return cmp(want) <= 0
	case "Contains":
		a, b := like(want.(string))
		return strings.Contains(a, b)
	case "HasPrefix":
		a, b := like(want.(string))
		return strings.HasPrefix(a, b)
	case "HasSuffix":
		a, b := like(want.(string))
		return strings.HasSuffix(a, b)
	case "ContainsFold":
		return strings.Contains(strings.ToLower(h), strings.ToLower(want.(string)))
	case "EqualFold":
		return strings.EqualFold(h, want.(string))
	}
	t.Fatalf("%s: no evaluation of %q", p.name, p.op)
	return false
}
