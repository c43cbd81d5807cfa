// Every route of this component (`spin.toml`: `/api/policy/...`).
route_table! {
    GET "/api/policy" => policy::current,
    GET "/api/policy/versions/:id" => policy::version,
    POST "/api/policy/versions" => policy::add,
    DELETE "/api/policy/versions/:id" => policy::withdraw,
    GET "/api/policy/platforms" => platforms::list,
    PUT "/api/policy/platforms" => platforms::replace,
    PUT "/api/policy/platforms/:id" => platforms::put_one,
    GET "/api/policy/standards" => standards::list,
    PUT "/api/policy/standards" => standards::replace,
    PUT "/api/policy/standards/:occupation/:level" => standards::put_one,
    DELETE "/api/policy/standards/:occupation/:level" => standards::remove,
    GET "/api/policy/history" => history::list,
    GET "/api/policy/calendar" => calendar::calendar,
    PUT "/api/policy/calendar/:year" => calendar::put_year,
}
