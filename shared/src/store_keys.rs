//! The key schema of the county's key-value store, in one place. Every component builds its
//! keys here and nowhere else.
//!
//! Every key starts with the county code: with a shared Redis, all counties' instances share
//! one keyspace (Redis ignores store labels). No key holds a resident ID: persons appear as
//! their `PersonKey`. No request path lists keys; lists are explicit `Index`es.
//!
//! | key                                            | value                                     |
//! |------------------------------------------------|-------------------------------------------|
//! | `{county}:standards`                           | `StandardsTable` (absent: empty table)    |
//! | `{county}:platforms`                           | `PlatformRegister` (absent: the seed)     |
//! | `{county}:calendar`                            | `calendar::AddedCalendar` (absent: none)  |
//! | `{table}:v{revision}:{writer}`                 | a revision of a table a change replaced   |
//! | `{county}:registry:{person}:{group}`           | `RegistryPeriods`: every period uploaded  |
//! | `{county}:claim:{claim_id}`                    | `Claim` (its fields include a `PriorClaim`) |
//! | `{county}:person:{person}:claims-file`         | `claims_file::ClaimsFile`: every claim the person filed |
//! | `{county}:person:{person}:claims-file-first:…` | counters: who writes the first file (`FirstFiling`) |
//! | `{county}:person:{person}:year:{yyyy}`         | counter: claims holding a place that year (earlier versions) |
//! | `{county}:person:{person}:course:{occupation}:{level}` | counter: claims holding the course (earlier versions) |
//! | lease `{county}:idempotency:{person}:{key}`    | the submission holding that key (earlier versions) |
//! | lease `{county}:person:{person}:places`        | the request changing a person's places (earlier versions) |
//! | `{county}:credential:{key_id}`                 | `Credential` of a platform                |
//! | `{county}:nonce:{key_id}:{nonce}`              | counter: uses of a request nonce          |
//! | `{county}:completion:{platform}:{record_id}`   | `CompletionRecord`                        |
//! | `{county}:completion-created:{platform}:{record_id}` | counter: first writes of that record |
//! | `{county}:billed:{person}:{occupation}:{level}`| counter: billings of a trainee's course   |
//! | `{county}:invoice-seq:{platform}:{month}`      | counter: invoice numbers                  |
//! | `{county}:invoice:{number}`                    | `Invoice` without its lines, and how many pages hold them |
//! | `{county}:invoice:{number}:lines:{page}`       | up to 400 `InvoiceLine`s of the invoice   |
//! | `{county}:invoice-build:{platform}:{month}`    | `invoice::BuildStart` of a build going on |
//! | lease `{county}:invoice-build:{platform}:{month}:lease` | the request taking a build step  |
//! | `{county}:account:{login}`                     | `accounts::OperatorAccount`               |
//! | `{county}:account-created:{login}`             | counter: creations of that login          |
//! | index `{county}:accounts`                      | login names, in order of creation         |
//! | index `{county}:account-log`                   | `accounts::AccountEvent`, every sign-in and change |
//! | index `{county}:person:{person}:claims`        | claim ids of a person (earlier versions; read once to build the file) |
//! | index `{county}:person:{person}:completions`   | `{platform}/{record_id}` of a person      |
//! | index `{county}:platform:{platform}:credentials` | key ids of a platform                   |
//! | index `{county}:platform:{platform}:month:{month}` | record ids by assessment month        |
//! | index `{county}:platform:{platform}:invoices`  | invoice numbers of a platform             |
//! | index `{county}:claims`                        | every claim id (earlier versions) |
//! | index `{county}:notices`                       | days a 公示 was published on              |
//! | index `{county}:notice:{day}`                  | claim ids published that day              |
//! | index `{county}:journal`                       | `JournalEntry` of every multi-step write  |
//! | index `{county}:person:{person}:events`        | `events::FeedEntry`: the trainee's event feed |
//! | index `{county}:platform:{platform}:events`    | `events::FeedEntry`: the platform's event feed |
//! | `{feed index}:{n}:seen`                        | when a reader first found feed slot n taken, not written |
//! | index `{county}:person:{person}:reservations`  | the places each submission took (earlier versions) |
//! | index `{county}:queue:{review|verified}`       | `{claim_id}@{unix}` waiting for a reviewer |
//! | index `{county}:queue:payable`                 | `{claim_id}@{unix}` approved, to be paid  |
//! | `{index}:head` of a queue                      | `QueueHead`: every slot up to it settled  |
//! | index `{county}:month:{month}:claims`          | claim ids by month of assessment          |
//! | index `{county}:report:months`                 | months the report counts                  |
//! | `{county}:report:{month}:listed`               | counter: the month listed once            |
//! | index `{county}:report:{month}:cells`          | the month's rows (`report::Group::cell`)  |
//! | `{county}:report:{month}:cell:{cell}:tally`    | counter: a row's count and fen as one (`report::Tally::packed`) |
//! | `{county}:report:{month}:cell:{cell}:{count|fen}` | counters an earlier version moved apart; still added in |
//! | `{county}:report:{month}:cell:{cell}:listed`   | counter: whoever first counted the row lists it |
//! | `{county}:report:{month}:recovered_fen`        | counter: fen recovered of the month's claims |
//! | `{county}:report:{month}:recount`              | `report::Recount` in progress             |
//!
//! A lease (`lease`) is counters and single-writer values under its base: `{base}:gen` (the
//! generation), holder counters `{base}` (generation 0) and `{base}:g{n}`, `{base}:at{n}`
//! (when generation n was taken) and `{base}:superseded{n}`.
//!
//! An index is a counter `{base}:n` taken by atomic increment and slots `{base}:{1..=n}`
//! holding one entry each (JSON string). A slot may be missing (a writer died between taking
//! it and filling it) or repeat an entry (a retried write): readers skip and de-duplicate.
//! A counter key is only ever touched by `increment` (read with a delta of 0): backends
//! encode counters differently, and SQLite's fails on a key holding anything else.

