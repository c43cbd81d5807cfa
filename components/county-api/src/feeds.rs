//! A party's event feed as the API answers it (`GET /api/claims/events`,
//! `GET /api/platform/events`): one shape for both.

use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed,
    events::{FEED_PAGE_DEFAULT, FEED_PAGE_MAX, Feed, with_raw_field},
};

use crate::{ApiError, ApiRequest, Context, json_text};

/// One event: a stable id, its sequence in the feed (what `after` continues from), its type,
/// when it happened (China Standard Time); then `object`, the object as the change left it,
/// spliced in as stored (`with_raw_field`).
#[derive(Serialize)]
struct EventHead<'a> {
    id: String,
    sequence: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: String,
}

#[derive(Serialize)]
struct PageTail {
    next_after: u64,
    done: bool,
    /// A change that may still land stopped the page: ask again in a few seconds.
    pending: bool,
}

/// A page of `feed` from `?after=` (default 0), at most `?limit=` slots (1–100, default 50):
/// `{"events":[…],"next_after","done","pending"}`.
pub fn page(request: &ApiRequest, ctx: &Context, feed: &Feed) -> Result<Response, ApiError> {
    let (after, limit) = (
        request.number_param("after", 0, u64::MAX),
        request.limit_param(FEED_PAGE_DEFAULT, FEED_PAGE_MAX),
    )
        .all_parsed()?;
    let page = ctx.store()?.feed_page(feed, after, limit as u64)?;
    let events: Vec<String> = (page.events.iter())
        .map(|(sequence, entry)| {
            let at = chrono::DateTime::from_timestamp(entry.at, 0).unwrap_or_default();
            let head = EventHead {
                id: format!("evt_{}", feed.mark(*sequence)),
                sequence: *sequence,
                kind: &entry.kind,
                created_at: subsidy_rules::dates::audit_timestamp(at),
            };
            let head = serde_json::to_string(&head).expect("events serialize");
            with_raw_field(head, "object", &entry.object)
        })
        .collect();
    let tail = PageTail {
        next_after: page.next_after,
        done: page.done,
        pending: page.pending,
    };
    let tail = serde_json::to_string(&tail).expect("pages serialize");
    let body = with_raw_field(tail, "events", &format!("[{}]", events.join(",")));
    Ok(json_text(200, body.into_bytes()))
}
