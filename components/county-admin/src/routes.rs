// Every route of this component, each also routed to it by `spin.toml`.
route_table! {
    POST "/api/admin/reconcile" => reconcile::reconcile,
    POST "/api/admin/report-recount" => recounts::report_month,
    GET "/api/admin/outreach" => outreach::outreach,
}
