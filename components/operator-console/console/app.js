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
      el("tbody", {}, page.claims.map((c) => claimRow(c, (id) => show(claimView(id, () => reviewView(kind))))))));
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

const KEY_GROUP_STATUS = { verified: "名单已核实", needs_review: "仅本人申报，待人工核实", not_a_key_group: "非重点群体" };
const MODES = { online: "线上", offline: "线下", practical: "实操" };
const RECORD_STATES = { reported: "已上报", claimed: "已申领", billed: "已开票", void: "已作废" };

/** A definition list of the pairs whose value is known. */
function facts(id, pairs) {
  return el("dl", { id }, pairs.filter(([, v]) => v != null && v !== "")
    .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
}

/** A form of one action: its fields (each `[label, input]`), its button, and what it sends.
 * Its own form, so that the API's errors land beside its own fields. */
function actionForm(title, fields, buttonId, buttonLabel, send, buttonClass) {
  const form = el("form", { class: "card", "aria-label": title },
    el("h3", {}, title), ...fields.map(([label, input]) => field(label, input)),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: buttonId, class: buttonClass }, buttonLabel)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await send();
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

const input = (name, id, attributes = {}) => el("input", { name, id, ...attributes });

/** One claim, in full: its facts, the platform's record it was made from, the verdict it was
 * accepted with and the recheck approving makes now, its payments; and what the signed-in
 * role may do with it in its state. `back` is the view to return to. */
async function claimView(id, back) {
  const claim = await api("GET", `/api/claims/${encodeURIComponent(id)}`);
  const [record, recheck] = await Promise.all([
    api("GET", `/api/platform/completions/${encodeURIComponent(claim.record_id)}?platform_id=${encodeURIComponent(claim.platform_id)}`)
      .catch(() => null),
    api("GET", `/api/claims/${encodeURIComponent(id)}/recheck`),
  ]);
  const again = (done) => show(claimView(id, back), done);
  const post = (action, body, done) => async () => {
    await api("POST", `/api/claims/${encodeURIComponent(id)}/${action}`, body());
    again(done);
  };
  const role = session.role;
  const actions = [];
  if (role === "reviewer" && claim.status === "submitted") {
    const reason = input("reason", "f-reject-reason", { maxlength: 200 });
    actions.push(
      actionForm("审核通过", [], "approve", "审核通过", async () => {
        await api("POST", `/api/claims/${encodeURIComponent(id)}/approve`, {});
        show(back(), `申领 ${id} 已审核通过。`);
      }),
      actionForm("驳回", [["驳回理由", reason]], "reject", "驳回", async () => {
        await api("POST", `/api/claims/${encodeURIComponent(id)}/reject`, { reason: reason.value });
        show(back(), `申领 ${id} 已驳回。`);
      }, "danger"));
  }
  if (role === "finance" && ["approved", "payment_returned"].includes(claim.status)) {
    const reference = input("reference", "f-pay-reference", { maxlength: 64 });
    const paidOn = input("paid_on", "f-pay-paid_on", { type: "date" });
    actions.push(actionForm(claim.status === "approved" ? "支付" : "重新支付", [["支付凭证号", reference], ["支付日期", paidOn]],
      "pay", "确认支付", async () => {
        await api("POST", `/api/claims/${encodeURIComponent(id)}/pay`, { reference: reference.value, paid_on: paidOn.value });
        show(back(), `申领 ${id} 已记录支付。`);
      }));
  }
  if (role === "finance" && claim.status === "paid") {
    const reason = input("reason", "f-returned-reason", { maxlength: 200 });
    actions.push(actionForm("银行退回", [["退回原因（银行回单）", reason]], "payment-returned", "记录退回",
      post("payment-returned", () => ({ reason: reason.value }), `申领 ${id} 已记录银行退回。`), "danger"));
  }
  if (["reviewer", "finance"].includes(role) && claim.status === "paid") {
    const amount = input("amount", "f-recovery-amount", { inputmode: "decimal", value: claim.amount });
    const reason = input("reason", "f-recovery-reason", { maxlength: 200 });
    actions.push(actionForm("追回（发现不应支付）", [["追回金额（元）", amount], ["追回原因", reason]], "start-recovery", "开始追回",
      post("recovery", () => ({ amount: amount.value, reason: reason.value }), `申领 ${id} 已开始追回。`), "danger"));
  }
  if (role === "finance" && claim.status === "recovering") {
    const reference = input("reference", "f-recovered-reference", { maxlength: 64 });
    const paidOn = input("paid_on", "f-recovered-paid_on", { type: "date" });
    actions.push(actionForm("记录追回到账", [["缴回凭证号", reference], ["到账日期", paidOn]], "recovered", "确认追回",
      post("recovered", () => ({ reference: reference.value, paid_on: paidOn.value }), `申领 ${id} 已记录追回。`)));
  }
  const payments = [
    ...(claim.returned_payments || []).map((r) =>
      el("li", {}, `${r.payment.paid_on} 支付（凭证 ${r.payment.reference}），${r.changed.at} 被银行退回：${r.reason}`)),
    claim.payment ? el("li", {}, `${claim.payment.paid_on} 支付（凭证 ${claim.payment.reference}，${claim.payment.fund}）`) : null,
    claim.recovery ? el("li", {}, `追回 ${claim.recovery.amount} 元：${claim.recovery.reason}` +
      (claim.recovery.recovered ? `；${claim.recovery.recovered.paid_on} 已缴回（凭证 ${claim.recovery.recovered.reference}）` : "；尚未缴回")) : null,
  ].filter(Boolean);
  return el("div", {},
    el("section", { class: "card", "aria-labelledby": "claim-title" },
      el("h2", { id: "claim-title" }, `申领 ${claim.id}`),
      facts("claim-facts", [["状态", STATUSES[claim.status] || claim.status], ["学员", claim.trainee_name],
        ["身份证号", claim.resident_id], ["重点群体", GROUPS[claim.key_group] || claim.key_group],
        ["群体核实", KEY_GROUP_STATUS[claim.key_group_status] || claim.key_group_status],
        ["毕业日期", claim.graduation_date], ["是否已就业", claim.employed == null ? null : (claim.employed ? "是" : "否")],
        ["须逐件审核", claim.review_reason], ["培训平台", claim.platform_id], ["职业", claim.occupation],
        ["等级", LEVELS[claim.level] || claim.level], ["学时", claim.study_hours], ["考核日期", claim.assessed_on],
        ["收款账户", claim.payee.account + (claim.payee.bank_name ? `（${claim.payee.bank_name}）` : "")]]),
      el("h3", {}, "判定"),
      el("p", { id: "verdict" }, `提交时符合补贴条件：生活费补贴 ${claim.amount} 元，资金来源 ${claim.fund}，政策版本 ${claim.policy_version}。`),
      recheck.eligible
        ? el("p", { id: "recheck" }, "按现在的情况复核：仍符合条件。")
        : el("div", { id: "recheck", class: "problems" }, el("p", {}, `按现在的情况复核：不再符合条件（${recheck.reasons.length} 项）：`),
          el("ul", { class: "problems" }, recheck.reasons.map((r) => el("li", {}, r.message_zh)))),
      el("h3", {}, "平台上报的培训记录"),
      record ? facts("record", [["记录编号", record.record_id], ["学员姓名", record.trainee.name],
        ["户籍地", record.trainee.hukou_county], ["培训方式", MODES[record.mode] || record.mode],
        ["培训期间", `${record.started_on} 至 ${record.ended_on}`], ["学时", record.study_hours],
        ["考核", `${record.assessment.passed ? "合格" : "不合格"}${record.assessment.score != null ? "，" + record.assessment.score + " 分" : ""}，${record.assessment.date}`],
        ["证书编号", record.certificate_number], ["上报", `${record.received.at}（${record.received.by}）`],
        ["更正次数", record.corrections || null], ["记录状态", RECORD_STATES[record.state] || record.state],
        ["作废原因", record.void_reason], ["批次提示", record.flagged]])
        : el("p", { id: "record" }, "找不到平台上报的这条培训记录。"),
      payments.length ? [el("h3", {}, "支付"), el("ul", { id: "payments" }, payments)] : null,
      el("h3", {}, "处理记录"),
      el("ol", { id: "history" }, claim.transitions.map((t) =>
        el("li", {}, `${t.changed.at} ${t.changed.by}：${STATUSES[t.to] || t.to}${t.reason ? "（" + t.reason + "）" : ""}`))),
      el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "back", onclick: () => show(back()) }, "返回"))),
    ...actions);
}

