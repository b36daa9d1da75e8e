//! The `host-test` command line: run one request through a policy module, run the
//! cases-as-data suites of the workspace or of one policy, annotate a module with its
//! metadata, show the metadata a module carries, and scan plain manifests against a bundle.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use host_test::metadata::{self, Metadata};
use host_test::suite::{self, RunOptions};
use host_test::{ClusterFixture, EvalOptions, Harness, HarnessConfig, Limits, PolicyMode, request};

/// Runs Kubewarden waPC policy modules exactly as policy-server does.
#[derive(Parser)]
#[command(name = "host-test", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one admission request and print the AdmissionResponse (one JSON line).
    Run(RunArgs),
    /// Run every policies/<id>/cases.yaml against dist/<id>.wasm.
    Test(TestArgs),
    /// Run one suite against any module.
    Verify(VerifyArgs),
    /// Embed metadata.yml (and a README) into a module, as `kwctl annotate` does.
    Annotate(AnnotateArgs),
    /// Print the metadata embedded in a module.
    Inspect(InspectArgs),
    /// Evaluate plain Kubernetes manifests against every module of a bundle.
    Scan(ScanArgs),
    /// Generate artifacthub/ from the policies' metadata.yml, Cargo.toml and README.md.
    Artifacthub(ArtifacthubArgs),
}

#[derive(Args)]
struct ArtifacthubArgs {
    /// Repository root (holds policies/).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Output folder.
    #[arg(long, default_value = "artifacthub")]
    out: PathBuf,
    /// Do not write: exit 1 listing the files that differ from what would be generated.
    #[arg(long)]
    check: bool,
}

/// Evaluation limits and engine options shared by the commands that run modules.
#[derive(Args, Clone)]
struct LimitArgs {
    /// Wall-clock deadline of one evaluation, in seconds (policy-server's --policy-timeout).
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    timeout: f64,
    /// Fuel budget of one evaluation.
    #[arg(long, value_name = "N", default_value_t = host_test::limits::DEFAULT_FUEL)]
    fuel: u64,
    /// Cap on a guest's linear memory, in MiB.
    #[arg(long, value_name = "N", default_value_t = 256)]
    memory_mib: usize,
    /// Do not read or write the on-disk cache of compiled modules.
    #[arg(long)]
    no_cache: bool,
    /// Use wasmtime's pooling instance allocator (the default of `scan`).
    #[arg(long, overrides_with = "no_pooling")]
    pooling: bool,
    /// Allocate every instance on demand, as policy-server does (the default, except for `scan`).
    #[arg(long, overrides_with = "pooling")]
    no_pooling: bool,
    /// Seed WASI random_get for reproducible runs.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

impl LimitArgs {
    fn harness(&self, cache_root: &Path) -> Result<Harness> {
        self.harness_with(cache_root, self.pooling)
    }

    /// The harness with the pooling allocator unless `--no-pooling` was given: `scan` runs
    /// thousands of short evaluations, where reusing pooled slots saves a memory mapping and
    /// its page faults per evaluation (the answers are the same either way).
    fn pooled_harness(&self, cache_root: &Path) -> Result<Harness> {
        self.harness_with(cache_root, !self.no_pooling)
    }

