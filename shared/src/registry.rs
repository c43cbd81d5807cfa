//! The county's key-group registry: who is known, from an authoritative list, to belong to a
//! key group (e.g. 建档立卡 from the poverty-alleviation system). A declared group found here is
//! verified; one only declared needs a reviewer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    AllParsed, Change, PersonGroup, Reason, ResidentId, bounded_text, dates::parse_day, field,
    optional_field,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryEntry {
    /// Masked: the store keeps no whole resident ID.
    pub resident_id: String,
    pub group: PersonGroup,
    /// Where the county has it from, e.g. "扶贫开发建档立卡系统 2020-01".
    pub source: String,
    /// The village or community (村/社区) the person is listed under, where the county's list
    /// has it: what outreach (政策找人) is organised by. Absent in entries stored before it
    /// existed, and in uploads without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    /// A telephone number to reach the person by (手机 or 固定电话), where the county's list
    /// has one: outreach calls or texts it. Shown to the county's reviewers and admins only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    pub valid_from: NaiveDate,
    /// Inclusive; none means until further notice.
    pub valid_to: Option<NaiveDate>,
    pub changed: Change,
}

/// A person's registry entries for one group, as stored: every period the county uploaded,
/// kept (an upload for another period adds one; the same period again changes nothing), so
/// that training verified by an earlier period stays verified. An earlier version stored one
/// entry alone, which still reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegistryPeriods {
    Many(Vec<RegistryEntry>),
    One(RegistryEntry),
}

impl RegistryPeriods {
    pub fn entries(self) -> Vec<RegistryEntry> {
        match self {
            RegistryPeriods::Many(entries) => entries,
            RegistryPeriods::One(entry) => vec![entry],
        }
    }

    /// The periods with `entry` added. The same period again changes nothing, unless it
    /// says where the person is from or how to reach them differently (source, community,
    /// phone): then it is the county's correction of that period, and replaces it.
    pub fn with(self, entry: RegistryEntry) -> RegistryPeriods {
        let mut entries = self.entries();
        let same = (entries.iter_mut())
            .find(|e| e.valid_from == entry.valid_from && e.valid_to == entry.valid_to);
        match same {
            Some(e)
                if (&e.source, &e.community, &e.phone)
                    == (&entry.source, &entry.community, &entry.phone) => {}
            Some(e) => *e = entry,
            None => {
                entries.push(entry);
                entries.sort_by_key(|e| e.valid_from);
            }
        }
        RegistryPeriods::Many(entries)
    }
}

