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

fn policy_versions(value: &Value) -> Result<String, String> {
    let versions = value.as_array().ok_or("not a list of versions")?;
    let mut code = String::from(
        "// Written by build.rs from data/policy-versions.json.\n\
         pub(crate) fn built_in_versions() -> Vec<PolicyVersion> {\n    vec![\n",
    );
    for (i, version) in versions.iter().enumerate() {
        let at = format!("versions[{i}]");
        let mut f = Fields::of(version, &at)?;
        let mut window = Fields::of(&f.take("window")?, &format!("{at}.window"))?;
        let mut allowance = Fields::of(
            &f.take("living_allowance")?,
            &format!("{at}.living_allowance"),
        )?;
        let mut limits = Fields::of(&f.take("claim_limits")?, &format!("{at}.claim_limits"))?;
        let mut graduate = Fields::of(&f.take("graduate_rule")?, &format!("{at}.graduate_rule"))?;
        let mut study = Fields::of(&f.take("study_limits")?, &format!("{at}.study_limits"))?;
        let mut platform = Fields::of(
            &f.take("platform_subsidy")?,
            &format!("{at}.platform_subsidy"),
        )?;
        let groups = f.take("key_groups")?;
        let groups: Result<Vec<String>, String> = (groups.as_array().ok_or("key_groups")?.iter())
            .map(|g| variant(g, "key_groups", GROUPS).map(|v| format!("PersonGroup::{v}")))
            .collect();
        let modes = f.take("subsidised_modes")?;
        let modes: Result<Vec<String>, String> =
            (modes.as_array().ok_or("subsidised_modes")?.iter())
                .map(|m| {
                    variant(m, "subsidised_modes", &["online", "offline", "practical"])
                        .map(|v| format!("TrainingMode::{v}"))
                })
                .collect();
        let rounding = |value: Value, at: &str| {
            variant(&value, at, &["half_up_to_fen"]).map(|v| format!("Rounding::{v}"))
        };
        let _ = writeln!(
            code,
            "        PolicyVersion {{\n            id: {},\n            title_zh: {},\n            documents: {},\n            issued_on: {},\n            province: {},\n            window: PolicyWindow {{ from: {}, to: {} }},\n            key_groups: vec![{}],\n            subsidised_modes: vec![{}],\n            living_allowance: LivingAllowance {{ yuan_per_study_hour: {}, rounding: {}, fund: {} }},\n            claim_limits: ClaimLimits {{ per_person_per_calendar_year: {}, once_per_occupation_and_level: {}, counting: ClaimCounting::{} }},\n            graduate_rule: GraduateRule {{ max_years_since_leaving_school: {}, must_be_unemployed_when_claiming: {} }},\n            study_limits: StudyLimits {{ max_study_hours_per_day: {} }},\n            platform_subsidy: PlatformSubsidy {{ share_of_local_standard: {}, rounding: {}, fund: {} }},\n        }},",
            string(&f.take("id")?, "id")?,
            string(&f.take("title_zh")?, "title_zh")?,
            strings(&f.take("documents")?, "documents")?,
            day(&f.take("issued_on")?, "issued_on")?,
            string(&f.take("province")?, "province")?,
            day(&window.take("from")?, "window.from")?,
            day(&window.take("to")?, "window.to")?,
            groups?.join(", "),
            modes?.join(", "),
            decimal(
                &allowance.take("yuan_per_study_hour")?,
                "yuan_per_study_hour"
            )?,
            rounding(allowance.take("rounding")?, "living_allowance.rounding")?,
            string(&allowance.take("fund")?, "living_allowance.fund")?,
            number(
                &limits.take("per_person_per_calendar_year")?,
                "per_person_per_calendar_year"
            )?,
            boolean(
                &limits.take("once_per_occupation_and_level")?,
                "once_per_occupation_and_level"
            )?,
            variant(
                &limits.take("counting")?,
                "counting",
                &["from_submission_until_rejected_or_withdrawn"]
            )?,
            number(
                &graduate.take("max_years_since_leaving_school")?,
                "max_years_since_leaving_school"
            )?,
            boolean(
                &graduate.take("must_be_unemployed_when_claiming")?,
                "must_be_unemployed_when_claiming"
            )?,
            decimal(
                &study.take("max_study_hours_per_day")?,
                "max_study_hours_per_day"
            )?,
            decimal(
                &platform.take("share_of_local_standard")?,
                "share_of_local_standard"
            )?,
            rounding(platform.take("rounding")?, "platform_subsidy.rounding")?,
            string(&platform.take("fund")?, "platform_subsidy.fund")?,
        );
        for part in [f, window, allowance, limits, graduate, study, platform] {
            part.done()?;
        }
    }
    code.push_str("    ]\n}\n");
    Ok(code)
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
