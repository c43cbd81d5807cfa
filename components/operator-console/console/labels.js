// The Chinese names of the API's codes: one table for every screen. A test checks each table
// against the rules crate's codes (tests/integration/tests/api/console_labels.rs).

/** The key groups (重点群体) of 鲁人社字〔2020〕11号: those a claim can be made for. */
export const GROUPS = {
  migrant_worker: "农民工",
  unemployed_graduate: "离校2年未就业大学生",
  poor_laborer: "建档立卡贫困劳动力",
  poor_family_child: "贫困家庭子女",
};

export const STATUSES = {
  submitted: "待审核", approved: "已通过", rejected: "已驳回", withdrawn: "已撤回",
  paid: "已支付", payment_returned: "支付退回", recovering: "追回中", recovered: "已追回",
};

export const ROLES = { admin: "管理员", reviewer: "审核员", finance: "财务" };

export const KEY_GROUP_STATUS = { verified: "名单已核实", needs_review: "仅本人申报，待人工核实", not_a_key_group: "非重点群体" };

export const MODES = { online: "线上", offline: "线下", practical: "实操" };

export const RECORD_STATES = { reported: "已上报", claimed: "已申领", billed: "已开票", void: "已作废" };

export const INVOICE_STATES = { building: "开具中", issued: "已开具", approved: "已审批", paid: "已支付", cancelled: "已作废" };

// In the order offered (an object would put the numbers first, in ascending order).
export const LEVEL_CHOICES = [["5", "五级/初级工"], ["4", "四级/中级工"], ["3", "三级/高级工"], ["2", "二级/技师"],
  ["1", "一级/高级技师"], ["none", "无等级"]];

export const LEVELS = Object.fromEntries(LEVEL_CHOICES);

export const PLATFORM_STATUSES = { approved: "已认定", suspended: "已暂停" };

export const ACCOUNT_EVENTS = {
  signed_in: "登录", sign_in_failed: "密码错误", locked: "连续失败，已锁定", sign_in_while_locked: "锁定期间尝试登录",
  sign_in_while_disabled: "停用后尝试登录", sign_in_unknown: "不存在的登录名", created: "创建账户", password_reset: "管理员重置密码",
  password_changed: "本人修改密码", password_change_refused: "修改密码时原密码错误", roles_changed: "更改角色",
  disabled: "停用", enabled: "启用",
};

export const FINDINGS = {
  record_held_by_dead_claim: "培训记录仍被已终止的申领占用",
  record_billed_by_missing_invoice: "培训记录被不存在的发票标记",
  record_marked_by_dead_build_step: "培训记录被中断的开票步骤标记",
  record_billed_by_cancelled_invoice: "培训记录仍被已作废的发票标记",
  course_held_without_invoice: "课程被中断的开票占用",
  report_miscounted: "统计报表的计数与申领不符",
};
