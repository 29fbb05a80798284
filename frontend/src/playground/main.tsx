// Monaco's workers (editor, JSON, GraphQL), bundled by Vite: nothing is
// loaded from another host.
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "./playground.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { I18nProvider } from "../i18n/I18n";
import { Playground } from "./Playground";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <I18nProvider>
      <Playground />
    </I18nProvider>
  </StrictMode>,
);