    fn harness_with(&self, cache_root: &Path, pooling: bool) -> Result<Harness> {
        if !self.timeout.is_finite() || self.timeout <= 0.0 {
            bail!("--timeout must be a positive number of seconds");
        }
        let memory_bytes = self
            .memory_mib
            .checked_mul(1024 * 1024)
            .context("--memory-mib is too large")?;
        let config = HarnessConfig {
            limits: Limits {
                timeout: Duration::from_secs_f64(self.timeout),
                fuel: self.fuel,
                memory_bytes,
            },
            cache_dir: if self.no_cache {
                None
            } else {
                HarnessConfig::default_cache_dir(cache_root)
            },
            pooling,
            random_seed: self.seed,
        };
        Ok(Harness::new(config)?)
    }
}

/// How to reach a registry for `registry://` modules.
#[derive(Args)]
struct RegistryArgs {
    /// Plain HTTP to the registry of a `registry://` module.
    #[arg(long)]
    registry_insecure_http: bool,
    /// PEM CA file trusted for the registry of a `registry://` module.
    #[arg(long, value_name = "PEM")]
    registry_ca_file: Option<PathBuf>,
    /// Cosign public key (PEM): run a `registry://` module only if it carries a cosign signature
    /// by this key over the digest pulled.
    #[arg(long, value_name = "PEM")]
    verify_key: Option<PathBuf>,
}

/// Loads a module from a file, or pulls it first when given as `registry://…`.
fn load_any(
    harness: &Harness,
    module: &std::path::Path,
    registry: &RegistryArgs,
) -> Result<host_test::PolicyModule> {
    let text = module.to_string_lossy();
    if text.starts_with("registry://") {
        let transport = bundle_tool::oci::Transport {
            insecure_http: registry.registry_insecure_http,
            ca_file: registry.registry_ca_file.clone(),
            basic_auth: None,
        };
        let bytes = match &registry.verify_key {
            Some(key) => bundle_tool::sign::pull_verified(
                &text,
                &bundle_tool::sign::read_public_key(key)?,
                &transport,
            )?,
            None => bundle_tool::oci::pull(&text, &transport)?,
        };
        let name = text
            .rsplit('/')
            .next()
            .and_then(|n| n.split([':', '@']).next())
            .unwrap_or("module")
            .to_string();
        return Ok(harness.load_module_bytes(&name, &bytes)?);
    }
    if registry.verify_key.is_some() {
        bail!(
            "--verify-key checks registry:// modules; {} is a file",
            module.display()
        );
    }
    Ok(harness.load_module(module)?)
}

#[derive(Args)]
struct RunArgs {
    /// The policy module: a file, or `registry://host[:port]/path:tag` (pulled first).
    #[arg(short, long, value_name = "M.wasm")]
    module: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
    /// AdmissionRequest or AdmissionReview (JSON or YAML).
    #[arg(short, long, value_name = "R")]
    request: PathBuf,
    /// Settings as inline JSON.
    #[arg(long, value_name = "JSON", conflicts_with = "settings")]
    settings_json: Option<String>,
    /// Settings file (JSON or YAML).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Cluster fixture answering host calls.
    #[arg(long, value_name = "FIXTURE")]
    cluster: Option<PathBuf>,
    /// Policy mode.
    #[arg(long, default_value = "protect", value_parser = ["protect", "monitor"])]
    mode: String,
    /// Allow the policy to mutate (as the CRD's `mutating: true`).
    #[arg(long)]
    allow_mutation: bool,
    /// Run a module policy-server would refuse (unannotated or not protocol v1).
    #[arg(long)]
    allow_unannotated: bool,
    /// Policy id used in messages (default: the module's file stem).
    #[arg(long, value_name = "ID")]
    policy_id: Option<String>,
    /// Host-capability allow-list, comma separated.
    #[arg(long, value_name = "LIST", default_value = "*", value_delimiter = ',')]
    host_capabilities: Vec<String>,
    /// Custom rejection message (the CRD's `message`).
    #[arg(long, value_name = "TEXT")]
    message: Option<String>,
    /// Exit with 1 when the request is rejected.
    #[arg(long)]
    exit_code: bool,
    /// Print the guest's log and host calls on stderr.
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args)]
struct TestArgs {
    /// Workspace root holding policies/.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Directory of the annotated modules (default: ROOT/dist).
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// Run a module policy-server would refuse (unannotated or not protocol v1).
    #[arg(long)]
    allow_unannotated: bool,
    /// Also list the policies that passed.
    #[arg(short, long)]
    verbose: bool,
    /// Only these policies (directory names under policies/).
    #[arg(value_name = "POLICY")]
    policies: Vec<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args)]
