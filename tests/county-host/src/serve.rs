//! Serving a host over HTTP/1.1, as `spin up` serves an app.

use std::sync::Arc;

use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;

use crate::Host;

/// Accepts connections on `listener` and answers each request through `host`, until the task
/// is dropped.
pub async fn run(host: Arc<Host>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    loop {
        let (stream, client) = listener.accept().await?;
        let host = host.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let host = host.clone();
                    async move {
                        let response = host.handle(request, client).await?;
                        let mut out = hyper::Response::new(Full::new(response.body));
                        *out.status_mut() = hyper::StatusCode::from_u16(response.status)?;
                        *out.headers_mut() = response.headers;
                        anyhow::Ok(out)
                    }
                },
            );
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection from {client}: {e}");
            }
        });
    }
}
