//! The key schema of the county's key-value store, in one place. Every component builds its
//! keys here and nowhere else.
//!
//! Every key starts with the county code: with a shared Redis, all counties' instances share
//! one keyspace (Redis ignores store labels). No key holds a resident ID: persons appear as
//! their `PersonKey`. No request path lists keys; indexes are explicit keys.
//!
//! | key                                   | value                                         |
//! |---------------------------------------|-----------------------------------------------|
//! | `{county}:standards`                  | `StandardsTable` JSON (absent: empty table)   |
//! | `{county}:platforms`                  | `PlatformRegister` JSON (absent: the seed)    |
//! | `{county}:registry:{person}:{group}`  | `RegistryEntry` JSON, one per key group       |
//! | `{county}:person:{person}:claims`     | counter (atomic increment): claim slots taken |
//! | `{county}:person:{person}:claim:{n}`  | claim id in slot n, 1-based                   |
//! | `{county}:claim:{claim_id}`           | claim record JSON, holding a `PriorClaim`     |
//!
//! A counter key is only ever touched by `increment` (read with a delta of 0): backends
//! encode counters differently, and SQLite's fails on a key holding anything else.

use crate::{CountyCode, PersonGroup, PersonKey};

pub fn standards(county: &CountyCode) -> String {
    format!("{county}:standards")
}

pub fn platforms(county: &CountyCode) -> String {
    format!("{county}:platforms")
}

pub fn registry_entry(county: &CountyCode, person: &PersonKey, group: PersonGroup) -> String {
    format!("{county}:registry:{}:{}", person.as_str(), group.code())
}

/// Counter of claim slots a person has taken; slots 1..=n may hold claim ids.
pub fn person_claim_count(county: &CountyCode, person: &PersonKey) -> String {
    format!("{county}:person:{}:claims", person.as_str())
}

pub fn person_claim_slot(county: &CountyCode, person: &PersonKey, slot: u64) -> String {
    format!("{county}:person:{}:claim:{slot}", person.as_str())
}

pub fn claim(county: &CountyCode, claim_id: &str) -> String {
    format!("{county}:claim:{claim_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ResidentId, resident_id::tests::with_check};

    #[test]
    fn keys_are_county_prefixed_short_and_free_of_resident_ids() {
        let county = CountyCode::parse("370902").unwrap();
        let raw = with_check("37090219900307123");
        let person = PersonKey::derive(b"s", &ResidentId::parse(&raw).unwrap());
        let keys = [
            standards(&county),
            platforms(&county),
            registry_entry(&county, &person, PersonGroup::UnemployedGraduate),
            person_claim_count(&county, &person),
            person_claim_slot(&county, &person, u64::MAX),
            claim(&county, "c-0123456789abcdef"),
        ];
        for key in keys {
            assert!(key.starts_with("370902:"), "{key}");
            assert!(key.len() <= 255, "{key}");
            assert!(
                !key.contains(&raw[..]) && !key.contains(&raw[6..14]),
                "{key}"
            );
        }
    }
}
