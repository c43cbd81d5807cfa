// 政策找人: a platform's month of records not claimed whose person the registry verifies,
// a page at a time, grouped by the village or community the registry lists them under (one
// only, if asked), for the county to call or text them; downloadable as CSV or a workbook.

import { api, download } from "./api.js";
import { platformPicker } from "./invoices.js";
import { GROUPS, LEVELS } from "./labels.js";
import { PAGE, el, field, input, show, showError } from "./ui.js";

export async function outreachView(platformId, month = "2020-03", after = 0, community = "") {
  const [chosen, select] = await platformPicker(platformId, (id) => show(outreachView(id, month, 0, community)));
  const monthInput = input("month", "f-outreach-month", { type: "month", value: month });
  monthInput.addEventListener("change", () => show(outreachView(chosen, monthInput.value, 0, community)));
  const communityInput = input("text", "f-outreach-community", { value: community, placeholder: "全部" });
  communityInput.addEventListener("change", () => show(outreachView(chosen, month, 0, communityInput.value.trim())));
  const section = el("section", { class: "card", "aria-labelledby": "outreach-title" },
    el("h2", { id: "outreach-title" }, "政策找人"),
    el("p", {}, "考核合格、尚未申领、考核当日在重点群体名单中的学员：可电话或短信告知其在小程序中一键领取。"),
    field("培训平台", select), field("考核月份", monthInput), field("村/社区", communityInput),
    el("p", { class: "error", "data-field": "form", role: "alert" }));
  const query = `platform_id=${encodeURIComponent(chosen)}&month=${encodeURIComponent(month)}&after=${after}&limit=${PAGE}`
    + (community ? `&community=${encodeURIComponent(community)}` : "");
  const page = await api("GET", `/api/admin/outreach?${query}`);
  if (page.rows.length === 0) {
    section.append(el("p", { id: "outreach-empty" }, "本页没有待告知的学员。"));
  } else {
    section.append(el("table", { id: "outreach" },
      el("thead", {}, el("tr", {}, ["学员", "电话", "身份证号", "职业（等级）", "考核日期", "重点群体", "名单来源", "金额"]
        .map((h) => el("th", { scope: "col" }, h)))),
      // The rows come grouped by community: a heading row where each group starts.
      el("tbody", {}, page.rows.flatMap((r, i) => [
        i > 0 && page.rows[i - 1].community === r.community ? null
          : el("tr", { class: "group" }, el("th", { colspan: "8", scope: "rowgroup" }, r.community || "名单未载村/社区")),
        el("tr", {},
          el("td", {}, r.name), el("td", {}, r.phone || "—"), el("td", {}, r.resident_id),
          el("td", {}, `${r.occupation}（${LEVELS[r.level] || r.level}）`), el("td", {}, r.assessed_on),
          el("td", {}, GROUPS[r.key_group] || r.key_group), el("td", {}, r.registry_source),
          el("td", {}, r.amount + " 元"))].filter(Boolean)))));
  }
  const file = (format, name) => () => download(`/api/admin/outreach?${query}&format=${format}`, name)
    .catch((e) => showError(section, e));
  section.append(el("div", { class: "actions" },
    el("button", { type: "button", class: "secondary", id: "outreach-csv", onclick: file("csv", "outreach.csv") }, "下载本页（CSV）"),
    el("button", { type: "button", class: "secondary", id: "outreach-xlsx", onclick: file("xlsx", "outreach.xlsx") }, "（Excel）"),
    page.done ? null
      : el("button", { type: "button", class: "secondary", onclick: () => show(outreachView(chosen, month, page.next_after, community)) }, "下一页")));
  return section;
}
