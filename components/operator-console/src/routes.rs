// Every route of this component (`spin.toml`: `/api/accounts/...` and `/console/...`).
// `sign-in`, `me` and `log` are no login names (`LoginName::parse`), and exact segments win
// over `:login` whatever the order.
route_table! {
    POST "/api/accounts/sign-in" => accounts::sign_in,
    POST "/api/accounts/me/password" => accounts::change_own_password,
    GET "/api/accounts/log" => accounts::log_page,
    GET "/api/accounts" => accounts::list,
    POST "/api/accounts" => accounts::create,
    GET "/api/accounts/:login" => accounts::show,
    POST "/api/accounts/:login/password" => accounts::reset_password,
    PUT "/api/accounts/:login/roles" => accounts::change_roles,
    POST "/api/accounts/:login/disable" => accounts::disable,
    POST "/api/accounts/:login/enable" => accounts::enable,
    GET "/console" => console::index,
    GET "/console/:file" => console::file,
}
