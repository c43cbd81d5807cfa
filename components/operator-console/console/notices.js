// 公示: a reviewer publishes the approved claims in today's notice and reads the notices as the
// public sees them; an objection sends a claim back to the review queue, where the claim shows it.

import { api } from "./api.js";
import { claimView } from "./claims.js";
import { LEVELS } from "./labels.js";
import { PAGE, el, show, showError } from "./ui.js";

/** Publishes every approved claim not yet published, 50 a request, until none is left. */
async function publishAll() {
  let published = 0;
  let reply;
  do {
    reply = await api("POST", "/api/claims/publicity");
    published += reply.published;
  } while (!reply.done);
  return { day: reply.day, published };
}

export async function noticesView() {
  const section = el("section", { class: "card", "aria-labelledby": "notices-title" },
    el("h2", { id: "notices-title" }, "公示"),
    el("p", {}, "审核通过的申领须经公示（工作日计，期满无异议）后方可支付。公示期间任何人可提出异议，申领随即退回审核。"),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  section.append(el("div", { class: "actions" },
    el("button", { type: "button", id: "publish", onclick: async () => {
      try {
        const { day, published } = await publishAll();
        show(noticesView(), `已将 ${published} 件申领列入 ${day} 的公示。`);
      } catch (error) {
        showError(section, error);
      }
    } }, "公示已审核通过的申领")));
  const { notices } = await api("GET", "/api/notices");
  if (notices.length === 0) {
    section.append(el("p", { id: "notices-empty" }, "还没有公示。"));
    return section;
  }
  section.append(el("ul", { id: "notices" }, [...notices].reverse().map((day) =>
    el("li", {}, el("button", { type: "button", class: "secondary", id: "notice-" + day,
      onclick: () => show(noticeView(day)) }, `${day} 公示`)))));
  return section;
}

/** One day's notice as the public reads it (`/api/notices/{day}`), a page at a time, each
 * claim openable. */
export async function noticeView(day, after = 0) {
  const notice = await api("GET", `/api/notices/${encodeURIComponent(day)}?after=${after}&limit=${PAGE}`);
  const period = notice.entries.length ? `公示期 ${notice.entries[0].from} 至 ${notice.entries[0].until}，` : "";
  const count = after === 0 && notice.done ? "共" : "本页";
  return el("section", { class: "card", "aria-labelledby": "notice-title" },
    el("h2", { id: "notice-title" }, `${notice.county_name} ${day} 公示`),
    el("p", { id: "notice-period" }, `${period}${count} ${notice.entries.length} 件。`),
    el("table", { id: "notice-entries" },
      el("thead", {}, el("tr", {}, ["申领编号", "姓名", "身份证号", "职业（等级）", "培训平台", "金额", "异议"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, notice.entries.map((e) => el("tr", {},
        el("td", {}, el("button", { type: "button", class: "secondary", "aria-label": `查看申领 ${e.claim_id}`,
          onclick: () => show(claimView(e.claim_id, () => noticeView(day, after))) }, e.claim_id)),
        el("td", {}, e.name), el("td", {}, e.resident_id),
        el("td", {}, `${e.occupation}（${LEVELS[e.level] || e.level}）`), el("td", {}, e.platform_name),
        el("td", {}, e.amount + " 元"), el("td", {}, e.objections ? `${e.objections} 件` : "无"))))),
    el("div", { class: "actions" },
      notice.done ? null : el("button", { type: "button", class: "secondary", id: "notice-next",
        onclick: () => show(noticeView(day, notice.next_after)) }, "下一页"),
      el("button", { type: "button", class: "secondary", id: "back", onclick: () => show(noticesView()) }, "返回")));
}