use crate::{CountyCode, Course, PersonGroup, PersonKey, PlatformId, accounts::LoginName};

/// A lease in the store (`lease`): a record and one holder counter per generation.
#[derive(Clone)]
pub struct Lease {
    base: String,
}

impl Lease {
    /// Counter: the current generation (0 at first; each release or supersession adds one).
    pub fn generation(&self) -> String {
        format!("{}:gen", self.base)
    }

    /// Counter of requests that tried to take generation `g`; the first holds it. Generation
    /// 0 is the bare base: an `Idempotency-Key` counter of an earlier version is its lease.
    pub fn holders(&self, generation: u64) -> String {
        match generation {
            0 => self.base.clone(),
            g => format!("{}:g{g}", self.base),
        }
    }

    /// When generation `g` was taken (Unix seconds): written by its holder alone.
    pub fn taken_at(&self, generation: u64) -> String {
        format!("{}:at{generation}", self.base)
    }

    /// Counter: the one request that moves past a dead holder of generation `g`.
    pub fn superseded(&self, generation: u64) -> String {
        format!("{}:superseded{generation}", self.base)
    }
}

/// An append-only list in the store.
pub struct Index {
    base: String,
}

impl Index {
    pub fn counter(&self) -> String {
        format!("{}:n", self.base)
    }

    pub fn slot(&self, n: u64) -> String {
        format!("{}:{n}", self.base)
    }

    /// When a reader first found slot `n` taken and not written (a feed's, `events::settle`).
    pub fn seen_absent(&self, n: u64) -> String {
        format!("{}:{n}:seen", self.base)
    }

    /// A waiting list's head (`queue::QueueHead`): where its first page starts.
    pub fn head(&self) -> String {
        format!("{}:head", self.base)
    }
}

pub fn standards(county: &CountyCode) -> String {
    format!("{county}:standards")
}

pub fn platforms(county: &CountyCode) -> String {
    format!("{county}:platforms")
}

/// The policy versions the county's admins added (`policy::AddedVersions`).
/// The calendar years a county added (`calendar::AddedCalendar`).
pub fn added_calendar(county: &CountyCode) -> String {
    format!("{county}:calendar")
}

pub fn added_policy_versions(county: &CountyCode) -> String {
    format!("{county}:policy_versions")
}

/// Where a revision of a county table (the standards, the platform register) is kept once a
/// change replaces it: `{table key}:v{revision}:{writer}`.
pub fn kept_revision(table: &str, revision: u64, writer: &str) -> String {
    format!("{table}:v{revision}:{writer}")
}

pub fn registry_entry(county: &CountyCode, person: &PersonKey, group: PersonGroup) -> String {
    format!("{county}:registry:{}:{}", person.as_str(), group.code())
}

