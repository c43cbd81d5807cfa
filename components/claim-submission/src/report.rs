//! Reporting for the province: claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, as JSON or CSV.

use std::collections::BTreeMap;

use county_api::{ApiError, ApiRequest, Context, json, operator};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{Reason, Yuan, auth::Role, completion::month_of, eligibility::ClaimStatus};

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Group {
    key_group: String,
    platform_id: String,
    occupation: String,
    status: String,
    month: String,
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    group: Group,
    count: usize,
    amount: Yuan,
}

#[derive(Serialize)]
struct Report {
    county: String,
    rows: Vec<Row>,
    total_count: usize,
    total_amount: Yuan,
}

fn status_code(status: ClaimStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn report(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    operator(
        request,
        &ctx.config,
        ctx.now_unix(),
        &[Role::Admin, Role::Reviewer, Role::Finance],
    )?;
    let format = request
        .query_param("format")
        .unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv") {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_format",
                "format 应为 json 或 csv",
                "format is json or csv",
            )
            .at("format"),
        ]));
    }
    let mut groups: BTreeMap<Group, (usize, Yuan)> = BTreeMap::new();
    for claim in ctx.store.all_claims()? {
        let group = Group {
            key_group: claim.key_group.code().to_owned(),
            platform_id: claim.platform_id.to_string(),
            occupation: claim.occupation.to_string(),
            status: status_code(claim.status),
            month: month_of(claim.assessed_on),
        };
        let entry = groups.entry(group).or_insert((0, Yuan::ZERO));
        entry.0 += 1;
        entry.1 = entry.1 + claim.amount;
    }
    let rows: Vec<Row> = groups
        .into_iter()
        .map(|(group, (count, amount))| Row {
            group,
            count,
            amount,
        })
        .collect();
    let report = Report {
        county: ctx.config.county.to_string(),
        total_count: rows.iter().map(|r| r.count).sum(),
        total_amount: rows.iter().map(|r| r.amount).sum(),
        rows,
    };
    if format == "json" {
        return Ok(json(200, &report));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "county",
        "key_group",
        "platform_id",
        "occupation",
        "status",
        "month",
        "count",
        "amount",
    ];
    out.write_record(header).expect("in-memory CSV");
    for row in &report.rows {
        let g = &row.group;
        let count = row.count.to_string();
        let amount = row.amount.to_string();
        let record = [
            &report.county,
            &g.key_group,
            &g.platform_id,
            &g.occupation,
            &g.status,
            &g.month,
            &count,
            &amount,
        ];
        out.write_record(record).expect("in-memory CSV");
    }
    let total = [
        report.county.clone(),
        "TOTAL".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        report.total_count.to_string(),
        report.total_amount.to_string(),
    ];
    out.write_record(&total).expect("in-memory CSV");
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .body(out.into_inner().expect("in-memory CSV"))
        .build())
}
