// Where the tokens live. The setup link's token leaves the address bar at
// once (captureSetupToken, before the app renders) and stays in this tab's
// session storage: it is never in the history, a bookmark, or a Referer.

const setupKey = "onramp.setup.token";
const expiredKey = "onramp.setup.expired";
const startKey = "onramp.setup.start";
const handoffKey = "onramp.setup.handedOffTo";
const partnerKey = "onramp.partner.token";
const resetKey = "onramp.reset.token";
const accessKey = "onramp.access.token";

/** Pages whose ?token=… is not a setup link: each keeps its own. */
const otherLinkPages: Record<string, string> = {
  "/reset-password": resetKey,
  "/access": accessKey,
};

function get(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function set(key: string, value: string | null) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    /* private mode without storage: the token lives as long as the page */
  }
}

/**
 * Moves ?token=… of a "Set up now" link into session storage and replaces
 * the URL with one without it. Opening the link (re)starts the wizard, so it
 * also marks that startSetup is due. The token of a password-reset link
 * (/reset-password) or of a partner-access link (/access) goes to its own
 * place instead, the same way.
 */
export function captureSetupToken(
  loc: Location = window.location,
  hist: History = window.history,
): boolean {
  const url = new URL(loc.href);
  const token = url.searchParams.get("token");
  if (!token) return false;
  const other = otherLinkPages[url.pathname.replace(/\/+$/, "")];
  if (other) {
    // A password-reset or partner-access link: its own token, same care.
    url.searchParams.delete("token");
    hist.replaceState(null, "", url.pathname + url.search + url.hash);
    set(other, token);
    return true;
  }
  url.searchParams.delete("token");
  hist.replaceState(null, "", url.pathname + url.search + url.hash);
  set(setupKey, token);
  set(startKey, "1");
  set(handoffKey, null);
  return true;
}

export const setupToken = {
  get: () => get(setupKey),
  clear: () => {
    set(setupKey, null);
    set(startKey, null);
  },
  /** Whether the link was just opened and startSetup is due; reading clears it. */
  takeStart: () => {
    const due = get(startKey) === "1";
    set(startKey, null);
    return due;
  },
  peekStart: () => get(startKey) === "1",
};

export const handoff = {
  get: () => get(handoffKey),
  set: (email: string) => set(handoffKey, email),
};

export const partnerToken = {
  get: () => get(partnerKey),
  set: (token: string) => set(partnerKey, token),
  clear: () => set(partnerKey, null),
};

/**
 * The token of a link that has expired, kept so that its page can ask for a
 * new link (renewSetupLink); it grants nothing else.
 */
export const expiredToken = {
  get: () => get(expiredKey),
  set: (token: string | null) => set(expiredKey, token),
};

/** The token of a password-reset link (/reset-password?token=…): sets a new password, once. */
export const resetToken = {
  get: () => get(resetKey),
  clear: () => set(resetKey, null),
};

/** The token of a partner-access link (/access?token=…): the customer's answer to a partner's request. */
export const accessToken = {
  get: () => get(accessKey),
  clear: () => set(accessKey, null),
};

/**
 * Opens a setup link the partner workspace got (continueSetup) in this tab:
 * as if its "Set up now" link was opened, the wizard starts afresh at /setup.
 */
export function adoptSetupLink(token: string) {
  set(setupKey, token);
  set(startKey, "1");
  set(handoffKey, null);
}
