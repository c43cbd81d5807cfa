// The county operators' console: plain ES module, no build step. It signs in at
// /api/accounts/sign-in and then calls the same APIs as every other client, with the token.

const GROUPS = {
  unemployed_graduate: "离校未就业高校毕业生",
  migrant_worker: "农民工",
  poor_laborer: "建档立卡贫困劳动力",
  registered_unemployed: "登记失业人员",
};
const STATUSES = {
  submitted: "待审核", approved: "已通过", rejected: "已驳回", withdrawn: "已撤回",
  paid: "已支付", payment_returned: "支付退回", recovering: "追回中", recovered: "已追回",
};
const ROLES = { admin: "管理员", reviewer: "审核员", finance: "财务" };
const PAGE = 20;

const app = document.getElementById("app");
let session = JSON.parse(sessionStorage.getItem("session") || "null");

/** An element: el("button", {type: "button", onclick}, "通过"). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((c) => c != null));
  return node;
}

/** A field with its label and the place its error goes. */
function field(label, input) {
  const id = input.id || (input.id = "f-" + input.name);
  return el("div", { class: "field" },
    el("label", { for: id }, label), input,
    el("p", { class: "error", id: id + "-error", "data-field": input.name, role: "alert" }));
}

/** Shows an API error next to its field (or in the form's own place): the Chinese message. */
function showError(form, error) {
  form.querySelectorAll(".error").forEach((p) => (p.textContent = ""));
  const reasons = error.details && error.details.length ? error.details : [error];
  for (const reason of reasons) {
    // The field as the API names it, or its last part (`standard.standard` → `standard`).
    const last = (reason.field || "").split(".").pop();
    const place = form.querySelector(`.error[data-field="${reason.field}"]`) ||
      form.querySelector(`.error[data-field="${last}"]`) ||
      form.querySelector(".error[data-field='form']");
    place.textContent = (place.textContent ? place.textContent + "；" : "") + reason.message_zh;
  }
}

class ApiError extends Error {
  constructor(body) {
    super(body.message_zh);
    Object.assign(this, body);
  }
}

async function api(method, path, body) {
  const headers = {};
  if (session) headers.Authorization = "Bearer " + session.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const reply = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await reply.json().catch(() => ({}));
  if (reply.status === 401 && session && path !== "/api/accounts/sign-in") {
    signOut("登录已过期，请重新登录");
    throw new ApiError(data.error);
  }
  if (!reply.ok) throw new ApiError(data.error || { message_zh: `请求失败（${reply.status}）`, field: null });
  return data;
}

function signOut(message) {
  session = null;
  sessionStorage.removeItem("session");
  render(message);
}

function signInView(message) {
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
      session = await api("POST", "/api/accounts/sign-in", body);
      sessionStorage.setItem("session", JSON.stringify(session));
      render();
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

function claimRow(claim, open) {
  return el("tr", {},
    el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => open(claim.id), "aria-label": `查看申领 ${claim.id}` }, claim.id)),
    el("td", {}, claim.trainee_name),
    el("td", {}, GROUPS[claim.key_group] || claim.key_group),
    el("td", {}, claim.assessed_on),
    el("td", {}, claim.amount + " 元"));
}

async function reviewView(kind = "review", after = 0) {
  const section = el("section", { class: "card", "aria-labelledby": "review-title" },
    el("h2", { id: "review-title" }, "申领审核"));
  const tabs = el("nav", { role: "tablist", "aria-label": "审核队列" },
    ...[["review", "待人工审核"], ["verified", "名单已核实"]].map(([value, name]) =>
      el("button", { type: "button", role: "tab", "aria-selected": String(value === kind), id: "tab-" + value,
        onclick: () => show(reviewView(value)) }, name)));
  section.append(tabs);
  const page = await api("GET", `/api/claims/queue?kind=${kind}&after=${after}&limit=${PAGE}`);
  if (page.claims.length === 0) {
    section.append(el("p", { id: "queue-empty" }, "队列中没有待审核的申领。"));
  } else {
    section.append(el("table", { id: "queue" },
      el("thead", {}, el("tr", {}, ["申领编号", "学员", "重点群体", "考核日期", "金额"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, page.claims.map((c) => claimRow(c, (id) => show(claimView(id, kind)))))));
    if (kind === "verified") {
      section.append(el("div", { class: "actions" },
        el("button", { type: "button", id: "bulk-approve", onclick: () => bulkApprove(page.claims, kind) },
          `批量通过本页 ${page.claims.length} 件`)));
    }
  }
  if (page.claims.length === PAGE) {
    section.append(el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => show(reviewView(kind, page.next_after)) }, "下一页")));
  }
  return section;
}

