// Finance's desk: the payable claims, the bank's payment batch and its result file.

import { api, download } from "./api.js";
import { claimView } from "./claims.js";
import { csvUploadForm, rowProblems } from "./csv.js";
import { STATUSES } from "./labels.js";
import { PAGE, el, show, showError } from "./ui.js";

export async function payableView(after = 0) {
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

export const BANK_COLUMNS = {
  claim_id: ["claim_id", "申领编号"], outcome: ["outcome", "结果"], reference: ["reference", "凭证号"],
  paid_on: ["paid_on", "支付日期"], reason: ["reason", "退回原因"],
};

export const OUTCOMES = { 成功: "paid", 已支付: "paid", 退回: "returned", 失败: "returned" };

/** A day as Excel may save it (2020/4/20) written as the API takes it (2020-04-20). */
export function isoDay(text) {
  const m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(text || "");
  return m ? `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}` : text;
}

/** The bank's result of a payment batch, from its file: each line paid, or paid and returned. */
export function bankView() {
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
