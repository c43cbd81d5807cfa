//! Loading the app and serving one request the way Spin does.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::KvStore;
use crate::manifest::Manifest;
use crate::routes::{RouteMatch, Router};
use crate::spin_imports::{HostCalls, SpinImports, SpinState, SpinView};

/// Per-request state of one component instance.
struct InstanceState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    spin: SpinState,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

struct SpinHasData;

impl wasmtime::component::HasData for SpinHasData {
    type Data<'a> = SpinView<'a>;
}

fn spin_view(state: &mut InstanceState) -> SpinView<'_> {
    SpinView {
        state: &mut state.spin,
        table: &mut state.table,
    }
}

struct LoadedComponent {
    pre: ProxyPre<InstanceState>,
    stores: Arc<Vec<String>>,
}

/// The compiled app: costly to build (it compiles every component), so build it once and
/// share it between hosts.
pub struct App {
    manifest: Manifest,
    components: BTreeMap<String, LoadedComponent>,
    /// The manifest's routes, matched as Spin matches them.
    router: Router,
}

/// A component served beside the manifest's, e.g. the benchmark's no-op baseline.
pub struct ExtraComponent {
    pub id: String,
    pub route: String,
    pub source: std::path::PathBuf,
}

/// Where compiled components are kept by default: `target/county-host-cache` beside the
/// manifest, so `cargo clean` clears it with the builds it came from.
pub fn default_cache(manifest_path: &Path) -> PathBuf {
    manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join("target/county-host-cache")
}

/// A component compiled for `engine`, from the cache when an earlier start compiled the same
/// bytes with a compatible engine; compiled and cached otherwise.
fn compile(
    engine: &Engine,
    id: &str,
    path: &Path,
    cache: Option<&Path>,
    progress: &dyn Fn(&str),
) -> Result<Component> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let Some(cache) = cache else {
        return Component::new(engine, &bytes).map_err(|e| anyhow!("component {id}: {e}"));
    };
    let mut compatibility = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut compatibility);
    let mut key = Sha256::new();
    key.update(&bytes);
    key.update(std::hash::Hasher::finish(&compatibility).to_le_bytes());
    let cached = cache.join(format!("{}.cwasm", hex::encode(key.finalize())));
    if cached.exists() {
        // Safety: the file was written by `precompile_component` below, into the build's own
        // target folder, and wasmtime checks its version and settings before loading it.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            progress(&format!("{id}: compiled code from the cache"));
            return Ok(component);
        }
    }
    progress(&format!(
        "{id}: compiling (once; cached for the next start)"
    ));
    let compiled = engine
        .precompile_component(&bytes)
        .map_err(|e| anyhow!("component {id}: {e}"))?;
    std::fs::create_dir_all(cache)?;
    let partial = cached.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, &compiled)?;
    std::fs::rename(&partial, &cached)?;
    // Safety: `compiled` is what this engine produced a moment ago.
    unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| anyhow!("component {id}: {e}"))
}

impl App {
    /// The app of `manifest_path`, its compiled components cached in [`default_cache`].
    pub fn load(manifest_path: &Path) -> Result<Arc<App>> {
        App::load_cached(manifest_path, None, &|_| {})
    }

    /// The app, compiled components kept in `cache` (or the default), each step told to
    /// `progress`.
    pub fn load_cached(
        manifest_path: &Path,
        cache: Option<&Path>,
        progress: &dyn Fn(&str),
    ) -> Result<Arc<App>> {
        let cache = cache.map_or_else(|| default_cache(manifest_path), Path::to_path_buf);
        App::build(manifest_path, Vec::new(), None, Some(&cache), progress)
    }

    /// Only the components `ids` and their routes, as `spin up --component-id` runs them.
    pub fn load_only(manifest_path: &Path, ids: &[String]) -> Result<Arc<App>> {
        let cache = default_cache(manifest_path);
        App::build(manifest_path, Vec::new(), Some(ids), Some(&cache), &|_| {})
    }

    /// The app with components beside the manifest's, compiled afresh.
    pub fn load_with(manifest_path: &Path, extra: Vec<ExtraComponent>) -> Result<Arc<App>> {
        App::build(manifest_path, extra, None, None, &|_| {})
    }

