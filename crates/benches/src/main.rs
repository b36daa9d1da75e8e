//! `bench-report`: measures the bundle in `dist/` and rewrites the generated part of
//! `BENCHMARKS.md` (between `<!-- bench:begin` and `<!-- bench:end -->`). Run through
//! `make bench`, which first builds the modules and runs the criterion benchmarks whose medians
//! this report reads (per-call p99 and the other figures are measured here).
//!
//! Usage: `bench-report [--dist DIR] [--out FILE] [--quick]`.
//!
//! Subcommands measure the bundle in Kubewarden's own runners (`benches::runners`):
//! `bench-report kwctl --kwctl BIN --official DIR [...]` (`make bench-kwctl`) and
//! `bench-report policy-server --policy-server BIN --official DIR [...]`
//! (`make bench-policy-server`). Two tools compare builds: `bench-report instance [--rounds N]
//! FILE...` (a fresh instance and one kept instance per file, interleaved with the floor) and
//! `bench-report compile FILE...` (Cranelift's compile time per module, on one thread).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches::{BenchModule, Summary, groups, native};
use scanner::{ScanOptions, ScanPolicy};
use serde_json::Value;

/// Targets of the issue.
const MAX_MODULE_BYTES: u64 = 250 * 1000;
const MAX_MEDIAN_MODULE_BYTES: u64 = 150 * 1000;
const MAX_INSTANTIATE_VALIDATE: Duration = Duration::from_micros(50);
const MAX_VALIDATE_ONLY: Duration = Duration::from_micros(15);
const MAX_WASM_OVER_NATIVE: f64 = 2.0;
const MIN_SCAN_RATE: f64 = 20_000.0;
const MAX_WARM_START: Duration = Duration::from_millis(300);

struct Options {
    root: PathBuf,
    dist: PathBuf,
    out: Option<PathBuf>,
    quick: bool,
    criterion_home: PathBuf,
}

fn options() -> Result<Options> {
    let root = benches::workspace_root();
    let mut dist = root.join("dist");
    let mut out = Some(root.join("BENCHMARKS.md"));
    let mut quick = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" => dist = args.next().context("--dist needs a directory")?.into(),
            "--out" => out = Some(args.next().context("--out needs a file")?.into()),
            "--no-write" => out = None,
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("bench-report [--dist DIR] [--out FILE | --no-write] [--quick]");
                println!("bench-report instance [--rounds N] FILE.wasm...");
                println!("bench-report compile FILE.wasm...");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other} (see --help)"),
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    // A quick run reads no criterion output (it may be stale): its medians are its own.
    let criterion_home = if quick {
        target.join("criterion-unused")
    } else {
        std::env::var_os("CRITERION_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| target.join("criterion"))
    };
    Ok(Options {
        root,
        dist,
        out,
        quick,
        criterion_home,
    })
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn ns_micros(ns: f64) -> String {
    format!("{:.1}", ns / 1000.0)
}

fn yes(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {}, {rustc}", std::env::consts::OS)
}

struct ModuleFigures {
    id: String,
    raw_size: Option<u64>,
    cargo_size: Option<u64>,
    settings_source: String,
    accepted: bool,
    full: Summary,
    full_criterion: Option<f64>,
    validate_only: Summary,
    validate_only_criterion: Option<f64>,
}

fn median_ns(s: &Summary, criterion: Option<f64>) -> f64 {
    criterion.unwrap_or(s.median.as_secs_f64() * 1e9)
}

fn measure_module(opts: &Options, m: &BenchModule, request: &Value) -> Result<ModuleFigures> {
    let payload = m.payload(request);
    let answer = m.instantiate_validate(&payload)?;
    let accepted = benches::accepted(&answer)?;
    let (warm, calls) = if opts.quick { (20, 200) } else { (100, 2000) };
    let full = benches::sample(warm, calls, || m.instantiate_validate(&payload))?;
    let mut session = m
        .module
        .session()
        .map_err(|f| anyhow::anyhow!("{}: {f}", m.id))?;
    let validate_only = benches::sample(warm, calls, || {
        session
            .call("validate", &payload)
            .map_err(|f| anyhow::anyhow!("{f}"))
    })?;
    Ok(ModuleFigures {
        id: m.id.clone(),
        raw_size: m.raw_size,
        cargo_size: m.cargo_size,
        settings_source: m.settings_source.clone(),
        accepted,
        full,
        full_criterion: benches::criterion_median(
            &opts.criterion_home,
            groups::INSTANTIATE_VALIDATE,
            &m.id,
        ),
        validate_only,
        validate_only_criterion: benches::criterion_median(
            &opts.criterion_home,
            groups::VALIDATE_ONLY,
            &m.id,
        ),
    })
}

fn median_of(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

fn write_manifests(dir: &Path, objects: usize) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let mut text = String::new();
    for i in 0..objects {
        let object = match i % 4 {
            0 | 1 => {
                let mut d = benches::deployment(1 + i % 3);
                d["metadata"]["name"] = Value::String(format!("web-{i}"));
                d
            }
            2 => serde_json::json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i}"), "namespace": "shop"},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}
            }),
            _ => serde_json::json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cfg-{i}"), "namespace": "shop"},
                "data": {"LOG_LEVEL": "info"}
            }),
        };
        text.push_str("---\n");
        text.push_str(&serde_json::to_string(&object)?);
        text.push('\n');
    }
    std::fs::write(dir.join("workloads.yaml"), text)?;
    Ok(())
}

