//! `aks-scan` (also run as `host-test scan`): evaluates plain Kubernetes manifests against
//! the bundle's modules, as CI would before they reach a cluster.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use admission::fixture::ClusterFixture;
use host_test::cli::LimitArgs;

/// Evaluates plain Kubernetes manifests against the bundle's policy modules.
#[derive(Parser)]
#[command(name = "aks-scan", version, about)]
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
    #[arg(long, value_name = "NAME", default_value = admission::request::DEFAULT_USERNAME)]
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
    let args = ScanArgs::parse();
    match scan(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    use scanner::policies as sc;
    use std::io::IsTerminal as _;

    let harness = args.limits.pooled_harness(Path::new("."))?;
    let cluster = match &args.cluster {
        Some(path) => Some(Arc::new(ClusterFixture::load(path)?)),
        None => None,
    };
    // Without a profile, a module that cannot be used is reported and set aside; the others
    // still scan, and the exit code is then 2 (as for an input that could not be used).
    let (policies, broken) = if let Some(path) = &args.profile {
        let profile = scanner::profile::Profile::load(path)?;
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
    let manifests = admission::manifest::read_manifests(&args.paths);
    let bar = (!args.no_progress && std::io::stderr().is_terminal())
        .then(|| Arc::new(scanner::progress::ProgressBar::new(std::io::stderr())));
    let options = scanner::ScanOptions {
        defaults: admission::request::RequestDefaults {
            namespace: args.namespace.clone(),
            username: args.user.clone(),
            groups: args.group.clone(),
            ..admission::request::RequestDefaults::default()
        },
        cluster,
        manifests_as_context: !args.no_manifest_context,
        threads: args.jobs,
        fail_on: (!args.no_fail).then_some(fail_on),
        allow_unknown_kinds: args.allow_unknown_kinds,
        progress: bar
            .clone()
            .map(|bar| scanner::scan::ProgressSink(Arc::new(move |done, total| bar.update(done, total)))),
    };
    let report = scanner::scan(&policies, manifests, &options);
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
