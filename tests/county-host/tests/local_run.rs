//! `county-host serve`, the local run for anyone without Spin: real HTTP on 127.0.0.1, and a
//! store file that keeps its data across a restart.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use county_host::client::bearer_token;
use county_host::dev::{OPERATOR_TOKEN_SECRET, manifest_path, variables};
use subsidy_rules::auth::Role;

fn admin() -> String {
    bearer_token(Role::Admin, "op-admin", OPERATOR_TOKEN_SECRET)
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(store: &std::path::Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_county-host"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--manifest", manifest_path().to_str().unwrap()])
        .args(["--store", store.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in variables("370902") {
        command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
    }
    let server = Server {
        child: command.spawn().unwrap(),
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// One HTTP/1.1 exchange; returns status and body.
fn http(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_local_run_serves_http_and_keeps_data_across_a_restart() {
    let folder = tempfile::tempdir().unwrap();
    let store = folder.path().join("kv.db");
    {
        let server = start(&store);
        let (status, body) = http(&server, "GET", "/api/policy", None, "");
        assert_eq!(status, 200);
        assert!(body.contains("shandong-2020-02"), "{body}");
        let (status, body) = http(
            &server,
            "PUT",
            "/api/policy/standards/4-03-02-01/5",
            Some(&admin()),
            r#"{"standard": "1200"}"#,
        );
        assert_eq!(status, 200, "{body}");
    }
    let server = start(&store);
    let (status, body) = http(&server, "GET", "/api/policy/standards", None, "");
    assert_eq!(status, 200);
    assert!(
        body.contains(r#""revision":1"#) && body.contains("1200.00"),
        "{body}"
    );
}