struct ScanFigures {
    modules: usize,
    objects: usize,
    evaluations: usize,
    seconds: f64,
    /// CPU time of this process (user + system) during the scan, when the platform says.
    cpu_seconds: Option<f64>,
}

impl ScanFigures {
    fn rate(&self) -> f64 {
        self.evaluations as f64 / self.seconds
    }

    /// Evaluations per second of CPU time: what one free core sustains. Unlike the wall-clock
    /// rate it does not drop when other processes take the machine's cores.
    fn cpu_rate(&self) -> Option<f64> {
        self.cpu_seconds
            .filter(|s| *s > 0.0)
            .map(|s| self.evaluations as f64 / s)
    }
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, in clock ticks of
/// 1/100 s, the USER_HZ the kernel reports in).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The 1-minute load average (Linux), to show how busy the machine was.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn scan_rate(bundle: &[BenchModule], manifests_dir: &Path, rounds: usize) -> Result<ScanFigures> {
    let policies: Vec<ScanPolicy> = bundle
        .iter()
        .map(|m| ScanPolicy::new(m.id.clone(), m.module.clone(), m.settings.clone()))
        .collect();
    let options = ScanOptions::default();
    let mut best: Option<ScanFigures> = None;
    for _ in 0..rounds {
        let manifests = admission::manifest::read_manifests(&[manifests_dir.to_owned()]);
        let objects = manifests.objects.len();
        let cpu_before = process_cpu_seconds();
        let started = Instant::now();
        let report = scanner::scan(&policies, manifests, &options);
        let seconds = started.elapsed().as_secs_f64();
        let cpu_seconds = match (cpu_before, process_cpu_seconds()) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let figures = ScanFigures {
            modules: policies.len(),
            objects,
            evaluations: report.evaluations(),
            seconds,
            cpu_seconds,
        };
        if best.as_ref().is_none_or(|b| figures.rate() > b.rate()) {
            best = Some(figures);
        }
    }
    best.context("no scan round ran")
}

