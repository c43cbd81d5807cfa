// Every route of this component, each also routed to it by `spin.toml`.
route_table! {
    GET "/api/claims/queue" => review::queue,
    POST "/api/claims/bulk-approve" => review::bulk_approve,
    GET "/api/claims/:id/recheck" => review::recheck_now,
    POST "/api/claims/:id/approve" => review::approve,
    POST "/api/claims/:id/reject" => review::reject,
    GET "/api/claims/payable" => payments::payable,
    GET "/api/claims/payment-batch" => payments::payment_batch,
    POST "/api/claims/bank-results" => payments::bank_results,
    POST "/api/claims/:id/pay" => payments::pay,
    POST "/api/claims/:id/payment-returned" => payments::payment_returned,
    POST "/api/claims/:id/recovery" => payments::start_recovery,
    POST "/api/claims/:id/recovered" => payments::recovered,
    GET "/api/claims/report" => report::report,
    POST "/api/claims/publicity" => publicity::publish,
}
