//! The process-wide wasmtime machinery: one `Engine` per allocation strategy and fuel setting
//! (by default policy-evaluator's: on-demand allocation, epoch interruption, no fuel, function
//! references on; fuel metering only when a caller's limits ask for it) with a background
//! thread bumping its epoch every [`EPOCH_TICK`], one `Linker` filled once with the `wapc` and
//! WASI imports, and compiled modules cached in memory by content hash (as `InstancePre`s,
//! ready to instantiate) and optionally on disk as `Module::serialize` output.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig,
};

use crate::limits::{EPOCH_TICK, Limits};
use crate::metadata::MetadataError;
use crate::state::HostState;
use crate::{wapc, wasi};

/// Environment variable naming the on-disk cache directory.
pub const CACHE_ENV: &str = "HOST_TEST_CACHE";

/// How a [`Harness`] is set up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HarnessConfig {
    /// Bounds of every evaluation.
    pub limits: Limits,
    /// Directory for compiled modules (`Module::serialize` output); `None` keeps them in
    /// memory only.
    pub cache_dir: Option<PathBuf>,
    /// Use wasmtime's pooling instance allocator instead of on-demand allocation (policy-server
    /// and kwctl allocate on demand).
    pub pooling: bool,
    /// Seed WASI `random_get` for reproducible runs; `None` uses the OS generator, as
    /// policy-server does.
    pub random_seed: Option<u64>,
}

impl HarnessConfig {
    /// The cache directory a command run from `start` should use: `$HOST_TEST_CACHE` when
    /// set (empty disables the cache), else `target/host-test-cache` of the nearest
    /// enclosing Cargo workspace, else `host-test` under the user's cache directory
    /// (`$XDG_CACHE_HOME`, else `$HOME/.cache`), else none.
    pub fn default_cache_dir(start: &Path) -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os(CACHE_ENV) {
            return (!dir.is_empty()).then(|| PathBuf::from(dir));
        }
        let start = if start.is_absolute() {
            start.to_owned()
        } else {
            std::env::current_dir().ok()?.join(start)
        };
        start
            .ancestors()
            .find(|dir| {
                std::fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|text| text.contains("[workspace]"))
            })
            .map(|root| {
                std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| root.join("target"))
                    .join("host-test-cache")
            })
            .or_else(|| {
                let base = std::env::var_os("XDG_CACHE_HOME")
                    .filter(|dir| !dir.is_empty())
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME")
                            .filter(|dir| !dir.is_empty())
                            .map(|home| PathBuf::from(home).join(".cache"))
                    })?;
                Some(base.join("host-test"))
            })
    }
}

/// Why a module could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read module {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The wasmtime engine could not be created.
    #[error("cannot create the wasmtime engine: {0}")]
    Engine(String),
    /// The module's embedded metadata (or its section layout) is invalid.
    #[error("cannot read the metadata of module {name}")]
    Metadata {
        /// Module name.
        name: String,
        /// What is wrong.
        #[source]
        source: MetadataError,
    },
    /// wasmtime refused to compile the module.
    #[error("cannot compile module {name}: {message}")]
    Compile {
        /// Module name.
        name: String,
        /// wasmtime's error chain.
        message: String,
    },
    /// The module imports something the harness (like policy-server) does not provide.
    #[error("cannot link module {name}: {message}")]
    Link {
        /// Module name.
        name: String,
        /// wasmtime's error chain.
        message: String,
    },
}

/// A compiled module, linked and ready to instantiate.
pub(crate) struct Compiled {
    pub(crate) pre: InstancePre<HostState>,
}

/// Bytes of a pooled memory (and table) kept mapped when an instance is dropped and reset in
/// place (only the dirtied pages, found with `PAGEMAP_SCAN` where the kernel has it) instead
/// of given back to the kernel with `madvise`: the next instance in that slot starts without
/// page faults for the stack and heap pages a policy touches on every request, and the
/// process avoids the TLB shootdowns `madvise` causes when several threads evaluate. Measured
/// with `host-test scan --pooling` over 200 manifests and 62 modules: about 15 % less CPU
/// than without (BENCHMARKS.md).
const KEEP_RESIDENT: usize = 4 << 20;

/// Engine, linker and module cache shared by every [`Harness`] with the same allocation
/// strategy and fuel setting.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    linker: Linker<HostState>,
    modules: Mutex<HashMap<[u8; 32], Arc<Compiled>>>,
}

