//! The bundle measured in Kubewarden's own runners (`make bench-kwctl`,
//! `make bench-policy-server`), beside the official Kubewarden modules and a floor module.
//!
//! - `bench-report kwctl`: `kwctl bench` on every request file of the official module's
//!   `test_data/` plus our typical Deployment, for the five pairs (ours, official), ours,
//!   official and the floor interleaved request by request, several rounds; host-test's own
//!   figures for the same pairs (one instance, as `kwctl bench` keeps; a fresh instance, as
//!   policy-server makes); every module of `dist/` as policy-server runs it (fresh instance +
//!   `validate`) above the floor; the cost against object size.
//! - `bench-report policy-server`: one policy-server holding every module of `dist/`, the
//!   official modules, the floor and a policy group of the pss-restricted profile, loaded with
//!   `wrk -t2 -c8` on 127.0.0.1 target by target; req/s, p50, ready time and resident memory.
//!
//! Both write their tables between generated markers of `BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use host_test::{EvalOptions, Harness, HarnessConfig, Metadata, PolicyModule};
use serde_json::{Value, json};

/// Id of the floor module (never shipped).
pub const FLOOR_ID: &str = "bench-floor";

/// The floor module: reads nothing, accepts everything (`crates/benches/floor/floor.wat`),
/// annotated with its metadata so that kwctl and policy-server run it as a waPC policy.
///
/// # Errors
/// When the text does not assemble or the annotation fails.
pub fn floor_module(harness: &Harness) -> Result<Vec<u8>> {
    let wasm = wat::parse_str(include_str!("../floor/floor.wat")).context("floor.wat")?;
    let metadata =
        Metadata::from_yaml(include_str!("../floor/metadata.yml")).context("floor metadata.yml")?;
    Ok(host_test::annotate(
        harness, FLOOR_ID, &wasm, metadata, None,
    )?)
}

/// A module of ours and the official Kubewarden module for the same control.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// Our policy id.
    pub ours: &'static str,
    /// The official module's name (`<official dir>/<name>.wasm`).
    pub official: &'static str,
    /// Settings file of the official module's `test_data/` its tests use, if any (`{}`
    /// otherwise).
    pub official_settings: Option<&'static str>,
}

/// The five pairs of the issue.
pub const PAIRS: [Pair; 5] = [
    Pair {
        ours: "no-privileged-containers",
        official: "pod-privileged",
        official_settings: None,
    },
    Pair {
        ours: "restrict-capabilities",
        official: "capabilities-psp",
        official_settings: None,
    },
    Pair {
        ours: "no-host-namespaces",
        official: "host-namespaces-psp",
        official_settings: Some("settings.json"),
    },
    Pair {
        ours: "readonly-root-filesystem",
        official: "readonly-root-filesystem-psp",
        official_settings: None,
    },
    Pair {
        ours: "restrict-proc-mount",
        official: "allowed-proc-mount-types-psp",
        official_settings: None,
    },
];

/// Removes ANSI escape sequences (`ESC [ ... letter`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// A duration as `kwctl bench` (tiny-bench) and `wrk` print it: a decimal number and a unit
/// (`ns`, `µs`/`μs`/`us`, `ms`, `s`).
///
/// # Errors
/// When the text is not a number followed by one of these units.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .with_context(|| format!("no unit in duration {text:?}"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .with_context(|| format!("not a number in duration {text:?}"))?;
    let scale = match unit.trim() {
        "ns" => 1e-9,
        "µs" | "μs" | "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        other => bail!("unknown unit {other:?} in duration {text:?}"),
    };
    Ok(Duration::from_secs_f64(value * scale))
}

/// The median of a `kwctl bench` run, read from its standard output: the `validate` summary
/// `elapsed [min mean max]: [...] (sample data: med = 53.31µs, var = ..., stddev = ...)`.
/// Colours are stripped first; the last `validate` summary wins.
///
/// # Errors
/// When the output holds no such summary (the run failed or the format changed).
pub fn parse_kwctl_median(stdout: &str) -> Result<Duration> {
    let text = strip_ansi(stdout);
    let line = text
        .lines()
        .rfind(|l| l.contains("sample data:") && l.contains("med ="))
        .with_context(|| {
            format!(
                "no `sample data: med = ...` summary in kwctl's output:\n{}",
                tail(&text, 10)
            )
        })?;
    let after = &line[line.find("med =").map_or(0, |i| i + "med =".len())..];
    let value = after
        .split([',', ')'])
        .next()
        .context("empty median in kwctl's summary")?;
    parse_duration(value).with_context(|| format!("kwctl summary line {line:?}"))
}

/// What `wrk --latency` reports: requests per second, the median latency, and how many
/// answers were not 2xx/3xx or failed at the socket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrkFigures {
    /// `Requests/sec`.
    pub requests_per_second: f64,
    /// The 50 % line of the latency distribution.
    pub p50: Duration,
    /// `Non-2xx or 3xx responses` plus socket errors.
    pub errors: u64,
}

