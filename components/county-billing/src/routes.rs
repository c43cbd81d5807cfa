// `spin.toml`: `/api/platform/credentials/...` and each invoice transition below.
route_table! {
    POST "/api/platform/credentials" => credentials::issue,
    GET "/api/platform/credentials" => credentials::list,
    POST "/api/platform/credentials/:key_id/rotate" => credentials::rotate,
    POST "/api/platform/credentials/:key_id/revoke" => credentials::revoke,
    POST "/api/platform/invoices/:number/approve" => invoices::approve,
    POST "/api/platform/invoices/:number/pay" => invoices::pay,
    POST "/api/platform/invoices/:number/cancel" => invoices::cancel,
    POST "/api/platform/invoices/:number/lines/:record_id/recovery" => invoices::start_line_recovery,
    POST "/api/platform/invoices/:number/lines/:record_id/recovered" => invoices::line_recovered,
}
