//! The `conformance` and `sessions` subcommands (see `host_test::conformance`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use host_test::conformance::{self, Config};
use host_test::{Harness, HarnessConfig};

#[derive(Args)]
pub struct ConformanceArgs {
    /// Repository root (holds policies/ and tests/evasion/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Directory of the annotated modules (default: ROOT/dist).
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// kwctl binary (not run when absent).
    #[arg(long, value_name = "FILE")]
    kwctl: Option<PathBuf>,
    /// policy-server binary (not run when absent).
    #[arg(long, value_name = "FILE")]
    policy_server: Option<PathBuf>,
    /// Sigstore trust configuration for both (keeps them from reaching the Sigstore services).
    #[arg(long, value_name = "FILE")]
    sigstore_trust_config: Option<PathBuf>,
    /// Scratch directory.
    #[arg(long, value_name = "DIR", default_value = "target/conformance")]
    work: PathBuf,
    /// Parallel kwctl runs and policy-server workers.
    #[arg(long, value_name = "N", default_value_t = 2)]
    jobs: usize,
    /// policy-server's port on 127.0.0.1 (its readiness probe listens on the next one).
    #[arg(long, value_name = "PORT", default_value_t = 3300)]
    port: u16,
    /// Where to write the report (default: ROOT/docs/conformance.md for a full run, WORK/conformance.md
    /// for a subset).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Only these policies.
    #[arg(value_name = "POLICY")]
    policies: Vec<String>,
}

#[derive(Args)]
pub struct SessionsArgs {
    /// Repository root.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Directory of the annotated modules (default: ROOT/dist).
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// Write the session files (and remove stale ones) instead of checking them.
    #[arg(long)]
    write: bool,
    /// Only these policies.
    #[arg(value_name = "POLICY")]
    policies: Vec<String>,
}

fn harness(root: &Path) -> Result<Harness> {
    Ok(Harness::new(HarnessConfig {
        cache_dir: HarnessConfig::default_cache_dir(root),
        ..HarnessConfig::default()
    })?)
}

fn version(binary: &Path) -> String {
    std::process::Command::new(binary)
        .arg("--version")
        .env_remove("RUST_BACKTRACE")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown version".to_owned())
}

pub fn conformance(args: ConformanceArgs) -> Result<ExitCode> {
    if args.kwctl.is_none() && args.policy_server.is_none() {
        bail!(
            "give --kwctl and/or --policy-server (Kubewarden's binaries): nothing to compare with"
        );
    }
    for binary in args.kwctl.iter().chain(&args.policy_server) {
        if !binary.is_file() {
            bail!("{} does not exist", binary.display());
        }
    }
    let work = std::path::absolute(&args.work).context("cannot resolve --work")?;
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let config = Config {
        dist: args.dist.clone().unwrap_or_else(|| args.root.join("dist")),
        root: args.root.clone(),
        kwctl: args.kwctl.clone(),
        policy_server: args.policy_server.clone(),
        sigstore_trust_config: args.sigstore_trust_config.clone(),
        work: work.clone(),
        only: args.policies.clone(),
        jobs: args.jobs.max(1),
        port: args.port,
    };
    let harness = harness(&args.root)?;
    let outcomes =
        conformance::run(&config, &harness, &|line| eprintln!("{line}")).map_err(|e| anyhow!(e))?;
    let versions = [
        args.kwctl.as_ref().map(|b| format!("`{}`", version(b))),
        args.policy_server
            .as_ref()
            .map(|b| format!("`{}`", version(b))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let filtered = !args.policies.is_empty();
    let text = conformance::render(&outcomes, &versions, filtered);
    let report = args.report.clone().unwrap_or_else(|| {
        if filtered {
            work.join("conformance.md")
        } else {
            args.root.join("docs").join("conformance.md")
        }
    });
    std::fs::write(&report, &text).with_context(|| format!("cannot write {}", report.display()))?;
    let unexplained = conformance::unexplained(&outcomes);
    eprintln!(
        "{} cases; {unexplained} unexplained disagreements; report: {}",
        outcomes.len(),
        report.display()
    );
    Ok(if unexplained > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn sessions(args: SessionsArgs) -> Result<ExitCode> {
    let dist = args.dist.clone().unwrap_or_else(|| args.root.join("dist"));
    let harness = harness(&args.root)?;
    let expected = conformance::sessions(&harness, &args.root, &dist, &args.policies)
        .map_err(|e| anyhow!(e))?;
    let on_disk = conformance::session_files_on_disk(&args.root, &args.policies)?;
    if args.write {
        for path in on_disk.iter().filter(|p| !expected.contains_key(*p)) {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
        for (path, text) in &expected {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("wrote {} session files", expected.len());
        return Ok(ExitCode::SUCCESS);
    }
    let problems = conformance::check_sessions(&expected, &on_disk);
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        println!(
            "{} session files match the modules' host calls",
            expected.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("run `host-test sessions --write` (or `make sessions`) and review the change");
        Ok(ExitCode::from(1))
    }
}