struct VerifyArgs {
    /// The suite (cases.yaml).
    #[arg(value_name = "SUITE.yaml")]
    suite: PathBuf,
    /// The module to run it against.
    #[arg(short, long, value_name = "M.wasm")]
    module: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Policy id used in messages (default: the module's file stem).
    #[arg(long, value_name = "ID")]
    policy_id: Option<String>,
    /// Run a module policy-server would refuse (unannotated or not protocol v1).
    #[arg(long)]
    allow_unannotated: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args)]
struct AnnotateArgs {
    /// metadata.yml
    #[arg(short, long, value_name = "metadata.yml")]
    metadata: PathBuf,
    /// README added as the io.kubewarden.policy.usage annotation.
    #[arg(short, long, value_name = "README.md")]
    usage: Option<PathBuf>,
    /// Where to write the annotated module.
    #[arg(short, long, value_name = "OUT.wasm")]
    output: PathBuf,
    /// An annotation added to metadata.yml's (provenance: repository, commit, module digest);
    /// repeatable; a key metadata.yml already sets is an error.
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    annotations: Vec<String>,
    /// The module to annotate.
    #[arg(value_name = "IN.wasm")]
    input: PathBuf,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args)]
struct InspectArgs {
    /// The module.
    #[arg(value_name = "M.wasm")]
    module: PathBuf,
}

