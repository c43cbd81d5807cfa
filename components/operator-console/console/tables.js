// The county's tables: local standards, the platform register, the key-group registry, the
// policy's versions.

import { api } from "./api.js";
import { csvUploadForm, rowProblems } from "./csv.js";
import { LEVELS, LEVEL_CHOICES, PLATFORM_STATUSES } from "./labels.js";
import { isoDay } from "./payments.js";
import { actionForm, el, field, input, show, showError } from "./ui.js";

/** Where a standard stands today: in force, scheduled, or replaced or ended. */
function standardState(table, s) {
  if (table.in_force.some((f) => f.occupation === s.occupation && f.level === s.level && f.valid_from === s.valid_from)) return "现行";
  if (table.scheduled.some((f) => f.occupation === s.occupation && f.level === s.level && f.valid_from === s.valid_from)) return "待生效";
  return "已停用或被替代";
}

/** The county's standards, every period ever set (none is removed): an admin sets one from a
 * day (today by default; a day before today over days priced otherwise needs the reason for
 * the correction), or ends one from today. */
export async function standardsView(message) {
  const table = await api("GET", "/api/policy/standards");
  const occupation = el("input", { name: "occupation", placeholder: "4-03-02-01" });
  const name = el("input", { name: "occupation_name" });
  const level = el("select", { name: "level" }, LEVEL_CHOICES.map(([v, n]) => el("option", { value: v }, n)));
  const standard = el("input", { name: "standard", inputmode: "decimal" });
  const from = el("input", { name: "valid_from", type: "date" });
  const reason = el("input", { name: "reason" });
  const form = el("form", { class: "card", "aria-labelledby": "standards-title" },
    el("h2", { id: "standards-title" }, "地方职业培训补贴标准"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    el("table", { id: "standards" },
      el("thead", {}, el("tr", {}, ["职业编码", "职业名称", "等级", "标准（元）", "生效日期", "状态", "最后修改", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, table.standards.map((s) => el("tr", {},
        el("td", {}, s.occupation), el("td", {}, s.occupation_name || ""), el("td", {}, LEVELS[s.level] || s.level),
        el("td", {}, s.standard), el("td", {}, s.valid_from || "政策起始"), el("td", {}, standardState(table, s)),
        el("td", {}, s.changed ? `${s.changed.by} ${s.changed.at}` : ""),
        el("td", {}, standardState(table, s) === "现行" ? el("button", { type: "button", class: "danger",
          "aria-label": `自今日起停用 ${s.occupation} ${s.level}`, onclick: () => end(s) }, "自今日起停用") : null))))),
    el("h3", {}, "新增或修改一项"),
    field("职业编码", occupation), field("职业名称", name), field("等级", level), field("补贴标准（元）", standard),
    field("生效日期（默认今天）", from), field("更正原因（生效日期早于今天、改变已有标准时必填）", reason),
    el("p", { class: "error", "data-field": "form", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "save-standard" }, "保存")));
  async function end(s) {
    try {
      await api("DELETE", `/api/policy/standards/${s.occupation}/${s.level}`);
      show(standardsView(`已自今日起停用 ${s.occupation} ${LEVELS[s.level] || s.level}。`));
    } catch (error) {
      showError(form, error);
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { standard: standard.value };
    if (name.value) body.occupation_name = name.value;
    if (from.value) body.valid_from = from.value;
    if (reason.value) body.reason = reason.value;
    try {
      await api("PUT", `/api/policy/standards/${encodeURIComponent(occupation.value.trim())}/${level.value}`, body);
      const since = from.value ? `，自 ${from.value} 起` : "";
      show(standardsView(`已保存 ${occupation.value.trim()} ${LEVELS[level.value]}：${standard.value} 元${since}。`));
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

/** A platform's status today, and any change scheduled after today. */
function platformStatus(p) {
  const later = (p.scheduled || []).map((s) => `${s.from} 起${PLATFORM_STATUSES[s.status] || s.status}`);
  return [PLATFORM_STATUSES[p.status] || p.status, ...later].join("；");
}

/** The register of approved platforms; an admin adds one, or changes one's status or record. */
export async function platformsView(message) {
  const register = await api("GET", "/api/policy/platforms");
  const id = el("input", { name: "id", placeholder: "wljnpx" });
  const name = el("input", { name: "name" });
  const site = el("input", { name: "site", placeholder: "https://" });
  const recordedOn = el("input", { name: "recorded_on", type: "date" });
  const status = el("select", { name: "status" },
    Object.entries(PLATFORM_STATUSES).map(([v, n]) => el("option", { value: v }, n)));
  const from = el("input", { name: "effective_from", type: "date" });
  const reason = el("input", { name: "reason" });
  const form = el("form", { class: "card", "aria-labelledby": "platforms-title" },
    el("h2", { id: "platforms-title" }, "线上培训平台名录"),
    message ? el("p", { class: "notice", id: "notice", role: "status" }, message) : null,
    el("table", { id: "platforms" },
      el("thead", {}, el("tr", {}, ["编号", "名称", "状态", "报省备案日期", "最后修改", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, register.platforms.map((p) => el("tr", { id: "platform-" + p.id },
        el("td", {}, p.id), el("td", {}, p.name), el("td", {}, platformStatus(p)),
        el("td", {}, p.recorded_on || "未备案"), el("td", {}, p.changed ? `${p.changed.by} ${p.changed.at}` : "通知原文"),
        el("td", {}, el("button", { type: "button", class: "secondary", id: "edit-" + p.id, onclick: () => {
          id.value = p.id; name.value = p.name; site.value = p.site || ""; recordedOn.value = p.recorded_on || "";
          status.value = p.status; name.focus();
        } }, "修改")))))),
    el("h3", {}, "新增或修改一个平台"),
    field("平台编号", id), field("平台名称", name), field("网址", site), field("报省备案日期", recordedOn),
    field("状态", status), field("状态生效日期（默认今天）", from),
    field("更正原因（生效日期早于今天、改变已有状态时必填）", reason),
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
    if (reason.value) body.reason = reason.value;
    try {
      await api("PUT", `/api/policy/platforms/${encodeURIComponent(id.value.trim())}`, body);
      show(platformsView(`已保存平台 ${id.value.trim()}。`));
    } catch (error) {
      showError(form, error);
    }
  });
  return form;
}

export const REGISTRY_COLUMNS = {
  resident_id: ["resident_id", "身份证号"], group: ["group", "人群类别"], source: ["source", "来源"],
  valid_from: ["valid_from", "起始日期"], valid_to: ["valid_to", "截止日期"],
  community: ["community", "村/社区"], phone: ["phone", "电话"],
};

export function registryView() {
  return csvUploadForm({
    id: "registry", title: "上传重点群体名单", label: "名单文件", button: ["upload", "上传"],
    help: "CSV 文件（可由 Excel 另存为 CSV UTF-8），首行为列名：身份证号、人群类别（migrant_worker 等）、来源、起始日期、截止日期（可空）、村/社区（可空，政策找人按其分组）、电话（可空，政策找人据此联系）。每 1000 行一批上传；一批中有错误的行，整批不保存，逐行列出问题。",
    columns: REGISTRY_COLUMNS, required: ["resident_id", "group", "source", "valid_from"],
    send: async (rows, results) => {
      const entries = rows.map((r) => ({ ...r, valid_from: isoDay(r.valid_from), valid_to: r.valid_to && isoDay(r.valid_to) }));
      let stored = 0, offers = 0;
      for (let first = 0; first < entries.length; first += 1000) {
        const batch = entries.slice(first, first + 1000);
        try {
          // A batch makes at most one offer an entry a request: sent again, it makes the rest.
          let answer = await api("POST", "/api/eligibility/registry", { entries: batch });
          stored += answer.stored;
          offers += answer.offers_made || 0;
          for (let again = 0; answer.offers_done === false && again < 1000; again++) {
            answer = await api("POST", "/api/eligibility/registry", { entries: batch });
            offers += answer.offers_made || 0;
          }
        } catch (error) {
          results.append(el("p", {}, `第 ${first + 2} 至 ${first + batch.length + 1} 行未保存：`),
            el("ul", { class: "problems" }, rowProblems(error, "entries", first).map((p) => el("li", {}, p))));
        }
      }
      results.prepend(el("p", { class: "notice", id: "registry-stored" }, `已保存 ${stored} 条，共 ${entries.length} 条。`),
        offers ? el("p", { id: "registry-offers" }, `名单中的人员有 ${offers} 条已考核合格、尚未申领的培训记录，已在小程序中通知其领取（政策找人）。`) : "");
    },
  });
}

/** The policy's versions; an admin adds one (an extension, a new rate) from an existing one,
 * before it starts, and may withdraw an added one until it starts. */
export async function policyView(message) {
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
