package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"onramp/internal/app"
)

// demo places a sample order starting today against a running server, with
// an operator token signed by the keys of the server's database, and says
// where its email is.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := app.Defaults()
	f := newFlags("demo", stderr)
	f.database(&cfg)
	url := "http://localhost:8080"
	f.StringVar(&url, "url", url, "the running server")
	language := "en"
	f.StringVar(&language, "language", language, "language of the order's emails (en or sr)")
	if err := f.Parse(args); err != nil {
		return err
	}
	st, a, err := openAuthority(ctx, cfg)
	if err != nil {
		return err
	}
	token, err := a.IssueOperator("demo", time.Hour)
	_ = st.Close()
	if err != nil {
		return err
	}
	ext := fmt.Sprintf("DEMO-%d", time.Now().Unix())
	body, err := json.Marshal(map[string]any{
		"query": `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id status } userErrors { field message } } }`,
		"variables": map[string]any{"in": map[string]any{
			"externalId": ext, "product": "A_WX",
			"requestedStartDate":       time.Now().UTC().Format("2006-01-02"),
			"provisioningContactEmail": "setup@partner.example",
			"language":                 language,
			"partner":                  map[string]any{"name": "Demo Partner", "accountId": "DEMO-PARTNER"},
			"customer": map[string]any{"name": "Acme d.o.o.", "country": "RS",
				"address": map[string]any{"line1": "Bulevar kralja Aleksandra 1", "city": "Beograd", "postalCode": "11000"}},
			"services": []map[string]any{{"kind": "MEETINGS", "quantity": 25}, {"kind": "CALLING", "quantity": 10}, {"kind": "MESSAGING", "quantity": 25}},
		}},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(url, "/")+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is the server running at %s? %w", url, err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			PlaceOrder struct {
				Order *struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"order"`
				UserErrors []struct {
					Message string `json:"message"`
				} `json:"userErrors"`
			} `json:"placeOrder"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("unexpected answer from %s: %w", url, err)
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("placeOrder: %s", out.Errors[0].Message)
	}
	if p := out.Data.PlaceOrder; p.Order == nil {
		return fmt.Errorf("placeOrder refused the demo order: %+v", p.UserErrors)
	}
	fmt.Fprintf(stdout, "Placed demo order %s (%s), starting today.\n", out.Data.PlaceOrder.Order.ID, ext)
	fmt.Fprintf(stdout, "Its setup email is on its way: open %s/dev/mail and click \"Set up now\".\n", strings.TrimRight(url, "/"))
	return nil
}