/// Reads `wrk --latency` output.
///
/// # Errors
/// When `Requests/sec` or the 50 % latency line is missing.
pub fn parse_wrk(stdout: &str) -> Result<WrkFigures> {
    let text = strip_ansi(stdout);
    let mut rps = None;
    let mut p50 = None;
    let mut errors = 0u64;
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            rps = v.trim().parse::<f64>().ok();
        } else if let Some(v) = t.strip_prefix("50%") {
            p50 = parse_duration(v).ok();
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // connect 0, read 0, write 0, timeout 0
            errors += v
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Ok(WrkFigures {
        requests_per_second: rps
            .with_context(|| format!("no Requests/sec in wrk's output:\n{}", tail(&text, 10)))?,
        p50: p50
            .with_context(|| format!("no 50% latency in wrk's output:\n{}", tail(&text, 10)))?,
        errors,
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Replaces the block between `<!-- {tag}:begin` and `<!-- {tag}:end -->` of `doc` with
/// `block` (which carries both markers); without the markers, the block goes under `heading`
/// before `## Where the time goes`, else at the end.
pub fn replace_block(doc: &str, tag: &str, heading: &str, block: &str) -> String {
    let begin = format!("<!-- {tag}:begin");
    let end = format!("<!-- {tag}:end -->");
    match (doc.find(&begin), doc.find(&end)) {
        (Some(b), Some(e)) if e > b => {
            let stop = e + end.len();
            let rest = doc[stop..].strip_prefix('\n').unwrap_or(&doc[stop..]);
            format!("{}{block}{rest}", &doc[..b])
        }
        _ => {
            let section = format!("{heading}\n\n{block}\n");
            match doc.find("\n## Where the time goes") {
                Some(i) => format!("{}\n{section}{}", &doc[..i], &doc[i..]),
                None => format!("{doc}\n{section}"),
            }
        }
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn median(mut v: Vec<Duration>) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn range(v: &[Duration]) -> String {
    match (v.iter().min(), v.iter().max()) {
        (Some(a), Some(b)) if v.len() > 1 => format!("{}-{}", micros(*a), micros(*b)),
        (Some(a), _) => micros(*a),
        _ => "-".to_owned(),
    }
}

fn ratio(num: Duration, den: Duration) -> String {
    if den.is_zero() {
        "-".to_owned()
    } else {
        format!("{:.2}x", num.as_secs_f64() / den.as_secs_f64())
    }
}

fn above(x: Duration, floor: Duration) -> Duration {
    x.saturating_sub(floor)
}

fn file_uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    format!("file://{}", absolute.display())
}

/// What both runner benchmarks share.
pub struct RunnerOptions {
    /// Repository root.
    pub root: PathBuf,
    /// Annotated modules (`dist/`).
    pub dist: PathBuf,
    /// Directory of the official modules and their `<name>-test_data/`.
    pub official: PathBuf,
    /// kwctl's and policy-server's `--sigstore-trust-config`.
    pub sigstore_trust_config: Option<PathBuf>,
    /// Rounds (every target measured once per round, interleaved).
    pub rounds: usize,
    /// Work directory (request files, the floor module, logs).
    pub work: PathBuf,
    /// `BENCHMARKS.md` to rewrite, or none.
    pub out: Option<PathBuf>,
}

/// A module of a pair, as every runner gets it.
struct Side {
    label: String,
    path: PathBuf,
    settings: Value,
    module: PolicyModule,
}

/// A request file of a pair: its name and contents (the AdmissionRequest).
struct RequestFile {
    name: String,
    path: PathBuf,
    request: Value,
    bytes: usize,
}

fn harness() -> Result<Harness> {
    // host-test's default engine: policy-evaluator's (on-demand allocation, epoch
    // interruption, no fuel).
    Ok(Harness::new(HarnessConfig {
        cache_dir: HarnessConfig::default_cache_dir(&crate::workspace_root()),
        ..HarnessConfig::default()
    })?)
}

fn admission_request(doc: Value) -> Value {
    match doc.get("request") {
        Some(r) if r.is_object() => r.clone(),
        _ => doc,
    }
}

fn review(request: &Value) -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

fn write_floor(harness: &Harness, work: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(work)?;
    let path = work.join(format!("{FLOOR_ID}.wasm"));
    std::fs::write(&path, floor_module(harness)?)?;
    Ok(path)
}

fn write_typical(work: &Path) -> Result<RequestFile> {
    let request = crate::typical_request();
    let path = work.join("typical-deployment.json");
    let text = serde_json::to_string_pretty(&review(&request))?;
    std::fs::write(&path, &text)?;
    Ok(RequestFile {
        name: "our typical Deployment".to_owned(),
        path,
        bytes: request.to_string().len(),
        request,
    })
}

fn official_settings(official: &Path, pair: &Pair) -> Result<Value> {
    let Some(file) = pair.official_settings else {
        return Ok(json!({}));
    };
    let path = official
        .join(format!("{}-test_data", pair.official))
        .join(file);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Request files of the official module's `test_data/` (every JSON file but its settings),
/// then our typical Deployment.
fn pair_requests(official: &Path, pair: &Pair, typical: &RequestFile) -> Result<Vec<RequestFile>> {
    let dir = official.join(format!("{}-test_data", pair.official));
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("settings"))
            })
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)?;
            let Ok(doc) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let request = admission_request(doc);
            files.push(RequestFile {
                name: format!(
                    "`{}`",
                    path.file_name().unwrap_or_default().to_string_lossy()
                ),
                bytes: text.len(),
                path,
                request,
            });
        }
    }
    files.push(RequestFile {
        name: typical.name.clone(),
        path: typical.path.clone(),
        request: typical.request.clone(),
        bytes: typical.bytes,
    });
    Ok(files)
}

fn load_side(
    harness: &Harness,
    label: &str,
    path: &Path,
    settings: Option<Value>,
    root: &Path,
) -> Result<Side> {
    let module = harness
        .load_module(path)
        .with_context(|| format!("loading {}", path.display()))?;
    let settings = match settings {
        Some(s) => s,
        None => crate::settings_for(root, &module, label)?.0,
    };
    Ok(Side {
        label: label.to_owned(),
        path: path.to_owned(),
        settings,
        module,
    })
}

