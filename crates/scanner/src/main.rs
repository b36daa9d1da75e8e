//! `aks-scan` (also run as `host-test scan`): evaluates plain Kubernetes manifests against
//! the bundle's modules, as CI would before they reach a cluster.

use std::io::IsTerminal as _;
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
    /// Profile selecting the modules of --dist, their modes and their settings: a built-in
    /// name (aks-baseline, pci-dss, pss-baseline, pss-restricted; `host-test profiles`) or a
    /// file. Without it (and without --module or --settings-dir) the scan runs aks-baseline.
    #[arg(long, value_name = "NAME|FILE", conflicts_with = "settings_dir")]
    profile: Option<String>,
    /// A site parameter of the profile: NAME=VALUE (a list takes A,B,C); repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// A YAML file mapping site parameters of the profile to their values.
    #[arg(long, value_name = "FILE")]
    values: Option<PathBuf>,
    /// Render kustomizations (directories with a kustomization.yaml) with kustomize or
    /// kubectl: auto (when one is on PATH), always, never.
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "always", "never"])]
    kustomize: String,
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
    /// Objects of unknown kinds are scanned with a warning (the default; kept for old
    /// command lines).
    #[arg(long, overrides_with = "strict_kinds")]
    allow_unknown_kinds: bool,
    /// Objects of unknown kinds are input errors (see --input-errors) instead of warnings.
    #[arg(long, overrides_with = "allow_unknown_kinds")]
    strict_kinds: bool,
    /// How the table groups findings: object (by file and object) or control.
    #[arg(long, value_name = "GROUPING", default_value = "object", value_parser = ["object", "control"])]
    group_by: String,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "junit", "sarif", "markdown", "policyreport"])]
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
    /// Exit with 0 even when violations are found (input errors still follow --input-errors).
    #[arg(long, overrides_with = "fail_on_violation")]
    no_fail: bool,
    /// What a file or kustomization that cannot be read or rendered does to the exit code:
    /// fail (exit 1, as a violation) or warn (reported only). Either way it is reported in
    /// every format and the rest is scanned.
    #[arg(long, value_name = "MODE", default_value = "fail", value_parser = ["fail", "warn"])]
    input_errors: String,
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

    // A path on the command line that does not exist is a usage error (exit 2); a file that
    // exists but cannot be read or parsed is an input error of the scan.
    for path in &args.paths {
        if path.as_os_str() != "-" && std::fs::symlink_metadata(path).is_err() {
            anyhow::bail!("{}: no such file or directory", path.display());
        }
    }

    let harness = args.limits.pooled_harness(Path::new("."))?;
    let cluster = match &args.cluster {
        Some(path) => Some(Arc::new(ClusterFixture::load(path)?)),
        None => None,
    };
    let dist = dist_dir(&args.dist);
    // Without a profile, a module that cannot be used is reported and set aside; the others
    // still scan, and the exit code is then 2 (as for an input that could not be used).
    let default_profile = args.module.is_empty() && args.settings_dir.is_none();
    let mut profile_notes: Vec<String> = Vec::new();
    let (policies, broken) = if args.profile.is_some() || default_profile {
        let name = match &args.profile {
            Some(name) => name.clone(),
            None => {
                eprintln!(
                    "note: no --profile given: scanning with the built-in profile {DEFAULT_PROFILE} \
                     (its safe defaults for any AKS cluster; --profile NAME|FILE to choose)"
                );
                DEFAULT_PROFILE.to_owned()
            }
        };
        let (profile, notes) = resolve_profile(&name, &args.param, args.values.as_deref())?;
        profile_notes = notes;
        let bar = progress_bar(&args, "modules compiled");
        let progress = bar.clone().map(|bar| {
            scanner::scan::ProgressSink(Arc::new(move |done, total| bar.update(done, total)))
        });
        let policies = sc::load_profile_with(&harness, &dist, &profile, progress.as_ref())?;
        if let Some(bar) = &bar {
            bar.finish();
        }
        (policies, Vec::new())
    } else {
        let modules = if args.module.is_empty() {
            sc::dist_modules(&dist)?
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
    let kustomize: scanner::repo::KustomizeMode =
        args.kustomize.parse().map_err(anyhow::Error::msg)?;
    let group_by: scanner::report::table::GroupBy =
        args.group_by.parse().map_err(anyhow::Error::msg)?;
    let input_errors: scanner::report::InputErrorMode =
        args.input_errors.parse().map_err(anyhow::Error::msg)?;
    let manifests = scanner::repo::read_repository(
        &args.paths,
        &scanner::repo::RepoOptions {
            kustomize,
            renderer: scanner::repo::find_renderer(),
        },
    );
    if let Some(line) = manifests.skipped_summary() {
        eprintln!("note: {line}");
    }
    let bar = progress_bar(&args, "evaluations");
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
        allow_unknown_kinds: !args.strict_kinds,
        input_errors,
        progress: bar.clone().map(|bar| {
            scanner::scan::ProgressSink(Arc::new(move |done, total| bar.update(done, total)))
        }),
    };
    let mut report = scanner::scan(&policies, manifests, &options);
    report.notes.splice(
        0..0,
        profile_notes
            .into_iter()
            .map(admission::manifest::InputError::general),
    );
    if let Some(bar) = &bar {
        bar.finish();
    }
    for error in &report.input_errors {
        eprintln!("error: {error}");
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let text = match args.format.as_str() {
        "json" => report.render_json() + "\n",
        "junit" => report.render_junit(),
        "sarif" => report.render_sarif(&root) + "\n",
        "markdown" => report.render_markdown(),
        "policyreport" => report.render_policy_reports(),
        _ => report.render_table_grouped(group_by),
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

/// The profile a scan runs when none is given.
const DEFAULT_PROFILE: &str = "aks-baseline";

/// `--dist`: as given, except that the default `dist` falls back to the `dist/` of the
/// repository this binary was built in (`target/<profile>/aks-scan` -> `dist/`) when the
/// current directory has none, so a scan works from any directory.
fn dist_dir(given: &Path) -> PathBuf {
    if given != Path::new("dist") || given.is_dir() {
        return given.to_owned();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("dist")))
        .filter(|dist| dist.is_dir())
        .unwrap_or_else(|| given.to_owned())
}

/// The progress line on stderr, when it is a terminal and not turned off.
fn progress_bar(
    args: &ScanArgs,
    unit: &'static str,
) -> Option<Arc<scanner::progress::ProgressBar<std::io::Stderr>>> {
    (!args.no_progress && std::io::stderr().is_terminal())
        .then(|| Arc::new(scanner::progress::ProgressBar::new(std::io::stderr()).counting(unit)))
}

/// The profile named or given as a file, with the site parameters of `--param` and
/// `--values` applied, and a note for each parameter left unset (the report carries them).
fn resolve_profile(
    name: &str,
    params: &[String],
    values: Option<&Path>,
) -> Result<(scanner::profile::Profile, Vec<String>)> {
    let mut profile = bundle_tool::profile::Profile::find(Path::new("."), name)?;
    let values = match values {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --values {}", path.display()))?;
            Some(
                serde_yaml::from_str::<serde_json::Value>(&text)
                    .with_context(|| format!("--values {} is not YAML", path.display()))?,
            )
        }
        None => None,
    };
    let given = profile.parameter_values(params, values.as_ref())?;
    let applied = profile.apply_parameters(&given)?;
    let notes = applied.notes(&profile.name);
    let profile = scanner::profile::Profile::from_bundle(&profile).map_err(anyhow::Error::msg)?;
    Ok((profile, notes))
}
