//! Compiles the policy versions and the platform seed (`data/*.json`) into Rust, so that a
//! request (a fresh instance on Spin) parses no JSON it did not receive: the build checks the
//! files' shape and writes code that builds the values directly. What the values must satisfy
//! (windows in order, rates possible) is the rules' own check, run by their unit tests.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (json, rust, emit) in [
        (
            "data/policy-versions.json",
            "policy_versions.rs",
            policy_versions as fn(&Value) -> Result<String, String>,
        ),
        ("data/platform-seed.json", "platform_seed.rs", platform_seed),
        (
            "data/working-calendar.json",
            "working_calendar.rs",
            working_calendar,
        ),
    ] {
        println!("cargo::rerun-if-changed={json}");
        let text = std::fs::read_to_string(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{json}: {e}"));
        let code = emit(&value).unwrap_or_else(|e| panic!("{json}: {e}"));
        std::fs::write(Path::new(&out).join(rust), code).expect("OUT_DIR is writable");
    }
}

/// The fields of `object`, each taken once; any left over is an error (as `deny_unknown_fields`).
struct Fields<'a> {
    at: String,
    map: serde_json::Map<String, Value>,
    _value: std::marker::PhantomData<&'a ()>,
}

impl Fields<'_> {
    fn of(value: &Value, at: &str) -> Result<Self, String> {
        let map = value
            .as_object()
            .ok_or_else(|| format!("{at} is not an object"))?
            .clone();
        Ok(Fields {
            at: at.to_owned(),
            map,
            _value: std::marker::PhantomData,
        })
    }

    fn take(&mut self, name: &str) -> Result<Value, String> {
        self.map
            .remove(name)
            .ok_or_else(|| format!("{}.{name} is missing", self.at))
    }

    fn optional(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }

    fn done(self) -> Result<(), String> {
        match self.map.keys().next() {
            Some(extra) => Err(format!("{}.{extra} is not a field", self.at)),
            None => Ok(()),
        }
    }
}

fn string(value: &Value, at: &str) -> Result<String, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{at} is not a string"))?;
    Ok(format!("{text:?}.to_owned()"))
}

fn strings(value: &Value, at: &str) -> Result<String, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("{at} is not a list"))?;
    let items: Result<Vec<String>, String> = items.iter().map(|v| string(v, at)).collect();
    Ok(format!("vec![{}]", items?.join(", ")))
}

fn day(value: &Value, at: &str) -> Result<String, String> {
    let text = value.as_str().ok_or_else(|| format!("{at} is not a day"))?;
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("{at} {text:?} is not YYYY-MM-DD"));
    };
    let (y, m, d): (i32, u32, u32) = match (y.parse(), m.parse(), d.parse()) {
        (Ok(y), Ok(m), Ok(d)) if (1..=12).contains(&m) && (1..=31).contains(&d) => (y, m, d),
        _ => return Err(format!("{at} {text:?} is not YYYY-MM-DD")),
    };
    Ok(format!(
        "chrono::NaiveDate::from_ymd_opt({y}, {m}, {d}).expect(\"checked by the build\")"
    ))
}

fn decimal(value: &Value, at: &str) -> Result<String, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{at} is not a decimal string"))?;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{at} {text:?} is not a plain decimal"));
    }
    let mantissa: i128 = digits.parse().map_err(|_| format!("{at} is too large"))?;
    Ok(format!(
        "rust_decimal::Decimal::from_i128_with_scale({mantissa}, {})",
        fraction.len()
    ))
}

/// A snake_case name as the Rust variant serde reads it as (`migrant_worker` → `MigrantWorker`).
fn variant(value: &Value, at: &str, allowed: &[&str]) -> Result<String, String> {
    let name = value
        .as_str()
        .ok_or_else(|| format!("{at} is not a name"))?;
    if !allowed.contains(&name) {
        return Err(format!("{at} {name:?} is not one of {allowed:?}"));
    }
    Ok(name
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect())
}

fn number(value: &Value, at: &str) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{at} is not a whole number"))
}

fn boolean(value: &Value, at: &str) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("{at} is not true or false"))
}

const GROUPS: &[&str] = &[
    "migrant_worker",
    "unemployed_graduate",
    "poor_laborer",
    "poor_family_child",
    "enterprise_employee",
    "other",
];

