// Every route of this component. `spin.toml` sends it `/api/claims/...`: the county desk's
// exact and `:id/...` routes beside it are more specific and go there; anything else under
// `/api/claims` that this table lacks is answered 404 here.
route_table! {
    GET "/api/claims" => claims::list,
    POST "/api/claims" => claims::submit,
    GET "/api/claims/completions" => claims::completions,
    GET "/api/claims/events" => events::feed,
    GET "/api/claims/offers" => offers::list,
    POST "/api/claims/offers/accept" => offers::accept,
    GET "/api/claims/:id" => claims::fetch,
    POST "/api/claims/:id/withdraw" => claims::withdraw,
    PUT "/api/claims/:id/payee" => claims::correct_payee,
}
