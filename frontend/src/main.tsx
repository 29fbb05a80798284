import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { captureSetupToken } from "./api/session";
import { App } from "./App";
import "./styles.css";

// First of all: a "Set up now" link's token leaves the address bar (and so
// the history) before anything renders.
captureSetupToken();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