/// The working-day calendar: the years it covers, their statutory holidays and the weekend days
/// worked instead (调休), each source named.
fn working_calendar(value: &Value) -> Result<String, String> {
    let mut f = Fields::of(value, "calendar")?;
    let sources = strings(&f.take("sources")?, "sources")?;
    let years = (f
        .take("years")?
        .as_array()
        .ok_or("years is not a list")?
        .iter())
    .map(|y| number(y, "years").map(|y| y.to_string()))
    .collect::<Result<Vec<_>, _>>()?;
    let days = |value: Value, at: &str| -> Result<String, String> {
        let items = value
            .as_array()
            .ok_or_else(|| format!("{at} is not a list"))?;
        let items: Result<Vec<String>, String> = items.iter().map(|d| day(d, at)).collect();
        Ok(format!("vec![{}]", items?.join(", ")))
    };
    let holidays = days(f.take("holidays")?, "holidays")?;
    let working = days(f.take("working_weekends")?, "working_weekends")?;
    f.done()?;
    Ok(format!(
        "// Written by build.rs from data/working-calendar.json.\n\
         pub(crate) fn built_in_calendar() -> WorkingCalendar {{\n    \
         WorkingCalendar::new({sources}, vec![{}], {holidays}, {working})\n}}\n",
        years.join(", ")
    ))
}

/// 公示's length in working days (5 where the file says nothing) and the claim deadline.
fn publicity(working_days: Option<Value>, deadline: Option<Value>) -> Result<String, String> {
    let working_days = match working_days {
        Some(value) => number(&value, "publicity_working_days")?,
        None => 5,
    };
    let deadline = match deadline {
        Some(value) => format!("Some({})", day(&value, "claim_deadline")?),
        None => "None".to_owned(),
    };
    Ok(format!(
        "            publicity_working_days: {working_days},\n            claim_deadline: {deadline},\n"
    ))
}

fn policy_versions(value: &Value) -> Result<String, String> {
    let versions = value.as_array().ok_or("not a list of versions")?;
    let mut code = String::from(
        "// Written by build.rs from data/policy-versions.json.\n\
         pub(crate) fn built_in_versions() -> Vec<PolicyVersion> {\n    vec![\n",
    );
    for (i, version) in versions.iter().enumerate() {
        code.push_str(&policy_version(version, &format!("versions[{i}]"))?);
    }
    code.push_str("    ]\n}\n");
    Ok(code)
}

/// One version as Rust: its own fields, then each part's.
fn policy_version(version: &Value, at: &str) -> Result<String, String> {
    let mut f = Fields::of(version, at)?;
    let (id, title, documents) = (
        string(&f.take("id")?, "id")?,
        string(&f.take("title_zh")?, "title_zh")?,
        strings(&f.take("documents")?, "documents")?,
    );
    let (issued_on, province) = (
        day(&f.take("issued_on")?, "issued_on")?,
        string(&f.take("province")?, "province")?,
    );
    let groups = listed(&f.take("key_groups")?, "key_groups", GROUPS, "PersonGroup")?;
    let modes = listed(
        &f.take("subsidised_modes")?,
        "subsidised_modes",
        &["online", "offline", "practical"],
        "TrainingMode",
    )?;
    let parts = [
        window(&f.take("window")?, at)?,
        allowance(&f.take("living_allowance")?, at)?,
        limits(&f.take("claim_limits")?, at)?,
        graduate(&f.take("graduate_rule")?, at)?,
        study(&f.take("study_limits")?, at)?,
        platform_subsidy(&f.take("platform_subsidy")?, at)?,
        publicity(
            f.optional("publicity_working_days"),
            f.optional("claim_deadline"),
        )?,
    ];
    f.done()?;
    Ok(format!(
        "        PolicyVersion {{\n            id: {id},\n            title_zh: {title},\n            documents: {documents},\n            issued_on: {issued_on},\n            province: {province},\n            key_groups: vec![{groups}],\n            subsidised_modes: vec![{modes}],\n{}        }},\n",
        parts.concat()
    ))
}

/// The variants a list names, as `Type::Variant, …`.
fn listed(value: &Value, at: &str, allowed: &[&str], ty: &str) -> Result<String, String> {
    let items = value.as_array().ok_or(format!("{at} is not a list"))?;
    let variants: Result<Vec<String>, String> = (items.iter())
        .map(|item| variant(item, at, allowed).map(|v| format!("{ty}::{v}")))
        .collect();
    Ok(variants?.join(", "))
}

fn rounding(value: &Value, at: &str) -> Result<String, String> {
    variant(value, at, &["half_up_to_fen"]).map(|v| format!("Rounding::{v}"))
}

/// A part of a version as a field of it: `name: Type { … },`, its fields read by `fields`.
fn part(
    value: &Value,
    at: &str,
    name: &str,
    ty: &str,
    fields: impl FnOnce(&mut Fields) -> Result<String, String>,
) -> Result<String, String> {
    let mut f = Fields::of(value, &format!("{at}.{name}"))?;
    let inner = fields(&mut f)?;
    f.done()?;
    Ok(format!("            {name}: {ty} {{ {inner} }},\n"))
}

