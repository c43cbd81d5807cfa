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
    /// On Spin's Redis store, where every compare-and-swap reports failure and is read back
    /// (`docs/spin.md`).
    pub redis_store_operations: u32,
    /// What the calls are for.
    pub why: &'static str,
}

/// Measured with the state `budgets.rs` sets up: one trainee with three reported trainings,
/// one claimed, one invoice.
pub const BUDGETS: &[Budget] = &[
    Budget {
        route: "GET /api/policy",
        variables: 2,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        why: "county code and name (shown); the versions the county added (a read no build can \
              spare, since admins add versions through the API)",
    },
    Budget {
        route: "GET /api/policy/versions/{id}",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        why: "a built-in version is compiled in; an added one costs the county code and a read",
    },
    Budget {
        route: "GET /api/policy/standards",
        variables: 1,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        why: "county code (key prefix); the table",
    },
    Budget {
        route: "GET /api/policy/platforms",
        variables: 1,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        why: "county code; the register",
    },
    Budget {
        route: "404",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        why: "routing needs nothing",
    },
    Budget {
        route: "405",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        why: "routing needs nothing",
    },
    Budget {
        route: "413",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        why: "refused from the declared length, before routing",
    },
    Budget {
        route: "POST /api/eligibility/check",
        variables: 3,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 5,
        why: "trainee secret, county code, person-key secret; the registry entry, the register, \
              the person's claim index (1) and each prior claim (2 for the one here): 3 for a \
              person with none",
    },
    Budget {
        route: "POST /api/claims",
        variables: 3,
        store_opens: 1,
        store_operations: 38,
        redis_store_operations: 39,
        why: "as the check, plus the person's lease (take and release), the reservation, the \
              limit counters, the record's binding under compare-and-swap, the claim and its \
              four listings, the report's counters (rows listed the first time): every write \
              the crash safety of issue 12 needs; and how many of the platform's records share \
              the record's pattern (claims on a pattern reported in bulk are reviewed alone)",
    },
    Budget {
        route: "GET /api/claims",
        variables: 3,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 5,
        why: "trainee secret, county code, person-key secret; the person's claim index and claims",
    },
    Budget {
        route: "GET /api/claims/{id}",
        variables: 3,
        store_opens: 1,
        store_operations: 1,
        redis_store_operations: 1,
        why: "the claim, checked to be the trainee's own",
    },
    Budget {
        route: "GET /api/claims/{id}/recheck",
        variables: 3,
        store_opens: 1,
        store_operations: 3,
        redis_store_operations: 3,
        why: "operator secret and the trainees' (they must differ), county code; the claim, its \
              record and the platform register (a reviewer reads it with every claim opened)",
    },
    Budget {
        route: "GET /api/claims/queue",
        variables: 3,
        store_opens: 1,
        store_operations: 6,
        redis_store_operations: 6,
        why: "operator secret and the trainees' (they must differ), county code; the head, the \
              slots and claims waiting",
    },
    Budget {
        route: "GET /api/claims/payable",
        variables: 3,
        store_opens: 1,
        store_operations: 2,
        redis_store_operations: 2,
        why: "as the queue; the head and the slot counter (nothing approved here)",
    },
    Budget {
        route: "GET /api/claims/report",
        variables: 3,
        store_opens: 1,
        store_operations: 10,
        redis_store_operations: 10,
        why: "as the queue; the month index, each month's row index and two counters a row, and \
              its recovered fen: rows, not claims",
    },
    Budget {
        route: "POST /api/platform/completions (10 records)",
        variables: 2,
        store_opens: 1,
        store_operations: 103,
        redis_store_operations: 113,
        why: "county code, person-key secret; the key, register and nonce, then about 10 a \
              record (first-write guard, record under compare-and-swap, three listings)",
    },
    Budget {
        route: "GET /api/platform/invoices/{number}",
        variables: 1,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 5,
        why: "county code; the key, register and nonce; the invoice and one page of its lines",
    },
    Budget {
        route: "GET /console/",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        why: "the console's page, compiled into the component",
    },
    Budget {
        route: "GET /console/app.js",
        variables: 0,
        store_opens: 0,
        store_operations: 0,
        redis_store_operations: 0,
        why: "the console's files are compiled into the component",
    },
    Budget {
        route: "POST /api/accounts/sign-in",
        variables: 3,
        store_opens: 1,
        store_operations: 5,
        redis_store_operations: 5,
        why: "county code, and the operator secret (with the trainees', which must differ) to sign \
              the token; the account, its failures under compare-and-swap, the log entry",
    },
];