#[derive(Args)]
struct ScanArgs {
    /// Directory of the annotated modules (every *.wasm in it, or the profile's).
    #[arg(long, value_name = "DIR", default_value = "dist")]
    dist: PathBuf,
    /// Only these modules (instead of the modules of --dist).
    #[arg(short, long, value_name = "M.wasm", conflicts_with = "profile")]
    module: Vec<PathBuf>,
    /// Profile selecting the modules of --dist, their modes and their settings.
    #[arg(long, value_name = "FILE", conflicts_with = "settings_dir")]
    profile: Option<PathBuf>,
    /// Directory of settings files, <id>.yaml, <id>.yml or <id>.json (default: {} for all).
    #[arg(long, value_name = "DIR")]
    settings_dir: Option<PathBuf>,
    /// Namespace of namespaced objects without metadata.namespace.
    #[arg(long, value_name = "NS", default_value = "default")]
    namespace: String,
    /// userInfo.username of the requests.
    #[arg(long, value_name = "NAME", default_value = host_test::scan::DEFAULT_USERNAME)]
    user: String,
    /// userInfo.groups of the requests (repeatable).
    #[arg(long, value_name = "G")]
    group: Vec<String>,
    /// Cluster fixture: objects that already exist (and canned host-call answers).
    #[arg(long, value_name = "FIXTURE")]
    cluster: Option<PathBuf>,
    /// Do not add the scanned objects to the cluster context-aware policies read.
    #[arg(long)]
    no_manifest_context: bool,
    /// Report objects of unknown kinds as warnings instead of input errors.
    #[arg(long)]
    allow_unknown_kinds: bool,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "junit", "sarif", "markdown"])]
    format: String,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Directory SARIF file locations are relative to (default: the current directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Lowest severity whose violations fail the scan (exit 1).
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = ["critical", "high", "medium", "low"])]
    fail_on: String,
    /// Exit with 1 when a violation at or above --fail-on is found (the default).
    #[arg(long, overrides_with = "no_fail")]
    fail_on_violation: bool,
    /// Exit with 0 even when violations are found (input errors still exit 2).
    #[arg(long, overrides_with = "fail_on_violation")]
    no_fail: bool,
    /// Evaluations run on this many threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    jobs: usize,
    /// Never draw the progress bar (it is drawn only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Manifest files, directories (their *.yaml, *.yml, *.json, recursively) or - for stdin.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run(args),
        Command::Test(args) => test(args),
        Command::Verify(args) => verify(args),
        Command::Annotate(args) => annotate(args),
        Command::Inspect(args) => inspect(args),
        Command::Scan(args) => scan(args),
        Command::Artifacthub(args) => artifacthub(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn read_settings(args: &RunArgs) -> Result<Value> {
    if let Some(text) = &args.settings_json {
        return serde_json::from_str(text).context("--settings-json is not valid JSON");
    }
    if let Some(path) = &args.settings {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read settings {}", path.display()))?;
        return request::parse_document(&text)
            .with_context(|| format!("cannot parse settings {}", path.display()));
    }
    Ok(Value::Object(serde_json::Map::new()))
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let harness = args.limits.harness(Path::new("."))?;
    let module = load_any(&harness, &args.module, &args.registry)?;
    if !args.allow_unannotated {
        module.check_runnable()?;
    }
    let settings = read_settings(&args)?;
    let request = request::load_request(&args.request)?;
    let cluster = match &args.cluster {
        Some(path) => Some(Arc::new(ClusterFixture::load(path)?)),
        None => None,
    };
    let mode: PolicyMode = args.mode.parse().map_err(anyhow::Error::msg)?;
    let options = EvalOptions {
        policy_id: args.policy_id.clone(),
        mode,
        allowed_to_mutate: args.allow_mutation,
        custom_message: args.message.clone(),
        host_capabilities: args.host_capabilities.clone(),
        context_aware_resources: None,
        cluster,
        hidden_object: None,
    };
    let settings_outcome = module.validate_settings_with(&settings, &options)?;
    if args.verbose {
        for entry in &settings_outcome.log {
            eprintln!("log ({:?}): {}", entry.source, entry.text);
        }
    }
    if !settings_outcome.valid {
        eprintln!(
            "Provided settings are not valid: {}",
            settings_outcome.message.as_deref().unwrap_or("")
        );
        return Ok(ExitCode::from(1));
    }
    let evaluation = module.validate_with(&request, &settings, &options)?;
    if args.verbose {
        for entry in &evaluation.log {
            eprintln!("log ({:?}): {}", entry.source, entry.text);
        }
        for call in &evaluation.host_calls {
            eprintln!(
                "host call {}/{}/{} {} -> {:?}",
                call.binding, call.namespace, call.operation, call.payload, call.outcome
            );
        }
        if let Some(failure) = &evaluation.failure {
            eprintln!("failure: {failure}");
        }
        eprintln!(
            "fuel: {} elapsed: {:?}",
            evaluation.fuel_consumed, evaluation.elapsed
        );
    }
    println!("{}", evaluation.response.to_json());
    if args.exit_code && !evaluation.allowed() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn test(args: TestArgs) -> Result<ExitCode> {
    let dist = args.dist.clone().unwrap_or_else(|| args.root.join("dist"));
    let policies = suite::discover(&args.root, &dist, &args.policies)?;
    let harness = args.limits.harness(&args.root)?;
    let report = suite::run_workspace(&harness, &policies, args.allow_unannotated);
    if args.verbose {
        for policy in &report.policies {
            if let suite::PolicyOutcome::Ran(ran) = policy
                && ran.failed() == 0
            {
                println!("ok {}: {} cases", ran.policy, ran.cases.len());
            }
        }
    }
    print!("{}", report.render());
    Ok(if report.errors() > 0 {
        ExitCode::from(2)
    } else if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let harness = args.limits.harness(Path::new("."))?;
    let suite = suite::load_suite(&args.suite)?;
    let module = load_any(&harness, &args.module, &args.registry)?;
    let report = suite::run_suite(
        &module,
        &suite,
        &RunOptions {
            policy_id: args.policy_id.clone(),
            allow_unannotated: args.allow_unannotated,
        },
    )?;
    print!("{}", report.render_failures());
    println!("{} passed, {} failed", report.passed(), report.failed());
    Ok(if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn annotate(args: AnnotateArgs) -> Result<ExitCode> {
    let harness = args.limits.harness(Path::new("."))?;
    let wasm = std::fs::read(&args.input)
        .with_context(|| format!("cannot read module {}", args.input.display()))?;
    let text = std::fs::read_to_string(&args.metadata)
        .with_context(|| format!("cannot read {}", args.metadata.display()))?;
    let mut metadata = Metadata::from_yaml(&text)
        .with_context(|| format!("invalid metadata in {}", args.metadata.display()))?;
    for a in &args.annotations {
        let Some((k, v)) = a.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            bail!("--annotation {a:?}: expected KEY=VALUE");
        };
        let map = metadata.annotations.get_or_insert_with(Default::default);
        if map.contains_key(k) {
            bail!("--annotation {k}: {} already sets it", args.metadata.display());
        }
        map.insert(k.to_owned(), v.to_owned());
    }
    let usage = match &args.usage {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let name = args
        .input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let annotated = host_test::annotate(&harness, &name, &wasm, metadata, usage.as_deref())
        .with_context(|| format!("cannot annotate {}", args.input.display()))?;
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&args.output, annotated)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn inspect(args: InspectArgs) -> Result<ExitCode> {
    let wasm = std::fs::read(&args.module)
        .with_context(|| format!("cannot read module {}", args.module.display()))?;
    match metadata::read_metadata_section(&wasm)? {
        Some(bytes) => {
            let value: Value = serde_json::from_slice(&bytes)
                .context("the io.kubewarden.metadata section is not JSON")?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!(
                "{} has no io.kubewarden.metadata section",
                args.module.display()
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    use host_test::scan as sc;
    use std::io::IsTerminal as _;

    let harness = args.limits.pooled_harness(Path::new("."))?;
    let cluster = match &args.cluster {
        Some(path) => Some(Arc::new(ClusterFixture::load(path)?)),
        None => None,
    };
    // Without a profile, a module that cannot be used is reported and set aside; the others
    // still scan, and the exit code is then 2 (as for an input that could not be used).
    let (policies, broken) = if let Some(path) = &args.profile {
        let profile = host_test::profile::Profile::load(path)?;
        (
            sc::load_profile(&harness, &args.dist, &profile)?,
            Vec::new(),
        )
    } else {
        let modules = if args.module.is_empty() {
            sc::dist_modules(&args.dist)?
        } else {
            args.module.clone()
        };
        sc::load_policies_continuing(&harness, &modules, args.settings_dir.as_deref())?
    };
    for (path, error) in &broken {
        eprintln!(
            "error: module {}: {}",
            path.display(),
            host_test::suite::error_chain(error)
        );
    }
    let root = match &args.root {
        Some(root) => std::fs::canonicalize(root)
            .with_context(|| format!("cannot use --root {}", root.display()))?,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let fail_on: sc::Severity = args.fail_on.parse().map_err(anyhow::Error::msg)?;
    let manifests = sc::read_manifests(&args.paths);
    let bar = (!args.no_progress && std::io::stderr().is_terminal())
        .then(|| Arc::new(host_test::progress::ProgressBar::new(std::io::stderr())));
    let options = host_test::ScanOptions {
        defaults: sc::RequestDefaults {
            namespace: args.namespace.clone(),
            username: args.user.clone(),
            groups: args.group.clone(),
        },
        cluster,
        manifests_as_context: !args.no_manifest_context,
        threads: args.jobs,
        fail_on: (!args.no_fail).then_some(fail_on),
        allow_unknown_kinds: args.allow_unknown_kinds,
        progress: bar
            .clone()
            .map(|bar| sc::ProgressSink(Arc::new(move |done, total| bar.update(done, total)))),
    };
    let report = host_test::scan(&policies, manifests, &options);
    if let Some(bar) = &bar {
        bar.finish();
    }
    for error in &report.input_errors {
        eprintln!("error: {error}");
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let text = match args.format.as_str() {
        "json" => report.render_json() + "\n",
        "junit" => report.render_junit(),
        "sarif" => report.render_sarif(&root) + "\n",
        "markdown" => report.render_markdown(),
        _ => report.render_table(),
    };
    match &args.output {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    if args.format != "table" || args.output.is_some() {
        eprintln!("{}", report.summary());
    }
    if !broken.is_empty() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn artifacthub(args: ArtifacthubArgs) -> Result<ExitCode> {
    if args.check {
        let problems = host_test::artifacthub::stale(&args.root, &args.out)?;
        for p in &problems {
            eprintln!("{}: {p}", args.out.display());
        }
        return Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let n = host_test::artifacthub::write(&args.root, &args.out)?;
    println!("wrote {n} files under {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
