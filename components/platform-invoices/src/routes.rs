// `spin.toml`: `/api/platform/invoices/...`; the county's transitions of an invoice
// (`:number/approve` and the like) are more specific and go to county-billing.
route_table! {
    GET "/api/platform/invoices/preview" => invoices::preview,
    POST "/api/platform/invoices" => invoices::issue,
    GET "/api/platform/invoices" => invoices::list,
    GET "/api/platform/invoices/:number" => invoices::fetch,
    GET "/api/platform/invoices/:number/csv" => invoices::export_csv,
    GET "/api/platform/invoices/:number/export" => invoices::export,
}