/// `kwctl bench` of `module` on `request`, its median (per-run output in `log`).
fn kwctl_bench(
    kwctl: &Path,
    trust: Option<&Path>,
    quick: bool,
    side: &Side,
    request: &Path,
    log: &Path,
) -> Result<Duration> {
    // kwctl takes whole seconds.
    let (warm, measure, samples) = if quick {
        ("1", "1", "30")
    } else {
        ("1", "2", "100")
    };
    let mut command = Command::new(kwctl);
    command
        .env_remove("RUST_BACKTRACE")
        .arg("--no-color")
        .arg("bench");
    if let Some(trust) = trust {
        command.arg("--sigstore-trust-config").arg(trust);
    }
    command
        .arg("--request-path")
        .arg(request)
        .arg("--settings-json")
        .arg(side.settings.to_string())
        .args(["--warm-up-time", warm, "--measurement-time", measure])
        .args(["--num-samples", samples])
        .arg(&side.path)
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .stdout(Stdio::piped());
    let output = command
        .output()
        .with_context(|| format!("cannot run {}", kwctl.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Named by file name only: the messages go into BENCHMARKS.md.
    let name = request.file_name().unwrap_or_default().to_string_lossy();
    if !output.status.success() {
        let err = std::fs::read_to_string(log).unwrap_or_default();
        let why = strip_ansi(&format!("{}\n{}", tail(&stdout, 3), tail(&err, 3)));
        let why = why
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        bail!(
            "kwctl bench {} on {name} failed ({}): {why}",
            side.label,
            output.status
        );
    }
    parse_kwctl_median(&stdout).with_context(|| format!("kwctl bench {} on {name}", side.label))
}

/// host-test, one instance kept (what `kwctl bench` measures) and a fresh instance per call
/// (what policy-server does): medians.
fn host_test_figures(side: &Side, request: &Value, quick: bool) -> Result<(Duration, Duration)> {
    let payload = crate::payload(request, &side.settings);
    let (warm, calls) = if quick { (20, 200) } else { (200, 2000) };
    let mut session = side.module.session().map_err(|e| anyhow::anyhow!("{e}"))?;
    let kept = crate::sample(warm, calls, || {
        session
            .call("validate", &payload)
            .map_err(|e| anyhow::anyhow!("{}: {e}", side.label))
    })?;
    let options = EvalOptions {
        policy_id: Some(side.label.clone()),
        ..EvalOptions::default()
    };
    let fresh = crate::sample(warm, calls, || {
        side.module
            .call("validate", &payload, &options)
            .result
            .map_err(|e| anyhow::anyhow!("{}: {e}", side.label))
    })?;
    Ok((kept.median, fresh.median))
}

fn verdict(side: &Side, request: &Value) -> String {
    let payload = crate::payload(request, &side.settings);
    match side
        .module
        .call("validate", &payload, &EvalOptions::default())
        .result
    {
        Ok(answer) => match crate::accepted(&answer) {
            Ok(true) => "accept".to_owned(),
            Ok(false) => "reject".to_owned(),
            Err(e) => format!("error: {e}"),
        },
        Err(e) => format!("error: {e}"),
    }
}

fn today_and_machine() -> String {
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
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
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    format!("{date} on {cpu}, {cores} cores (1-minute load average {load} at the start)")
}

fn version_of(binary: &Path) -> String {
    Command::new(binary)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(|l| l.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown version".to_owned())
}

fn write_out(opts: &RunnerOptions, tag: &str, heading: &str, block: &str) -> Result<()> {
    print!("{block}");
    if let Some(out) = &opts.out {
        let old = std::fs::read_to_string(out).unwrap_or_default();
        std::fs::write(out, replace_block(&old, tag, heading, block))?;
        eprintln!("bench-report: rewrote {}", out.display());
    }
    Ok(())
}

/// Inputs of `bench-report kwctl`.
pub struct KwctlOptions {
    /// The shared options.
    pub common: RunnerOptions,
    /// The kwctl binary.
    pub kwctl: PathBuf,
    /// Shorter runs (a smoke run of the driver).
    pub quick: bool,
}

/// `make bench-kwctl`.
///
/// # Errors
/// When a module does not load or kwctl cannot run at all.
pub fn run_kwctl(opts: &KwctlOptions) -> Result<()> {
    let c = &opts.common;
    let harness = harness()?;
    let work = c.work.join("kwctl");
    std::fs::create_dir_all(&work)?;
    let floor_path = write_floor(&harness, &work)?;
    let floor = load_side(&harness, FLOOR_ID, &floor_path, Some(json!({})), &c.root)?;
    let typical = write_typical(&work)?;
    let trust = c.sigstore_trust_config.as_deref();
    let log = work.join("kwctl-bench.log");
    let header = format!(
        "Measured {} with `make bench-kwctl` ({}; {} rounds).",
        today_and_machine(),
        version_of(&opts.kwctl),
        c.rounds
    );

    // The pairs: sides and request files.
    struct PairRun {
        pair: Pair,
        ours: Side,
        official: Side,
        requests: Vec<RequestFile>,
    }
    let mut runs = Vec::new();
    for pair in PAIRS {
        let ours_path = c.dist.join(format!("{}.wasm", pair.ours));
        let official_path = c.official.join(format!("{}.wasm", pair.official));
        if !official_path.is_file() {
            eprintln!(
                "bench-report: {} not found: pair skipped",
                official_path.display()
            );
            continue;
        }
        let ours = load_side(&harness, pair.ours, &ours_path, None, &c.root)?;
        let official = load_side(
            &harness,
            pair.official,
            &official_path,
            Some(official_settings(&c.official, &pair)?),
            &c.root,
        )?;
        let requests = pair_requests(&c.official, &pair, &typical)?;
        runs.push(PairRun {
            pair,
            ours,
            official,
            requests,
        });
    }
    if runs.is_empty() {
        bail!("no official module found in {}", c.official.display());
    }

    // kwctl, interleaved: per round, per request: ours, official, floor.
    type Key = (usize, usize, usize);
    let mut kw: BTreeMap<Key, Vec<Duration>> = BTreeMap::new();
    let mut failures: BTreeMap<Key, String> = BTreeMap::new();
    for round in 0..c.rounds {
        for (p, run) in runs.iter().enumerate() {
            for (r, req) in run.requests.iter().enumerate() {
                let mut sides = [(0, &run.ours), (1, &run.official), (2, &floor)];
                if round % 2 == 1 {
                    sides.swap(0, 1);
                }
                for (s, side) in sides {
                    eprintln!(
                        "bench-report: round {}/{}: kwctl bench {} on {}",
                        round + 1,
                        c.rounds,
                        side.label,
                        req.name
                    );
                    match kwctl_bench(&opts.kwctl, trust, opts.quick, side, &req.path, &log) {
                        Ok(d) => kw.entry((p, r, s)).or_default().push(d),
                        Err(e) => {
                            eprintln!("bench-report: {e:#}");
                            failures.insert((p, r, s), format!("{e:#}"));
                        }
                    }
                }
            }
        }
    }
    let kw_median = |k: Key| kw.get(&k).map(|v| median(v.clone()));

    let mut md = String::new();
    let _ = writeln!(md, "<!-- kwctl:begin (generated by make bench-kwctl) -->");
    let _ = writeln!(md, "{header}");
    let _ = writeln!(
        md,
        "\n`kwctl bench` (validate median of one kept instance; each figure the median over the rounds, range in brackets) of our `dist/` module, the official module (settings: `{{}}`, or the settings file of its `test_data/`) and the floor module (`crates/benches/floor/floor.wat`: reads nothing, accepts everything), interleaved request by request. Request files: the official module's `test_data/`, plus our typical Deployment. \"Above floor\" subtracts the floor's median on the same request file.\n"
    );
    let _ = writeln!(
        md,
        "| pair (ours / official) | request | bytes | answers (ours / official) | ours µs | official µs | floor µs | ours above floor | official above floor | speedup | speedup above floor |"
    );
    let _ = writeln!(md, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut speedups = Vec::new();
    for (p, run) in runs.iter().enumerate() {
        for (r, req) in run.requests.iter().enumerate() {
            let cell = |s: usize| match (kw.get(&(p, r, s)), failures.get(&(p, r, s))) {
                (Some(v), _) => format!("{} ({})", micros(median(v.clone())), range(v)),
                (None, Some(_)) => "failed".to_owned(),
                (None, None) => "-".to_owned(),
            };
            let (o, f, fl) = (
                kw_median((p, r, 0)),
                kw_median((p, r, 1)),
                kw_median((p, r, 2)),
            );
            let (speed, speed_above) = match (o, f) {
                (Some(o), Some(f)) => {
                    speedups.push(f.as_secs_f64() / o.as_secs_f64().max(1e-9));
                    let fl = fl.unwrap_or_default();
                    (ratio(f, o), ratio(above(f, fl), above(o, fl)))
                }
                _ => ("-".to_owned(), "-".to_owned()),
            };
            let abv = |x: Option<Duration>| match (x, fl) {
                (Some(x), Some(fl)) => micros(above(x, fl)),
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                md,
                "| `{}` / `{}` | {} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} |",
                run.pair.ours,
                run.pair.official,
                req.name,
                req.bytes,
                verdict(&run.ours, &req.request),
                verdict(&run.official, &req.request),
                cell(0),
                cell(1),
                cell(2),
                abv(o),
                abv(f),
                speed,
                speed_above
            );
        }
    }
    let met = speedups.iter().filter(|s| **s >= 4.0).count();
    let worst = speedups.iter().copied().fold(f64::INFINITY, f64::min);
    let _ = writeln!(
        md,
        "\nTarget: ours at least 4x faster than the official module on every paired request: {} of {} requests (worst {:.2}x): **{}**.",
        met,
        speedups.len(),
        if worst.is_finite() { worst } else { 0.0 },
        if met == speedups.len() && !speedups.is_empty() {
            "met"
        } else {
            "missed"
        }
    );
    if !failures.is_empty() {
        let _ = writeln!(md, "\nRuns that failed (kwctl's own error):\n");
        for ((p, r, s), e) in &failures {
            let run = &runs[*p];
            let side = [&run.ours.label, &run.official.label, &FLOOR_ID.to_owned()][*s].clone();
            let first = e.lines().next().unwrap_or_default();
            let _ = writeln!(md, "- `{side}` on {}: {first}", run.requests[*r].name);
        }
    }

    // host-test beside kwctl, same pairs and request files.
    eprintln!("bench-report: host-test figures of the pairs");
    let _ = writeln!(
        md,
        "\n#### host-test beside kwctl\n\nThe same pairs and files in host-test's default engine (policy-evaluator's configuration: on-demand allocation, epoch interruption, no fuel; wasmtime {}), medians of individually timed calls: one kept instance (what `kwctl bench` measures) and a fresh instance per call (`instantiate`, `wapc_init`, `validate`: what policy-server does).\n",
        WASMTIME_MAJOR
    );
    let _ = writeln!(
        md,
        "| pair | request | kwctl ours µs | host-test ours, one instance | host-test ours, fresh instance | kwctl official µs | host-test official, one instance | host-test official, fresh instance | speedup kwctl | speedup host-test (one instance) |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (p, run) in runs.iter().enumerate() {
        for (r, req) in run.requests.iter().enumerate() {
            let ours = host_test_figures(&run.ours, &req.request, opts.quick);
            let official = host_test_figures(&run.official, &req.request, opts.quick);
            let show = |x: &Result<(Duration, Duration)>, kept: bool| match x {
                Ok((k, f)) => micros(if kept { *k } else { *f }),
                Err(_) => "error".to_owned(),
            };
            let kw_show = |s| kw_median((p, r, s)).map_or("-".to_owned(), micros);
            let kw_ratio = match (kw_median((p, r, 0)), kw_median((p, r, 1))) {
                (Some(o), Some(f)) => ratio(f, o),
                _ => "-".to_owned(),
            };
            let ht_ratio = match (&ours, &official) {
                (Ok((o, _)), Ok((f, _))) => ratio(*f, *o),
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                md,
                "| `{}` / `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                run.pair.ours,
                run.pair.official,
                req.name,
                kw_show(0),
                show(&ours, true),
                show(&ours, false),
                kw_show(1),
                show(&official, true),
                show(&official, false),
                kw_ratio,
                ht_ratio
            );
        }
    }

    // Every module as policy-server runs it, above the floor.
    eprintln!("bench-report: every module, fresh instance + validate");
    let bundle = crate::load_bundle(&c.root, &c.dist, &harness)?;
    let typical_payload = |settings: &Value| crate::payload(&typical.request, settings);
    let (warm, calls) = if opts.quick { (20, 200) } else { (100, 1000) };
    let fresh = |side_module: &PolicyModule, id: &str, settings: &Value| {
        let payload = typical_payload(settings);
        let options = EvalOptions {
            policy_id: Some(id.to_owned()),
            ..EvalOptions::default()
        };
        crate::sample(warm, calls, || {
            side_module
                .call("validate", &payload, &options)
                .result
                .map_err(|e| anyhow::anyhow!("{id}: {e}"))
        })
    };
    let floor_fresh = fresh(&floor.module, FLOOR_ID, &json!({}))?.median;
    let mut per_module = Vec::new();
    for m in &bundle {
        match fresh(&m.module, &m.id, &m.settings) {
            Ok(s) => per_module.push((m.id.clone(), Some(s.median))),
            Err(e) => {
                eprintln!("bench-report: {e:#}");
                per_module.push((m.id.clone(), None));
            }
        }
    }
    let mut officials = Vec::new();
    for run in &runs {
        if let Ok(s) = fresh(
            &run.official.module,
            &run.official.label,
            &run.official.settings,
        ) {
            officials.push((run.official.label.clone(), s.median));
        }
    }
    let medians: Vec<Duration> = per_module.iter().filter_map(|(_, d)| *d).collect();
    let bundle_median = median(medians.clone());
    let _ = writeln!(
        md,
        "\n#### Every module as policy-server runs it\n\nhost-test's default engine (policy-evaluator's configuration), our typical Deployment ({} bytes), every call on a fresh instance (`instantiate`, `wapc_init`, `validate`), median of {calls} calls. The floor module costs **{} µs** here; the official modules {}.\n",
        typical.bytes,
        micros(floor_fresh),
        officials
            .iter()
            .map(|(id, d)| format!("`{id}` {} µs", micros(*d)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        md,
        "Target: median over the {} modules at most 30 µs: {} µs ({} µs above the floor): **{}**.\n",
        medians.len(),
        micros(bundle_median),
        micros(above(bundle_median, floor_fresh)),
        if bundle_median <= Duration::from_micros(30) {
            "met"
        } else {
            "missed"
        }
    );
    let _ = writeln!(
        md,
        "| module | fresh instance + validate µs | above floor µs |"
    );
    let _ = writeln!(md, "|---|---:|---:|");
    for (id, d) in &per_module {
        match d {
            Some(d) => {
                let _ = writeln!(
                    md,
                    "| `{id}` | {} | {} |",
                    micros(*d),
                    micros(above(*d, floor_fresh))
                );
            }
            None => {
                let _ = writeln!(md, "| `{id}` | error | |");
            }
        }
    }

    // What a fresh instance sets up.
    let _ = writeln!(
        md,
        "\n#### What a fresh instance sets up\n\nRead from each module's sections: initial linear memory, the stack (below the initial `__stack_pointer`), active data, globals, table elements and start-up functions. wasmtime maps the initial memory copy-on-write from a prepared image when every active data segment has a constant offset into the module's own memory (\"static data\").\n"
    );
    let _ = writeln!(
        md,
        "| module | bytes | initial memory | stack | active data segments | data bytes | static data (copy-on-write image) | globals | table elements | start-up exports |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---|---:|---:|---|");
    let mut layout_rows: Vec<(String, PathBuf)> = Vec::new();
    for run in &runs {
        layout_rows.push((run.ours.label.clone(), run.ours.path.clone()));
        layout_rows.push((run.official.label.clone(), run.official.path.clone()));
    }
    layout_rows.push((FLOOR_ID.to_owned(), floor_path.clone()));
    for (id, path) in &layout_rows {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        match layout(&bytes) {
            Ok(l) => {
                let _ = writeln!(
                    md,
                    "| `{id}` | {} | {} pages ({} KiB) | {} | {} ({} passive) | {} | {} | {} | {} | {} |",
                    bytes.len(),
                    l.initial_pages,
                    l.initial_pages * 64,
                    l.stack_pointer
                        .map_or("-".to_owned(), |sp| format!("{} KiB", sp / 1024)),
                    l.data_segments,
                    l.passive_segments,
                    l.data_bytes,
                    if l.static_data { "yes" } else { "no" },
                    l.globals,
                    l.table_elements,
                    if l.start_functions.is_empty() {
                        "none".to_owned()
                    } else {
                        l.start_functions.join(", ")
                    }
                );
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| `{id}` | {} | unreadable: {e} | | | | | | | |",
                    bytes.len()
                );
            }
        }
    }
    let all: Vec<Layout> = bundle
        .iter()
        .filter_map(|m| std::fs::read(c.dist.join(format!("{}.wasm", m.id))).ok())
        .filter_map(|b| layout(&b).ok())
        .collect();
    if !all.is_empty() {
        let pages: Vec<u64> = all.iter().map(|l| l.initial_pages).collect();
        let data: Vec<u64> = all.iter().map(|l| l.data_bytes).collect();
        let _ = writeln!(
            md,
            "\nOver the {} modules of `dist/`: initial memory {}-{} pages, active data {}-{} bytes, static data in {} of them, passive data segments in {}, start-up exports in {}.",
            all.len(),
            pages.iter().min().unwrap_or(&0),
            pages.iter().max().unwrap_or(&0),
            data.iter().min().unwrap_or(&0),
            data.iter().max().unwrap_or(&0),
            all.iter().filter(|l| l.static_data).count(),
            all.iter().filter(|l| l.passive_segments > 0).count(),
            all.iter().filter(|l| !l.start_functions.is_empty()).count()
        );
    }

    // Cost against object size.
    eprintln!("bench-report: growth with object size");
    let _ = writeln!(
        md,
        "\n#### Cost against object size\n\nFresh instance + validate (as above) of a compliant Deployment with more and more containers, and the typical Deployment padded with an annotation no rule reads. µs per KB counts the time above the floor.\n"
    );
    let sizes: Vec<(String, Value)> = vec![
        (
            "1 container".to_owned(),
            crate::deployment_request(crate::deployment(1)),
        ),
        (
            "8 containers".to_owned(),
            crate::deployment_request(crate::deployment(8)),
        ),
        (
            "64 containers".to_owned(),
            crate::deployment_request(crate::deployment(64)),
        ),
        (
            "padded to 100 KB".to_owned(),
            crate::deployment_request(crate::padded_deployment(100_000)),
        ),
        (
            "padded to 1 MB".to_owned(),
            crate::deployment_request(crate::padded_deployment(1_000_000)),
        ),
    ];
    let growth_sides: Vec<&Side> = runs
        .iter()
        .filter(|r| r.pair.ours == "no-privileged-containers")
        .flat_map(|r| [&r.ours, &r.official])
        .collect();
    let _ = write!(md, "| request | bytes | floor µs |");
    for s in &growth_sides {
        let _ = write!(md, " `{}` µs | µs per KB above floor |", s.label);
    }
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "|---|---:|---:|{}",
        "---:|---:|".repeat(growth_sides.len())
    );
    let (gw, gc) = if opts.quick { (3, 20) } else { (10, 200) };
    let mut per_kb: Vec<Vec<f64>> = vec![Vec::new(); growth_sides.len()];
    for (name, request) in &sizes {
        let bytes = request.to_string().len();
        let time = |m: &PolicyModule, settings: &Value, id: &str| {
            let payload = crate::payload(request, settings);
            crate::sample(gw, gc, || {
                m.call("validate", &payload, &EvalOptions::default())
                    .result
                    .map_err(|e| anyhow::anyhow!("{id}: {e}"))
            })
            .map(|s| s.median)
        };
        let fl = time(&floor.module, &json!({}), FLOOR_ID).unwrap_or_default();
        let _ = write!(md, "| {name} | {bytes} | {} |", micros(fl));
        for (i, s) in growth_sides.iter().enumerate() {
            match time(&s.module, &s.settings, &s.label) {
                Ok(d) => {
                    let kb = above(d, fl).as_secs_f64() * 1e6 / (bytes as f64 / 1000.0);
                    per_kb[i].push(kb);
                    let _ = write!(md, " {} | {:.2} |", micros(d), kb);
                }
                Err(_) => {
                    let _ = write!(md, " error | |");
                }
            }
        }
        let _ = writeln!(md);
    }
    for (i, s) in growth_sides.iter().enumerate() {
        let v = &per_kb[i];
        if let (Some(lo), Some(hi)) = (
            v.iter().copied().reduce(f64::min),
            v.iter().copied().reduce(f64::max),
        ) {
            let _ = writeln!(
                md,
                "\n`{}`: µs per KB above the floor from {lo:.2} to {hi:.2} over a {:.0}x range of object sizes ({}).",
                s.label,
                sizes
                    .last()
                    .map(|(_, r)| r.to_string().len() as f64)
                    .unwrap_or(1.0)
                    / sizes
                        .first()
                        .map(|(_, r)| r.to_string().len() as f64)
                        .unwrap_or(1.0),
                if hi <= 2.0 * lo {
                    "linear within a factor of 2"
                } else {
                    "not linear within a factor of 2"
                }
            );
        }
    }
    let _ = writeln!(md, "\n<!-- kwctl:end -->");
    write_out(c, "kwctl", "## In Kubewarden's runners: kwctl", &md)
}

/// The wasmtime major version host-test is built with (the workspace's `wasmtime`).
pub const WASMTIME_MAJOR: &str = "48";

/// Inputs of `bench-report policy-server`.
pub struct ServerBenchOptions {
    /// The shared options.
    pub common: RunnerOptions,
    /// The policy-server binary.
    pub policy_server: PathBuf,
    /// The wrk binary.
    pub wrk: PathBuf,
    /// Seconds of load per target and round.
    pub seconds: u64,
    /// Port of policy-server (its readiness probe on the next one).
    pub port: u16,
}

/// Resident set size of process `pid` in bytes (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Members of a profile (`profiles/<name>.yaml`): policy id and settings.
fn profile_members(root: &Path, name: &str) -> Result<Vec<(String, Value)>> {
    let path = root.join("profiles").join(format!("{name}.yaml"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value = serde_yaml::from_str(&text)?;
    let list = doc
        .get("policies")
        .and_then(Value::as_array)
        .with_context(|| format!("{}: no policies list", path.display()))?;
    Ok(list
        .iter()
        .filter_map(|p| {
            Some((
                p.get("id")?.as_str()?.to_owned(),
                p.get("settings").cloned().unwrap_or_else(|| json!({})),
            ))
        })
        .collect())
}

fn server_policy(module: &Path, settings: &Value) -> Value {
    json!({
        "module": file_uri(module),
        "policyMode": "protect",
        "allowedToMutate": false,
        "settings": settings,
        "hostCapabilities": ["*"],
    })
}

/// The policy group id of the pss-restricted profile in the benchmark's policy-server.
pub const GROUP_ID: &str = "pss-restricted-group";

/// A policy group of as many floor modules as the pss-restricted group has members: what
/// policy-server's group evaluation costs when the members cost nothing.
pub const FLOOR_GROUP_ID: &str = "floor-group";

struct Load {
    figures: Vec<WrkFigures>,
    rss_peak: u64,
}

fn wrk_run(
    opts: &ServerBenchOptions,
    script: &Path,
    policy: &str,
    pid: u32,
) -> Result<(WrkFigures, u64)> {
    let url = format!("http://127.0.0.1:{}/validate/{policy}", opts.port);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(rss_bytes(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(100));
            }
            peak
        })
    };
    let output = Command::new(&opts.wrk)
        .args(["-t2", "-c8", "--latency"])
        .arg(format!("-d{}s", opts.seconds))
        .arg("-s")
        .arg(script)
        .arg(&url)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", opts.wrk.display()));
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0);
    let output = output?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk on {url} failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((parse_wrk(&stdout)?, peak))
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// `make bench-policy-server`.
///
/// # Errors
/// When policy-server does not start or wrk cannot run.
pub fn run_policy_server(opts: &ServerBenchOptions) -> Result<()> {
    let c = &opts.common;
    let harness = harness()?;
    let work = c.work.join("policy-server");
    std::fs::create_dir_all(&work)?;
    let floor_path = write_floor(&harness, &work)?;
    let header = format!(
        "Measured {} with `make bench-policy-server` ({}; `wrk -t2 -c8 -d{}s` on 127.0.0.1, {} rounds).",
        today_and_machine(),
        version_of(&opts.policy_server),
        opts.seconds,
        c.rounds
    );

    // policies.yml: every module of dist/, the official modules, the floor, the group.
    let bundle = crate::load_bundle(&c.root, &c.dist, &harness)?;
    let mut policies: BTreeMap<String, Value> = BTreeMap::new();
    for m in &bundle {
        let path = c.dist.join(format!("{}.wasm", m.id));
        policies.insert(m.id.clone(), server_policy(&path, &m.settings));
    }
    let mut pairs = Vec::new();
    for pair in PAIRS {
        let path = c.official.join(format!("{}.wasm", pair.official));
        if !path.is_file() || !policies.contains_key(pair.ours) {
            continue;
        }
        let id = format!("official-{}", pair.official);
        policies.insert(
            id.clone(),
            server_policy(&path, &official_settings(&c.official, &pair)?),
        );
        pairs.push((pair, id));
    }
    policies.insert(FLOOR_ID.to_owned(), server_policy(&floor_path, &json!({})));
    let members = profile_members(&c.root, "pss-restricted")?;
    let member_name = |id: &str| id.replace('-', "_");
    let mut group_policies = serde_json::Map::new();
    for (id, settings) in &members {
        group_policies.insert(
            member_name(id),
            json!({"module": file_uri(&c.dist.join(format!("{id}.wasm"))), "settings": settings}),
        );
    }
    policies.insert(
        GROUP_ID.to_owned(),
        json!({
            "policyMode": "protect",
            "expression": members.iter().map(|(id, _)| format!("{}()", member_name(id))).collect::<Vec<_>>().join(" && "),
            "message": "the request violates the pss-restricted profile",
            "policies": group_policies,
        }),
    );

    let floor_members: serde_json::Map<String, Value> = (1..=members.len())
        .map(|i| {
            (
                format!("floor_{i}"),
                json!({"module": file_uri(&floor_path), "settings": {}}),
            )
        })
        .collect();
    policies.insert(
        FLOOR_GROUP_ID.to_owned(),
        json!({
            "policyMode": "protect",
            "expression": floor_members.keys().map(|k| format!("{k}()")).collect::<Vec<_>>().join(" && "),
            "message": "never: the floor accepts everything",
            "policies": floor_members,
        }),
    );

    eprintln!(
        "bench-report: starting policy-server with {} policies and two {}-module groups",
        policies.len() - 2,
        members.len()
    );
    let server =
        host_test::conformance::start_policy_server(&host_test::conformance::ServerOptions {
            binary: &opts.policy_server,
            dir: &work,
            port: opts.port,
            workers: 2,
            sigstore_trust_config: c.sigstore_trust_config.as_deref(),
            policies: &policies,
        })
        .map_err(|e| anyhow::anyhow!(e))?;
    let pid = server.pid();
    let ready = server.ready_after;
    let rss_ready = rss_bytes(pid).unwrap_or(0);
    eprintln!(
        "bench-report: ready in {:.1} s, RSS {}",
        ready.as_secs_f64(),
        mib(rss_ready)
    );

    // The request: our typical Deployment; every target must accept it.
    let body = review(&crate::typical_request()).to_string();
    let script = work.join("post.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [==[{body}]==]\n"
        ),
    )?;
    let mut targets: Vec<String> = Vec::new();
    for (pair, official) in &pairs {
        targets.push(pair.ours.to_owned());
        targets.push(official.clone());
    }
    targets.push(FLOOR_ID.to_owned());
    targets.push(GROUP_ID.to_owned());
    targets.push(FLOOR_GROUP_ID.to_owned());
    let mut answers = BTreeMap::new();
    for t in &targets {
        let answer = match host_test::conformance::http(
            opts.port,
            "POST",
            &format!("/validate/{t}"),
            &body,
            Duration::from_secs(10),
        ) {
            Ok((200, text)) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => match v.pointer("/response/allowed").and_then(Value::as_bool) {
                    Some(true) => "accept".to_owned(),
                    Some(false) => format!(
                        "reject: {}",
                        v.pointer("/response/status/message")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    ),
                    None => format!("no verdict: {text}"),
                },
                Err(_) => format!("not JSON: {text}"),
            },
            Ok((status, text)) => format!("HTTP {status}: {text}"),
            Err(e) => format!("error: {e}"),
        };
        answers.insert(t.clone(), answer);
    }

    let mut loads: BTreeMap<String, Load> = BTreeMap::new();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..c.rounds {
        let mut order = targets.clone();
        if round % 2 == 1 {
            for chunk in order.chunks_mut(2) {
                chunk.reverse();
            }
        }
        for t in &order {
            eprintln!("bench-report: round {}/{}: wrk on {t}", round + 1, c.rounds);
            match wrk_run(opts, &script, t, pid) {
                Ok((f, peak)) => {
                    let l = loads.entry(t.clone()).or_insert(Load {
                        figures: Vec::new(),
                        rss_peak: 0,
                    });
                    l.figures.push(f);
                    l.rss_peak = l.rss_peak.max(peak);
                }
                Err(e) => {
                    eprintln!("bench-report: {e:#}");
                    failures.insert(t.clone(), format!("{e:#}"));
                }
            }
        }
    }
    let rss_end = rss_bytes(pid).unwrap_or(0);
    drop(server);

    // The targets speak of the bundle: start it again alone (our modules, no official module,
    // floor or group), for its own ready time and memory, at ready and under one load.
    let ours_only: BTreeMap<String, Value> = bundle
        .iter()
        .filter_map(|m| Some((m.id.clone(), policies.get(&m.id)?.clone())))
        .collect();
    eprintln!(
        "bench-report: starting policy-server with our {} modules alone",
        ours_only.len()
    );
    let alone =
        host_test::conformance::start_policy_server(&host_test::conformance::ServerOptions {
            binary: &opts.policy_server,
            dir: &work.join("alone"),
            port: opts.port,
            workers: 2,
            sigstore_trust_config: c.sigstore_trust_config.as_deref(),
            policies: &ours_only,
        })
        .map_err(|e| anyhow::anyhow!(e))?;
    let alone_pid = alone.pid();
    let alone_ready = alone.ready_after;
    let alone_rss_ready = rss_bytes(alone_pid).unwrap_or(0);
    let alone_target = PAIRS.first().map_or("no-privileged-containers", |p| p.ours);
    let alone_rss_load = match wrk_run(opts, &script, alone_target, alone_pid) {
        Ok((_, peak)) => peak,
        Err(e) => {
            eprintln!("bench-report: {e:#}");
            0
        }
    };
    drop(alone);
    eprintln!(
        "bench-report: our modules alone: ready in {:.1} s, RSS {} at ready, {} under load",
        alone_ready.as_secs_f64(),
        mib(alone_rss_ready),
        mib(alone_rss_load)
    );

    let rps = |t: &str| -> Option<f64> {
        let l = loads.get(t)?;
        let mut v: Vec<f64> = l.figures.iter().map(|f| f.requests_per_second).collect();
        v.sort_by(f64::total_cmp);
        v.get((v.len().max(1) - 1) / 2).copied()
    };
    let p50 = |t: &str| -> Option<Duration> {
        Some(median(
            loads.get(t)?.figures.iter().map(|f| f.p50).collect(),
        ))
    };
    let errors = |t: &str| {
        loads
            .get(t)
            .map_or(0, |l| l.figures.iter().map(|f| f.errors).sum::<u64>())
    };
    let show = |t: &str| match (rps(t), p50(t)) {
        (Some(r), Some(p)) => format!("{r:.0} req/s, p50 {:.2} ms", p.as_secs_f64() * 1e3),
        _ => failures
            .get(t)
            .map_or("-".to_owned(), |_| "failed".to_owned()),
    };
    let rss_load = loads.values().map(|l| l.rss_peak).max().unwrap_or(0);

    let mut md = String::new();
    let _ = writeln!(
        md,
        "<!-- policy-server:begin (generated by make bench-policy-server) -->"
    );
    let _ = writeln!(md, "{header}");
    let _ = writeln!(
        md,
        "\nOne policy-server (`--workers 2`, no cluster) holding the {} modules of `dist/`, the {} official modules, the floor module, `{GROUP_ID}`, a policy group of the {} modules of `profiles/pss-restricted.yaml` (expression: every member must accept), and `{FLOOR_GROUP_ID}`, the same group made of floor modules (what a group costs policy-server when its members cost nothing). Every target is posted our typical Deployment (an AdmissionReview of {} bytes), one after another, alternating which of a pair goes first; figures are the medians over the rounds. policy-server builds a fresh instance for every evaluation. For the ready-time and memory targets, our modules are then started alone in a second policy-server (same flags) and loaded with one `wrk` run.\n",
        bundle.len(),
        pairs.len(),
        members.len(),
        body.len()
    );
    let _ = writeln!(md, "| load | ours | official | ratio (req/s) | answers |");
    let _ = writeln!(md, "|---|---:|---:|---:|---|");
    let mut pair_ratios = Vec::new();
    for (pair, official) in &pairs {
        let r = match (rps(pair.ours), rps(official)) {
            (Some(o), Some(f)) if f > 0.0 => {
                pair_ratios.push(o / f);
                format!("{:.2}x", o / f)
            }
            _ => "-".to_owned(),
        };
        let _ = writeln!(
            md,
            "| `{}` / `{}` | {} | {} | {r} | {} / {} |",
            pair.ours,
            pair.official,
            show(pair.ours),
            show(official),
            answers.get(pair.ours).map_or("", String::as_str),
            answers.get(official).map_or("", String::as_str),
        );
    }
    for (label, id) in [
        (
            "floor module (HTTP handling, fresh instance, nothing read)".to_owned(),
            FLOOR_ID,
        ),
        (
            format!("`{GROUP_ID}` ({} modules)", members.len()),
            GROUP_ID,
        ),
        (
            format!(
                "`{FLOOR_GROUP_ID}` ({} floor modules: the group's own cost)",
                members.len()
            ),
            FLOOR_GROUP_ID,
        ),
    ] {
        let _ = writeln!(
            md,
            "| {label} | {} | | | {} |",
            show(id),
            answers.get(id).map_or("", String::as_str)
        );
    }
    let bad: Vec<String> = targets
        .iter()
        .filter(|t| errors(t) > 0)
        .map(|t| format!("`{t}` {} non-2xx or socket errors", errors(t)))
        .collect();
    if !bad.is_empty() {
        let _ = writeln!(md, "\nErrors under load: {}.", bad.join(", "));
    }
    for (t, e) in &failures {
        let _ = writeln!(
            md,
            "\n`{t}` failed: {}",
            e.lines().next().unwrap_or_default()
        );
    }
    let group = rps(GROUP_ID).unwrap_or(0.0);
    let worst_pair = pair_ratios.iter().copied().reduce(f64::min).unwrap_or(0.0);
    let yes = |m: bool| if m { "met" } else { "**missed**" };
    let _ = writeln!(md, "\n| target | measured | |\n|---|---|---|");
    let _ = writeln!(
        md,
        "| the pss-restricted group ≥ 4x 463 req/s (1,852 req/s) | {group:.0} req/s | {} |",
        yes(group >= 1852.0)
    );
    if let Some(floor_group) = rps(FLOOR_GROUP_ID) {
        let _ = writeln!(
            md,
            "| (the same group of floor modules, for scale) | {floor_group:.0} req/s: at most {:.1}x 463 req/s with members that cost nothing | |",
            floor_group / 463.0
        );
    }
    let _ = writeln!(
        md,
        "| every paired module ≥ 2x the official module's req/s | worst {worst_pair:.2}x | {} |",
        yes(!pair_ratios.is_empty() && worst_pair >= 2.0)
    );
    let _ = writeln!(
        md,
        "| the whole bundle ready in ≤ 3 s | our {} modules alone: {:.1} s (the server above, {} policies and the groups: {:.1} s) | {} |",
        ours_only.len(),
        alone_ready.as_secs_f64(),
        policies.len() - 2,
        ready.as_secs_f64(),
        yes(alone_ready <= Duration::from_secs(3))
    );
    let _ = writeln!(
        md,
        "| ≤ 100 MB RSS under load | our modules alone: {} at ready, {} peak under load (`wrk` on `{alone_target}`); the server above: {} at ready, {} peak under load, {} after the load | {} |",
        mib(alone_rss_ready),
        mib(alone_rss_load),
        mib(rss_ready),
        mib(rss_load),
        mib(rss_end),
        yes(alone_rss_load > 0 && alone_rss_load <= 100_000_000)
    );
    let _ = writeln!(md, "\n<!-- policy-server:end -->");
    write_out(
        c,
        "policy-server",
        "## In Kubewarden's runners: policy-server",
        &md,
    )
}

/// What a fresh instance of a module has to set up: its linear memory, data, globals and
/// tables, read from the module's sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Initial pages (64 KiB) of the module's own memory.
    pub initial_pages: u64,
    /// Active data segments.
    pub data_segments: usize,
    /// Bytes in active data segments.
    pub data_bytes: u64,
    /// Passive data segments (copied by `memory.init` at run time, outside the image).
    pub passive_segments: usize,
    /// Whether every active segment has a constant offset (a precondition of wasmtime's
    /// copy-on-write memory images) and the memory is the module's own.
    pub static_data: bool,
    /// Globals defined by the module.
    pub globals: usize,
    /// Initial value of the first mutable i32 global (`__stack_pointer` in a Rust module):
    /// the stack occupies the bytes below it.
    pub stack_pointer: Option<i64>,
    /// Table elements (initial size of every table).
    pub table_elements: u64,
    /// Exported functions run at start-up (`_start`, `_initialize`, a start section).
    pub start_functions: Vec<String>,
}