pub fn claim(county: &CountyCode, claim_id: &str) -> String {
    format!("{county}:claim:{claim_id}")
}

/// A person's claims file (`claims_file::ClaimsFile`): what their submissions judge the
/// limits on, changed under compare-and-swap.
pub fn claims_file(county: &CountyCode, person: &PersonKey) -> String {
    format!("{county}:person:{}:claims-file", person.as_str())
}

/// Who writes a person's first claims file: on Spin's SQLite store a swap from absent is an
/// upsert, blind to a concurrent one, so one request at a time may. `generation` is a counter,
/// moved on past a writer presumed dead; `writer(g)` the counter whose first increment may
/// write in generation `g`.
pub struct FirstFiling {
    base: String,
}

impl FirstFiling {
    pub fn generation(&self) -> String {
        format!("{}:gen", self.base)
    }

    pub fn writer(&self, generation: u64) -> String {
        format!("{}:w{generation}", self.base)
    }

    pub fn superseded(&self, generation: u64) -> String {
        format!("{}:s{generation}", self.base)
    }
}

pub fn first_filing(county: &CountyCode, person: &PersonKey) -> FirstFiling {
    FirstFiling {
        base: format!("{county}:person:{}:claims-file-first", person.as_str()),
    }
}

pub fn person_claims(county: &CountyCode, person: &PersonKey) -> Index {
    Index {
        base: format!("{county}:person:{}:claims", person.as_str()),
    }
}

/// Every multi-step write's intent (`journal::JournalEntry`), in order: what reconcile reads.
pub fn journal(county: &CountyCode) -> Index {
    Index {
        base: format!("{county}:journal"),
    }
}

/// A party's event feed (`events`): slots of `events::FeedEntry`, each confirmed by the mark
/// its document carries.
pub fn feed(county: &CountyCode, feed: &crate::events::Feed) -> Index {
    use crate::events::Feed;
    let base = match feed {
        Feed::Trainee(person) => format!("{county}:person:{}:events", person.as_str()),
        Feed::Platform(platform) => format!("{county}:platform:{platform}:events"),
    };
    Index { base }
}

/// Claims waiting for a reviewer: `review` (key group declared only) or `verified` (found in
/// the registry, approvable in bulk).
pub fn claim_queue(county: &CountyCode, queue: crate::claim::ReviewQueue) -> Index {
    let queue = queue.as_str();
    Index {
        base: format!("{county}:queue:{queue}"),
    }
}

/// The days a notice (公示) was published on, `YYYY-MM-DD` each.
pub fn notices(county: &CountyCode) -> Index {
    Index {
        base: format!("{county}:notices"),
    }
}

/// The claims published on `day`: its notice. A claim listed is in it when the claim's own
/// `notice` names the day (a kill between the two leaves it listed, not published).
pub fn notice(county: &CountyCode, day: chrono::NaiveDate) -> Index {
    Index {
        base: format!("{county}:notice:{day}"),
    }
}

/// Claims approved and not yet paid: finance's desk.
pub fn payable_queue(county: &CountyCode) -> Index {
    Index {
        base: format!("{county}:queue:payable"),
    }
}

/// The months the report has counted claims of (`YYYY-MM` each).
pub fn report_months(county: &CountyCode) -> Index {
    Index {
        base: format!("{county}:report:months"),
    }
}

/// Counter: whether a month was listed in `report_months` (the first to count it lists it).
pub fn report_month_listed(county: &CountyCode, month: &str) -> String {
    format!("{county}:report:{month}:listed")
}

/// The report's rows of a month (`report::Group::cell` each).
pub fn report_cells(county: &CountyCode, month: &str) -> Index {
    Index {
        base: format!("{county}:report:{month}:cells"),
    }
}

/// Counters of one row of the report: `listed`, `count` (claims) and `fen` (their amount).
pub fn report_cell(county: &CountyCode, month: &str, cell: &str, counter: &str) -> String {
    format!("{county}:report:{month}:cell:{cell}:{counter}")
}

/// Counter: fen recovered (追回) of a month's claims.
pub fn report_recovered_fen(county: &CountyCode, month: &str) -> String {
    format!("{county}:report:{month}:recovered_fen")
}

/// A recount of a month's report in progress (`report::Recount`).
pub fn report_recount(county: &CountyCode, month: &str) -> String {
    format!("{county}:report:{month}:recount")
}

