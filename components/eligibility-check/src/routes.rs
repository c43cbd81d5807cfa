// Every route of this component (`spin.toml`: `/api/eligibility/...`).
route_table! {
    POST "/api/eligibility/check" => check::check,
    POST "/api/eligibility/registry" => registry::upload,
    POST "/api/eligibility/registry/lookup" => registry::lookup,
}
