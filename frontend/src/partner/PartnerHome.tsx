import { useEffect } from "react";
import { Link, Navigate, useNavigate } from "react-router";
import { useQuery } from "urql";
import { PartnerOverview } from "../api/documents";
import { classify, failureKey } from "../api/errors";
import { partnerToken } from "../api/session";
import { useFormat, useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { OrgView, Status, StepHeading } from "../wizard/components";

export function PartnerHome() {
  if (!partnerToken.get()) return <Navigate to="/signin" replace />;
  return <Overview />;
}

function Overview() {
  const { t } = useI18n();
  const f = useFormat();
  const navigate = useNavigate();
  const [res] = useQuery({ query: PartnerOverview, requestPolicy: "network-only" });
  const failure = res.error ? classify(res.error) : null;

  useEffect(() => {
    if (failure?.kind === "link" || failure?.kind === "forbidden") {
      partnerToken.clear();
      navigate("/signin", { replace: true, state: { ended: true } });
    }
  }, [failure, navigate]);

  const signOut = () => {
    partnerToken.clear();
    navigate("/signin", { replace: true });
  };

  const v = res.data?.viewer;
  const org = v?.organization;
  const orders = res.data?.orders.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];
  return (
    <main id="main" className="page">
      <div className="title-row">
        <StepHeading>{t("partner.title")}</StepHeading>
        <button type="button" className="secondary" onClick={signOut}>
          {t("partner.signout")}
        </button>
      </div>
      {res.fetching && !res.data && (
        <Status>
          <p>{t("partner.loading")}</p>
        </Status>
      )}
      {failure && failure.kind !== "link" && (
        <div role="alert" className="error-summary">
          <p>{t(failureKey(failure))}</p>
        </div>
      )}
      {v && <p className="hint">{t("partner.signedInAs", { email: v.email ?? "" })}</p>}
      <p>
        <Link to="/partner/integrations">{t("integrations.link")}</Link>
      </p>
      {org && (
        <section className="card" aria-labelledby="org-title">
          <h2 id="org-title">{t("partner.org")}</h2>
          <OrgView org={org} />
          {org.accountID && (
            <p>
              {t("partner.account")}: <code>{org.accountID}</code>
            </p>
          )}
        </section>
      )}
      {res.data && (
        <>
          <section>
            <h2 id="orders-title">{t("partner.orders")}</h2>
            {orders.length === 0 ? (
              <p>{t("partner.noOrders")}</p>
            ) : (
              <div className="table-wrap" role="region" aria-labelledby="orders-title" tabIndex={0}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("partner.col.order")}</th>
                      <th scope="col">{t("partner.col.customer")}</th>
                      <th scope="col">{t("partner.col.product")}</th>
                      <th scope="col">{t("partner.col.start")}</th>
                      <th scope="col">{t("partner.col.status")}</th>
                      <th scope="col">{t("partner.col.step")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {orders.map((o) => (
                      <tr key={o.id}>
                        <td>{o.externalID}</td>
                        <td>{o.customerName}</td>
                        <td>{o.product.replace("_", "-")}</td>
                        <td>{f.date(o.requestedStartDate)}</td>
                        <td>{t(`orderStatus.${o.status}` as Key)}</td>
                        <td>{t(`step.${o.step}` as Key)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section>
            <h2 id="customers-title">{t("partner.customers")}</h2>
            {(org?.managedCustomers ?? []).length === 0 ? (
              <p>{t("partner.noCustomers")}</p>
            ) : (
              <div className="table-wrap" role="region" aria-labelledby="customers-title" tabIndex={0}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("candidates.name")}</th>
                      <th scope="col">{t("partner.col.country")}</th>
                      <th scope="col">{t("partner.col.site")}</th>
                      <th scope="col">{t("candidates.created")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {org!.managedCustomers!.map((c) => (
                      <tr key={c.id}>
                        <td>{c.name}</td>
                        <td>{f.country(c.country)}</td>
                        <td>{c.subdomain ?? "—"}</td>
                        <td>{f.date(c.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </main>
  );
}
