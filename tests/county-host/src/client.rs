//! Requests to the host the way a client sends them: bearer tokens, signed platform
//! requests, JSON bodies. Used by the integration tests and the benchmark.

use std::net::SocketAddr;
use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use serde_json::Value;
use subsidy_rules::auth::{Role, TokenClaims, sign_token};

use crate::{Host, HostCalls};

/// The one token minter of the tests, the benchmark and `county-ops mint-token`: a bearer
/// token for `role` and `sub`, issued at `issued_at` (Unix seconds) and valid for
/// `ttl_seconds`.
pub fn mint_token(
    role: Role,
    sub: &str,
    secret: &[u8],
    issued_at: i64,
    ttl_seconds: i64,
) -> String {
    let claims = TokenClaims {
        sub: sub.to_owned(),
        role,
        iat: issued_at,
        exp: issued_at + ttl_seconds,
        nbf: None,
        aud: None,
    };
    sign_token(&claims, secret)
}

/// A bearer token for `role` and `sub`, issued ten seconds ago and valid for ten minutes.
pub fn bearer_token(role: Role, sub: &str, secret: &str) -> String {
    mint_token(
        role,
        sub,
        secret.as_bytes(),
        chrono::Utc::now().timestamp() - 10,
        610,
    )
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
    /// The host calls the request made (zero for a request sent over HTTP).
    pub calls: HostCalls,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request a client sent and the answer it got, shown to the observer (`observe`).
pub struct Exchange<'a> {
    pub method: &'a str,
    /// The path with its query, as sent.
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub reply: &'a Reply,
}

static OBSERVER: OnceLock<fn(&Exchange)> = OnceLock::new();

/// Shows every exchange `Call::send` and `Call::send_http` make from now on to `observer`
/// (the API tests check each against the OpenAPI document). The first observer set stays.
pub fn observe(observer: fn(&Exchange)) {
    let _ = OBSERVER.set(observer);
}

pub struct Call {
    method: hyper::Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

pub fn call(method: &str, path: &str) -> Call {
    Call {
        method: method.parse().unwrap(),
        path: path.to_owned(),
        headers: vec![],
        body: vec![],
    }
}

/// A fresh nonce for a signed request.
pub fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("nonce-{:016}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Call {
    /// Signs the call as a platform would (see the README's signing scheme), at `timestamp`
    /// with `nonce`.
    pub fn signed_at(self, key_id: &str, secret: &str, timestamp: i64, nonce: &str) -> Call {
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let timestamp = timestamp.to_string();
        let parts = subsidy_rules::platform_auth::SignedParts {
            method: self.method.as_str(),
            path,
            query,
            timestamp: &timestamp,
            nonce,
            body: &self.body,
        };
        let signature = parts.sign(secret);
        self.header("x-key-id", key_id)
            .header("x-timestamp", &timestamp)
            .header("x-nonce", nonce)
            .header("x-signature", &signature)
    }

    /// Signs the call now with a fresh nonce.
    pub fn signed(self, key_id: &str, secret: &str) -> Call {
        self.signed_at(key_id, secret, chrono::Utc::now().timestamp(), &nonce())
    }

    pub fn bearer(self, token: &str) -> Call {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(self, body: &Value) -> Call {
        self.header("content-type", "application/json")
            .raw(serde_json::to_vec(body).unwrap())
    }

    pub fn raw(mut self, body: Vec<u8>) -> Call {
        self.body = body;
        self
    }

    pub async fn send(self, host: &Host) -> Reply {
        let mut request = hyper::Request::builder()
            .method(self.method.clone())
            .uri(format!("http://127.0.0.1:3000{}", self.path))
            .header("host", "127.0.0.1:3000");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(self.body.clone())).map_err(
                |never: std::convert::Infallible| -> wasmtime_wasi_http::Error { match never {} },
            ))
            .unwrap();
        let client: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        let response = host
            .handle(request, client)
            .await
            .expect("the host serves every request");
        self.observed(Reply {
            status: response.status,
            headers: response.headers,
            body: response.body,
            calls: response.calls,
        })
    }

    fn observed(&self, reply: Reply) -> Reply {
        if let Some(observer) = OBSERVER.get() {
            observer(&Exchange {
                method: self.method.as_str(),
                path: &self.path,
                headers: &self.headers,
                body: &self.body,
                reply: &reply,
            });
        }
        reply
    }

    /// Sends the call over HTTP/1.1 to a server at `address` (e.g. one of several replicas
    /// served by `serve::run`).
    pub async fn send_http(self, address: SocketAddr) -> Reply {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("connecting to {address}: {e}"));
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("HTTP handshake");
        tokio::spawn(connection);
        let mut request = hyper::Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .header("host", address.to_string());
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = (request.body(Full::new(Bytes::from(self.body.clone())))).unwrap();
        let response = sender.send_request(request).await.expect("an HTTP answer");
        let (parts, body) = response.into_parts();
        self.observed(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.collect().await.expect("the whole body").to_bytes(),
            calls: HostCalls::default(),
        })
    }
}
