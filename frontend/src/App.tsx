import { useMemo } from "react";
import { BrowserRouter, Outlet, Route, Routes } from "react-router";
import { Provider } from "urql";
import { createApiClient, createWs } from "./api/client";
import { setupToken } from "./api/session";
import { AccessPage } from "./access/AccessPage";
import { Home } from "./Home";
import { I18nProvider } from "./i18n/I18n";
import { IntegrationsPage } from "./partner/Integrations";
import { ChangePasswordPage, ForgotPasswordPage, ResetPasswordPage } from "./partner/Account";
import { OrderPage } from "./partner/OrderPage";
import { PartnerHome } from "./partner/PartnerHome";
import { SignInPage } from "./partner/SignIn";
import { PartnerRoot } from "./partner/Workspace";
import { Shell } from "./Shell";
import { HandedOffPage, LinkProblemPage, NotFoundPage, OnHoldPage } from "./wizard/pages/Pages";
import { AssignmentStep } from "./wizard/steps/AssignmentStep";
import { ConfirmStep } from "./wizard/steps/ConfirmStep";
import { CustomerAdminStep } from "./wizard/steps/CustomerAdminStep";
import { CustomerOrgStep } from "./wizard/steps/CustomerOrgStep";
import { DoneStep } from "./wizard/steps/DoneStep";
import { PartnerOrgStep } from "./wizard/steps/PartnerOrgStep";
import { PasswordStep } from "./wizard/steps/PasswordStep";
import { ProvisionStep } from "./wizard/steps/ProvisionStep";
import { RoleStep } from "./wizard/steps/RoleStep";
import { ServicesStep } from "./wizard/steps/ServicesStep";
import { SetupEntry, WizardLayout } from "./wizard/WizardLayout";
import { WizardProvider } from "./wizard/WizardContext";

/** The setup link's API client (with the live-status websocket) and the wizard's state. */
function SetupRoot() {
  const client = useMemo(
    () => createApiClient(setupToken.get, { ws: createWs(setupToken.get) }),
    [],
  );
  return (
    <Provider value={client}>
      <WizardProvider client={client}>
        <Outlet />
      </WizardProvider>
    </Provider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<Home />} />
        <Route path="setup" element={<SetupRoot />}>
          <Route index element={<SetupEntry />} />
          <Route path="expired" element={<LinkProblemPage problem="expired" />} />
          <Route path="replaced" element={<LinkProblemPage problem="replaced" />} />
          <Route path="cancelled" element={<LinkProblemPage problem="cancelled" />} />
          <Route path="invalid" element={<LinkProblemPage problem="invalid" />} />
          <Route path="handed-off" element={<HandedOffPage />} />
          <Route path="on-hold" element={<OnHoldPage />} />
          <Route element={<WizardLayout />}>
            <Route path="role" element={<RoleStep />} />
            <Route path="assignment" element={<AssignmentStep />} />
            <Route path="partner-org" element={<PartnerOrgStep />} />
            <Route path="customer-admin" element={<CustomerAdminStep />} />
            <Route path="customer-org" element={<CustomerOrgStep />} />
            <Route path="confirm" element={<ConfirmStep />} />
            <Route path="password" element={<PasswordStep />} />
            <Route path="services" element={<ServicesStep />} />
            <Route path="provision" element={<ProvisionStep />} />
            <Route path="done" element={<DoneStep />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
        <Route element={<PartnerRoot />}>
          <Route path="signin" element={<SignInPage />} />
          <Route path="signin/forgot" element={<ForgotPasswordPage />} />
          <Route path="partner" element={<PartnerHome />} />
          <Route path="partner/orders/:id" element={<OrderPage />} />
          <Route path="partner/password" element={<ChangePasswordPage />} />
          <Route path="partner/integrations" element={<IntegrationsPage />} />
          <Route path="partner/*" element={<PartnerHome />} />
        </Route>
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="access" element={<AccessPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <I18nProvider>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </I18nProvider>
  );
}