/// Claim ids by month of assessment, in order of submission: what a month's report is
/// recounted from.
pub fn month_claims(county: &CountyCode, month: &str) -> Index {
    Index {
        base: format!("{county}:month:{month}:claims"),
    }
}

pub fn credential(county: &CountyCode, key_id: &str) -> String {
    format!("{county}:credential:{key_id}")
}

pub fn platform_credentials(county: &CountyCode, platform: &PlatformId) -> Index {
    Index {
        base: format!("{county}:platform:{platform}:credentials"),
    }
}

pub fn nonce(county: &CountyCode, key_id: &str, nonce: &str) -> String {
    format!("{county}:nonce:{key_id}:{nonce}")
}

pub fn completion(county: &CountyCode, platform: &PlatformId, record_id: &str) -> String {
    format!("{county}:completion:{platform}:{record_id}")
}

/// Counter of first writes of a record: the first to take it creates the record.
pub fn completion_created(county: &CountyCode, platform: &PlatformId, record_id: &str) -> String {
    format!("{county}:completion-created:{platform}:{record_id}")
}

pub fn person_completions(county: &CountyCode, person: &PersonKey) -> Index {
    Index {
        base: format!("{county}:person:{}:completions", person.as_str()),
    }
}

/// A person's training calendar (`training::TrainingCalendar`): every record they trained on,
/// on every platform, with its days and hours: what the daily limit per person is held on.
pub fn person_calendar(county: &CountyCode, person: &PersonKey) -> String {
    format!("{county}:person:{}:calendar", person.as_str())
}

/// Counter: a platform's records sharing one pattern of dates and hours
/// (`CompletionFacts::pattern`).
pub fn pattern_count(county: &CountyCode, platform: &PlatformId, pattern: &str) -> String {
    format!("{county}:platform:{platform}:pattern:{pattern}")
}

pub fn platform_month(county: &CountyCode, platform: &PlatformId, month: &str) -> Index {
    Index {
        base: format!("{county}:platform:{platform}:month:{month}"),
    }
}

/// The invoice build that last set out to take a trainee's course for billing, and when
/// (`invoice::BillingIntent`): written before the course counter is taken, so that a counter
/// taken by a build that died can be told from one a build is about to use.
pub fn course_billing_intent(county: &CountyCode, person: &PersonKey, course: &Course) -> String {
    let (occupation, level) = (&course.occupation, course.level.code());
    format!(
        "{county}:billing-intent:{}:{occupation}:{level}",
        person.as_str()
    )
}

/// Counter: a person's course taken for billing (an invoice bills it once, by one platform).
pub fn course_billed(county: &CountyCode, person: &PersonKey, course: &Course) -> String {
    let (occupation, level) = (&course.occupation, course.level.code());
    format!("{county}:billed:{}:{occupation}:{level}", person.as_str())
}

/// Where a course counter kept by a version before course identity (a 工种's courses under the
/// 工种 code) belongs now: the same counter of its 职业 (`Course::of`). `None` for every other
/// key, a course counter of a 职业 included. Read by `county-ops migrate-course-keys`, the one
/// place that lists keys.
pub fn course_counter_of_work_type(county: &CountyCode, key: &str) -> Option<String> {
    let rest = key.strip_prefix(county.as_str())?.strip_prefix(':')?;
    let (head, occupation, level) = match rest.split(':').collect::<Vec<_>>()[..] {
        ["person", person, "course", occupation, level] => (
            format!("{county}:person:{person}:course"),
            occupation,
            level,
        ),
        ["billed", person, occupation, level] => {
            (format!("{county}:billed:{person}"), occupation, level)
        }
        _ => return None,
    };
    let code = crate::OccupationCode::parse(occupation).ok()?;
    let course = crate::Course::of(&code, crate::SkillLevel::parse(level).ok()?);
    (course.occupation != code).then(|| format!("{head}:{}:{level}", course.occupation))
}

pub fn invoice_sequence(county: &CountyCode, platform: &PlatformId, month: &str) -> String {
    format!("{county}:invoice-seq:{platform}:{month}")
}

pub fn invoice(county: &CountyCode, number: &str) -> String {
    format!("{county}:invoice:{number}")
}

/// Page `page` (from 0) of an invoice's lines, written once, before the invoice itself.
pub fn invoice_lines(county: &CountyCode, number: &str, page: u32) -> String {
    format!("{county}:invoice:{number}:lines:{page}")
}

