// Every route of this component (`spin.toml`: `/api/notices/...` and `/api/openapi.json`).
route_table! {
    GET "/api/notices" => notices::list,
    GET "/api/notices/:day" => notices::notice,
    POST "/api/notices/:day/objections" => notices::object,
    GET "/api/openapi.json" => openapi::document,
}
