import { useEffect, useId, useMemo, useState } from "react";
import { Link, Navigate, useLocation, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { classify, failureKey } from "../api/errors";
import { partnerToken } from "../api/session";
import { PartnerOrders, PartnerOrganization } from "../api/workspace";
import type { OrderStatus, OrderWhereInput } from "../gql/graphql";
import { useFormat, useI18n } from "../i18n/I18n";
import type { Key } from "../i18n/en";
import { OrgView, Status, StepHeading } from "../wizard/components";
import { WorkspaceNav } from "./Workspace";
import "./workspace.css";

export const pageSize = 20;

export const orderStatuses: OrderStatus[] = [
  "PLACED",
  "LINK_SENT",
  "IN_SETUP",
  "ON_HOLD",
  "ORGS_CONFIRMED",
  "PROVISIONED",
  "CANCELLED",
];
/** "Open": every status before the end of the order's life. */
export const openStatuses: OrderStatus[] = [
  "PLACED",
  "LINK_SENT",
  "IN_SETUP",
  "ON_HOLD",
  "ORGS_CONFIRMED",
];

/** The orders filter of the URL (?status=…&q=…) as the API's where. */
export function ordersWhere(status: string, q: string): OrderWhereInput | undefined {
  const where: OrderWhereInput = {};
  if (status === "OPEN") where.statusIn = openStatuses;
  else if ((orderStatuses as string[]).includes(status)) where.statusIn = [status as OrderStatus];
  const text = q.trim();
  if (text) where.or = [{ externalIDContainsFold: text }, { customerNameContainsFold: text }];
  return Object.keys(where).length ? where : undefined;
}

export function PartnerHome() {
  if (!partnerToken.get()) return <Navigate to="/signin" replace />;
  return <Overview />;
}

function Overview() {
  const { t } = useI18n();
  const loc = useLocation();
  const [res] = useQuery({ query: PartnerOrganization, requestPolicy: "network-only" });
  const failure =
    res.error && !res.error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")
      ? classify(res.error)
      : null;
  const v = res.data?.viewer;
  const org = v?.organization;
  const passwordReset = (loc.state as { passwordReset?: boolean } | null)?.passwordReset;
  return (
    <main id="main" className="page workspace">
      <WorkspaceNav />
      <StepHeading>{t("partner.title")}</StepHeading>
      {passwordReset && (
        <Status className="notice">
          <p>{t("reset.done")}</p>
        </Status>
      )}
      {failure && (
        <div role="alert" className="error-summary">
          <p>{t(failureKey(failure))}</p>
        </div>
      )}
      {v && <p className="hint">{t("partner.signedInAs", { email: v.email ?? "" })}</p>}
      <OrdersSection />
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
      {res.data && <CustomersSection customers={org?.managedCustomers ?? []} />}
    </main>
  );
}

/** Types a search with a pause before it reaches the URL (and the server). */
function useDebounced(value: string, ms: number) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

function OrdersSection() {
  const { t } = useI18n();
  const f = useFormat();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  const debounced = useDebounced(text, 300);
  // The cursors of the pages before this one (Previous goes back one).
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const [after, setAfter] = useState<string | null>(null);
  const ids = { search: useId(), status: useId(), hint: useId() };

  useEffect(() => {
    if (debounced === q) return;
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (debounced.trim()) n.set("q", debounced);
        else n.delete("q");
        return n;
      },
      { replace: true },
    );
  }, [debounced, q, setParams]);

  // A new filter starts at the first page.
  useEffect(() => {
    setCursors([]);
    setAfter(null);
  }, [status, q]);

  const where = useMemo(() => ordersWhere(status, q), [status, q]);
  const [res] = useQuery({
    query: PartnerOrders,
    variables: { first: pageSize, after, where },
    requestPolicy: "cache-and-network",
  });
  const conn = res.data?.orders;
  const orders = conn?.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];
  const failure =
    res.error && !res.error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")
      ? classify(res.error)
      : null;
  const filtered = Boolean(where);
  const page = cursors.length + 1;

  const setStatus = (s: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (s) n.set("status", s);
        else n.delete("status");
        return n;
      },
      { replace: true },
    );

  return (
    <section aria-labelledby="orders-title" className="orders">
      <h2 id="orders-title">{t("partner.orders")}</h2>
      <form
        role="search"
        aria-label={t("orders.filters")}
        className="order-filters"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="field">
          <label htmlFor={ids.search}>{t("orders.search")}</label>
          <p id={ids.hint} className="hint">
            {t("orders.searchHint")}
          </p>
          <input
            id={ids.search}
            type="search"
            aria-describedby={ids.hint}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.status}>{t("orders.status")}</label>
          <select id={ids.status} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t("orders.allStatuses")}</option>
            <option value="OPEN">{t("orders.open")}</option>
            {orderStatuses.map((s) => (
              <option key={s} value={s}>
                {t(`orderStatus.${s}` as Key)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <Status className="order-count">
        {conn && (
          <p>{t(filtered ? "orders.countFiltered" : "orders.count", { n: conn.totalCount })}</p>
        )}
        {res.fetching && !conn && <p>{t("partner.loading")}</p>}
      </Status>
      {failure && (
        <div role="alert" className="error-summary">
          <p>{t(failureKey(failure))}</p>
        </div>
      )}
      {conn && orders.length === 0 && <p>{t(filtered ? "orders.noMatch" : "partner.noOrders")}</p>}
      {orders.length > 0 && (
        <ol className="order-list" aria-labelledby="orders-title">
          {orders.map((o) => (
            <li key={o.id} className="order-card">
              <h3>
                <Link to={`/partner/orders/${encodeURIComponent(o.id)}`}>{o.externalID}</Link>
              </h3>
              <dl>
                <div>
                  <dt>{t("partner.col.customer")}</dt>
                  <dd>{o.customerName}</dd>
                </div>
                <div>
                  <dt>{t("partner.col.product")}</dt>
                  <dd>{o.product.replace("_", "-")}</dd>
                </div>
                <div>
                  <dt>{t("partner.col.start")}</dt>
                  <dd>{f.date(o.requestedStartDate)}</dd>
                </div>
                <div>
                  <dt>{t("partner.col.status")}</dt>
                  <dd>
                    <span className={`status-tag status-${o.status.toLowerCase()}`}>
                      {t(`orderStatus.${o.status}` as Key)}
                    </span>
                  </dd>
                </div>
                <div>
                  <dt>{t("partner.col.step")}</dt>
                  <dd>{t(`step.${o.step}` as Key)}</dd>
                </div>
              </dl>
            </li>
          ))}
        </ol>
      )}
      {conn && (page > 1 || conn.pageInfo.hasNextPage) && (
        <nav className="pager" aria-label={t("orders.pages")}>
          <button
            type="button"
            className="secondary"
            disabled={page === 1}
            onClick={() => {
              setAfter(cursors[cursors.length - 1] ?? null);
              setCursors(cursors.slice(0, -1));
            }}
          >
            {t("orders.previous")}
          </button>
          <span>{t("orders.page", { n: page })}</span>
          <button
            type="button"
            className="secondary"
            disabled={!conn.pageInfo.hasNextPage}
            onClick={() => {
              setCursors([...cursors, after]);
              setAfter(conn.pageInfo.endCursor ?? null);
            }}
          >
            {t("orders.next")}
          </button>
        </nav>
      )}
    </section>
  );
}

function CustomersSection({
  customers,
}: {
  customers: {
    id: string;
    name: string;
    country: string;
    subdomain?: string | null;
    createdAt: string;
  }[];
}) {
  const { t } = useI18n();
  const f = useFormat();
  return (
    <section aria-labelledby="customers-title">
      <h2 id="customers-title">{t("partner.customers")}</h2>
      {customers.length === 0 ? (
        <p>{t("partner.noCustomers")}</p>
      ) : (
        <ul className="order-list" aria-labelledby="customers-title">
          {customers.map((c) => (
            <li key={c.id} className="order-card">
              <h3>{c.name}</h3>
              <dl>
                <div>
                  <dt>{t("partner.col.country")}</dt>
                  <dd>{f.country(c.country)}</dd>
                </div>
                <div>
                  <dt>{t("partner.col.site")}</dt>
                  <dd>{c.subdomain ?? "—"}</dd>
                </div>
                <div>
                  <dt>{t("candidates.created")}</dt>
                  <dd>{f.date(c.createdAt)}</dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
