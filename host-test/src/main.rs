//! The `host-test` command line: run one request through a policy module, run the
//! cases-as-data suites of the workspace or of one policy, annotate a module with its
//! metadata, show the metadata a module carries, and scan plain manifests against a bundle.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use host_test::cli::LimitArgs;
use host_test::metadata::{self, Metadata};
use host_test::suite::{self, RunOptions};
use host_test::{ClusterFixture, EvalOptions, Harness, PolicyMode, request};

mod host_conformance;

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
    /// Evaluate plain Kubernetes manifests against the bundle (runs `aks-scan`, the scanner).
    #[command(disable_help_flag = true)]
    Scan(ScanArgs),
    /// Generate artifacthub/ from the policies' metadata.yml, Cargo.toml and README.md.
    Artifacthub(ArtifacthubArgs),
    /// Every case through kwctl and policy-server, compared with host-test (docs/conformance.md).
    Conformance(host_conformance::ConformanceArgs),
    /// Write or check the recorded host-call sessions (kwctl's replay format) of the cases.
    Sessions(host_conformance::SessionsArgs),
    /// List the profiles built into the binaries (`scan --profile NAME`): their policies and
    /// site parameters.
    Profiles,
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

/// `host-test scan ARGS…` runs `aks-scan ARGS…` (the scanner's own binary, built beside this
/// one): the old name keeps working.
#[derive(Args)]
struct ScanArgs {
    /// The arguments of `aks-scan` (see `aks-scan --help`).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<std::ffi::OsString>,
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
        Command::Conformance(args) => host_conformance::conformance(args),
        Command::Sessions(args) => host_conformance::sessions(args),
        Command::Profiles => profiles(),
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
            bail!(
                "--annotation {k}: {} already sets it",
                args.metadata.display()
            );
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
    let name = format!("aks-scan{}", std::env::consts::EXE_SUFFIX);
    let me = std::env::current_exe().context("cannot find the host-test binary")?;
    let scanner = me.with_file_name(&name);
    if !scanner.is_file() {
        bail!(
            "`host-test scan` runs the scanner binary {name}, which is not built beside {} \
             (build it: cargo build -p scanner, or make harness)",
            me.display()
        );
    }
    let status = std::process::Command::new(&scanner)
        .args(&args.args)
        .status()
        .with_context(|| format!("cannot run {}", scanner.display()))?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(2),
    ))
}

fn profiles() -> Result<ExitCode> {
    for (name, _) in bundle_tool::profile::BUILTIN {
        let profile = bundle_tool::profile::Profile::builtin(name)?;
        println!("{name} ({} policies)", profile.policies.len());
        println!("  {}", profile.description.trim());
        for (parameter, declared) in &profile.parameters {
            let value = if declared.required {
                let policies: Vec<&str> = declared
                    .settings
                    .iter()
                    .map(|t| t.policy.as_str())
                    .collect();
                format!(
                    "required, no default: {} left out until set",
                    policies.join(", ")
                )
            } else {
                profile
                    .parameter_value(parameter)
                    .map_or_else(|| "the policy's default".to_owned(), ToString::to_string)
            };
            println!(
                "  --param {parameter}=...  {} (now: {value})",
                declared.description
            );
        }
    }
    Ok(ExitCode::SUCCESS)
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