/// A platform month's build going on step by step (`invoice::BuildStart`): its number and,
/// until its invoice is stored, its progress; written and cleared by the step holding the
/// build's lease.
pub fn invoice_build(county: &CountyCode, platform: &PlatformId, month: &str) -> String {
    format!("{county}:invoice-build:{platform}:{month}")
}

/// The lease on a platform month's invoice build: one step at a time (`lease`).
pub fn invoice_build_lease(county: &CountyCode, platform: &PlatformId, month: &str) -> Lease {
    Lease {
        base: format!("{county}:invoice-build:{platform}:{month}:lease"),
    }
}

pub fn account(county: &CountyCode, login: &LoginName) -> String {
    format!("{county}:account:{}", login.as_str())
}

/// Counter: the first to take it creates the account.
pub fn account_created(county: &CountyCode, login: &LoginName) -> String {
    format!("{county}:account-created:{}", login.as_str())
}

pub fn accounts(county: &CountyCode) -> Index {
    Index {
        base: format!("{county}:accounts"),
    }
}

/// Every sign-in, failed sign-in and account change (`accounts::AccountEvent`), in order.
pub fn account_log(county: &CountyCode) -> Index {
    Index {
        base: format!("{county}:account-log"),
    }
}

pub fn platform_invoices(county: &CountyCode, platform: &PlatformId) -> Index {
    Index {
        base: format!("{county}:platform:{platform}:invoices"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ResidentId, resident_id::tests::with_check};

    #[test]
    fn a_work_types_course_counters_belong_under_its_occupation() {
        let county = CountyCode::parse("370902").unwrap();
        let moved = |key: &str| course_counter_of_work_type(&county, key);
        assert_eq!(
            moved("370902:billed:pk1:4-03-02-01-01:5").as_deref(),
            Some("370902:billed:pk1:4-03-02-01:5")
        );
        assert_eq!(
            moved("370902:person:pk1:course:4-03-02-01-02:3").as_deref(),
            Some("370902:person:pk1:course:4-03-02-01:3")
        );
        for kept in [
            "370902:billed:pk1:4-03-02-01:5",
            "370902:person:pk1:course:4-03-02-01:5",
            "370902:person:pk1:year:2020",
            "370903:billed:pk1:4-03-02-01-01:5",
            "370902:billing-intent:pk1:4-03-02-01-01:5",
            "370902:billed:pk1:not-a-code:5",
        ] {
            assert_eq!(moved(kept), None, "{kept}");
        }
    }

    #[test]
    fn keys_are_county_prefixed_short_and_free_of_resident_ids() {
        let county = CountyCode::parse("370902").unwrap();
        let raw = with_check("37090219900307123");
        let person = PersonKey::derive(b"s", &ResidentId::parse(&raw).unwrap());
        let platform = PlatformId::parse(&"p".repeat(40)).unwrap();
        let course = crate::Course::of(
            &crate::OccupationCode::parse("4-03-02-01-01").unwrap(),
            crate::SkillLevel::NoLevel,
        );
        let record = "r".repeat(64);
        let keys = [
            standards(&county),
            platforms(&county),
            registry_entry(&county, &person, PersonGroup::UnemployedGraduate),
            person_claims(&county, &person).slot(u64::MAX),
            claim(&county, "c-0123456789abcdef"),
            claims_file(&county, &person),
            first_filing(&county, &person).superseded(u64::MAX),
            journal(&county).slot(u64::MAX),
            claim_queue(&county, crate::claim::ReviewQueue::Verified).slot(u64::MAX),
            credential(&county, "pk_0123456789abcdef"),
            nonce(&county, "pk_0123456789abcdef", &"n".repeat(64)),
            completion(&county, &platform, &record),
            completion_created(&county, &platform, &record),
            person_completions(&county, &person).slot(u64::MAX),
            platform_month(&county, &platform, "2020-03").slot(u64::MAX),
            course_billed(&county, &person, &course),
            course_billing_intent(&county, &person, &course),
            invoice(&county, &format!("370902-{platform}-202003-{}", u64::MAX)),
            platform_invoices(&county, &platform).counter(),
            invoice_build(&county, &platform, "2020-03"),
            account(&county, &LoginName::parse(&"a".repeat(32)).unwrap()),
            account_log(&county).slot(u64::MAX),
            invoice_build_lease(&county, &platform, "2020-03").superseded(u64::MAX),
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
