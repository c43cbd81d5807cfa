//! The console's one table of labels (`components/operator-console/console/labels.js`) names
//! exactly the codes the API answers: each table's keys are the rules crate's codes, no more
//! and no fewer, so a code the API adds cannot show raw and a code it never sends cannot be
//! offered. Variants are listed here by exhaustive matches: a new variant fails to compile
//! until it is listed, and then fails this test until the console names it.

use std::collections::BTreeSet;

use serde::Serialize;
use subsidy_rules::{
    ClaimStatus, PersonGroup, PolicyBook, SkillLevel, TrainingMode, accounts::AccountEventKind,
    completion::RecordState, eligibility::KeyGroupStatus, invoice::InvoiceState,
    platforms::PlatformStatus,
};

const LABELS: &str = include_str!("../../../../components/operator-console/console/labels.js");

/// The keys of `export const NAME = { key: "…", … };` in labels.js (or, for an array of
/// pairs, each pair's first element).
fn keys(name: &str) -> BTreeSet<String> {
    let start = LABELS
        .find(&format!("export const {name} = "))
        .unwrap_or_else(|| panic!("labels.js has no table {name}"));
    let body = &LABELS[start..];
    let end = [body.find("];"), body.find("};")]
        .into_iter()
        .flatten()
        .min();
    let found = keys_in(&body[..end.unwrap()]);
    assert!(!found.is_empty(), "{name} is empty");
    found
}

/// `key:` before each label, or `["key",` in an array of pairs.
fn keys_in(body: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for pair in body.split("[\"").skip(1) {
        found.extend(pair.split_once("\",").map(|(key, _)| key.to_owned()));
    }
    let object = body.split_once('{').map_or("", |(_, rest)| rest);
    for piece in object.split([',', '\n']) {
        if let Some((key, _)) = piece.trim().split_once(':')
            && !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            found.insert(key.to_owned());
        }
    }
    found
}

fn codes<T: Serialize>(values: &[T]) -> BTreeSet<String> {
    (values.iter())
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn key_group_statuses() -> Vec<KeyGroupStatus> {
    use KeyGroupStatus::*;
    let all = vec![Verified, NeedsReview, NotAKeyGroup];
    all.iter().for_each(|s| match s {
        Verified | NeedsReview | NotAKeyGroup => {}
    });
    all
}

fn record_states() -> Vec<RecordState> {
    use RecordState::*;
    let all = vec![Reported, Claimed, Billed, Void];
    all.iter().for_each(|s| match s {
        Reported | Claimed | Billed | Void => {}
    });
    all
}

fn invoice_states() -> Vec<InvoiceState> {
    use InvoiceState::*;
    let all = vec![Building, Issued, Approved, Paid, Cancelled];
    all.iter().for_each(|s| match s {
        Building | Issued | Approved | Paid | Cancelled => {}
    });
    all
}

fn modes() -> Vec<TrainingMode> {
    use TrainingMode::*;
    let all = vec![Online, Offline, Practical];
    all.iter().for_each(|s| match s {
        Online | Offline | Practical => {}
    });
    all
}

fn platform_statuses() -> Vec<PlatformStatus> {
    use PlatformStatus::*;
    let all = vec![Approved, Suspended];
    all.iter().for_each(|s| match s {
        Approved | Suspended => {}
    });
    all
}

fn account_events() -> Vec<AccountEventKind> {
    use AccountEventKind::*;
    let all = vec![
        SignedIn,
        SignInFailed,
        Locked,
        SignInWhileLocked,
        SignInWhileDisabled,
        SignInUnknown,
        Created,
        PasswordReset,
        PasswordChanged,
        PasswordChangeRefused,
        RolesChanged,
        Disabled,
        Enabled,
    ];
    all.iter().for_each(|s| match s {
        SignedIn
        | SignInFailed
        | Locked
        | SignInWhileLocked
        | SignInWhileDisabled
        | SignInUnknown
        | Created
        | PasswordReset
        | PasswordChanged
        | PasswordChangeRefused
        | RolesChanged
        | Disabled
        | Enabled => {}
    });
    all
}

#[test]
fn every_label_table_names_exactly_the_codes_of_the_rules() {
    let key_groups: Vec<PersonGroup> = PolicyBook::built_in().key_groups().into_iter().collect();
    assert_eq!(keys("GROUPS"), codes(&key_groups), "GROUPS: the key groups");
    for group in &key_groups {
        let line = format!("{}: \"{}\"", group.code(), group.name_zh());
        assert!(LABELS.contains(&line), "GROUPS names {}", group.code());
    }
    assert_eq!(keys("STATUSES"), codes(&ClaimStatus::ALL));
    assert_eq!(keys("KEY_GROUP_STATUS"), codes(&key_group_statuses()));
    assert_eq!(keys("RECORD_STATES"), codes(&record_states()));
    assert_eq!(keys("INVOICE_STATES"), codes(&invoice_states()));
    assert_eq!(keys("MODES"), codes(&modes()));
    assert_eq!(keys("PLATFORM_STATUSES"), codes(&platform_statuses()));
    assert_eq!(keys("ACCOUNT_EVENTS"), codes(&account_events()));
    assert_eq!(keys("LEVEL_CHOICES"), codes(&SkillLevel::ALL));
    let operators = ["admin", "reviewer", "finance"].map(String::from);
    assert_eq!(keys("ROLES"), BTreeSet::from(operators));
}