impl RegistryEntry {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// An entry as an operator uploads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntryInput {
    pub resident_id: String,
    pub group: String,
    pub source: String,
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// 村/社区, at most 50 characters.
    #[serde(default)]
    pub community: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A mainland telephone number as outreach dials it: a mobile number (11 digits from 1, a
/// `+86` before it dropped), or a fixed line with its area code (0 and 2–3 digits, then 7–8),
/// spaces and hyphens dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<PhoneNumber, Reason> {
        let digits: String = (input.chars())
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits).to_owned();
        let all_digits = digits.chars().all(|c| c.is_ascii_digit());
        let mobile = digits.len() == 11 && digits.starts_with('1');
        let fixed = digits.starts_with('0') && (10..=12).contains(&digits.len());
        if all_digits && (mobile || fixed) {
            Ok(PhoneNumber(digits))
        } else {
            Err(Reason::new(
                "invalid_phone",
                "电话号码应为11位手机号，或带区号的固定电话",
                "A phone number is an 11-digit mobile number, or a fixed line with its area code",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The group an entry names, when it is one of the policy's key groups: only those are
/// registered.
fn registrable_group(input: &str, key_groups: &[PersonGroup]) -> Result<PersonGroup, Reason> {
    let group = PersonGroup::parse(input)?;
    if key_groups.contains(&group) {
        return Ok(group);
    }
    Err(Reason::new(
        "not_a_key_group",
        format!("{}不是本政策的重点群体，不能登记", group.name_zh()),
        format!(
            "{} is not a key group of this policy and cannot be registered",
            group.code()
        ),
    ))
}

impl RegistryEntry {
    /// Validates one uploaded entry against the groups the registry may hold.
    pub fn parse(
        input: RegistryEntryInput,
        at: &str,
        key_groups: &[PersonGroup],
        change: &Change,
    ) -> Result<(ResidentId, RegistryEntry), Vec<Reason>> {
        let group = registrable_group(&input.group, key_groups);
        let valid_from = field(&format!("{at}.valid_from"), parse_day(&input.valid_from));
        let valid_to = optional_field(&format!("{at}.valid_to"), input.valid_to.as_deref(), |to| {
            let to = parse_day(to)?;
            match &valid_from {
                Ok(from) if *from > to => Err(Reason::new(
                    "invalid_validity",
                    "有效期止日不能早于起日",
                    "valid_to cannot be before valid_from",
                )),
                _ => Ok(to),
            }
        });
        let community = optional_field(
            &format!("{at}.community"),
            input.community.as_deref(),
            |c| bounded_text(c, 50),
        );
        let phone = optional_field(&format!("{at}.phone"), input.phone.as_deref(), |p| {
            PhoneNumber::parse(p)
        });
        let (resident_id, group, source, valid_from, valid_to, community, phone) = (
            field(
                &format!("{at}.resident_id"),
                ResidentId::parse(&input.resident_id),
            ),
            field(&format!("{at}.group"), group),
            field(&format!("{at}.source"), bounded_text(&input.source, 100)),
            valid_from,
            valid_to,
            community,
            phone,
        )
            .all_parsed()?;
        let entry = RegistryEntry {
            resident_id: resident_id.masked(),
            group,
            source,
            community,
            phone,
            valid_from,
            valid_to,
            changed: change.clone(),
        };
        Ok((resident_id, entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_period_uploaded_is_kept_and_an_old_single_entry_still_reads() {
        let entry = |from: &str, to: Option<&str>| RegistryEntry {
            resident_id: "370***********1231".into(),
            group: PersonGroup::MigrantWorker,
            source: "实名登记".into(),
            community: None,
            phone: None,
            valid_from: from.parse().unwrap(),
            valid_to: to.map(|t| t.parse().unwrap()),
            changed: Change::new("op", "2020-01-01T00:00:00Z".parse().unwrap()),
        };
        let spring = entry("2020-01-01", Some("2020-03-31"));
        let old: RegistryPeriods =
            serde_json::from_value(serde_json::to_value(&spring).unwrap()).unwrap();
        assert_eq!(old.clone().entries(), std::slice::from_ref(&spring));
        let both = old.with(entry("2020-07-01", None)).with(spring.clone());
        let entries = both.entries();
        assert_eq!(entries.len(), 2, "the same period twice is kept once");
        let march = "2020-03-15".parse().unwrap();
        assert!(entries.iter().any(|e| e.covers(march)));

        // The same period with its village named is the county's correction: it replaces.
        let named = RegistryEntry {
            community: Some("东关村".into()),
            ..spring.clone()
        };
        let entries = RegistryPeriods::Many(entries).with(named.clone()).entries();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0], named);
        let stored = serde_json::to_value(&spring).unwrap();
        assert!(
            stored.get("community").is_none(),
            "stored as before when absent"
        );
    }
    use crate::resident_id::tests::with_check;

    fn input(group: &str, from: &str, to: Option<&str>) -> RegistryEntryInput {
        RegistryEntryInput {
            resident_id: with_check("37090219900307123"),
            group: group.into(),
            source: "扶贫开发建档立卡系统".into(),
            valid_from: from.into(),
            valid_to: to.map(Into::into),
            community: None,
            phone: None,
        }
    }

    fn parse(input: RegistryEntryInput) -> Result<RegistryEntry, Vec<Reason>> {
        let groups = crate::PolicyBook::built_in().key_groups();
        let change = Change::new("op", "2020-03-01T00:00:00Z".parse().unwrap());
        RegistryEntry::parse(input, "entries[0]", &groups, &change).map(|(_, entry)| entry)
    }

    #[test]
    fn an_entry_covers_its_validity_inclusively() {
        let entry = parse(input("poor_laborer", "2020-01-01", Some("2020-12-31"))).unwrap();
        assert!(entry.resident_id.contains('*'));
        for (day, covered) in [
            ("2019-12-31", false),
            ("2020-01-01", true),
            ("2020-12-31", true),
            ("2021-01-01", false),
        ] {
            assert_eq!(entry.covers(day.parse().unwrap()), covered, "{day}");
        }
        let open = parse(input("migrant_worker", "2020-01-01", None)).unwrap();
        assert!(open.covers("2030-01-01".parse().unwrap()));
    }

    #[test]
    fn a_phone_number_is_a_mobile_or_a_fixed_line_with_its_area_code() {
        for (input, kept) in [
            ("13800138000", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("0538-8221234", "05388221234"),
            ("010 12345678", "01012345678"),
            ("+86 138 0013 8000", "13800138000"),
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), kept, "{input}");
        }
        for bad in [
            "1380013800",
            "8221234",
            "23800138000",
            "1380013800x",
            "",
            "+86010123456",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad).unwrap_err().code,
                "invalid_phone",
                "{bad}"
            );
        }
        let mut with_phone = input("poor_laborer", "2020-01-01", None);
        with_phone.phone = Some("0538 822 1234".into());
        assert_eq!(
            parse(with_phone)
                .unwrap()
                .phone
                .map(|p| p.as_str().to_owned()),
            Some("05388221234".into())
        );
    }

    #[test]
    fn a_community_is_kept_trimmed_and_bounded() {
        let mut named = input("poor_laborer", "2020-01-01", None);
        named.community = Some(" 东关村 ".into());
        assert_eq!(parse(named).unwrap().community.as_deref(), Some("东关村"));
        let mut long = input("poor_laborer", "2020-01-01", None);
        long.community = Some("村".repeat(51));
        let errors = parse(long).unwrap_err();
        assert_eq!(
            (errors[0].code, errors[0].field.as_deref()),
            ("invalid_text", Some("entries[0].community"))
        );
    }

    #[test]
    fn only_key_groups_can_be_registered() {
        let errors = parse(input("enterprise_employee", "2020-01-01", None)).unwrap_err();
        assert_eq!(errors[0].code, "not_a_key_group");
        let errors = parse(input("poor_laborer", "2020-02-01", Some("2020-01-01"))).unwrap_err();
        assert_eq!(errors[0].code, "invalid_validity");
    }
}