/** Any claim by its number: for a bank's return, a recovery, a trainee's question. */
function lookupView(message) {
  const id = input("claim_id", "f-claim_id", { placeholder: "c-…", autocomplete: "off" });
  const form = el("form", { class: "card", "aria-labelledby": "lookup-title" },
    el("h2", { id: "lookup-title" }, "申领查询"),
    message ? el("p", { class: "notice", role: "status" }, message) : null,
    field("申领编号", id), el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "lookup" }, "查询")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      app.replaceChildren(await claimView(id.value.trim(), () => lookupView()));
    } catch (error) {
      showError(form, error.code === "not_found" ? { ...error, field: "claim_id" } : error);
    }
  });
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
const BY_ROLE = {
  reviewer: ["review", "lookup", "report"],
  finance: ["payable", "bank", "lookup", "invoices", "report"],
  admin: ["review", "lookup", "standards", "platforms", "registry", "keys", "accounts", "policy", "reconcile", "report"],
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

const INVOICE_PAGE = 20;

/** A platform's invoices, oldest first, a page at a time; and what its month would bill now. */
async function invoicesView(platformId, after = 0, message) {
  const [chosen, select] = await platformPicker(platformId, (id) => show(invoicesView(id)));
  const section = el("section", { class: "card", "aria-labelledby": "invoices-title" },
    el("h2", { id: "invoices-title" }, "平台补贴发票"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    field("培训平台", select), el("p", { class: "error", "data-field": "form", role: "alert" }));
  const page = await api("GET", `/api/platform/invoices?platform_id=${encodeURIComponent(chosen)}&after=${after}&limit=${INVOICE_PAGE}`);
  const here = () => invoicesView(chosen, after);
  if (page.invoices.length === 0) {
    section.append(el("p", { id: "invoices-empty" }, after ? "没有更多发票。" : "该平台还没有发票。"));
  } else {
    section.append(el("table", { id: "invoices" },
      el("thead", {}, el("tr", {}, ["发票号", "期间", "状态", "明细行数", "金额", "操作"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, page.invoices.map((invoice) => el("tr", { id: `invoice-${invoice.number}` },
        el("td", {}, invoice.number), el("td", {}, invoice.period), el("td", {}, INVOICE_STATES[invoice.state] || invoice.state),
        el("td", {}, String(invoice.line_count)), el("td", {}, invoice.total + " 元"),
        el("td", {}, el("button", { type: "button", id: `open-${invoice.number}`,
          onclick: () => show(invoiceView(invoice.number, 0, here)) }, "查看")))))));
  }
  section.append(el("div", { class: "actions" },
    after ? el("button", { type: "button", class: "secondary", onclick: () => show(invoicesView(chosen)) }, "第一页") : null,
    page.invoices.length === INVOICE_PAGE
      ? el("button", { type: "button", class: "secondary", id: "invoices-next", onclick: () => show(invoicesView(chosen, page.next_after)) }, "下一页")
      : null));
  const month = input("month", "f-preview-month", { type: "month" });
  const previewed = el("div", { id: "preview" });
  const preview = actionForm("预览某月可开票的明细（不开票，不改动任何数据）", [["考核月份", month]], "preview", "预览", async () => {
    previewed.replaceChildren(await previewTable(chosen, month.value, 0));
  }, "secondary");
  return el("div", {}, section, preview, previewed);
}

/** A page of 250 of the month's records, as an invoice build would judge them: the lines it
 * would bill, and those held back with every reason. */
async function previewTable(platform, month, after) {
  const p = await api("GET", `/api/platform/invoices/preview?platform_id=${encodeURIComponent(platform)}&month=${encodeURIComponent(month)}&after=${after}`);
  const box = el("section", { class: "card", "aria-label": "预览" },
    el("p", { id: "preview-total" }, `${month}：可开票 ${p.lines.length} 行，合计 ${p.total} 元；暂不能开票 ${p.held.length} 行。`));
  if (p.lines.length) {
    box.append(el("table", { id: "preview-lines" },
      el("thead", {}, el("tr", {}, ["记录", "学员", "职业", "等级", "地方标准", "金额"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, p.lines.map((l) => el("tr", {}, el("td", {}, l.record_id), el("td", {}, l.trainee_name),
        el("td", {}, l.occupation), el("td", {}, LEVELS[l.level] || l.level), el("td", {}, l.local_standard + " 元"), el("td", {}, l.amount + " 元"))))));
  }
  if (p.held.length) {
    box.append(el("h3", {}, "暂不能开票"), el("ul", { id: "preview-held", class: "problems" }, p.held.map((h) =>
      el("li", {}, `${h.record_id}（${h.occupation}，${h.assessed_on}）：${h.reasons.map((r) => r.message_zh).join("；")}`))));
  }
  if (!p.done) {
    box.append(el("button", { type: "button", class: "secondary", onclick: async () => box.replaceWith(await previewTable(platform, month, p.next_after)) }, "下 250 条记录"));
  }
  return box;
}

/** One invoice: its facts, its lines a page (400) at a time, its history, and what the
 * signed-in role may do with it in its state. */
async function invoiceView(number, page, back) {
  const path = `/api/platform/invoices/${encodeURIComponent(number)}`;
  const invoice = await api("GET", `${path}?page=${page}`);
  const again = (done) => show(invoiceView(number, page, back), done);
  const role = session.role;
  const finance = role === "finance";
  const actions = [];
  if (finance && invoice.state === "issued") {
    actions.push(actionForm("审批", [], `approve-${number}`, "审批通过", async () => {
      await api("POST", `${path}/approve`);
      again(`发票 ${number} 已审批。`);
    }));
  }
  if (finance && invoice.state === "approved") {
    const reference = input("reference", `reference-${number}`, { maxlength: 64 });
    const paidOn = input("paid_on", `paid-on-${number}`, { type: "date" });
    actions.push(actionForm("支付", [["支付凭证号", reference], ["支付日期", paidOn]], `pay-${number}`, "确认支付", async () => {
      await api("POST", `${path}/pay`, { reference: reference.value, paid_on: paidOn.value });
      again(`发票 ${number} 已记录支付。`);
    }));
  }
  // Cancelling frees 250 lines a request (202 until every line is freed): asked again until done.
  const unfinishedCancel = invoice.state === "cancelled" && (invoice.lines_freed || 0) < invoice.line_count;
  if ((finance || role === "admin") && (["building", "issued", "approved"].includes(invoice.state) || unfinishedCancel)) {
    const reason = input("reason", `cancel-reason-${number}`, { maxlength: 200 });
    actions.push(actionForm(unfinishedCancel ? "继续作废（释放其余明细）" : "作废发票（明细可重新开票）", [["作废原因", reason]],
      `cancel-${number}`, "作废", async () => {
        let answer;
        do answer = await api("POST", `${path}/cancel`, { reason: reason.value });
        while ((answer.lines_freed || 0) < answer.line_count);
        again(`发票 ${number} 已作废，${answer.line_count} 行明细可重新开票。`);
      }, "danger"));
  }
  const recovering = new Set((invoice.recoveries || []).map((r) => r.record_id));
  const lineRecovery = (line) => () => {
    const amount = input("amount", "f-line-amount", { inputmode: "decimal", value: line.amount });
    const reason = input("reason", "f-line-reason", { maxlength: 200 });
    const form = actionForm(`追回明细 ${line.record_id}（${line.trainee_name}）`, [["追回金额（元）", amount], ["追回原因", reason]],
      "start-line-recovery", "开始追回", async () => {
        await api("POST", `${path}/lines/${encodeURIComponent(line.record_id)}/recovery`, { amount: amount.value, reason: reason.value });
        again(`明细 ${line.record_id} 已开始追回。`);
      }, "danger");
    document.getElementById("line-recovery").replaceChildren(form);
    form.querySelector("input").focus();
  };
  const recoveries = (invoice.recoveries || []).map((r) => {
    const item = el("li", { id: `recovery-${r.record_id}` }, `${r.record_id}：追回 ${r.amount} 元（${r.reason}；${r.started.by} ${r.started.at}）` +
      (r.recovered ? `，${r.recovered.paid_on} 已缴回（凭证 ${r.recovered.reference}）` : "，尚未缴回"));
    if (finance && !r.recovered) {
      const reference = input("reference", `recovered-reference-${r.record_id}`, { maxlength: 64 });
      const paidOn = input("paid_on", `recovered-paid-on-${r.record_id}`, { type: "date" });
      item.append(actionForm("记录缴回", [["缴回凭证号", reference], ["到账日期", paidOn]], `recovered-${r.record_id}`, "确认缴回", async () => {
        await api("POST", `${path}/lines/${encodeURIComponent(r.record_id)}/recovered`, { reference: reference.value, paid_on: paidOn.value });
        again(`明细 ${r.record_id} 的追回款已到账。`);
      }));
    }
    return item;
  });
  const section = el("section", { class: "card", "aria-labelledby": "invoice-title" },
    el("h2", { id: "invoice-title" }, `发票 ${invoice.number}`),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    facts("invoice-facts", [["平台", `${invoice.platform_name}（${invoice.platform_id}）`], ["期间", invoice.period],
      ["状态", INVOICE_STATES[invoice.state] || invoice.state], ["明细行数", invoice.line_count], ["金额", invoice.total + " 元"],
      ["资金来源", invoice.fund], ["支付", invoice.payment ? `${invoice.payment.paid_on}（凭证 ${invoice.payment.reference}）` : null],
      ["开具进度", invoice.build ? `已判定 ${invoice.build.steps} 步，平台继续提交后完成` : null],
      ["已释放明细", invoice.state === "cancelled" ? `${invoice.lines_freed || 0} / ${invoice.line_count}` : null]]),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", id: `csv-${number}`,
        onclick: () => download(`${path}/csv`, number + ".csv").catch((e) => showError(section, e)) }, "下载 CSV"),
      el("button", { type: "button", class: "secondary", id: `xlsx-${number}`,
        onclick: () => download(`${path}/export?format=xlsx`, number + ".xlsx").catch((e) => showError(section, e)) }, "下载 Excel"),
      el("button", { type: "button", class: "secondary", id: "back", onclick: () => show(back()) }, "返回发票列表")),
    el("h3", {}, `明细（第 ${page + 1} / ${invoice.line_pages} 页）`),
    el("table", { id: "invoice-lines" },
      el("thead", {}, el("tr", {}, ["记录", "学员", "职业", "等级", "学时", "考核日期", "地方标准", "比例", "金额", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, invoice.lines.map((l) => el("tr", { id: `line-${l.record_id}` },
        el("td", {}, l.record_id), el("td", {}, l.trainee_name), el("td", {}, l.occupation), el("td", {}, LEVELS[l.level] || l.level),
        el("td", {}, String(l.study_hours)), el("td", {}, l.assessed_on), el("td", {}, l.local_standard + " 元"),
        el("td", {}, `${Math.round(Number(l.share) * 100)}%`), el("td", {}, l.amount + " 元"),
        el("td", {}, (finance || role === "admin") && invoice.state === "paid" && !recovering.has(l.record_id)
          ? el("button", { type: "button", class: "secondary", id: `recover-${l.record_id}`, onclick: lineRecovery(l) }, "追回")
          : null))))),
    el("div", { class: "actions" },
      page > 0 ? el("button", { type: "button", class: "secondary", onclick: () => show(invoiceView(number, page - 1, back)) }, "上一页") : null,
      page + 1 < invoice.line_pages ? el("button", { type: "button", class: "secondary", onclick: () => show(invoiceView(number, page + 1, back)) }, "下一页") : null),
    el("div", { id: "line-recovery" }),
    recoveries.length ? [el("h3", {}, "追回"), el("ul", { id: "recoveries" }, recoveries)] : null,
    el("h3", {}, "处理记录"),
    el("ol", { id: "invoice-history" }, invoice.transitions.map((t) =>
      el("li", {}, `${t.changed.at} ${t.changed.by}：${INVOICE_STATES[t.to] || t.to}${t.reason ? "（" + t.reason + "）" : ""}`))));
  return el("div", {}, section, ...actions);
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

const ACCOUNT_EVENTS = {
  signed_in: "登录", sign_in_failed: "密码错误", locked: "连续失败，已锁定", sign_in_while_locked: "锁定期间尝试登录",
  sign_in_while_disabled: "停用后尝试登录", sign_in_unknown: "不存在的登录名", created: "创建账户", password_reset: "管理员重置密码",
  password_changed: "本人修改密码", password_change_refused: "修改密码时原密码错误", roles_changed: "更改角色",
  disabled: "停用", enabled: "启用",
};
const LOG_PAGE = 50;

/** Every sign-in, failure and account change, newest first, a page at a time. */
async function accountLogView(before = 0) {
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
function ownPasswordView() {
  const current = input("current_password", "f-current_password", { type: "password", autocomplete: "current-password" });
  const next = input("new_password", "f-new_password", { type: "password", autocomplete: "new-password" });
  return actionForm("修改本人密码", [["当前密码", current], ["新密码（至少10个字符）", next]], "change-own-password", "修改", async () => {
    await api("POST", "/api/accounts/me/password", { current_password: current.value, new_password: next.value });
    go(BY_ROLE[session.role][0], "密码已修改。");
  });
}

/** The policy's versions; an admin adds one (an extension, a new rate) from an existing one,
 * before it starts, and may withdraw an added one until it starts. */
async function policyView(message) {
  const policy = await api("GET", "/api/policy");
  const section = el("section", { class: "card", "aria-labelledby": "policy-title" },
    el("h2", { id: "policy-title" }, "政策版本"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    el("p", { id: "policy-current" }, `当前版本：${policy.current.title_zh}（${policy.current.id}），` +
      `${policy.current.window.from} 至 ${policy.current.window.to}，${policy.in_force_today ? "今日在有效期内" : "今日已不在有效期内"}；` +
      `生活费补贴每学时 ${policy.current.living_allowance.yuan_per_study_hour} 元，平台补贴为地方标准的 ${Math.round(Number(policy.current.platform_subsidy.share_of_local_standard) * 100)}%。`),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  section.append(el("table", { id: "policy-versions" },
    el("thead", {}, el("tr", {}, ["版本", "名称", "考核日期范围", "来源", ""].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, policy.versions.map((v) => el("tr", { id: "version-" + v.id },
      el("td", {}, v.id), el("td", {}, v.title_zh), el("td", {}, `${v.window.from} 至 ${v.window.to}`),
      el("td", {}, v.source === "county" ? "本县区新增" : "随系统发布"),
      el("td", {}, v.source === "county" ? el("button", { type: "button", class: "danger", id: "withdraw-" + v.id, onclick: async () => {
        try {
          await api("DELETE", `/api/policy/versions/${encodeURIComponent(v.id)}`);
          show(policyView(`版本 ${v.id} 已撤回。`));
        } catch (error) {
          showError(section, error);
        }
      } }, "撤回") : null))))));
  const base = el("select", { name: "base", id: "f-base" }, policy.versions.map((v) =>
    el("option", { value: v.id, selected: v.id === policy.current.id }, `${v.title_zh}（${v.id}）`)));
  const id = input("id", "f-version-id", { placeholder: "sd-2021-extension", autocomplete: "off" });
  const title = input("title_zh", "f-title_zh");
  const documents = el("textarea", { name: "documents", id: "f-documents", rows: 2 });
  const issuedOn = input("issued_on", "f-issued_on", { type: "date" });
  const from = input("from", "f-from", { type: "date" });
  const to = input("to", "f-to", { type: "date" });
  const rate = input("yuan_per_study_hour", "f-yuan_per_study_hour", { inputmode: "decimal" });
  const share = input("share_of_local_standard", "f-share_of_local_standard", { inputmode: "decimal" });
  const fill = async () => {
    const v = await api("GET", `/api/policy/versions/${encodeURIComponent(base.value)}`);
    rate.value = v.living_allowance.yuan_per_study_hour;
    share.value = v.platform_subsidy.share_of_local_standard;
    documents.value = v.documents.join("\n");
  };
  base.addEventListener("change", fill);
  await fill();
  const add = actionForm("新增版本（其余规则沿用所选版本）", [["以此版本为基础", base], ["版本编号（小写字母、数字、-）", id],
    ["版本名称", title], ["文件依据（每行一份）", documents], ["发布日期", issuedOn], ["考核日期自", from], ["至", to],
    ["生活费补贴（元/学时）", rate], ["平台补贴比例（地方标准的比例，如 0.2）", share]], "add-version", "新增", async () => {
    const v = await api("GET", `/api/policy/versions/${encodeURIComponent(base.value)}`);
    await api("POST", "/api/policy/versions", {
      ...v, id: id.value.trim(), title_zh: title.value.trim(),
      documents: documents.value.split("\n").map((d) => d.trim()).filter(Boolean), issued_on: issuedOn.value,
      window: { from: from.value, to: to.value },
      living_allowance: { ...v.living_allowance, yuan_per_study_hour: rate.value.trim() },
      platform_subsidy: { ...v.platform_subsidy, share_of_local_standard: share.value.trim() },
    });
    show(policyView(`版本 ${id.value.trim()} 已新增。`));
  });
  return el("div", {}, section, add);
}

const FINDINGS = {
  places_miscounted: "学员的名额计数与其申领不符",
  record_held_by_dead_claim: "培训记录仍被已终止的申领占用",
  idempotency_key_abandoned: "幂等键被中断的提交占用",
  record_billed_by_missing_invoice: "培训记录被不存在的发票标记",
  record_marked_by_dead_build_step: "培训记录被中断的开票步骤标记",
  record_billed_by_cancelled_invoice: "培训记录仍被已作废的发票标记",
  course_held_without_invoice: "课程被中断的开票占用",
  person_busy: "该学员有请求正在进行，下次再查",
};

/** Reconcile: finds what requests killed midway left half done and, when asked, repairs it.
 * The journal is read 100 entries a request until done. */
function reconcileView() {
  const results = el("div", { id: "reconcile-results", role: "status" });
  const section = el("section", { class: "card", "aria-labelledby": "reconcile-title" },
    el("h2", { id: "reconcile-title" }, "数据核对"),
    el("p", {}, "查找因请求中断而只做了一半的写入（名额计数、被占用的培训记录、开票标记等）。先检查，确认后再修复；修复可与日常办理同时进行，重复运行无害。最近的请求（提交 1 分钟内、开票 10 分钟内）可能仍在进行，留待下次检查。"),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" },
      el("button", { type: "button", id: "reconcile-check", onclick: () => run(false) }, "检查（不修改）"),
      el("button", { type: "button", class: "danger", id: "reconcile-repair", onclick: () => run(true) }, "检查并修复")),
    results);
  async function run(repair) {
    results.replaceChildren(el("p", {}, "核对中……"));
    let after = 0, recordsAfter = 0, checked = 0, inFlight = 0;
    const findings = [];
    try {
      for (;;) {
        const page = await api("POST", "/api/admin/reconcile", { repair, after, records_after: recordsAfter, limit: 100 });
        checked += page.entries_checked;
        inFlight += page.entries_in_flight;
        findings.push(...page.findings);
        if (page.done) break;
        after = page.next_after;
        recordsAfter = page.next_records_after;
      }
    } catch (error) {
      results.replaceChildren();
      return showError(section, error);
    }
    const repaired = findings.filter((f) => f.repaired).length;
    results.replaceChildren(
      el("p", { class: "notice", id: "reconcile-summary" },
        `已检查 ${checked} 条日志记录` + (inFlight ? `；${inFlight} 条的请求可能仍在进行，未检查` : "") +
        `；发现 ${findings.length} 个问题` + (repair ? `，已修复 ${repaired} 个。` : "。")),
      el("ul", { id: "reconcile-findings" }, findings.map(({ kind, repaired: done, ...facts }) =>
        el("li", {}, `${FINDINGS[kind] || kind}（${Object.entries(facts).map(([k, v]) => `${k}=${v}`).join("，")}）` +
          (done ? "：已修复" : repair ? "：未修复" : "")))));
  }
  return el("div", {}, section, reportRecountForm());
}

/** Recounts one month's report from its claims (2,000 a request until done): the counters
 * that differ, and with repair, set right. */
function reportRecountForm() {
  const month = input("month", "f-recount-month", { type: "month" });
  const results = el("div", { id: "recount-results", role: "status" });
  let repair = false;
  const form = actionForm("重算某月报表（报表计数与申领核对）", [["考核月份", month]], "recount-check", "核对（不修改）", async () => {
    const body = { month: month.value, repair };
    repair = false;
    let step;
    do step = await api("POST", "/api/admin/report-recount", body);
    while (!step.done);
    const yuan = (fen) => (fen / 100).toFixed(2);
    results.replaceChildren(
      el("p", { class: "notice", id: "recount-summary" }, `${step.month}：核对 ${step.claims_counted} 件申领；` +
        (step.differences.length === 0 ? "报表计数与申领一致。"
          : `${step.differences.length} 处不一致${step.repair ? "，已修正" : ""}。`)),
      el("ul", { id: "recount-differences" }, step.differences.map((d) => el("li", {},
        `${d.group ? Object.values(d.group).join(" / ") : "追回金额"}：件数 ${d.count[0]} → ${d.count[1]}，金额 ${yuan(d.fen[0])} → ${yuan(d.fen[1])} 元`))));
  }, "secondary");
  form.querySelector(".actions").append(el("button", { type: "submit", class: "danger", id: "recount-repair",
    onclick: () => (repair = true) }, "核对并修正"));
  form.append(results);
  return form;
}

const SVG = "http://www.w3.org/2000/svg";

/** A horizontal bar chart of amounts (yuan, as the API writes them), labelled, drawn in SVG. */
function barChart(title, id, bars) {
  if (bars.length === 0) {
    return el("figure", {}, el("figcaption", {}, el("h3", {}, title)), el("p", { id }, "没有可统计的金额。"));
  }
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

/** Rows' counts and amounts by status, in the order the statuses are listed. */
function byStatus(rows) {
  return Object.keys(STATUSES).map((status) => {
    const of = rows.filter((r) => r.status === status);
    const fen = of.reduce((sum, r) => sum + Math.round(Number(r.amount) * 100), 0);
    return { status, count: of.reduce((n, r) => n + r.count, 0), amount: (fen / 100).toFixed(2) };
  }).filter((s) => s.count > 0);
}

async function reportView(from = "", to = "", group = "", platform = "") {
  const query = new URLSearchParams();
  if (from) query.set("from", from);
  if (to) query.set("to", to);
  const report = await api("GET", `/api/claims/report?${query}`);
  const fromInput = el("input", { name: "from", type: "month", value: from });
  const toInput = el("input", { name: "to", type: "month", value: to });
  // Key group and platform narrow what is shown here; the CSV is the province's whole form.
  const groupInput = el("select", { name: "key_group" }, el("option", { value: "" }, "全部"),
    Object.entries(GROUPS).map(([value, name]) => el("option", { value, selected: value === group }, name)));
  const platforms = [...new Set(report.rows.map((r) => r.platform_id))].sort();
  const platformInput = el("select", { name: "platform" }, el("option", { value: "" }, "全部"),
    platforms.map((p) => el("option", { value: p, selected: p === platform }, p)));
  const form = el("form", { class: "card", "aria-labelledby": "report-title" },
    el("h2", { id: "report-title" }, "补贴申领统计（报省）"),
    el("div", { class: "actions" },
      el("div", { class: "grow" }, field("考核月份自", fromInput)),
      el("div", { class: "grow" }, field("至", toInput)),
      el("div", { class: "grow" }, field("重点群体", groupInput)),
      el("div", { class: "grow" }, field("培训平台", platformInput)),
      el("button", { type: "submit", id: "report-filter" }, "筛选"),
      el("button", { type: "button", class: "secondary", id: "report-csv",
        onclick: () => download(`/api/claims/report?format=csv&${query}`, "report.csv").catch((e) => showError(form, e)) }, "下载 CSV（按月份）")),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(reportView(fromInput.value, toInput.value, groupInput.value, platformInput.value));
  });
  const rows = report.rows.filter((r) => (!group || r.key_group === group) && (!platform || r.platform_id === platform));
  // What the bureau pays out: claims approved or further along, not those refused or withdrawn.
  const counted = rows.filter((r) => !["rejected", "withdrawn"].includes(r.status));
  const narrowed = group || platform;
  form.append(
    el("p", { id: "report-headline" },
      `${narrowed ? "全县区：" : ""}申领 ${report.total_count} 件；已支付 ${report.paid_amount} 元，追回 ${report.recovered_amount} 元，净支付 ${report.net_paid_amount} 元。`),
    narrowed ? el("h3", { id: "report-narrowed" }, `其中${group ? GROUPS[group] : ""}${group && platform ? "、" : ""}${platform ? "平台 " + platform : ""}：`) : null,
    el("table", { id: "report-status" },
      el("thead", {}, el("tr", {}, ["状态", "件数", "金额"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, (narrowed ? byStatus(rows) : report.by_status).map((s) =>
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

/** A CSV file's rows as objects keyed as `columns` says (each key: the header names it may
 * have, English then Chinese), in the file's order; refused when a `required` one is missing. */
async function csvRecords(file, columns, required) {
  const [header = [], ...rows] = parseCsv(await file.text());
  const at = Object.fromEntries(Object.entries(columns).map(([key, names]) =>
    [key, header.findIndex((h) => names.includes(h.trim()))]));
  const missing = required.filter((k) => at[k] < 0);
  if (missing.length) throw new ApiError({ field: "file", message_zh: `缺少列：${missing.map((k) => columns[k][1]).join("、")}` });
  return rows.map((r) => {
    const entry = {};
    for (const [key, i] of Object.entries(at)) if (i >= 0 && (r[i] || "").trim()) entry[key] = r[i].trim();
    return entry;
  });
}

const REGISTRY_COLUMNS = {
  resident_id: ["resident_id", "身份证号"], group: ["group", "人群类别"], source: ["source", "来源"],
  valid_from: ["valid_from", "起始日期"], valid_to: ["valid_to", "截止日期"],
};

/** A form that reads a CSV file with `columns` (the `required` ones present) and hands its
 * rows, in order, to `send` with the place for its results. */
function csvUploadForm({ id, title, help, label, button, columns, required, send }) {
  const file = el("input", { name: "file", type: "file", accept: ".csv,text/csv" });
  const results = el("div", { id: id + "-results", role: "status" });
  const form = el("form", { class: "card", "aria-labelledby": id + "-title" },
    el("h2", { id: id + "-title" }, title), el("p", {}, help),
    field(label, file), el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: button[0] }, button[1])), results);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    results.replaceChildren();
    if (!file.files.length) return showError(form, { field: "file", message_zh: "请选择文件" });
    let rows;
    try {
      rows = await csvRecords(file.files[0], columns, required);
    } catch (error) {
      return showError(form, error);
    }
    await send(rows, results);
  });
  return form;
}

/** A refused batch's reasons, each at the file's row: the API names `{list}[i].field`, the
 * batch starts at the file's `first` data row, and the header is row 1. */
function rowProblems(error, list, first) {
  const at = new RegExp(`^${list}\\[(\\d+)\\]\\.?(.*)$`);
  return (error.details && error.details.length ? error.details : [error]).map((d) => {
    const m = at.exec(d.field || "");
    return m ? `第 ${first + Number(m[1]) + 2} 行${m[2] ? "（" + m[2] + "）" : ""}：${d.message_zh}` : d.message_zh;
  });
}

function registryView() {
  return csvUploadForm({
    id: "registry", title: "上传重点群体名单", label: "名单文件", button: ["upload", "上传"],
    help: "CSV 文件（可由 Excel 另存为 CSV UTF-8），首行为列名：身份证号、人群类别（migrant_worker 等）、来源、起始日期、截止日期（可空）。每 1000 行一批上传；一批中有错误的行，整批不保存，逐行列出问题。",
    columns: REGISTRY_COLUMNS, required: ["resident_id", "group", "source", "valid_from"],
    send: async (rows, results) => {
      const entries = rows.map((r) => ({ ...r, valid_from: isoDay(r.valid_from), valid_to: r.valid_to && isoDay(r.valid_to) }));
      let stored = 0;
      for (let first = 0; first < entries.length; first += 1000) {
        const batch = entries.slice(first, first + 1000);
        try {
          stored += (await api("POST", "/api/eligibility/registry", { entries: batch })).stored;
        } catch (error) {
          results.append(el("p", {}, `第 ${first + 2} 至 ${first + batch.length + 1} 行未保存：`),
            el("ul", { class: "problems" }, rowProblems(error, "entries", first).map((p) => el("li", {}, p))));
        }
      }
      results.prepend(el("p", { class: "notice", id: "registry-stored" }, `已保存 ${stored} 条，共 ${entries.length} 条。`));
    },
  });
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
      el("td", {}, el("button", { type: "button", onclick: () => show(claimView(c.id, () => payableView(after))), "aria-label": `支付申领 ${c.id}` }, "支付")))))),
    el("p", { id: "payable-total" }, `本页 ${page.claims.length} 件，合计 ${(total / 100).toFixed(2)} 元`),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", id: "payment-batch",
        onclick: () => download(`/api/claims/payment-batch?after=${after}&limit=${PAGE}&format=csv`, "payment-batch.csv")
          .catch((e) => showError(section, e)) }, "下载本页代发批次（CSV）"),
      el("button", { type: "button", class: "secondary", id: "payment-batch-xlsx",
        onclick: () => download(`/api/claims/payment-batch?after=${after}&limit=${PAGE}&format=xlsx`, "payment-batch.xlsx")
          .catch((e) => showError(section, e)) }, "（Excel）"),
      page.claims.length === PAGE
        ? el("button", { type: "button", class: "secondary", onclick: () => show(payableView(page.next_after)) }, "下一页")
        : null));
  return section;
}

const BANK_COLUMNS = {
  claim_id: ["claim_id", "申领编号"], outcome: ["outcome", "结果"], reference: ["reference", "凭证号"],
  paid_on: ["paid_on", "支付日期"], reason: ["reason", "退回原因"],
};
const OUTCOMES = { 成功: "paid", 已支付: "paid", 退回: "returned", 失败: "returned" };

/** A day as Excel may save it (2020/4/20) written as the API takes it (2020-04-20). */
function isoDay(text) {
  const m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(text || "");
  return m ? `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}` : text;
}

/** The bank's result of a payment batch, from its file: each line paid, or paid and returned. */
function bankView() {
  return csvUploadForm({
    id: "bank", title: "登记银行代发结果", label: "银行结果文件", button: ["bank-upload", "登记"],
    help: "CSV 文件，首行为列名：申领编号、结果（成功 或 退回）、凭证号、支付日期、退回原因（退回时必填）。每行单独登记：有问题的行不登记，并说明原因。",
    columns: BANK_COLUMNS, required: ["claim_id", "outcome", "reference", "paid_on"],
    send: async (rows, results) => {
      const lines = rows.map((l) => ({ ...l, outcome: OUTCOMES[l.outcome] || l.outcome, paid_on: isoDay(l.paid_on) }));
      const done = [];
      for (let first = 0; first < lines.length; first += 100) {
        try {
          const reply = await api("POST", "/api/claims/bank-results", { results: lines.slice(first, first + 100) });
          reply.results.forEach((r, i) => done.push(el("li", { class: r.applied ? "" : "error" },
            `第 ${first + i + 2} 行，申领 ${r.claim_id}：` + (r.applied ? `已登记（${STATUSES[r.status] || r.status}）` : r.reason.message_zh))));
        } catch (error) {
          done.push(el("li", { class: "error" }, `第 ${first + 2} 行起的一批未登记：${rowProblems(error, "results", first).join("；")}`));
        }
      }
      const applied = done.filter((li) => !li.classList.contains("error")).length;
      results.append(el("p", { class: "notice", id: "bank-applied" }, `已登记 ${applied} 行，共 ${lines.length} 行。`),
        el("ul", { id: "bank-lines" }, done));
    },
  });
}

document.getElementById("sign-out").addEventListener("click", () => signOut("已退出登录。"));
document.getElementById("own-password").addEventListener("click", () => show(ownPasswordView()));
render();
