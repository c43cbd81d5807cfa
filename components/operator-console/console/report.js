// The province report with its charts, reconcile and a month's recount.

import { api, download } from "./api.js";
import { FINDINGS, GROUPS, STATUSES } from "./labels.js";
import { actionForm, el, facts, field, input, show, showError } from "./ui.js";

export const SVG = "http://www.w3.org/2000/svg";

/** A horizontal bar chart of amounts (yuan, as the API writes them), labelled, drawn in SVG. */
export function barChart(title, id, bars) {
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
export function sumBy(rows, key, name) {
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
export function byStatus(rows) {
  return Object.keys(STATUSES).map((status) => {
    const of = rows.filter((r) => r.status === status);
    const fen = of.reduce((sum, r) => sum + Math.round(Number(r.amount) * 100), 0);
    return { status, count: of.reduce((n, r) => n + r.count, 0), amount: (fen / 100).toFixed(2) };
  }).filter((s) => s.count > 0);
}

export async function reportView(from = "", to = "", group = "", platform = "") {
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

/** Reconcile: finds what requests killed midway left half done and, when asked, repairs it.
 * The journal is read 100 entries a request, then the report month by month, until done. */
export function reconcileView() {
  const results = el("div", { id: "reconcile-results", role: "status" });
  const section = el("section", { class: "card", "aria-labelledby": "reconcile-title" },
    el("h2", { id: "reconcile-title" }, "数据核对"),
    el("p", {}, "查找因请求中断而只做了一半的写入（统计报表计数、被占用的培训记录、开票标记等）。先检查，确认后再修复；修复可与日常办理同时进行，重复运行无害。最近的开票请求（10 分钟内）可能仍在进行，留待下次检查。"),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" },
      el("button", { type: "button", id: "reconcile-check", onclick: () => run(false) }, "检查（不修改）"),
      el("button", { type: "button", class: "danger", id: "reconcile-repair", onclick: () => run(true) }, "检查并修复")),
    results);
  async function run(repair) {
    results.replaceChildren(el("p", {}, "核对中……"));
    let after = 0, recordsAfter = 0, reportMonth = null, checked = 0, inFlight = 0;
    const findings = [];
    try {
      for (;;) {
        const body = { repair, after, records_after: recordsAfter, limit: 100 };
        if (reportMonth) body.report_month = reportMonth;
        const page = await api("POST", "/api/admin/reconcile", body);
        checked += page.entries_checked;
        inFlight += page.entries_in_flight;
        findings.push(...page.findings);
        if (page.done) break;
        after = page.next_after;
        recordsAfter = page.next_records_after;
        reportMonth = page.next_report_month || null;
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
export function reportRecountForm() {
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
