// `spin.toml`: `/api/platform/...`, the catch-all of the platform API (anything under it no
// table has is answered 404 here); the invoices' and the county's routes beside it are more
// specific.
route_table! {
    POST "/api/platform/completions" => completions::report,
    GET "/api/platform/completions" => completions::list,
    GET "/api/platform/completions/:record_id" => completions::fetch,
    POST "/api/platform/completions/:record_id/void" => completions::void,
    GET "/api/platform/events" => events::feed,
}
