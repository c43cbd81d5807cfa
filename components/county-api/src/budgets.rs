//! The host calls each route may make (issue 15): variable reads, store opens and store
//! operations of every kind. On real Spin each is a host call that costs real time
//! (`docs/spin.md`); `tests/integration/tests/api/budgets.rs` measures every route
//! here through the compiled components and fails when one goes over. Move a budget only on
//! purpose, saying why.

pub struct Budget {
    /// `METHOD /path` as the API documents it, or the status of a refusal made before routing.
    pub route: &'static str,
    pub variables: u32,
    pub store_opens: u32,
    /// On Spin's SQLite store.
    pub store_operations: u32,
    /// On Spin's Redis store, where every compare-and-swap reports failure and is read back,
    /// and a batch read is refused and made key by key (`docs/spin.md`).
    pub redis_store_operations: u32,
    /// Of the operations, those that write (sets, swaps, increments, deletes; `HostCalls::writes`):
    /// on Spin's SQLite store each is a committed transaction. The same on both stores.
    pub writes: u32,
    /// What the calls are for.
    pub why: &'static str,
}

/// Measured with the state `budgets.rs` sets up: one trainee with three reported trainings,
/// one claimed, one invoice; two more trainees with a training each, one of them claimed.
pub const BUDGETS: &[Budget] = &[
    Budget {
        route: "GET /api/policy",
        variables: 2,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        writes: 0,
        why: "county code and name (shown); the versions the county added (a read no build can \
              spare, since admins add versions through the API)",
    },
    Budget {
        route: "GET /api/policy/versions/{id}",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        writes: 0,
        why: "a built-in version is compiled in; an added one costs the county code and a read",
    },
    Budget {
        route: "GET /api/policy/standards",
        variables: 1,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        writes: 0,
        why: "county code (key prefix); the table",
    },
    Budget {
        route: "GET /api/policy/platforms",
        variables: 1,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        writes: 0,
        why: "county code; the register",
    },
    Budget {
        route: "404",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        writes: 0,
        why: "routing needs nothing",
    },
    Budget {
        route: "405",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        writes: 0,
        why: "routing needs nothing",
    },
    Budget {
        route: "413",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        writes: 0,
        why: "refused from the declared length, before routing",
    },
    Budget {
        route: "POST /api/eligibility/check",
        variables: 3,
        store_opens: 1,
        store_operations: 2,
        redis_store_operations: 5,
        writes: 0,
        why: "trainee secret, county code, person-key secret; one batch read of the person's \
              claims file, the registry entry and the register, then one of the claims the file \
              names (on Redis, which refuses batches, each key read alone)",
    },
    Budget {
        route: "POST /api/claims (a person's first)",
        variables: 3,
        store_opens: 1,
        store_operations: 15,
        redis_store_operations: 23,
        writes: 10,
        why: "the record, opened for its binding (2); the person's claims file, opened (2); one \
              batch read of the registry entry, the register, the record's pattern count and \
              the file's claims (1); the right to write a first file (1); the file with the \
              claim filed (1); the record bound (1); a slot in the review queue and one under \
              the month (2); the claim and both slots in one write (1); the report row's count \
              and fen, one counter (1); the event feeds (3): a slot of the trainee's feed \
              (its entry goes in the claim's write), and the record's `completion.claimed`, a \
              slot of the platform's feed and its entry, written before the record's swap",
    },
    Budget {
        route: "POST /api/claims (a later one)",
        variables: 3,
        store_opens: 1,
        store_operations: 14,
        redis_store_operations: 20,
        writes: 9,
        why: "as a person's first, without the right to write a first file; its \
              `Idempotency-Key` costs nothing (the file names it)",
    },
    Budget {
        route: "POST /api/claims (the first of its report row)",
        variables: 3,
        store_opens: 1,
        store_operations: 18,
        redis_store_operations: 26,
        writes: 13,
        why: "as a later one, and the row listed under its month once (who counts it first, \
              and a slot of the month's rows, taken and written)",
    },
    Budget {
        route: "GET /api/claims",
        variables: 3,
        store_opens: 1,
        store_operations: 2,
        redis_store_operations: 7,
        writes: 0,
        why: "trainee secret, county code, person-key secret; the person's claims file, then \
              their claims, each a batch read",
    },
    Budget {
        route: "GET /api/claims/{id}",
        variables: 3,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        writes: 0,
        why: "the claim, checked to be the trainee's own",
    },
    Budget {
        route: "GET /api/claims/{id}/recheck",
        variables: 3,
        store_opens: 1,
        store_operations: 3,
        redis_store_operations: 3,
        writes: 0,
        why: "operator secret and the trainees' (they must differ), county code; the claim, its \
              record and the platform register (a reviewer reads it with every claim opened)",
    },
    Budget {
        route: "GET /api/claims/queue",
        variables: 3,
        store_opens: 1,
        store_operations: 8,
        redis_store_operations: 8,
        writes: 0,
        why: "operator secret and the trainees' (they must differ), county code; the head, the \
              slot counter, and each slot and its claim (three claims wait here)",
    },
    Budget {
        route: "GET /api/claims/payable",
        variables: 3,
        store_opens: 1,
        store_operations: 2,
        redis_store_operations: 2,
        writes: 0,
        why: "as the queue; the head and the slot counter (nothing approved here)",
    },
    Budget {
        route: "GET /api/claims/report",
        variables: 3,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 18,
        writes: 0,
        why: "as the queue; the month index, each month's row index, then one batch read of \
              its rows' counters (a row's tally, and the count and fen an earlier version kept) \
              and its recovered fen: rows, not claims (on Redis each counter read alone)",
    },
    Budget {
        route: "POST /api/eligibility/registry (10 entries, 1 offer made)",
        variables: 4,
        store_opens: 1,
        store_operations: 53,
        redis_store_operations: 64,
        writes: 13,
        why: "county code, operator- and trainee-token secrets (they must differ), person-key \
              secret; each entry stored under compare-and-swap (3) and its person's list of \
              records read (1); for the one person with a passed record: the record and its \
              listing, their registry entries (4, one batch on SQLite), and the record offered \
              under compare-and-swap with a slot of their feed and its `offer.made` in one write",
    },
    Budget {
        route: "POST /api/platform/completions (10 records)",
        variables: 2,
        store_opens: 1,
        store_operations: 53,
        redis_store_operations: 71,
        writes: 22,
        why: "county code, person-key secret; the key, register and nonce; one batch read of \
              every record, calendar and pattern count the batch names, and one of the \
              registry entries of the trainees who passed (on Redis, the 4 of the one trainee \
              read one by one); then about 5 a new record: the calendar under \
              compare-and-swap, the pattern counted, the creation taken, two listing slots and \
              the slots of the trainee's event feed (one increment for `completion.reported` \
              and `offer.made`), and the record with its listings and its events in one write",
    },
    Budget {
        route: "GET /api/platform/invoices/{number}",
        variables: 1,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 5,
        writes: 1,
        why: "county code; the key, register and nonce; the invoice and one page of its lines",
    },
    Budget {
        route: "GET /console/",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        writes: 0,
        why: "the console's page, compiled into the component",
    },
    Budget {
        route: "GET /console/app.js",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        writes: 0,
        why: "the console's files are compiled into the component",
    },
    Budget {
        route: "POST /api/accounts/sign-in",
        variables: 3,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 5,
        writes: 2,
        why: "county code, and the operator secret (with the trainees', which must differ) to sign \
              the token; the account, its failures under compare-and-swap, the log entry",
    },
];
