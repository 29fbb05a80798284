import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy* and waitFor give up after 10 s instead of 1 s: `make test` runs
// these tests beside the Go and browser suites on two cores, where a render
// can take seconds. A passing check still returns as soon as it holds; only
// a failing one waits longer.
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
});
