// Claims: the review queues, bulk approval, one claim in full with what the signed-in
// operator may do with it (the API's `allowed_actions`), and lookup by number.

import { api } from "./api.js";
import { GROUPS, KEY_GROUP_STATUS, LEVELS, MODES, RECORD_STATES, STATUSES } from "./labels.js";
import { PAGE, actionForm, app, el, facts, field, input, show, showError } from "./ui.js";

export function claimRow(claim, open) {
  return el("tr", {},
    el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => open(claim.id), "aria-label": `查看申领 ${claim.id}` }, claim.id)),
    el("td", {}, claim.trainee_name),
    el("td", {}, GROUPS[claim.key_group] || claim.key_group),
    el("td", {}, claim.assessed_on),
    el("td", {}, claim.amount + " 元"));
}

export async function reviewView(kind = "review", after = 0) {
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

export async function bulkApprove(claims, kind) {
  const { results } = await api("POST", "/api/claims/bulk-approve", { claim_ids: claims.map((c) => c.id) });
  const approved = results.filter((r) => r.approved).length;
  const skipped = results.filter((r) => !r.approved).map((r) => `${r.claim_id}：${r.reason.message_zh}`);
  show(reviewView(kind), `已批量通过 ${approved} 件申领。` + (skipped.length ? `未通过：${skipped.join("；")}` : ""));
}

/** The form of each action an operator may take on a claim (`allowed_actions`), by its code. */
const ACTIONS = {
  approve: (claim, back) => actionForm("审核通过", [], "approve", "审核通过", async () => {
    await api("POST", `/api/claims/${encodeURIComponent(claim.id)}/approve`, {});
    show(back(), `申领 ${claim.id} 已审核通过。`);
  }),
  reject: (claim, back) => {
    const reason = input("reason", "f-reject-reason", { maxlength: 200 });
    return actionForm("驳回", [["驳回理由", reason]], "reject", "驳回", async () => {
      await api("POST", `/api/claims/${encodeURIComponent(claim.id)}/reject`, { reason: reason.value });
      show(back(), `申领 ${claim.id} 已驳回。`);
    }, "danger");
  },
  pay: (claim, back) => {
    const reference = input("reference", "f-pay-reference", { maxlength: 64 });
    const paidOn = input("paid_on", "f-pay-paid_on", { type: "date" });
    return actionForm(claim.status === "approved" ? "支付" : "重新支付", [["支付凭证号", reference], ["支付日期", paidOn]],
      "pay", "确认支付", async () => {
        await api("POST", `/api/claims/${encodeURIComponent(claim.id)}/pay`, { reference: reference.value, paid_on: paidOn.value });
        show(back(), `申领 ${claim.id} 已记录支付。`);
      });
  },
  record_return: (claim, back, post) => {
    const reason = input("reason", "f-returned-reason", { maxlength: 200 });
    return actionForm("银行退回", [["退回原因（银行回单）", reason]], "payment-returned", "记录退回",
      post("payment-returned", () => ({ reason: reason.value }), `申领 ${claim.id} 已记录银行退回。`), "danger");
  },
  start_recovery: (claim, back, post) => {
    const amount = input("amount", "f-recovery-amount", { inputmode: "decimal", value: claim.amount });
    const reason = input("reason", "f-recovery-reason", { maxlength: 200 });
    return actionForm("追回（发现不应支付）", [["追回金额（元）", amount], ["追回原因", reason]], "start-recovery", "开始追回",
      post("recovery", () => ({ amount: amount.value, reason: reason.value }), `申领 ${claim.id} 已开始追回。`), "danger");
  },
  record_recovered: (claim, back, post) => {
    const reference = input("reference", "f-recovered-reference", { maxlength: 64 });
    const paidOn = input("paid_on", "f-recovered-paid_on", { type: "date" });
    return actionForm("记录追回到账", [["缴回凭证号", reference], ["到账日期", paidOn]], "recovered", "确认追回",
      post("recovered", () => ({ reference: reference.value, paid_on: paidOn.value }), `申领 ${claim.id} 已记录追回。`));
  },
};

/** One claim, in full: its facts, the platform's record it was made from, the verdict it was
 * accepted with and the recheck approving makes now, its payments; and what the signed-in
 * role may do with it in its state. `back` is the view to return to. */
export async function claimView(id, back) {
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
  // What the signed-in operator may do with it now is the API's to say (`allowed_actions`).
  const actions = claim.allowed_actions.map((action) => ACTIONS[action]).filter(Boolean)
    .map((form) => form(claim, back, post));
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
      claim.notice ? [el("h3", {}, "公示"),
        el("p", { id: "claim-notice" }, `${claim.notice.batch} 公示，公示期 ${claim.notice.from} 至 ${claim.notice.until}。`),
        (claim.objections || []).length ? el("ul", { id: "objections" }, claim.objections.map((o) =>
          el("li", {}, `${o.filed.at} 异议：${o.reason}` + (o.contact ? `（联系方式：${o.contact}）` : "")))) : null] : null,
      el("h3", {}, "处理记录"),
      el("ol", { id: "history" }, claim.transitions.map((t) =>
        el("li", {}, `${t.changed.at} ${t.changed.by}：${STATUSES[t.to] || t.to}${t.reason ? "（" + t.reason + "）" : ""}`))),
      el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "back", onclick: () => show(back()) }, "返回"))),
    ...actions);
}

/** Any claim by its number: for a bank's return, a recovery, a trainee's question. */
export function lookupView(message) {
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
