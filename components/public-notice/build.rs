//! Compacts the API's contract, `docs/openapi.json`, for `src/openapi.rs` to serve: the
//! repository keeps it indented for people, the component carries it in 60% of the bytes.
//! Its 155 KB of data outgrow the 1.25 MiB every component starts with
//! (`.cargo/config.toml`), so this one starts with 1.375 MiB: a request still never grows
//! memory. A link argument of a build script comes after the config's, and the last wins.

fn main() {
    let source = "../../docs/openapi.json";
    println!("cargo::rerun-if-changed={source}");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg=--initial-memory=1441792");
    }
    let text = std::fs::read_to_string(source).expect("docs/openapi.json");
    let document: serde_json::Value =
        serde_json::from_str(&text).expect("docs/openapi.json is JSON");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("openapi.json"), document.to_string()).expect("writing openapi.json");
}
