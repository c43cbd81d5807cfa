// Platform invoices: a platform's invoices, a month's preview, one invoice with its lines.

import { api, download, session } from "./api.js";
import { INVOICE_STATES, LEVELS } from "./labels.js";
import { actionForm, el, facts, field, input, show, showError } from "./ui.js";

/** The register's platforms to choose from: the one chosen (`platformId`, or the first) and
 * the select, which calls `chosen` with another. */
export async function platformPicker(platformId, chosen) {
  const { platforms } = await api("GET", "/api/policy/platforms");
  const id = platformId || (platforms[0] && platforms[0].id);
  const select = el("select", { name: "platform_id", onchange: () => chosen(select.value) },
    platforms.map((p) => el("option", { value: p.id, selected: p.id === id }, `${p.name}（${p.id}）`)));
  return [id, select];
}

export const INVOICE_PAGE = 20;

/** A platform's invoices, oldest first, a page at a time; and what its month would bill now. */
export async function invoicesView(platformId, after = 0, message) {
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
export async function previewTable(platform, month, after) {
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
export async function invoiceView(number, page, back) {
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