/// Reads the [`Layout`] of `wasm`.
///
/// # Errors
/// When the module does not parse.
pub fn layout(wasm: &[u8]) -> Result<Layout> {
    use wasmparser::{DataKind, Operator, Parser, Payload, TypeRef};
    let mut out = Layout {
        static_data: true,
        ..Layout::default()
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader {
                    if matches!(import?.ty, TypeRef::Memory(_)) {
                        out.static_data = false;
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    out.initial_pages += memory.initial;
                    if memory.shared {
                        out.static_data = false;
                    }
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    out.table_elements += table?.ty.initial;
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    out.globals += 1;
                    if out.stack_pointer.is_none() && global.ty.mutable {
                        let mut ops = global.init_expr.get_operators_reader();
                        if let Ok(Operator::I32Const { value }) = ops.read() {
                            out.stack_pointer = Some(i64::from(value));
                        }
                    }
                }
            }
            Payload::StartSection { .. } => out.start_functions.push("(start)".to_owned()),
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if matches!(export.name, "_start" | "_initialize") {
                        out.start_functions.push(export.name.to_owned());
                    }
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    if let DataKind::Active { offset_expr, .. } = data.kind {
                        out.data_segments += 1;
                        out.data_bytes += data.data.len() as u64;
                        let mut ops = offset_expr.get_operators_reader();
                        if !matches!(ops.read(), Ok(Operator::I32Const { .. })) {
                            out.static_data = false;
                        }
                    } else {
                        out.passive_segments += 1;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `bench-report instance FILE...`: fresh instance + `validate` of the typical request for
/// each module file (settings `{}`, else the first its `cases.yaml` accepts), the floor
/// first, interleaved over `rounds`, with each file's [`Layout`]; a Markdown table on
/// standard output. For before/after comparisons of build settings.
///
/// # Errors
/// When a file does not load.
pub fn run_instance(files: &[PathBuf], rounds: usize) -> Result<()> {
    let harness = harness()?;
    let root = crate::workspace_root();
    let floor_bytes = floor_module(&harness)?;
    let floor = harness.load_module_bytes(FLOOR_ID, &floor_bytes)?;
    let mut modules = vec![(FLOOR_ID.to_owned(), floor, json!({}), floor_bytes)];
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let module = harness
            .load_module(file)
            .with_context(|| format!("loading {}", file.display()))?;
        let id = module.name().to_owned();
        let settings = crate::settings_for(&root, &module, &id)
            .map(|(s, _)| s)
            .unwrap_or_else(|_| json!({}));
        modules.push((file.display().to_string(), module, settings, bytes));
    }
    let request = crate::typical_request();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); modules.len()];
    // One kept instance as well (what `kwctl bench` measures).
    let mut kept: Vec<Vec<Duration>> = vec![Vec::new(); modules.len()];
    for _ in 0..rounds.max(1) {
        for (i, (label, module, settings, _)) in modules.iter().enumerate() {
            let payload = crate::payload(&request, settings);
            let s = crate::sample(100, 1000, || {
                module
                    .call("validate", &payload, &EvalOptions::default())
                    .result
                    .map_err(|e| anyhow::anyhow!("{label}: {e}"))
            })?;
            times[i].push(s.median);
            let mut session = module.session().map_err(|e| anyhow::anyhow!("{e}"))?;
            let k = crate::sample(100, 1000, || {
                session
                    .call("validate", &payload)
                    .map_err(|e| anyhow::anyhow!("{label}: {e}"))
            })?;
            kept[i].push(k.median);
        }
    }
    // Page faults per call: every fresh instance faults in the pages it touches (stack, data
    // written, heap), and each costs about a microsecond (BENCHMARKS.md, "Instance creation").
    let mut faults = Vec::with_capacity(modules.len());
    for (label, module, settings, _) in &modules {
        let payload = crate::payload(&request, settings);
        const CALLS: u64 = 500;
        let before = minor_faults();
        for _ in 0..CALLS {
            module
                .call("validate", &payload, &EvalOptions::default())
                .result
                .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
        }
        faults.push(
            minor_faults()
                .zip(before)
                .map(|(after, before)| after.saturating_sub(before) as f64 / CALLS as f64),
        );
    }
    println!(
        "| module | bytes | initial pages | stack KiB | data bytes | static data | page faults per call | fresh instance + validate µs (median of rounds) | above floor µs | one kept instance, validate µs |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    let floor_time = median(times[0].clone());
    for (i, (label, _, _, bytes)) in modules.iter().enumerate() {
        let l = layout(bytes).unwrap_or_default();
        let t = median(times[i].clone());
        println!(
            "| `{label}` | {} | {} | {} | {} | {} | {} | {} ({}) | {} | {} ({}) |",
            bytes.len(),
            l.initial_pages,
            l.stack_pointer.map_or(0, |sp| sp / 1024),
            l.data_bytes,
            l.static_data,
            faults[i].map_or("-".to_string(), |f| format!("{f:.1}")),
            micros(t),
            range(&times[i]),
            micros(above(t, floor_time)),
            micros(median(kept[i].clone())),
            range(&kept[i])
        );
    }
    Ok(())
}

/// `bench-report compile FILE...`: Cranelift's compile time of each module on one thread
/// (`Module::new` with parallel compilation off, wasmtime's default Cranelift settings; best
/// of three), with its size and number of functions, and the total. policy-server compiles
/// every module at every start, so this is what its ready time follows (BENCHMARKS.md,
/// "Session 13").
///
/// # Errors
/// A file that cannot be read or compiled.
pub fn run_compile(files: &[PathBuf]) -> Result<()> {
    let mut config = wasmtime::Config::new();
    config.parallel_compilation(false);
    let engine = wasmtime::Engine::new(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("| module | bytes | functions | compile ms (best of 3) |");
    println!("|---|---:|---:|---:|");
    let (mut total, mut total_bytes, mut total_functions) = (Duration::ZERO, 0usize, 0usize);
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let functions = wasmparser::Parser::new(0)
            .parse_all(&bytes)
            .filter(|p| matches!(p, Ok(wasmparser::Payload::CodeSectionEntry(_))))
            .count();
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let started = std::time::Instant::now();
            wasmtime::Module::new(&engine, &bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            best = best.min(started.elapsed());
        }
        println!(
            "| `{}` | {} | {functions} | {:.1} |",
            file.display(),
            bytes.len(),
            best.as_secs_f64() * 1e3
        );
        total += best;
        total_bytes += bytes.len();
        total_functions += functions;
    }
    println!(
        "| all {} | {total_bytes} | {total_functions} | {:.1} |",
        files.len(),
        total.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Minor page faults of the calling thread so far (`/proc/thread-self/stat`, field 10), where
/// Linux has it.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(7)?.parse().ok()
}
