// Accounts: platform keys, operator accounts, the account log, one's own password.

import { api, session } from "./api.js";
import { BY_ROLE, go } from "./app.js";
import { platformPicker } from "./invoices.js";
import { ACCOUNT_EVENTS, ROLES } from "./labels.js";
import { actionForm, el, field, input, show, showError } from "./ui.js";

export async function keysView(platformId, shown) {
  const [chosen, select] = await platformPicker(platformId, (id) => show(keysView(id)));
  const section = el("section", { class: "card", "aria-labelledby": "keys-title" },
    el("h2", { id: "keys-title" }, "培训平台接口密钥"), field("培训平台", select),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  if (shown) {
    // The secret is answered once, when issued: shown here once, never stored by the console.
    section.append(el("div", { class: "notice", id: "secret-shown", role: "status" },
      el("p", {}, `新密钥 ${shown.key_id} 的密文只显示这一次，请立即交给平台并妥善保存：`),
      el("p", {}, el("code", { id: "secret" }, shown.secret))));
  }
  const act = async (path, body) => {
    try {
      const issued = await api("POST", path, body);
      show(keysView(chosen, issued.secret ? issued : null));
    } catch (error) {
      showError(section, error);
    }
  };
  const { credentials } = await api("GET", `/api/platform/credentials?platform_id=${encodeURIComponent(chosen)}`);
  section.append(
    el("table", { id: "keys" },
      el("thead", {}, el("tr", {}, ["密钥编号", "签发", "状态", "操作"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, credentials.map((c) => el("tr", { id: "key-" + c.key_id },
        el("td", {}, c.key_id), el("td", {}, `${c.issued.by} ${c.issued.at}`),
        el("td", {}, c.revoked ? "已吊销" : c.usable ? (c.replaced_by ? `轮换中，由 ${c.replaced_by} 接替` : "可用") : "已失效"),
        el("td", {}, c.usable ? [
          el("button", { type: "button", class: "secondary", id: "rotate-" + c.key_id,
            onclick: () => act(`/api/platform/credentials/${c.key_id}/rotate`, {}) }, "轮换"),
          el("button", { type: "button", class: "danger", id: "revoke-" + c.key_id,
            onclick: () => act(`/api/platform/credentials/${c.key_id}/revoke`) }, "吊销"),
        ] : null))))),
    el("div", { class: "actions" }, el("button", { type: "button", id: "issue-key",
      onclick: () => act("/api/platform/credentials", { platform_id: chosen }) }, "签发新密钥")));
  return section;
}

export async function accountsView(message) {
  const { accounts } = await api("GET", "/api/accounts?limit=100");
  const login = el("input", { name: "login", autocomplete: "off" });
  const name = el("input", { name: "display_name" });
  const password = el("input", { name: "password", type: "password", autocomplete: "new-password" });
  const resetWho = el("select", { name: "reset_login" }, accounts.map((a) => el("option", { value: a.login }, `${a.display_name}（${a.login}）`)));
  const resetPassword = el("input", { name: "password", id: "f-reset-password", type: "password", autocomplete: "new-password" });
  // A form of its own, so that the API's `password` errors land beside this field.
  const reset = el("form", { class: "card", "aria-labelledby": "reset-title" },
    el("h3", { id: "reset-title" }, "重置密码（并解除锁定）"),
    field("账户", resetWho), field("新密码（至少10个字符）", resetPassword),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "reset-password" }, "重置")));
  reset.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/accounts/${resetWho.value}/password`, { password: resetPassword.value });
      show(accountsView(`账户 ${resetWho.value} 的密码已重置。`));
    } catch (error) {
      showError(reset, error);
    }
  });
  const roles = Object.entries(ROLES).map(([value, label]) =>
    el("label", { class: "inline" }, el("input", { type: "checkbox", name: "roles", value, id: "role-" + value }), " " + label));
  const form = el("form", { class: "card", "aria-labelledby": "accounts-title" },
    el("h2", { id: "accounts-title" }, "经办人员账户"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("table", { id: "accounts" },
      el("thead", {}, el("tr", {}, ["登录名", "姓名", "角色", "状态", "操作"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, accounts.map((a) => el("tr", { id: "account-" + a.login },
        el("td", {}, a.login), el("td", {}, a.display_name), el("td", {}, a.roles.map((r) => ROLES[r]).join("、")),
        el("td", {}, a.disabled ? "已停用" : a.locked ? `锁定至 ${a.locked_until}` : "正常"),
        el("td", {}, el("button", { type: "button", class: a.disabled ? "secondary" : "danger",
          id: (a.disabled ? "enable-" : "disable-") + a.login,
          onclick: () => change(`/api/accounts/${a.login}/${a.disabled ? "enable" : "disable"}`,
            `账户 ${a.login} 已${a.disabled ? "启用" : "停用"}。`) }, a.disabled ? "启用" : "停用")))))),
    el("h3", {}, "新建账户"),
    field("登录名", login), field("姓名", name), field("初始密码（至少10个字符）", password),
    el("fieldset", {}, el("legend", {}, "角色"), ...roles, el("p", { class: "error", "data-field": "roles", role: "alert" })),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "create-account" }, "创建")));
  async function change(path, done) {
    try {
      await api("POST", path);
      show(accountsView(done));
    } catch (error) {
      showError(form, error);
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("POST", "/api/accounts", {
        login: login.value, display_name: name.value, password: password.value,
        roles: roles.map((r) => r.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      });
      show(accountsView(`账户 ${created.login} 已创建。`));
    } catch (error) {
      showError(form, error);
    }
  });
  const rolesWho = el("select", { name: "roles_login", id: "f-roles-login" },
    accounts.map((a) => el("option", { value: a.login }, `${a.display_name}（${a.login}）`)));
  const newRoles = Object.entries(ROLES).map(([value, label]) =>
    el("label", { class: "inline" }, el("input", { type: "checkbox", name: "new_roles", value, id: "new-role-" + value }), " " + label));
  const tick = () => {
    const held = (accounts.find((a) => a.login === rolesWho.value) || { roles: [] }).roles;
    newRoles.forEach((l) => (l.querySelector("input").checked = held.includes(l.querySelector("input").value)));
  };
  rolesWho.addEventListener("change", tick);
  tick();
  const rolesForm = el("form", { class: "card", "aria-labelledby": "roles-title" },
    el("h3", { id: "roles-title" }, "更改角色"), field("账户", rolesWho),
    el("fieldset", {}, el("legend", {}, "角色"), ...newRoles, el("p", { class: "error", "data-field": "roles", role: "alert" })),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "change-roles" }, "保存角色")));
  rolesForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", `/api/accounts/${rolesWho.value}/roles`, {
        roles: newRoles.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      });
      show(accountsView(`账户 ${rolesWho.value} 的角色已更改（下次登录起生效）。`));
    } catch (error) {
      showError(rolesForm, error);
    }
  });
  return el("div", {}, form, rolesForm, reset,
    el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "account-log", onclick: () => show(accountLogView()) }, "账户日志")));
}

export const LOG_PAGE = 50;

/** Every sign-in, failure and account change, newest first, a page at a time. */
export async function accountLogView(before = 0) {
  const page = await api("GET", `/api/accounts/log?order=newest&limit=${LOG_PAGE}` + (before ? `&before=${before}` : ""));
  return el("section", { class: "card", "aria-labelledby": "log-title" },
    el("h2", { id: "log-title" }, "账户日志（最新在前）"),
    el("table", { id: "log" },
      el("thead", {}, el("tr", {}, ["时间", "账户", "事件", "操作人"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, page.events.map((e) => el("tr", {},
        el("td", {}, e.changed.at), el("td", {}, e.login), el("td", {}, ACCOUNT_EVENTS[e.event] || e.event), el("td", {}, e.changed.by))))),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => show(accountsView()) }, "返回账户"),
      before ? el("button", { type: "button", class: "secondary", onclick: () => show(accountLogView()) }, "最新") : null,
      page.done ? null : el("button", { type: "button", class: "secondary", id: "log-next", onclick: () => show(accountLogView(page.next_before)) }, "更早")));
}

/** The signed-in holder changes their own password. */
export function ownPasswordView() {
  const current = input("current_password", "f-current_password", { type: "password", autocomplete: "current-password" });
  const next = input("new_password", "f-new_password", { type: "password", autocomplete: "new-password" });
  return actionForm("修改本人密码", [["当前密码", current], ["新密码（至少10个字符）", next]], "change-own-password", "修改", async () => {
    await api("POST", "/api/accounts/me/password", { current_password: current.value, new_password: next.value });
    go(BY_ROLE[session.role][0], "密码已修改。");
  });
}