    fn build(
        manifest_path: &Path,
        extra: Vec<ExtraComponent>,
        only: Option<&[String]>,
        cache: Option<&Path>,
        progress: &dyn Fn(&str),
    ) -> Result<Arc<App>> {
        let mut manifest = Manifest::load(manifest_path)?;
        if let Some(ids) = only {
            manifest.retain_components(ids)?;
        }
        for component in extra {
            manifest.add_component(&component.id, &component.route, &component.source);
        }
        // Instances come from a pool, as under Spin: a request pays for no fresh mappings.
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(256)
            .total_memories(256)
            .total_tables(256)
            .total_core_instances(256)
            .max_memory_size(256 << 20)
            // Spin's own settings: a reused slot is zeroed in place, not unmapped and faulted in.
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(512 << 10);
        let mut config = Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        // `COUNTY_HOST_PERFMAP=1 perf record ...` names the guest's functions in perf reports.
        if std::env::var_os("COUNTY_HOST_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| anyhow!("{e}"))?;
        let mut linker: Linker<InstanceState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow!("{e}"))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| anyhow!("{e}"))?;
        SpinImports::add_to_linker::<InstanceState, SpinHasData>(&mut linker, spin_view)
            .map_err(|e| anyhow!("{e}"))?;

        let mut components = BTreeMap::new();
        for (id, decl) in &manifest.component {
            let path = manifest.source_path(manifest_path, id);
            if !path.exists() {
                return Err(anyhow!(
                    "component {id}: {} is missing; build the components first (see README)",
                    path.display()
                ));
            }
            let component = compile(&engine, id, &path, cache, progress)?;
            let pre = linker
                .instantiate_pre(&component)
                .and_then(ProxyPre::new)
                .map_err(|e| anyhow!("component {id} cannot be instantiated: {e}"))?;
            components.insert(
                id.clone(),
                LoadedComponent {
                    pre,
                    stores: Arc::new(decl.key_value_stores.clone()),
                },
            );
        }
        let router = Router::build(
            (manifest.trigger.http.iter()).map(|t| (t.route.as_str(), t.component.as_str())),
        )?;
        Ok(Arc::new(App {
            manifest,
            components,
            router,
        }))
    }
}

/// A response, buffered whole.
#[derive(Debug)]
pub struct HostResponse {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
    /// The Spin host calls the request made.
    pub calls: HostCalls,
}

/// The guest's wall clock: the host's, moved on by a test (`Host::advance_clock`).
struct OffsetClock(Arc<AtomicI64>);

impl wasmtime_wasi::HostWallClock for OffsetClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(1)
    }

    fn now(&self) -> std::time::Duration {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let offset = self.0.load(Ordering::SeqCst);
        if offset >= 0 {
            real + std::time::Duration::from_secs(offset as u64)
        } else {
            real.saturating_sub(std::time::Duration::from_secs(offset.unsigned_abs()))
        }
    }
}

/// One running instance of the app: a store and the variables of one county.
pub struct Host {
    clock_offset: Arc<AtomicI64>,
    app: Arc<App>,
    kv: Arc<KvStore>,
    variables: BTreeMap<String, Arc<BTreeMap<String, String>>>,
    logs: Mutex<Vec<u8>>,
    echo_logs: bool,
}

impl Host {
    /// `variables` are the application variables (what `SPIN_VARIABLE_*` gives `spin up`).
    pub fn new(
        app: Arc<App>,
        kv: Arc<KvStore>,
        variables: &BTreeMap<String, String>,
    ) -> Result<Host> {
        let values = app.manifest.resolve_variables(variables)?;
        let mut per_component = BTreeMap::new();
        for id in app.components.keys() {
            per_component.insert(
                id.clone(),
                Arc::new(app.manifest.component_variables(id, &values)?),
            );
        }
        Ok(Host {
            clock_offset: Arc::new(AtomicI64::new(0)),
            app,
            kv,
            variables: per_component,
            logs: Mutex::new(Vec::new()),
            echo_logs: false,
        })
    }

    /// Copies what components write to stderr onto the host's stderr too.
    pub fn echo_logs(mut self) -> Host {
        self.echo_logs = true;
        self
    }

    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    /// Moves the components' clock on by `seconds` (tests of what happens after a while).
    pub fn advance_clock(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }

    /// The components' clock, as Unix seconds.
    pub fn now_unix(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }

    /// Everything the components have written to stdout and stderr so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.logs.lock().expect("log lock")).into_owned()
    }

    pub async fn handle<B>(
        &self,
        request: hyper::Request<B>,
        client: SocketAddr,
    ) -> Result<HostResponse>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let path = request.uri().path().to_owned();
        let Some(found) = self.app.router.route(&path) else {
            return Ok(HostResponse {
                status: 404,
                headers: hyper::HeaderMap::new(),
                body: Bytes::from_static(b"Not Found"),
                calls: HostCalls::default(),
            });
        };
        let id = &found.handler.component;
        let component = &self.app.components[id];
        let request = with_spin_headers(request, &found, client)?;

        let output = MemoryOutputPipe::new(64 * 1024);
        let wasi = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output.clone())
            .wall_clock(OffsetClock(self.clock_offset.clone()))
            .build();
        let mut store = Store::new(
            component.pre.engine(),
            InstanceState {
                wasi,
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                spin: SpinState {
                    kv: self.kv.clone(),
                    allowed_stores: component.stores.clone(),
                    variables: self.variables[id].clone(),
                    calls: HostCalls::default(),
                },
            },
        );
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(|e| anyhow!("{e}"))?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(|e| anyhow!("{e}"))?;
        let pre = component.pre.clone();
        // How the instance ended and what it called, sent before the instance is torn down:
        // as under Spin, returning its memory to the pool overlaps the next request.
        let (ended, end) = tokio::sync::oneshot::channel();
        tokio::task::spawn(async move {
            let handled = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            }
            .await;
            let _ = ended.send((handled, store.data().spin.calls));
        });
        let response = match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow!("component {id} answered with error {code:?}")),
            Err(_) => Err(anyhow!("component {id} set no response")),
        };
        let result = match response {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                match body.collect().await {
                    Ok(body) => Ok((parts.status.as_u16(), parts.headers, body.to_bytes())),
                    Err(e) => Err(anyhow!("reading response body: {e:?}")),
                }
            }
            Err(e) => Err(e),
        };
        // The instance has answered; its end says whether it trapped and what it called.
        let (result, calls) = match end.await {
            Ok((Ok(()), calls)) => (result, calls),
            Ok((Err(trap), calls)) => (
                result.and(Err(anyhow!("component {id} trapped: {trap:?}"))),
                calls,
            ),
            Err(_) => (
                Err(anyhow!("component {id} task ended without an answer")),
                HostCalls::default(),
            ),
        };
        self.record_logs(&output.contents());
        // Spin answers a trapped component with a bare 500.
        Ok(match result {
            Ok((status, headers, body)) => HostResponse {
                status,
                headers,
                body,
                calls,
            },
            Err(e) => {
                self.record_logs(format!("{e}\n").as_bytes());
                HostResponse {
                    status: 500,
                    headers: hyper::HeaderMap::new(),
                    body: Bytes::new(),
                    calls,
                }
            }
        })
    }

    fn record_logs(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.echo_logs {
            eprint!("{}", String::from_utf8_lossy(bytes));
        }
        self.logs.lock().expect("log lock").extend_from_slice(bytes);
    }
}

fn with_spin_headers<B>(
    request: hyper::Request<B>,
    found: &RouteMatch,
    client: SocketAddr,
) -> Result<hyper::Request<B>> {
    let (mut parts, body) = request.into_parts();
    let host = (parts.headers.get(hyper::header::HOST))
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let full_url = format!("http://{host}{path_and_query}");
    // The guest sees an absolute URI, as under Spin.
    parts.uri = full_url.parse().context("request URI")?;
    let set = |headers: &mut hyper::HeaderMap, name: &'static str, value: &str| -> Result<()> {
        headers.insert(
            name,
            value.parse().with_context(|| format!("header {name}"))?,
        );
        Ok(())
    };
    set(&mut parts.headers, "spin-full-url", &full_url)?;
    let route = found.handler;
    set(&mut parts.headers, "spin-path-info", &found.path_info)?;
    set(&mut parts.headers, "spin-matched-route", &route.pattern)?;
    set(
        &mut parts.headers,
        "spin-raw-component-route",
        &route.pattern,
    )?;
    set(
        &mut parts.headers,
        "spin-component-route",
        route.component_route(),
    )?;
    for (name, value) in &found.parameters {
        let name = format!("spin-path-match-{}", name.to_ascii_lowercase());
        parts.headers.insert(
            hyper::header::HeaderName::try_from(name.as_str()).context("parameter header")?,
            value.parse().context("parameter value")?,
        );
    }
    set(&mut parts.headers, "spin-base-path", "/")?;
    set(&mut parts.headers, "spin-client-addr", &client.to_string())?;
    Ok(hyper::Request::from_parts(parts, body))
}