async function bulkApprove(claims, kind) {
  const { results } = await api("POST", "/api/claims/bulk-approve", { claim_ids: claims.map((c) => c.id) });
  const approved = results.filter((r) => r.approved).length;
  const skipped = results.filter((r) => !r.approved).map((r) => `${r.claim_id}：${r.reason.message_zh}`);
  show(reviewView(kind), `已批量通过 ${approved} 件申领。` + (skipped.length ? `未通过：${skipped.join("；")}` : ""));
}

async function claimView(id, kind) {
  const claim = await api("GET", `/api/claims/${id}`);
  const reason = el("input", { name: "reason", maxlength: 200 });
  const form = el("form", { class: "card", "aria-labelledby": "claim-title" },
    el("h2", { id: "claim-title" }, `申领 ${claim.id}`),
    el("dl", {},
      ...[["状态", STATUSES[claim.status] || claim.status], ["学员", claim.trainee_name], ["身份证号", claim.resident_id],
        ["重点群体", GROUPS[claim.key_group] || claim.key_group], ["培训平台", claim.platform_id], ["职业", claim.occupation],
        ["等级", claim.level], ["学时", claim.study_hours], ["考核日期", claim.assessed_on], ["补贴金额", claim.amount + " 元"],
        ["资金来源", claim.fund], ["政策版本", claim.policy_version],
        ["毕业日期", claim.graduation_date], ["是否已就业", claim.employed == null ? null : (claim.employed ? "是" : "否")],
      ].filter(([, v]) => v != null).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
    el("h3", {}, "处理记录"),
    el("ol", {}, claim.transitions.map((t) =>
      el("li", {}, `${t.changed.at} ${t.changed.by}：${STATUSES[t.to] || t.to}${t.reason ? "（" + t.reason + "）" : ""}`))),
    el("div", { class: "actions" },
      el("button", { type: "button", id: "approve", onclick: () => decide("approve", {}) }, "审核通过"),
      el("div", { class: "grow" }, field("驳回理由", reason)),
      el("button", { type: "button", class: "danger", id: "reject", onclick: () => decide("reject", { reason: reason.value }) }, "驳回"),
      el("button", { type: "button", class: "secondary", onclick: () => show(reviewView(kind)) }, "返回队列")),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  async function decide(action, body) {
    try {
      await api("POST", `/api/claims/${id}/${action}`, body);
      show(reviewView(kind), action === "approve" ? `申领 ${id} 已审核通过。` : `申领 ${id} 已驳回。`);
    } catch (error) {
      showError(form, error);
    }
  }
  return form;
}

/** Shows a view (a promise of one), with a message above it. */
async function show(view, message) {
  try {
    const node = await view;
    app.replaceChildren(...(message ? [el("p", { class: "notice", id: "notice", role: "status" }, message)] : []), node);
  } catch (error) {
    if (session) app.replaceChildren(el("p", { class: "error", role: "alert" }, error.message_zh || String(error)));
  }
}

/** The screens, and which each role has: a reviewer sees no finance screen, and so on. */
const VIEWS = {
  review: ["申领审核", () => reviewView()],
  payable: ["待支付申领", () => payableView()],
  invoices: ["平台发票", () => invoicesView()],
  standards: ["地方标准", () => standardsView()],
  registry: ["重点群体名单", () => registryView()],
  report: ["统计报表", () => reportView()],
  platforms: ["平台名录", () => platformsView()],
  keys: ["平台密钥", () => keysView()],
  accounts: ["经办账户", () => accountsView()],
};
const BY_ROLE = {
  reviewer: ["review", "report"],
  finance: ["payable", "invoices", "report"],
  admin: ["review", "standards", "platforms", "registry", "keys", "accounts", "report"],
};

function go(name, message) {
  for (const button of document.querySelectorAll("#views button")) {
    if (button.dataset.view === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  show(VIEWS[name][1](), message);
}

function render(message) {
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

const INVOICE_STATES = { building: "开具中", issued: "已开具", approved: "已审批", paid: "已支付", cancelled: "已作废" };

/** Saves what an authenticated GET answers as a file (a link cannot carry the token). */
async function download(path, fallbackName) {
  const reply = await fetch(path, { headers: { Authorization: "Bearer " + session.token } });
  if (!reply.ok) throw new ApiError((await reply.json()).error);
  const named = /filename\*=UTF-8''([^;]+)/.exec(reply.headers.get("content-disposition") || "");
  const link = el("a", { href: URL.createObjectURL(await reply.blob()),
    download: named ? decodeURIComponent(named[1]) : fallbackName });
  document.body.append(link);
  link.click();
  link.remove();
}

/** The register's platforms to choose from: the one chosen (`platformId`, or the first) and
 * the select, which calls `chosen` with another. */
async function platformPicker(platformId, chosen) {
  const { platforms } = await api("GET", "/api/policy/platforms");
  const id = platformId || (platforms[0] && platforms[0].id);
  const select = el("select", { name: "platform_id", onchange: () => chosen(select.value) },
    platforms.map((p) => el("option", { value: p.id, selected: p.id === id }, `${p.name}（${p.id}）`)));
  return [id, select];
}

async function invoicesView(platformId, message) {
  const [chosen, select] = await platformPicker(platformId, (id) => show(invoicesView(id)));
  const section = el("section", { class: "card", "aria-labelledby": "invoices-title" },
    el("h2", { id: "invoices-title" }, "平台补贴发票"), field("培训平台", select),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  if (message) section.prepend(el("p", { class: "notice", id: "notice", role: "status" }, message));
  const { invoices } = await api("GET", `/api/platform/invoices?platform_id=${encodeURIComponent(chosen)}&limit=50`);
  if (invoices.length === 0) {
    section.append(el("p", { id: "invoices-empty" }, "该平台还没有发票。"));
    return section;
  }
  const act = async (invoice, action, body) => {
    try {
      await api("POST", `/api/platform/invoices/${invoice.number}/${action}`, body);
      show(invoicesView(chosen, `发票 ${invoice.number} ${action === "approve" ? "已审批" : "已记录支付"}。`));
    } catch (error) {
      showError(section, error);
    }
  };
  const rows = invoices.map((invoice) => {
    const actions = el("td", {});
    if (invoice.state === "issued") {
      actions.append(el("button", { type: "button", id: `approve-${invoice.number}`, onclick: () => act(invoice, "approve") }, "审批"));
    }
    if (invoice.state === "approved") {
      const reference = el("input", { name: "reference", id: `reference-${invoice.number}`, "aria-label": "支付凭证号", placeholder: "支付凭证号" });
      const paidOn = el("input", { name: "paid_on", id: `paid-on-${invoice.number}`, type: "date", "aria-label": "支付日期" });
      actions.append(reference, paidOn, el("button", { type: "button", id: `pay-${invoice.number}`,
        onclick: () => act(invoice, "pay", { reference: reference.value, paid_on: paidOn.value }) }, "支付"));
    }
    actions.append(el("button", { type: "button", class: "secondary", id: `csv-${invoice.number}`,
      onclick: () => download(`/api/platform/invoices/${invoice.number}/csv`, invoice.number + ".csv").catch((e) => showError(section, e)) }, "下载 CSV"));
    return el("tr", { id: `invoice-${invoice.number}` },
      el("td", {}, invoice.number), el("td", {}, invoice.period), el("td", {}, INVOICE_STATES[invoice.state] || invoice.state),
      el("td", {}, String(invoice.line_count)), el("td", {}, invoice.total + " 元"), actions);
  });
  section.append(el("table", { id: "invoices" },
    el("thead", {}, el("tr", {}, ["发票号", "期间", "状态", "明细行数", "金额", "操作"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
  return section;
}

// In the order offered (an object would put the numbers first, in ascending order).
const LEVEL_CHOICES = [["5", "五级/初级工"], ["4", "四级/中级工"], ["3", "三级/高级工"], ["2", "二级/技师"],
  ["1", "一级/高级技师"], ["none", "无等级"]];
const LEVELS = Object.fromEntries(LEVEL_CHOICES);

async function standardsView(message) {
  const table = await api("GET", "/api/policy/standards");
  const occupation = el("input", { name: "occupation", placeholder: "4-03-02-01" });
  const name = el("input", { name: "occupation_name" });
  const level = el("select", { name: "level" }, LEVEL_CHOICES.map(([v, n]) => el("option", { value: v }, n)));
  const standard = el("input", { name: "standard", inputmode: "decimal" });
  const form = el("form", { class: "card", "aria-labelledby": "standards-title" },
    el("h2", { id: "standards-title" }, "地方职业培训补贴标准"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    el("table", { id: "standards" },
      el("thead", {}, el("tr", {}, ["职业编码", "职业名称", "等级", "标准（元）", "最后修改", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, table.standards.map((s) => el("tr", {},
        el("td", {}, s.occupation), el("td", {}, s.occupation_name || ""), el("td", {}, LEVELS[s.level] || s.level),
        el("td", {}, s.standard), el("td", {}, s.changed ? `${s.changed.by} ${s.changed.at}` : ""),
        el("td", {}, el("button", { type: "button", class: "danger", "aria-label": `删除 ${s.occupation} ${s.level}`,
          onclick: () => remove(s) }, "删除")))))),
    el("h3", {}, "新增或修改一项"),
    field("职业编码", occupation), field("职业名称", name), field("等级", level), field("补贴标准（元）", standard),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "save-standard" }, "保存")));
  async function remove(s) {
    try {
      await api("DELETE", `/api/policy/standards/${s.occupation}/${s.level}`);
      show(standardsView(`已删除 ${s.occupation} ${LEVELS[s.level] || s.level}。`));
    } catch (error) {
      showError(form, error);
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { standard: standard.value };
    if (name.value) body.occupation_name = name.value;
    try {
      await api("PUT", `/api/policy/standards/${encodeURIComponent(occupation.value.trim())}/${level.value}`, body);
      show(standardsView(`已保存 ${occupation.value.trim()} ${LEVELS[level.value]}：${standard.value} 元。`));
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

const PLATFORM_STATUSES = { approved: "已认定", suspended: "已暂停" };

/** The register of approved platforms; an admin adds one, or changes one's status or record. */
async function platformsView(message) {
  const register = await api("GET", "/api/policy/platforms");
  const id = el("input", { name: "id", placeholder: "wljnpx" });
  const name = el("input", { name: "name" });
  const site = el("input", { name: "site", placeholder: "https://" });
  const recordedOn = el("input", { name: "recorded_on", type: "date" });
  const status = el("select", { name: "status" },
    Object.entries(PLATFORM_STATUSES).map(([v, n]) => el("option", { value: v }, n)));
  const from = el("input", { name: "effective_from", type: "date" });
  const form = el("form", { class: "card", "aria-labelledby": "platforms-title" },
    el("h2", { id: "platforms-title" }, "线上培训平台名录"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    el("table", { id: "platforms" },
      el("thead", {}, el("tr", {}, ["编号", "名称", "状态", "报省备案日期", "最后修改", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, register.platforms.map((p) => el("tr", { id: "platform-" + p.id },
        el("td", {}, p.id), el("td", {}, p.name), el("td", {}, PLATFORM_STATUSES[p.status] || p.status),
        el("td", {}, p.recorded_on || "未备案"), el("td", {}, p.changed ? `${p.changed.by} ${p.changed.at}` : "通知原文"),
        el("td", {}, el("button", { type: "button", class: "secondary", id: "edit-" + p.id, onclick: () => {
          id.value = p.id; name.value = p.name; site.value = p.site || ""; recordedOn.value = p.recorded_on || "";
          status.value = p.status; name.focus();
        } }, "修改")))))),
    el("h3", {}, "新增或修改一个平台"),
    field("平台编号", id), field("平台名称", name), field("网址", site), field("报省备案日期", recordedOn),
    field("状态", status), field("状态生效日期（默认今天）", from),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "save-platform" }, "保存")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const known = register.platforms.find((p) => p.id === id.value.trim());
    const body = { name: name.value, status: status.value };
    if (known) {
      body.aliases = known.aliases || [];
      body.listed_in = known.listed_in || [];
    }
    if (site.value) body.site = site.value;
    if (recordedOn.value) body.recorded_on = recordedOn.value;
    if (from.value) body.effective_from = from.value;
    try {
      await api("PUT", `/api/policy/platforms/${encodeURIComponent(id.value.trim())}`, body);
      show(platformsView(`已保存平台 ${id.value.trim()}。`));
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

async function keysView(platformId, shown) {
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

async function accountsView(message) {
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
  return el("div", {}, form, reset);
}

const SVG = "http://www.w3.org/2000/svg";

/** A horizontal bar chart of amounts (yuan, as the API writes them), labelled, drawn in SVG. */
function barChart(title, id, bars) {
  const width = 640, row = 28, left = 190, height = Math.max(1, bars.length) * row + 8;
  const most = Math.max(...bars.map((b) => b.fen), 1);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  svg.setAttribute("id", id);
  svg.style.width = "100%";
  bars.forEach((bar, i) => {
    const y = i * row + 4;
    const text = (x, content, anchor) => {
      const t = document.createElementNS(SVG, "text");
      Object.entries({ x, y: y + 17, "font-size": 13, "text-anchor": anchor }).forEach(([k, v]) => t.setAttribute(k, v));
      t.textContent = content;
      svg.append(t);
    };
    text(left - 8, bar.label, "end");
    const rect = document.createElementNS(SVG, "rect");
    const length = Math.max(2, ((width - left - 130) * bar.fen) / most);
    Object.entries({ x: left, y, width: length, height: row - 8, fill: "#1d4e89" }).forEach(([k, v]) => rect.setAttribute(k, v));
    svg.append(rect);
    text(left + length + 6, `${(bar.fen / 100).toFixed(2)} 元（${bar.count} 件）`, "start");
  });
  return el("figure", {}, el("figcaption", {}, el("h3", {}, title)), svg);
}

/** Rows summed by one of their keys, largest first. */
function sumBy(rows, key, name) {
  const sums = new Map();
  for (const r of rows) {
    const s = sums.get(r[key]) || { label: name(r[key]), fen: 0, count: 0 };
    s.fen += Math.round(Number(r.amount) * 100);
    s.count += r.count;
    sums.set(r[key], s);
  }
  return [...sums.values()];
}

async function reportView(from = "", to = "") {
  const query = new URLSearchParams();
  if (from) query.set("from", from);
  if (to) query.set("to", to);
  const fromInput = el("input", { name: "from", type: "month", value: from });
  const toInput = el("input", { name: "to", type: "month", value: to });
  const form = el("form", { class: "card", "aria-labelledby": "report-title" },
    el("h2", { id: "report-title" }, "补贴申领统计（报省）"),
    el("div", { class: "actions" },
      el("div", { class: "grow" }, field("考核月份自", fromInput)),
      el("div", { class: "grow" }, field("至", toInput)),
      el("button", { type: "submit", id: "report-filter" }, "筛选"),
      el("button", { type: "button", class: "secondary", id: "report-csv",
        onclick: () => download(`/api/claims/report?format=csv&${query}`, "report.csv").catch((e) => showError(form, e)) }, "下载 CSV")),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(reportView(fromInput.value, toInput.value)).catch(() => {});
  });
  const report = await api("GET", `/api/claims/report?${query}`);
  // What the bureau pays out: claims approved or further along, not those refused or withdrawn.
  const counted = report.rows.filter((r) => !["rejected", "withdrawn"].includes(r.status));
  form.append(
    el("p", { id: "report-headline" },
      `申领 ${report.total_count} 件；已支付 ${report.paid_amount} 元，追回 ${report.recovered_amount} 元，净支付 ${report.net_paid_amount} 元。`),
    el("table", { id: "report-status" },
      el("thead", {}, el("tr", {}, ["状态", "件数", "金额"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, report.by_status.map((s) =>
        el("tr", {}, el("td", {}, STATUSES[s.status] || s.status), el("td", {}, String(s.count)), el("td", {}, s.amount + " 元"))))),
    barChart("按考核月份（不含驳回、撤回）", "chart-month", sumBy(counted, "month", (m) => m).sort((a, b) => a.label.localeCompare(b.label))),
    barChart("按重点群体", "chart-group", sumBy(counted, "key_group", (g) => GROUPS[g] || g).sort((a, b) => b.fen - a.fen)),
    barChart("按培训平台", "chart-platform", sumBy(counted, "platform_id", (p) => p).sort((a, b) => b.fen - a.fen)));
  return form;
}

/** Registry rows from a CSV file (as Excel saves it: a byte-order mark, commas, quotes). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  text = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((c) => c.trim()));
}

const REGISTRY_COLUMNS = {
  resident_id: ["resident_id", "身份证号"], group: ["group", "人群类别"], source: ["source", "来源"],
  valid_from: ["valid_from", "起始日期"], valid_to: ["valid_to", "截止日期"],
};

function registryView() {
  const file = el("input", { name: "file", type: "file", accept: ".csv,text/csv" });
  const results = el("div", { id: "registry-results", role: "status" });
  const form = el("form", { class: "card", "aria-labelledby": "registry-title" },
    el("h2", { id: "registry-title" }, "上传重点群体名单"),
    el("p", {}, "CSV 文件（可由 Excel 另存为 CSV UTF-8），首行为列名：身份证号、人群类别（migrant_worker 等）、来源、起始日期、截止日期（可空）。每 1000 行一批上传；一批中有错误的行，整批不保存，逐行列出问题。"),
    field("名单文件", file), el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "upload" }, "上传")), results);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    results.replaceChildren();
    if (!file.files.length) return showError(form, { field: "file", message_zh: "请选择文件" });
    const [header, ...rows] = parseCsv(await file.files[0].text());
    const at = Object.fromEntries(Object.entries(REGISTRY_COLUMNS).map(([key, names]) =>
      [key, header.findIndex((h) => names.includes(h.trim()))]));
    const missing = ["resident_id", "group", "source", "valid_from"].filter((k) => at[k] < 0);
    if (missing.length) return showError(form, { field: "file", message_zh: `缺少列：${missing.map((k) => REGISTRY_COLUMNS[k][1]).join("、")}` });
    const entries = rows.map((r) => {
      const entry = {};
      for (const [key, i] of Object.entries(at)) if (i >= 0 && (r[i] || "").trim()) entry[key] = r[i].trim();
      return entry;
    });
    let stored = 0;
    for (let first = 0; first < entries.length; first += 1000) {
      try {
        stored += (await api("POST", "/api/eligibility/registry", { entries: entries.slice(first, first + 1000) })).stored;
      } catch (error) {
        // entries[i].field → the file's row (the header is row 1).
        const problems = (error.details || [error]).map((d) => {
          const m = /^entries\[(\d+)\]\.?(.*)$/.exec(d.field || "");
          return m ? `第 ${first + Number(m[1]) + 2} 行${m[2] ? "（" + m[2] + "）" : ""}：${d.message_zh}` : d.message_zh;
        });
        results.append(el("p", {}, `第 ${first + 2} 至 ${first + Math.min(1000, entries.length - first) + 1} 行未保存：`),
          el("ul", { class: "problems" }, problems.map((p) => el("li", {}, p))));
      }
    }
    results.prepend(el("p", { class: "notice", id: "registry-stored" }, `已保存 ${stored} 条，共 ${entries.length} 条。`));
  });
  return form;
}

async function payableView(after = 0) {
  const section = el("section", { class: "card", "aria-labelledby": "payable-title" },
    el("h2", { id: "payable-title" }, "待支付的申领"));
  const page = await api("GET", `/api/claims/payable?after=${after}&limit=${PAGE}`);
  if (page.claims.length === 0) {
    section.append(el("p", { id: "payable-empty" }, "没有待支付的申领。"));
    return section;
  }
  const total = page.claims.reduce((sum, c) => sum + Math.round(Number(c.amount) * 100), 0);
  section.append(el("table", { id: "payable" },
    el("thead", {}, el("tr", {}, ["申领编号", "学员", "收款账户", "金额", ""].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, page.claims.map((c) => el("tr", {},
      el("td", {}, c.id), el("td", {}, c.trainee_name), el("td", {}, c.payee.account), el("td", {}, c.amount + " 元"),
      el("td", {}, el("button", { type: "button", onclick: () => show(payView(c)), "aria-label": `支付申领 ${c.id}` }, "支付")))))),
    el("p", {}, `本页合计 ${(total / 100).toFixed(2)} 元`));
  if (page.claims.length === PAGE) {
    section.append(el("button", { type: "button", class: "secondary", onclick: () => show(payableView(page.next_after)) }, "下一页"));
  }
  return section;
}

function payView(claim) {
  const reference = el("input", { name: "reference", maxlength: 64, required: true });
  const paidOn = el("input", { name: "paid_on", type: "date", required: true });
  const form = el("form", { class: "card", "aria-labelledby": "pay-title" },
    el("h2", { id: "pay-title" }, `支付申领 ${claim.id}：${claim.amount} 元`),
    field("支付凭证号", reference), field("支付日期", paidOn),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" },
      el("button", { type: "submit", id: "pay" }, "确认支付"),
      el("button", { type: "button", class: "secondary", onclick: () => show(payableView()) }, "返回")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/claims/${claim.id}/pay`, { reference: reference.value, paid_on: paidOn.value });
      show(payableView(), `申领 ${claim.id} 已记录支付。`);
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

document.getElementById("sign-out").addEventListener("click", () => signOut("已退出登录。"));
render();