impl Runtime {
    fn new(pooling: bool, fuel: bool) -> Result<Self, LoadError> {
        let mut config = Config::new();
        config.wasm_function_references(true);
        config.epoch_interruption(true);
        config.consume_fuel(fuel);
        if std::env::var_os("HOST_TEST_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        if pooling {
            let mut pool = PoolingAllocationConfig::default();
            pool.total_core_instances(64)
                .total_memories(64)
                .total_tables(64)
                .linear_memory_keep_resident(KEEP_RESIDENT)
                .table_keep_resident(KEEP_RESIDENT);
            // Reset only the pages an instance dirtied (Linux 6.7+; ignored elsewhere).
            pool.pagemap_scan(wasmtime::Enabled::Auto);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wapc::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        wasi::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;

        let weak = engine.weak();
        std::thread::Builder::new()
            .name("host-test-epoch".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| LoadError::Engine(format!("cannot start the epoch thread: {e}")))?;

        Ok(Runtime {
            engine,
            linker,
            modules: Mutex::new(HashMap::new()),
        })
    }

    /// The runtime for `pooling` and `fuel` (metering on or off), created on first use and
    /// kept for the process' life.
    fn shared(pooling: bool, fuel: bool) -> Result<Arc<Runtime>, LoadError> {
        type Runtimes = Mutex<HashMap<(bool, bool), Arc<Runtime>>>;
        static RUNTIMES: OnceLock<Runtimes> = OnceLock::new();
        let runtimes = RUNTIMES.get_or_init(|| Mutex::new(HashMap::new()));
        let mut runtimes = runtimes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(runtime) = runtimes.get(&(pooling, fuel)) {
            return Ok(runtime.clone());
        }
        let runtime = Arc::new(Runtime::new(pooling, fuel)?);
        runtimes.insert((pooling, fuel), runtime.clone());
        Ok(runtime)
    }

    fn compatibility_hash(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        hasher.finish()
    }

    /// Compiles (or fetches) the module whose code is `code` (a module with its metadata
    /// sections stripped), keyed by `digest`.
    pub(crate) fn compiled(
        &self,
        name: &str,
        code: &[u8],
        digest: [u8; 32],
        cache_dir: Option<&Path>,
    ) -> Result<Arc<Compiled>, LoadError> {
        if let Some(found) = self
            .modules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest)
        {
            return Ok(found.clone());
        }
        let cache_file = cache_dir.map(|dir| {
            dir.join(format!(
                "{}-{:016x}.cwasm",
                hex(&digest),
                self.compatibility_hash()
            ))
        });
        let module = match cache_file
            .as_deref()
            .and_then(|file| self.load_serialized(file))
        {
            Some(module) => module,
            None => {
                let module =
                    Module::from_binary(&self.engine, code).map_err(|e| LoadError::Compile {
                        name: name.to_owned(),
                        message: format!("{e:#}"),
                    })?;
                if let Some(file) = &cache_file {
                    store_serialized(&module, file);
                }
                module
            }
        };
        let link_error = |e: wasmtime::Error| LoadError::Link {
            name: name.to_owned(),
            message: format!("{e:#}"),
        };
        let missing = wasi::missing_imports(&module);
        let pre = if missing.is_empty() {
            self.linker.instantiate_pre(&module).map_err(link_error)?
        } else {
            let mut linker = self.linker.clone();
            wasi::define_stubs(&mut linker, missing).map_err(link_error)?;
            linker.instantiate_pre(&module).map_err(link_error)?
        };
        let compiled = Arc::new(Compiled { pre });
        self.modules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(digest, compiled.clone());
        Ok(compiled)
    }

    fn load_serialized(&self, file: &Path) -> Option<Module> {
        let bytes = std::fs::read(file).ok()?;
        // SAFETY: the cache directory only holds files this harness wrote with
        // `Module::serialize`, named after the sha256 of the module code and the engine's
        // compatibility hash; wasmtime additionally checks the header and engine settings
        // and refuses incompatible artifacts, in which case we recompile.
        unsafe { Module::deserialize(&self.engine, bytes) }.ok()
    }
}

/// Writes a compiled module to the cache, atomically; failures only cost a recompile later.
fn store_serialized(module: &Module, file: &Path) {
    let Ok(bytes) = module.serialize() else {
        return;
    };
    let Some(dir) = file.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Runs Kubewarden waPC policy modules as policy-server does. Cheap to clone; every clone
/// shares the process-wide engine and module cache.
#[derive(Clone)]
pub struct Harness {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) config: Arc<HarnessConfig>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("config", &self.config)
            .finish()
    }
}

impl Harness {
    /// A harness with `config`. The engine for the chosen allocation strategy is created on
    /// first use and shared by every harness of the process.
    ///
    /// # Errors
    /// When the wasmtime engine cannot be created.
    pub fn new(config: HarnessConfig) -> Result<Self, LoadError> {
        Ok(Harness {
            runtime: Runtime::shared(config.pooling, config.limits.fuel.is_some())?,
            config: Arc::new(config),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &HarnessConfig {
        &self.config
    }

    /// A harness sharing this one's engine and cache, with other limits. Turning fuel
    /// metering on or off selects the process' engine for that setting (modules are compiled
    /// per engine: load them through the returned harness).
    ///
    /// # Errors
    /// When the engine for the other fuel setting cannot be created.
    pub fn with_limits(&self, limits: Limits) -> Result<Harness, LoadError> {
        let mut config = (*self.config).clone();
        let runtime = if limits.fuel.is_some() == config.limits.fuel.is_some() {
            self.runtime.clone()
        } else {
            Runtime::shared(config.pooling, limits.fuel.is_some())?
        };
        config.limits = limits;
        Ok(Harness {
            runtime,
            config: Arc::new(config),
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.runtime.engine
    }
}
