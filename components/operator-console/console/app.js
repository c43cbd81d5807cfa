// The county operators' console: plain ES modules, no build step. It signs in at
// /api/accounts/sign-in and then calls the same APIs as every other client, with the token.
// This module holds the screens each role has and the sign-in; one module per screen beside it.

import { accountsView, keysView, ownPasswordView } from "./accounts.js";
import { api, keepSession, session, whenExpired } from "./api.js";
import { lookupView, reviewView } from "./claims.js";
import { invoicesView } from "./invoices.js";
import { noticesView } from "./notices.js";
import { outreachView } from "./outreach.js";
import { ROLES } from "./labels.js";
import { bankView, payableView } from "./payments.js";
import { reconcileView, reportView } from "./report.js";
import { platformsView, policyView, registryView, standardsView } from "./tables.js";
import { app, el, field, show, showError } from "./ui.js";

export function signOut(message) {
  keepSession(null);
  render(message);
}

export function signInView(message) {
  const login = el("input", { name: "login", autocomplete: "username", required: true });
  const password = el("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const role = el("select", { name: "role" },
    el("option", { value: "" }, "（账户唯一的角色）"),
    ...Object.entries(ROLES).map(([value, name]) => el("option", { value }, name)));
  const form = el("form", { class: "card sign-in", "aria-labelledby": "sign-in-title" },
    el("h2", { id: "sign-in-title" }, "经办人员登录"),
    message ? el("p", { class: "notice" }, message) : null,
    field("登录名", login), field("密码", password), field("登录角色", role),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("button", { type: "submit", id: "sign-in" }, "登录"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { login: login.value, password: password.value };
    if (role.value) body.role = role.value;
    try {
      keepSession(await api("POST", "/api/accounts/sign-in", body));
      render();
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

/** The screens, and which each role has: a reviewer sees no finance screen, and so on. */
export const VIEWS = {
  review: ["申领审核", () => reviewView()],
  notices: ["公示", () => noticesView()],
  outreach: ["政策找人", () => outreachView()],
  payable: ["待支付申领", () => payableView()],
  bank: ["银行结果", () => bankView()],
  lookup: ["申领查询", () => lookupView()],
  invoices: ["平台发票", () => invoicesView()],
  standards: ["地方标准", () => standardsView()],
  registry: ["重点群体名单", () => registryView()],
  report: ["统计报表", () => reportView()],
  platforms: ["平台名录", () => platformsView()],
  keys: ["平台密钥", () => keysView()],
  accounts: ["经办账户", () => accountsView()],
  policy: ["政策版本", () => policyView()],
  reconcile: ["数据核对", () => reconcileView()],
};

export const BY_ROLE = {
  reviewer: ["review", "notices", "outreach", "lookup", "report"],
  finance: ["payable", "bank", "lookup", "invoices", "report"],
  admin: ["review", "outreach", "lookup", "standards", "platforms", "registry", "keys", "accounts", "policy", "reconcile", "report"],
};

export function go(name, message) {
  for (const button of document.querySelectorAll("#views button")) {
    if (button.dataset.view === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  show(VIEWS[name][1](), message);
}

export function render(message) {
  const who = document.getElementById("who");
  const views = document.getElementById("views");
  who.hidden = views.hidden = !session;
  if (!session) {
    views.replaceChildren();
    app.replaceChildren(signInView(message));
    return;
  }
  document.getElementById("who-name").textContent = `${session.display_name}（${ROLES[session.role]}）`;
  const names = BY_ROLE[session.role];
  views.replaceChildren(...names.map((name) =>
    el("button", { type: "button", class: "secondary", id: "view-" + name, "data-view": name, onclick: () => go(name) },
      VIEWS[name][0])));
  go(names[0]);
}

whenExpired(signOut);
document.getElementById("sign-out").addEventListener("click", () => signOut("已退出登录。"));
document.getElementById("own-password").addEventListener("click", () => show(ownPasswordView()));
render();