fn run_startup(
    opts: &Options,
    settings_dir: &Path,
    input: &Path,
    cache: &Path,
) -> Result<Duration> {
    let exe = opts.root.join("target").join("harness").join("host-test");
    let started = Instant::now();
    let out = Command::new(&exe)
        .arg("scan")
        .arg("--dist")
        .arg(&opts.dist)
        .arg("--settings-dir")
        .arg(settings_dir)
        .arg(input)
        .env("HOST_TEST_CACHE", cache)
        .output()
        .with_context(|| format!("running {} (make harness)", exe.display()))?;
    let elapsed = started.elapsed();
    match out.status.code() {
        Some(0 | 1) => Ok(elapsed),
        _ => bail!(
            "host-test scan failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

struct Startup {
    cold: Duration,
    warm: Duration,
}

fn startup(opts: &Options, bundle: &[BenchModule], work: &Path) -> Result<Startup> {
    let settings_dir = work.join("settings");
    let _ = std::fs::remove_dir_all(&settings_dir);
    std::fs::create_dir_all(&settings_dir)?;
    for m in bundle {
        std::fs::write(
            settings_dir.join(format!("{}.json", m.id)),
            serde_json::to_string(&m.settings)?,
        )?;
    }
    let input = work.join("startup");
    let _ = std::fs::remove_dir_all(&input);
    std::fs::create_dir_all(&input)?;
    std::fs::write(
        input.join("namespace.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
    )?;
    let cache = work.join("module-cache");
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let rounds = if opts.quick { 1 } else { 3 };
    for _ in 0..rounds {
        let _ = std::fs::remove_dir_all(&cache);
        cold.push(run_startup(opts, &settings_dir, &input, &cache)?);
        for _ in 0..3 {
            warm.push(run_startup(opts, &settings_dir, &input, &cache)?);
        }
    }
    Ok(Startup {
        cold: benches::summarize(cold).median,
        warm: benches::summarize(warm).median,
    })
}

struct Growth {
    label: String,
    bytes: usize,
    total: Duration,
    median_module: Duration,
    slowest: (String, Duration),
    native: Option<Duration>,
    openapi: Option<Duration>,
}

fn growth(opts: &Options, bundle: &[BenchModule]) -> Result<Vec<Growth>> {
    let sizes: Vec<(String, Value)> = vec![
        (
            "1 container".to_owned(),
            benches::deployment_request(benches::deployment(1)),
        ),
        (
            "10 containers".to_owned(),
            benches::deployment_request(benches::deployment(10)),
        ),
        (
            "100 containers".to_owned(),
            benches::deployment_request(benches::deployment(100)),
        ),
        (
            "1 MB object".to_owned(),
            benches::deployment_request(benches::padded_deployment(1_000_000)),
        ),
    ];
    let mut rows = Vec::new();
    for (label, request) in sizes {
        let bytes = request.to_string().len();
        let calls = match (opts.quick, bytes > 100_000) {
            (true, _) => 10,
            (false, true) => 30,
            (false, false) => 200,
        };
        let mut medians = Vec::new();
        for m in bundle {
            let payload = m.payload(&request);
            let s = benches::sample(2, calls, || m.instantiate_validate(&payload))?;
            medians.push((m.id.clone(), s.median));
        }
        let total = medians.iter().map(|(_, d)| *d).sum();
        let slowest = medians
            .iter()
            .max_by_key(|(_, d)| *d)
            .cloned()
            .unwrap_or_default();
        let mut sorted: Vec<Duration> = medians.iter().map(|(_, d)| *d).collect();
        sorted.sort_unstable();
        let median_module = sorted
            .get((sorted.len().max(1) - 1) / 2)
            .copied()
            .unwrap_or_default();
        let npc = bundle.iter().find(|m| m.id == "no-privileged-containers");
        let native_cost = match (npc, native::native("no-privileged-containers")) {
            (Some(m), Some(n)) => {
                let payload = m.payload(&request);
                Some(
                    benches::sample(2, calls, || {
                        (n.validate)(&payload).map_err(anyhow::Error::msg)
                    })?
                    .median,
                )
            }
            _ => None,
        };
        let openapi = match npc {
            Some(m) => {
                let payload = m.payload(&request);
                Some(
                    benches::sample(2, calls, || {
                        native::openapi_no_privileged(&payload).map_err(anyhow::Error::msg)
                    })?
                    .median,
                )
            }
            None => None,
        };
        rows.push(Growth {
            label,
            bytes,
            total,
            median_module,
            slowest,
            native: native_cost,
            openapi,
        });
    }
    Ok(rows)
}

const RUNNERS_USAGE: &str = "bench-report kwctl --kwctl BIN --official DIR [--dist DIR] [--sigstore-trust-config FILE] [--rounds N] [--quick] [--out FILE | --no-write]\n\
bench-report policy-server --policy-server BIN --official DIR [--wrk BIN] [--seconds N] [--port N] [--dist DIR] [--sigstore-trust-config FILE] [--rounds N] [--out FILE | --no-write]";

/// Exits with status 2 and `message` (a missing input of a runner benchmark).
fn missing(message: &str) -> ! {
    eprintln!("bench-report: {message}");
    eprintln!("usage:\n{RUNNERS_USAGE}");
    std::process::exit(2);
}

fn runner_main(which: &str, mut args: impl Iterator<Item = String>) -> Result<()> {
    let root = benches::workspace_root();
    let mut dist = root.join("dist");
    let mut out = Some(root.join("BENCHMARKS.md"));
    let mut official: Option<PathBuf> = None;
    let mut binary: Option<PathBuf> = None;
    let mut trust: Option<PathBuf> = None;
    let mut wrk = PathBuf::from("wrk");
    let mut rounds = 3usize;
    let mut seconds = 10u64;
    let mut port = 3300u16;
    let mut quick = false;
    let value = |args: &mut dyn Iterator<Item = String>, flag: &str| {
        args.next()
            .unwrap_or_else(|| missing(&format!("{flag} needs a value")))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" => dist = value(&mut args, "--dist").into(),
            "--out" => out = Some(value(&mut args, "--out").into()),
            "--no-write" => out = None,
            "--official" => official = Some(value(&mut args, "--official").into()),
            "--kwctl" | "--policy-server" => binary = Some(value(&mut args, &arg).into()),
            "--sigstore-trust-config" => {
                let v = value(&mut args, &arg);
                trust = (!v.is_empty()).then(|| v.into());
            }
            "--wrk" => wrk = value(&mut args, "--wrk").into(),
            "--rounds" => {
                rounds = value(&mut args, "--rounds")
                    .parse()
                    .context("--rounds needs a number")?;
            }
            "--seconds" => {
                seconds = value(&mut args, "--seconds")
                    .parse()
                    .context("--seconds needs a number")?;
            }
            "--port" => {
                port = value(&mut args, "--port")
                    .parse()
                    .context("--port needs a number")?;
            }
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("{RUNNERS_USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other} (see --help)"),
        }
    }
    let name = if which == "kwctl" {
        "kwctl"
    } else {
        "policy-server"
    };
    let binary = match binary {
        Some(b) if b.is_file() => b,
        Some(b) => missing(&format!("{name} not found at {}", b.display())),
        None => missing(&format!("give --{name} BIN (Kubewarden's {name} 1.36)")),
    };
    let official = match official {
        Some(d) if d.is_dir() => d,
        Some(d) => missing(&format!(
            "the official modules' directory {} does not exist",
            d.display()
        )),
        None => missing("give --official DIR (the official modules and their <name>-test_data/)"),
    };
    if !dist.join("no-privileged-containers.wasm").is_file() {
        missing(&format!(
            "{} has no modules: run make dist first",
            dist.display()
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let common = benches::runners::RunnerOptions {
        root,
        dist,
        official,
        sigstore_trust_config: trust,
        rounds: rounds.max(1),
        work: target.join("bench-runners"),
        out,
    };
    if which == "kwctl" {
        benches::runners::run_kwctl(&benches::runners::KwctlOptions {
            common,
            kwctl: binary,
            quick,
        })
    } else {
        benches::runners::run_policy_server(&benches::runners::ServerBenchOptions {
            common,
            policy_server: binary,
            wrk,
            seconds: if quick { seconds.min(3) } else { seconds },
            port,
        })
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    if let Some(first) = std::env::args().nth(1)
        && (first == "kwctl" || first == "policy-server")
    {
        args.next();
        return runner_main(&first, args);
    }
    if std::env::args().nth(1).as_deref() == Some("compile") {
        // bench-report compile FILE...: what compiling each module costs (policy-server's start).
        let files: Vec<PathBuf> = std::env::args().skip(2).map(PathBuf::from).collect();
        if files.is_empty() {
            missing("bench-report compile FILE.wasm...");
        }
        return benches::runners::run_compile(&files);
    }
    if std::env::args().nth(1).as_deref() == Some("instance") {
        // bench-report instance [--rounds N] FILE...: before/after figures of a fresh instance.
        let mut rounds = 3;
        let mut files = Vec::new();
        let mut rest = std::env::args().skip(2);
        while let Some(arg) = rest.next() {
            if arg == "--rounds" {
                rounds = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .context("--rounds needs a number")?;
            } else {
                files.push(PathBuf::from(arg));
            }
        }
        if files.is_empty() {
            missing("bench-report instance [--rounds N] FILE.wasm...");
        }
        return benches::runners::run_instance(&files, rounds);
    }
    let opts = options()?;
    let harness = benches::harness(true)?;
    let bundle = benches::load_bundle(&opts.root, &opts.dist, &harness)?;
    let request = benches::typical_request();
    let typical_bytes = request.to_string().len();
    let date = today();
    let machine = machine();
    let work = opts.root.join("target").join("bench");
    std::fs::create_dir_all(&work)?;
    eprintln!(
        "bench-report: {} modules from {}",
        bundle.len(),
        opts.dist.display()
    );

    // Per module.
    let mut figures = Vec::new();
    for m in &bundle {
        eprintln!("  measuring {}", m.id);
        figures.push(measure_module(&opts, m, &request)?);
    }

    // Native floor and the k8s-openapi variant (typical request).
    let mut natives = Vec::new();
    for n in native::NATIVE {
        let Some(m) = bundle.iter().find(|m| m.id == n.id) else {
            continue;
        };
        let payload = m.payload(&request);
        let own = benches::sample(1000, if opts.quick { 2000 } else { 20000 }, || {
            (n.validate)(&payload).map_err(anyhow::Error::msg)
        })?;
        let crit = benches::criterion_median(&opts.criterion_home, groups::NATIVE, n.id);
        natives.push((n.id, own, crit));
    }
    let openapi = match bundle.iter().find(|m| m.id == "no-privileged-containers") {
        Some(m) => {
            let payload = m.payload(&request);
            let own = benches::sample(1000, if opts.quick { 2000 } else { 20000 }, || {
                native::openapi_no_privileged(&payload).map_err(anyhow::Error::msg)
            })?;
            let crit = benches::criterion_median(
                &opts.criterion_home,
                groups::OPENAPI,
                "no-privileged-containers",
            );
            Some((own, crit))
        }
        None => None,
    };

    // Scanner throughput, growth with bundle size.
    eprintln!("  scanner throughput");
    let manifests = work.join("manifests");
    write_manifests(&manifests, if opts.quick { 40 } else { 200 })?;
    let rounds = if opts.quick { 1 } else { 3 };
    let scan_load = load_average();
    let full_scan = scan_rate(&bundle, &manifests, rounds)?;
    let mut bundle_growth = Vec::new();
    let n = bundle.len();
    let mut counts: Vec<usize> = vec![1, n / 4, n / 2, n];
    counts.retain(|c| *c >= 1);
    counts.dedup();
    for count in counts {
        bundle_growth.push(scan_rate(&bundle[..count], &manifests, rounds)?);
    }

    eprintln!("  start-up");
    let start = startup(&opts, &bundle, &work)?;
    eprintln!("  growth with object size");
    let growth_rows = growth(&opts, &bundle)?;

    // Render.
    let mut md = String::new();
    let cmd = "`make bench`";
    let _ = writeln!(md, "<!-- bench:begin (generated by make bench) -->");
    let _ = writeln!(
        md,
        "Measured {date} with {cmd} on {machine}. Harness: wasmtime (Cranelift, pooling instance allocator, epoch interruption and no fuel metering as in policy-server; pooled slots kept resident and reset with PAGEMAP_SCAN; `make bench-kwctl` measures with on-demand allocation as policy-server does), modules from `dist/`, each compiled once and cached (`Module::serialize` on disk), every request on a fresh instance (`InstancePre::instantiate`, `wapc_init`, `validate`). Typical request: a compliant two-container Deployment CREATE, {typical_bytes} bytes of AdmissionRequest JSON. Medians come from criterion (`crates/benches/benches/admission.rs`) when it ran, p99 from {} individually timed calls.",
        if opts.quick { 200 } else { 2000 }
    );
    let _ = writeln!(md);

    // Targets.
    let sizes: Vec<u64> = figures.iter().filter_map(|f| f.raw_size).collect();
    let max_size = sizes.iter().copied().max().unwrap_or(0);
    let median_size = {
        let mut s = sizes.clone();
        s.sort_unstable();
        s.get((s.len().max(1) - 1) / 2).copied().unwrap_or(0)
    };
    let over_size = sizes.iter().filter(|s| **s > MAX_MODULE_BYTES).count();
    let full_medians: Vec<f64> = figures
        .iter()
        .map(|f| median_ns(&f.full, f.full_criterion))
        .collect();
    let vo_medians: Vec<f64> = figures
        .iter()
        .map(|f| median_ns(&f.validate_only, f.validate_only_criterion))
        .collect();
    let full_median = median_of(full_medians.clone());
    let full_worst = full_medians.iter().copied().fold(0.0, f64::max);
    let vo_median = median_of(vo_medians.clone());
    let vo_worst = vo_medians.iter().copied().fold(0.0, f64::max);
    let over_full = full_medians
        .iter()
        .filter(|ns| **ns > MAX_INSTANTIATE_VALIDATE.as_secs_f64() * 1e9)
        .count();
    let over_vo = vo_medians
        .iter()
        .filter(|ns| **ns > MAX_VALIDATE_ONLY.as_secs_f64() * 1e9)
        .count();
    let ratios: Vec<(String, f64, f64)> = natives
        .iter()
        .filter_map(|(id, own, crit)| {
            let f = figures.iter().find(|f| f.id == *id)?;
            let nat = median_ns(own, *crit);
            Some((
                (*id).to_owned(),
                median_ns(&f.validate_only, f.validate_only_criterion) / nat,
                median_ns(&f.full, f.full_criterion) / nat,
            ))
        })
        .collect();
    let worst_ratio = ratios.iter().map(|r| r.1).fold(0.0, f64::max);

    let _ = writeln!(md, "### Targets\n");
    let _ = writeln!(md, "| target | measured | |\n|---|---|---|");
    let _ = writeln!(
        md,
        "| every module ≤ 250 KB before annotation | largest {max_size} bytes; {over_size} of {} over | {} |",
        sizes.len(),
        yes(over_size == 0 && !sizes.is_empty())
    );
    let _ = writeln!(
        md,
        "| median module ≤ 150 KB | {median_size} bytes | {} |",
        yes(median_size <= MAX_MEDIAN_MODULE_BYTES && !sizes.is_empty())
    );
    let _ = writeln!(
        md,
        "| instantiate + validate ≤ 50 µs median per module | median over modules {} µs, slowest {} µs; {over_full} of {} over | {} |",
        ns_micros(full_median),
        ns_micros(full_worst),
        figures.len(),
        yes(over_full == 0)
    );
    let _ = writeln!(
        md,
        "| validate only ≤ 15 µs | median over modules {} µs, slowest {} µs; {over_vo} of {} over | {} |",
        ns_micros(vo_median),
        ns_micros(vo_worst),
        figures.len(),
        yes(over_vo == 0)
    );
    let _ = writeln!(
        md,
        "| wasm / native ≤ 2x (validate only over native) | worst {worst_ratio:.2}x over {} natively built modules | {} |",
        ratios.len(),
        yes(!ratios.is_empty() && worst_ratio <= MAX_WASM_OVER_NATIVE)
    );
    let _ = writeln!(
        md,
        "| scanner ≥ 20,000 evaluations/s | {:.0} evaluations/s ({} modules, {} objects, {} evaluations in {:.3} s wall; {} evaluations per CPU-second, {} on two free cores) | {} |",
        full_scan.rate(),
        full_scan.modules,
        full_scan.objects,
        full_scan.evaluations,
        full_scan.seconds,
        full_scan
            .cpu_rate()
            .map_or("n/a".to_owned(), |r| format!("{r:.0}")),
        full_scan
            .cpu_rate()
            .map_or("n/a".to_owned(), |r| format!("{:.0}", 2.0 * r)),
        yes(full_scan.rate() >= MIN_SCAN_RATE)
    );
    let _ = writeln!(
        md,
        "| warm start < 300 ms for the whole bundle | {} ms warm, {} ms cold (no cache) | {} |",
        start.warm.as_millis(),
        start.cold.as_millis(),
        yes(start.warm < MAX_WARM_START)
    );
    let _ = writeln!(md);

    // Per module.
    let _ = writeln!(md, "### Per module (typical request)\n");
    let _ = writeln!(
        md,
        "| module | cargo build bytes | shipped bytes (wasm-opt, before annotation) | answer | instantiate + validate median µs | p99 µs | validate only median µs | p99 µs | settings |"
    );
    let _ = writeln!(md, "|---|---:|---:|---|---:|---:|---:|---:|---|");
    for f in &figures {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            f.id,
            f.cargo_size.map_or("?".to_owned(), |s| s.to_string()),
            f.raw_size.map_or("?".to_owned(), |s| s.to_string()),
            if f.accepted { "accept" } else { "reject" },
            ns_micros(median_ns(&f.full, f.full_criterion)),
            micros(f.full.p99),
            ns_micros(median_ns(&f.validate_only, f.validate_only_criterion)),
            micros(f.validate_only.p99),
            f.settings_source
        );
    }
    let _ = writeln!(md);

    // Native floor.
    let _ = writeln!(md, "### Native floor and the usual way (typical request)\n");
    let _ = writeln!(
        md,
        "The same rule compiled for the host (`runtime::evaluate`, harness profile) and fed the same payload bytes, answer serialised as in the module; and `no-privileged-containers` written the usual way (payload into `serde_json::Value`, object into a k8s-openapi `Deployment`, same check and message).\n"
    );
    let _ = writeln!(
        md,
        "| module | native median µs | p99 µs | wasm validate only µs | ratio | wasm instantiate + validate µs | ratio |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|");
    for (id, own, crit) in &natives {
        let Some(f) = figures.iter().find(|f| f.id == *id) else {
            continue;
        };
        let nat = median_ns(own, *crit);
        let vo = median_ns(&f.validate_only, f.validate_only_criterion);
        let full = median_ns(&f.full, f.full_criterion);
        let _ = writeln!(
            md,
            "| `{id}` | {} | {} | {} | {:.2}x | {} | {:.2}x |",
            ns_micros(nat),
            micros(own.p99),
            ns_micros(vo),
            vo / nat,
            ns_micros(full),
            full / nat
        );
    }
    if let Some((own, crit)) = &openapi {
        let oa = median_ns(own, *crit);
        let ours = natives
            .iter()
            .find(|(id, _, _)| *id == "no-privileged-containers")
            .map(|(_, own, crit)| median_ns(own, *crit));
        let _ = writeln!(
            md,
            "| `no-privileged-containers`, k8s-openapi variant (native) | {} | {} | | {} | | |",
            ns_micros(oa),
            micros(own.p99),
            ours.map_or(String::new(), |o| format!(
                "{:.2}x slower than ours",
                oa / o
            ))
        );
    }
    let _ = writeln!(md);

    // Scanner and bundle growth.
    let _ = writeln!(md, "### Scanner throughput and growth with bundle size\n");
    let _ = writeln!(
        md,
        "In-process `scanner::scan` over a generated directory of {} manifests (Deployments, Services, ConfigMaps), every module with its settings, both cores, pooling allocator (the scanner's default); best of {rounds} rounds. The wall-clock rate is what the scan took on this shared machine (1-minute load average {} when the scans started); the CPU columns divide by the process' own CPU time (user + system), which other processes do not inflate. Start-up: `host-test scan --dist dist` of one manifest as a new process, cold (empty module cache: every module compiled) and warm (compiled modules read from the on-disk cache), median of runs.\n",
        full_scan.objects,
        scan_load.map_or("unknown".to_owned(), |l| format!("{l:.1}"))
    );
    let _ = writeln!(
        md,
        "| modules | evaluations | wall seconds | evaluations/s (wall) | CPU seconds | evaluations per CPU-second | µs of CPU per evaluation |"
    );
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|");
    for g in &bundle_growth {
        let cpu = g.cpu_rate();
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {:.0} | {} | {} | {} |",
            g.modules,
            g.evaluations,
            g.seconds,
            g.rate(),
            g.cpu_seconds
                .map_or("n/a".to_owned(), |s| format!("{s:.2}")),
            cpu.map_or("n/a".to_owned(), |r| format!("{r:.0}")),
            cpu.map_or("n/a".to_owned(), |r| format!("{:.1}", 1e6 / r))
        );
    }
    let _ = writeln!(
        md,
        "\nStart-up of the whole bundle ({} modules): cold {} ms, warm {} ms.\n",
        bundle.len(),
        start.cold.as_millis(),
        start.warm.as_millis()
    );

    // Growth with object size.
    let _ = writeln!(md, "### Growth with object size\n");
    let _ = writeln!(
        md,
        "Instantiate + validate medians for a compliant Deployment with 1, 10 and 100 containers, and the typical Deployment padded to 1 MB with an annotation no rule reads.\n"
    );
    let _ = writeln!(
        md,
        "| request | bytes | whole bundle µs (sum of medians) | median module µs | slowest module | native `no-privileged-containers` µs | k8s-openapi variant µs |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---|---:|---:|");
    for g in &growth_rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | `{}` {} µs | {} | {} |",
            g.label,
            g.bytes,
            micros(g.total),
            micros(g.median_module),
            g.slowest.0,
            micros(g.slowest.1),
            g.native.map_or("-".to_owned(), micros),
            g.openapi.map_or("-".to_owned(), micros)
        );
    }
    let per_kb: BTreeMap<&str, f64> = growth_rows
        .iter()
        .map(|g| {
            (
                g.label.as_str(),
                g.median_module.as_secs_f64() * 1e6 / (g.bytes as f64 / 1000.0),
            )
        })
        .collect();
    let _ = write!(md, "\nMedian module cost per KB of request:");
    for (label, v) in &per_kb {
        let _ = write!(md, " {label} {v:.2} µs/KB;");
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "<!-- bench:end -->");

    print!("{md}");
    if let Some(out) = &opts.out {
        let old = std::fs::read_to_string(out).unwrap_or_default();
        let new = match (old.find("<!-- bench:begin"), old.find("<!-- bench:end -->")) {
            (Some(b), Some(e)) if e > b => {
                let end = e + "<!-- bench:end -->".len();
                let rest = old[end..].strip_prefix('\n').unwrap_or(&old[end..]);
                format!("{}{md}{rest}", &old[..b])
            }
            _ => format!("{old}\n## Measurements\n\n{md}"),
        };
        std::fs::write(out, new)?;
        eprintln!("bench-report: rewrote {}", out.display());
    }
    Ok(())
}