fn window(value: &Value, at: &str) -> Result<String, String> {
    part(value, at, "window", "PolicyWindow", |f| {
        let from = day(&f.take("from")?, "window.from")?;
        Ok(format!(
            "from: {from}, to: {}",
            day(&f.take("to")?, "window.to")?
        ))
    })
}

fn allowance(value: &Value, at: &str) -> Result<String, String> {
    part(value, at, "living_allowance", "LivingAllowance", |f| {
        let rate = decimal(&f.take("yuan_per_study_hour")?, "yuan_per_study_hour")?;
        let rounding = rounding(&f.take("rounding")?, "living_allowance.rounding")?;
        let fund = string(&f.take("fund")?, "living_allowance.fund")?;
        Ok(format!(
            "yuan_per_study_hour: {rate}, rounding: {rounding}, fund: {fund}"
        ))
    })
}

fn limits(value: &Value, at: &str) -> Result<String, String> {
    part(value, at, "claim_limits", "ClaimLimits", |f| {
        let yearly = number(
            &f.take("per_person_per_calendar_year")?,
            "per_person_per_calendar_year",
        )?;
        let once = boolean(
            &f.take("once_per_occupation_and_level")?,
            "once_per_occupation_and_level",
        )?;
        let counting = ["from_submission_until_rejected_or_withdrawn"];
        let counting = variant(&f.take("counting")?, "counting", &counting)?;
        Ok(format!(
            "per_person_per_calendar_year: {yearly}, once_per_occupation_and_level: {once}, counting: ClaimCounting::{counting}"
        ))
    })
}

fn graduate(value: &Value, at: &str) -> Result<String, String> {
    part(value, at, "graduate_rule", "GraduateRule", |f| {
        let years = number(
            &f.take("max_years_since_leaving_school")?,
            "max_years_since_leaving_school",
        )?;
        let unemployed = boolean(
            &f.take("must_be_unemployed_when_claiming")?,
            "must_be_unemployed_when_claiming",
        )?;
        Ok(format!(
            "max_years_since_leaving_school: {years}, must_be_unemployed_when_claiming: {unemployed}"
        ))
    })
}

fn study(value: &Value, at: &str) -> Result<String, String> {
    part(value, at, "study_limits", "StudyLimits", |f| {
        let per_day = decimal(
            &f.take("max_study_hours_per_day")?,
            "max_study_hours_per_day",
        )?;
        Ok(format!("max_study_hours_per_day: {per_day}"))
    })
}

fn platform_subsidy(value: &Value, at: &str) -> Result<String, String> {
    part(value, at, "platform_subsidy", "PlatformSubsidy", |f| {
        let share = decimal(
            &f.take("share_of_local_standard")?,
            "share_of_local_standard",
        )?;
        let rounding = rounding(&f.take("rounding")?, "platform_subsidy.rounding")?;
        let fund = string(&f.take("fund")?, "platform_subsidy.fund")?;
        Ok(format!(
            "share_of_local_standard: {share}, rounding: {rounding}, fund: {fund}"
        ))
    })
}

fn platform_seed(value: &Value) -> Result<String, String> {
    let entries = value.as_array().ok_or("not a list of platforms")?;
    let mut code = String::from(
        "// Written by build.rs from data/platform-seed.json.\n\
         fn seed_entries() -> Vec<SeedEntry> {\n    vec![\n",
    );
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("platforms[{i}]");
        let mut f = Fields::of(entry, &at)?;
        let id = f.take("id")?;
        let id_text = id.as_str().ok_or("id")?;
        let id_ok = (2..=40).contains(&id_text.len())
            && (id_text.bytes()).all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(format!("{at}.id {id_text:?} is not a platform id"));
        }
        let cities = match f.take("cities")? {
            Value::String(all) if all == "all" => "SeedCities::All".to_owned(),
            list @ Value::Array(_) => format!("SeedCities::Only({})", strings(&list, "cities")?),
            _ => return Err(format!("{at}.cities is \"all\" or a list of city prefixes")),
        };
        let site = match f.optional("site") {
            Some(site) => format!("Some({})", string(&site, "site")?),
            None => "None".to_owned(),
        };
        let aliases = match f.optional("aliases") {
            Some(aliases) => strings(&aliases, "aliases")?,
            None => "Vec::new()".to_owned(),
        };
        let _ = writeln!(
            code,
            "        SeedEntry {{ id: PlatformId({}), name: {}, aliases: {aliases}, site: {site}, listed_in: {}, recorded_on: {}, cities: {cities} }},",
            string(&id, "id")?,
            string(&f.take("name")?, "name")?,
            strings(&f.take("listed_in")?, "listed_in")?,
            day(&f.take("recorded_on")?, "recorded_on")?,
        );
        f.done()?;
    }
    code.push_str("    ]\n}\n");
    Ok(code)
}
