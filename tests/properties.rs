//! Property-based tests (proptest, fixed seed, bounded case counts: deterministic and short).
//!
//! Properties, on the shared parsers natively and on every built module through the harness:
//! - no panic, no trap, no timeout, no memory-cap hit;
//! - every response is well-formed (the request's uid; a rejection carries a non-empty
//!   message that is not a panic);
//! - settings that fail `validate_settings` never reach the rule: `validate` with them is a
//!   rejection with code 500 that says the settings are invalid.
//!
//! `PROPTEST_CASES` scales every case count (default 1.0 = the figures below).

#[path = "parser_properties.rs"]
mod parser_properties;

use host_test::{Failure, PolicyModule, load_request};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use workspace_tests::{root, shared_modules};

const SEED: [u8; 32] = *b"aks-baseline-policies-issue-11-p";

fn scaled(cases: u32) -> u32 {
    let factor: f64 = std::env::var("PROPTEST_CASES_FACTOR")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    ((f64::from(cases) * factor).round() as u32).max(1)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: scaled(cases),
            failure_persistence: None,
            max_shrink_iters: 200,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &SEED),
    )
}

/// Arbitrary JSON, bounded in depth and width.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("ALL"),
            Just("CAP_SYS_ADMIN"),
            Just("../../etc"),
            Just("//var/run/docker.sock/"),
            Just("docker.io/library/nginx:latest"),
            Just("*"),
            Just("**"),
            Just("-1"),
            Just("1e309"),
            Just("0"),
            Just("kube-system"),
            Just("default"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every path (as key/index steps) of a JSON value.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(Step::Key(k.clone()));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut cur = value;
    for step in path {
        cur = match (step, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// One structural mutation: where (an index into the paths, modulo), what.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Duplicate(usize, u8),
    Insert(usize, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        1 => (any::<usize>(), 1u8..40).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        2 => (any::<usize>(), prop_oneof![
                Just("privileged".to_owned()), Just("hostPID".to_owned()),
                Just("securityContext".to_owned()), Just("initContainers".to_owned()),
                Just("ephemeralContainers".to_owned()), Just("namespace".to_owned()),
                Just("image".to_owned()), "[a-z]{1,8}"], json_value())
            .prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
    ]
}

/// Applies mutations below `object` only (the envelope fields stay valid, so the harness
/// accepts the request and the module is what is exercised), or on the whole request when
/// `whole` is set.
fn mutate(mut request: Value, mutations: &[Mutation], whole: bool) -> Value {
    for m in mutations {
        let mut all = Vec::new();
        if whole {
            paths(&request, &mut Vec::new(), &mut all);
            all.retain(|p| !p.is_empty());
        } else {
            let Some(object) = request.get("object") else {
                continue;
            };
            let mut prefix = vec![Step::Key("object".into())];
            paths(object, &mut prefix, &mut all);
        }
        if all.is_empty() {
            continue;
        }
        let pick = |i: usize| all[i % all.len()].clone();
        match m {
            Mutation::Replace(i, v) => {
                if let Some(slot) = at(&mut request, &pick(*i)) {
                    *slot = v.clone();
                }
            }
            Mutation::Remove(i) => {
                let path = pick(*i);
                if let Some((last, parent)) = path.split_last() {
                    match (last, at(&mut request, parent)) {
                        (Step::Key(k), Some(Value::Object(m))) => {
                            m.remove(k);
                        }
                        (Step::Index(i), Some(Value::Array(a))) if *i < a.len() => {
                            a.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            Mutation::Duplicate(i, n) => {
                if let Some(Value::Array(a)) = at(&mut request, &pick(*i))
                    && let Some(first) = a.first().cloned()
                {
                    a.extend(std::iter::repeat_n(first, usize::from(*n)));
                }
            }
            Mutation::Insert(i, k, v) => {
                if let Some(Value::Object(m)) = at(&mut request, &pick(*i)) {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
    }
    request
}

/// The requests of a policy's own suite and of its evasion suite.
fn seed_requests(id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for dir in [
        root().join("policies").join(id).join("requests"),
        root()
            .join("tests")
            .join("evasion")
            .join(id)
            .join("requests"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            if let Ok(request) = load_request(&file) {
                out.push(request);
            }
        }
    }
    out
}

/// Settings objects a policy's suite uses (valid or not), and `{}`.
fn seed_settings(id: &str) -> Vec<Value> {
    let mut out = vec![json!({})];
    let path = root().join("policies").join(id).join("cases.yaml");
    if let Ok(suite) = host_test::load_suite(&path) {
        out.extend(suite.defaults.settings.clone());
        out.extend(suite.cases.iter().filter_map(|c| c.settings.clone()));
    }
    out.dedup();
    out
}

fn check_failure(id: &str, failure: Option<&Failure>) -> Result<(), TestCaseError> {
    match failure {
        None | Some(Failure::Guest { .. }) => Ok(()),
        Some(other) => Err(TestCaseError::fail(format!("{id}: {other}"))),
    }
}

fn well_formed(
    id: &str,
    module: &PolicyModule,
    request: &Value,
    settings: &Value,
) -> Result<bool, TestCaseError> {
    let evaluation = match module.validate(request, settings) {
        Ok(e) => e,
        // The harness refused the request before the module saw it (as policy-server would).
        Err(_) => return Ok(false),
    };
    check_failure(id, evaluation.failure.as_ref())?;
    let response = &evaluation.response;
    let uid = request
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    prop_assert_eq!(response.uid.as_str(), uid, "{}: uid", id);
    if !response.allowed {
        let message = response.message().unwrap_or_default();
        prop_assert!(
            !message.trim().is_empty(),
            "{}: rejection without a message",
            id
        );
        prop_assert!(
            !message.contains("panicked"),
            "{}: the module panicked: {}",
            id,
            message
        );
    }
    Ok(true)
}

#[test]
fn mutated_requests_never_crash_a_module() {
    let mut evaluated = 0usize;
    for (id, module) in shared_modules() {
        let requests = seed_requests(id);
        if requests.is_empty() {
            continue;
        }
        let settings = seed_settings(id);
        let valid: Vec<Value> = settings
            .into_iter()
            .filter(|s| module.validate_settings(s).is_ok_and(|o| o.valid))
            .collect();
        let strategy = (
            0..requests.len(),
            0..valid.len().max(1),
            prop::collection::vec(mutation(), 1..6),
            prop::bool::weighted(0.2),
        );
        let count = std::cell::Cell::new(0usize);
        runner(64)
            .run(&strategy, |(r, s, mutations, whole)| {
                let request = mutate(requests[r].clone(), &mutations, whole);
                let settings = valid.get(s).cloned().unwrap_or_else(|| json!({}));
                if well_formed(id, module, &request, &settings)? {
                    count.set(count.get() + 1);
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        evaluated += count.get();
    }
    println!("mutated requests evaluated: {evaluated}");
    assert!(evaluated > 0, "no module evaluated a mutated request");
}

#[test]
fn invalid_settings_never_reach_the_rule() {
    let mut invalid_seen = 0usize;
    for (id, module) in shared_modules() {
        let seeds = seed_settings(id);
        let requests = seed_requests(id);
        let request = requests
            .iter()
            .find(|r| r.get("operation").and_then(Value::as_str) == Some("CREATE"))
            .cloned();
        let strategy = (
            0..seeds.len(),
            prop::collection::vec(mutation(), 1..4),
            prop::bool::weighted(0.1),
            json_value(),
        );
        let seen = std::cell::Cell::new(0usize);
        runner(64)
            .run(&strategy, |(s, mutations, replace_whole, whole)| {
                let settings = if replace_whole {
                    whole
                } else {
                    // Mutate the settings object through the same machinery, under a wrapper.
                    let wrapped = json!({"object": seeds[s].clone()});
                    mutate(wrapped, &mutations, false)["object"].clone()
                };
                // Settings that are not a mapping are refused by the harness before the module
                // sees them, as policy-server refuses them when it loads the policy.
                let Ok(outcome) = module.validate_settings(&settings) else {
                    return Ok(());
                };
                check_failure(id, outcome.failure.as_ref())?;
                if outcome.valid {
                    if let Some(request) = &request {
                        well_formed(id, module, request, &settings)?;
                    }
                    return Ok(());
                }
                seen.set(seen.get() + 1);
                let message = outcome.message.unwrap_or_default();
                prop_assert!(
                    !message.is_empty(),
                    "{}: invalid settings without a message",
                    id
                );
                if let Some(request) = &request {
                    let evaluation = module
                        .validate(request, &settings)
                        .map_err(|e| TestCaseError::fail(format!("{id}: {e}")))?;
                    check_failure(id, evaluation.failure.as_ref())?;
                    prop_assert!(
                        !evaluation.allowed(),
                        "{}: invalid settings {} were accepted by validate",
                        id,
                        settings
                    );
                    prop_assert_eq!(evaluation.code(), Some(500), "{}: code", id);
                    prop_assert!(
                        evaluation
                            .message()
                            .unwrap_or_default()
                            .contains("invalid settings"),
                        "{}: {:?}",
                        id,
                        evaluation.message()
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        invalid_seen += seen.get();
    }
    println!("invalid settings generated: {invalid_seen}");
    assert!(invalid_seen > 0);
}

fn image_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-zA-Z0-9./:@_-]{0,40}",
        (
            prop::option::of("[a-z0-9.-]{1,12}(:[0-9]{1,6})?"),
            "[a-z0-9._/-]{1,20}",
            prop::option::of(":[a-zA-Z0-9._-]{1,10}"),
            prop::option::of("@sha256:[0-9a-f]{64}"),
        )
            .prop_map(|(r, p, t, d)| {
                let mut s = String::new();
                if let Some(r) = r {
                    s.push_str(&r);
                    s.push('/');
                }
                s.push_str(&p);
                s.push_str(&t.unwrap_or_default());
                s.push_str(&d.unwrap_or_default());
                s
            }),
    ]
}

/// A property of `parser_properties.rs` as a proptest result.
fn held(outcome: parser_properties::Outcome) -> Result<(), TestCaseError> {
    outcome.map_err(TestCaseError::fail)
}

#[test]
fn image_references_parse_without_panics_and_consistently() {
    runner(4000)
        .run(&(image_like(), image_like()), |(reference, pattern)| {
            held(parser_properties::image_ref(&format!(
                "{reference}\n{pattern}"
            )))
        })
        .unwrap();
}

#[test]
fn globs_compile_without_panics_and_literals_match_themselves() {
    runner(4000)
        .run(&("[a-z*?./-]{0,30}", ".{0,30}"), |(pattern, text)| {
            held(parser_properties::glob(&format!("{pattern}\n{text}")))?;
            // Any text without `*` is a literal pattern that matches itself.
            if !text.contains('\n') {
                held(parser_properties::glob(&text))?;
            }
            Ok(())
        })
        .unwrap();
}

/// Quantity-like texts: signs, digits with a point, every suffix, exponents, and noise.
fn quantity_like() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,12}",
        1 => "[-+0-9.eEkKMGTPinum]{1,16}",
        6 => (
            "[-+]?",
            "[0-9]{0,22}",
            prop::option::of("\\.[0-9]{0,12}"),
            prop::sample::select(vec![
                "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi",
                "Ei", "e3", "E-2", "e+9", "e-12", "e40", "e-40", "K", "ki", "e",
            ]),
        )
            .prop_map(|(sign, int, frac, suffix)| {
                format!("{sign}{int}{}{suffix}", frac.unwrap_or_default())
            }),
    ]
}

#[test]
fn quantities_print_and_parse_back_exactly() {
    runner(6000)
        .run(&quantity_like(), |text| {
            held(parser_properties::quantity(&text))
        })
        .unwrap();
}

/// Path-like texts from a small alphabet of components, so prefixes and siblings collide.
fn path_like() -> impl Strategy<Value = String> {
    let component = prop::sample::select(vec![
        "", ".", "..", "...", "var", "run", "log", "logs", "lib", "kubelet", "etc", "home", "*",
        "a*", ".ssh", "x",
    ]);
    prop_oneof![
        1 => ".{0,20}",
        8 => (any::<bool>(), prop::collection::vec(component, 0..6), any::<bool>()).prop_map(
            |(absolute, parts, trailing)| {
                let mut s = if absolute { "/".to_string() } else { String::new() };
                s.push_str(&parts.join("/"));
                if trailing {
                    s.push('/');
                }
                s
            }
        ),
    ]
}

#[test]
fn host_paths_normalise_and_compare_by_component() {
    runner(6000)
        .run(&(path_like(), path_like()), |(path, other)| {
            held(parser_properties::hostpath(&format!("{path}\n{other}")))
        })
        .unwrap();
}

/// Values for the secret detectors: known credential fragments and separators mixed with
/// noise, so the structured detectors (PEM, JWT, connection strings, SAS, assignments) fire.
fn secret_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
            "-----BEGIN PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----",
            "-----END PUBLIC KEY-----", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".", "AccountKey=", "SharedAccessSignature=",
            "Password=", "pwd=", "://", "user:", "@", "?", "&", "sv=2022-11-02", "sig=",
            "password", "api_key", "token", "=", ": ", "\n", " ", ";", "\"", "${X}", "<secret>",
            "AKIA", "ghp_", "Q~", "# ", "--db-password=",
        ]).prop_map(str::to_string),
        2 => "[A-Za-z0-9+/_-]{1,40}",
        1 => ".{0,10}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_.-]{0,20}",
        (
            prop::sample::select(vec!["", "db", "DB", "my-", "x.", "api", "--"]),
            prop::sample::select(vec![
                "Password",
                "_PASSWORD",
                "-token",
                "secret",
                "Key",
                "_KEY",
                "apikey",
                "PUBLIC_KEY",
                "_FILE",
                "_key_id",
                "connectionString",
            ]),
            prop::sample::select(vec!["", "_FILE", "_PATH", "1", "/x", " x"]),
        )
            .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
    ]
}

#[test]
fn secret_detectors_are_ordered_and_find_known_keys_anywhere() {
    runner(3000)
        .run(
            &(any::<u8>(), secret_like(), name_like()),
            |(config, value, name)| {
                held(parser_properties::secrets(
                    config,
                    &format!("{value}\n{name}"),
                ))
            },
        )
        .unwrap();
}

#[test]
fn pod_extraction_never_panics_on_mutated_objects() {
    let mut seeds = Vec::new();
    for id in workspace_tests::policy_ids() {
        seeds.extend(seed_requests(&id));
    }
    assert!(!seeds.is_empty());
    let strategy = (
        0..seeds.len(),
        prop::collection::vec(mutation(), 1..8),
        any::<bool>(),
    );
    runner(3000)
        .run(&strategy, |(i, mutations, whole)| {
            let request = mutate(seeds[i].clone(), &mutations, whole);
            held(parser_properties::pod_extraction(
                request.to_string().as_bytes(),
            ))?;
            Ok(())
        })
        .unwrap();
}

/// JSON text with damage: arbitrary JSON, printed compactly or with spacing, then bytes
/// replaced, inserted or removed (from JSON's own alphabet, mostly).
fn damaged_json() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0u8..3,
        prop::sample::select(
            &[
                "", "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "-", "0", "1", "e", ".",
                "n", "t", "f", "\\u", "\\ud800", "\u{1}", "é", "1e400", "\"k\":", ",]", ",}",
            ][..],
        ),
    );
    (
        json_value(),
        any::<bool>(),
        prop::collection::vec(edit, 0..4),
    )
        .prop_map(|(value, pretty, edits)| {
            let mut text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                value.to_string()
            };
            for (at, kind, piece) in edits {
                let mut i = at.index(text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                match kind {
                    0 => text.insert_str(i, piece),
                    1 => {
                        let end = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                        text.replace_range(i..end, piece);
                    }
                    _ => text.truncate(i),
                }
            }
            text
        })
}

#[test]
fn the_modules_json_reader_reads_as_serde_json_reads() {
    runner(4000)
        .run(&damaged_json(), |text| {
            held(parser_properties::json_reader(text.as_bytes()))
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Values read as their consumers read them (issue 17): address sets, address spellings,
// identities.
// ---------------------------------------------------------------------------------------------

/// Splits `addr/prefix` into a partition of CIDRs, taking split decisions from `splits`.
fn partition(
    addr: u32,
    prefix: u8,
    splits: &mut std::slice::Iter<'_, bool>,
    out: &mut Vec<(u32, u8)>,
) {
    if prefix < 16 && splits.next().copied().unwrap_or(false) {
        let half = 1u32 << (31 - u32::from(prefix));
        partition(addr, prefix + 1, splits, out);
        partition(addr | half, prefix + 1, splits, out);
    } else {
        out.push((addr, prefix));
    }
}

/// A piece as a NetworkPolicy author may write it: dotted, or IPv4-mapped IPv6.
fn spell_cidr((addr, prefix): (u32, u8), mapped: bool) -> String {
    let a = std::net::Ipv4Addr::from(addr);
    if mapped {
        format!("::ffff:{a}/{}", u32::from(prefix) + 96)
    } else {
        format!("{a}/{prefix}")
    }
}

/// Pieces of a random partition of 0.0.0.0/0, shuffled, some in IPv4-mapped notation, and
/// the index of one piece to leave out (or none).
fn ipv4_partition() -> impl Strategy<Value = (Vec<String>, Option<usize>)> {
    (
        prop::collection::vec(prop::bool::weighted(0.7), 1..60),
        prop::collection::vec(any::<bool>(), 64),
        any::<u64>(),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(splits, mapped, seed, drop)| {
            let mut pieces = Vec::new();
            partition(0, 0, &mut splits.iter(), &mut pieces);
            // A deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..pieces.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                pieces.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let texts: Vec<String> = pieces
                .iter()
                .enumerate()
                .map(|(i, p)| spell_cidr(*p, mapped[i % mapped.len()]))
                .collect();
            // Leaving out the only piece would leave a rule without peers (every source).
            let drop = drop
                .filter(|_| texts.len() > 1)
                .map(|d| d.index(texts.len()));
            (texts, drop)
        })
}

#[test]
fn any_set_of_cidrs_whose_union_is_everything_is_everything() {
    use policy_helpers::net::{AddrSet, IpNet};
    let everything = IpNet::parse("0.0.0.0/0").unwrap();
    runner(2000)
        .run(&ipv4_partition(), |(pieces, drop)| {
            let mut set = AddrSet::new();
            for (i, p) in pieces.iter().enumerate() {
                if Some(i) != drop {
                    set.add(&IpNet::parse(p).map_err(TestCaseError::fail)?);
                }
            }
            prop_assert_eq!(
                set.covers(&everything),
                drop.is_none(),
                "{:?} without {:?}",
                pieces,
                drop
            );
            if let Some(d) = drop {
                let left_out = IpNet::parse(&pieces[d]).unwrap();
                prop_assert!(!set.meets(&left_out), "{} is met", pieces[d]);
            }
            Ok(())
        })
        .unwrap();
}

fn module(id: &str) -> &'static PolicyModule {
    &shared_modules()
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("{id} is not built"))
        .1
}

fn admission(
    uid: &str,
    group: &str,
    kind: &str,
    resource: &str,
    namespace: &str,
    object: Value,
) -> Value {
    json!({
        "uid": uid,
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": resource},
        "name": object["metadata"]["name"].clone(),
        "namespace": namespace,
        "operation": "CREATE",
        "userInfo": {"username": "alice@contoso.com", "groups": ["system:authenticated"]},
        "object": object,
    })
}

#[test]
fn a_rule_whose_ip_blocks_cover_everything_is_rejected_through_the_module() {
    let m = module("restrict-permissive-networkpolicy");
    runner(150)
        .run(&ipv4_partition(), |(pieces, drop)| {
            let peers: Vec<Value> = pieces
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != drop)
                .map(|(_, p)| json!({"ipBlock": {"cidr": p}}))
                .collect();
            let np = json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": 443}]}]},
            });
            let request = admission(
                "np",
                "networking.k8s.io",
                "NetworkPolicy",
                "networkpolicies",
                "shop",
                np,
            );
            let e = m
                .validate(&request, &json!({}))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let message = e.response.message().unwrap_or_default();
            // Without a piece the rule still opens most of the internet, but not all of it.
            prop_assert_eq!(
                e.response.allowed,
                drop.is_some(),
                "{:?} without {:?}: {}",
                pieces,
                drop,
                message
            );
            if drop.is_none() {
                prop_assert!(message.contains("0.0.0.0/0"), "{}", message);
            }
            Ok(())
        })
        .unwrap();
}

/// `addr` spelt as `inet_aton` reads it, in `parts` parts (the last fills the remaining
/// bytes), each decimal (style 0), octal with extra leading zeros (1), or hexadecimal in lower
/// (2) or upper case (3).
fn spell_inet_aton(addr: u32, parts: usize, styles: &[(u8, usize)]) -> String {
    let bytes = addr.to_be_bytes();
    let mut values: Vec<u32> = bytes[..parts - 1].iter().map(|b| u32::from(*b)).collect();
    values.push(
        bytes[parts - 1..]
            .iter()
            .fold(0u32, |v, b| (v << 8) | u32::from(*b)),
    );
    let text: Vec<String> = values
        .iter()
        .zip(styles)
        .map(|(v, (style, zeros))| match style {
            0 => v.to_string(),
            1 => format!("0{}{v:o}", "0".repeat(*zeros)),
            2 => format!("0x{v:x}"),
            _ => format!("0X{v:X}"),
        })
        .collect();
    text.join(".")
}

fn inet_aton_spelling() -> impl Strategy<Value = (u32, String)> {
    (
        any::<u32>(),
        1usize..=4,
        prop::collection::vec((0u8..4, 0usize..3), 4),
    )
        .prop_map(|(addr, parts, styles)| (addr, spell_inet_aton(addr, parts, &styles)))
}

#[test]
fn any_inet_aton_spelling_of_an_ipv4_address_is_that_address() {
    runner(4000)
        .run(&inet_aton_spelling(), |(addr, text)| {
            prop_assert_eq!(
                policy_helpers::net::parse_ipv4_inet_aton(&text),
                Some(std::net::Ipv4Addr::from(addr)),
                "{}",
                text
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_spelling_of_the_metadata_address_is_refused_as_an_external_name() {
    let m = module("deny-resource-kinds");
    // Service names are lower case (DNS-1123), so the API server admits only lower-case hex.
    let strategy = (1usize..=4, prop::collection::vec((0u8..3, 0usize..3), 4));
    runner(100)
        .run(&strategy, |(parts, styles)| {
            let addr = u32::from(std::net::Ipv4Addr::new(169, 254, 169, 254));
            let target = spell_inet_aton(addr, parts, &styles);
            let svc = json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "metadata", "namespace": "shop"},
                "spec": {"type": "ExternalName", "externalName": target},
            });
            let request = admission("svc", "", "Service", "services", "shop", svc);
            let e = m
                .validate(&request, &json!({}))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(!e.response.allowed, "{} admitted", target);
            prop_assert!(
                e.response
                    .message()
                    .unwrap_or_default()
                    .contains("instance metadata"),
                "{}: {:?}",
                target,
                e.response.message()
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_service_account_is_matched_the_same_in_both_spellings() {
    use policy_helpers::rbac::{Subject, SubjectPatterns};
    let label = "[a-z][a-z0-9-]{0,6}";
    let pattern = prop_oneof![
        (label, label).prop_map(|(n, s)| format!("ServiceAccount:{n}/{s}")),
        label.prop_map(|n| format!("ServiceAccount:{n}/*")),
        Just("ServiceAccount:*/default".to_string()),
        (label, label).prop_map(|(n, s)| format!("User:system:serviceaccount:{n}:{s}")),
        label.prop_map(|n| format!("User:system:serviceaccount:{n}:*")),
        label.prop_map(|n| format!("Group:system:serviceaccounts:{n}")),
        label.prop_map(|n| format!("User:{n}")),
    ];
    runner(3000)
        .run(
            &(
                prop::collection::vec(pattern, 1..5),
                label,
                prop_oneof![Just("default".to_string()), label.prop_map(String::from)],
            ),
            |(patterns, ns, name)| {
                let p = SubjectPatterns::compile("p", &patterns).map_err(TestCaseError::fail)?;
                let as_sa = Subject {
                    kind: "ServiceAccount".into(),
                    namespace: ns.clone(),
                    name: name.clone(),
                    ..Subject::default()
                };
                let as_user = Subject {
                    kind: "User".into(),
                    api_group: "rbac.authorization.k8s.io".into(),
                    name: format!("system:serviceaccount:{ns}:{name}"),
                    ..Subject::default()
                };
                prop_assert_eq!(as_sa.service_account(), as_user.service_account());
                prop_assert_eq!(
                    p.matches(&as_sa),
                    p.matches(&as_user),
                    "{:?} on {}/{}",
                    patterns,
                    ns,
                    name
                );
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn the_default_service_account_as_a_user_is_refused_through_the_module() {
    let m = module("no-default-service-account");
    runner(100)
        .run(&"[a-z][a-z0-9-]{0,10}", |ns| {
            let binding = json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "b", "namespace": "shop"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                              "name": format!("system:serviceaccount:{ns}:default")}],
            });
            let mut request = admission("rb", "rbac.authorization.k8s.io", "RoleBinding", "rolebindings", "shop", binding);
            request["kind"]["version"] = json!("v1");
            let e = m.validate(&request, &json!({})).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(!e.response.allowed, "{} admitted", ns);
            let expected = format!("the default ServiceAccount of namespace {ns:?}");
            prop_assert!(
                e.response.message().unwrap_or_default().contains(&expected),
                "{:?}",
                e.response.message()
            );
            Ok(())
        })
        .unwrap();
}

// Booleans and configuration formats read as their consumers read them (issue 17, classes 1 and 6).

/// Go's `unicode.IsSpace` characters, as padding.
fn go_space() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{a0}', '\u{2003}', '\u{3000}',
        ]),
        0..3,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Boolean-looking strings: every Go spelling, padded or not; `true` in random letter case;
/// near misses; noise.
fn bool_like() -> impl Strategy<Value = String> {
    let spellings: Vec<&'static str> = policy_helpers::consumer::GO_TRUE
        .into_iter()
        .chain(policy_helpers::consumer::GO_FALSE)
        .chain(["yes", "no", "on", "off", "y", "2", "tru", "truee", ""])
        .collect();
    prop_oneof![
        3 => (go_space(), prop::sample::select(spellings), go_space())
            .prop_map(|(a, s, b)| format!("{a}{s}{b}")),
        2 => prop::collection::vec(any::<bool>(), 4).prop_map(|upper| {
            "true"
                .chars()
                .zip(upper)
                .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
                .collect()
        }),
        1 => ".{0,6}",
    ]
}

#[test]
fn string_booleans_are_read_by_each_consumers_rule() {
    runner(4000)
        .run(&bool_like(), |text| {
            held(parser_properties::consumer_bools(&text))
        })
        .unwrap();
}

fn request_file(id: &str, name: &str) -> Value {
    load_request(root().join("policies").join(id).join("requests").join(name))
        .unwrap_or_else(|e| panic!("{id}/{name}: {e}"))
}

/// Any spelling the Key Vault provider reads as true (a Go `ParseBool` true spelling, padded
/// with any Go white space) switches pod identity or the node's identity on: the module
/// rejects it, naming the value. Any spelling it reads as false leaves the class accepted.
#[test]
fn any_parsebool_spelling_of_the_key_vault_identity_switches_is_read_as_the_provider_reads_it() {
    let id = "keyvault-csi-workload-identity";
    let m = module(id);
    let seed = request_file(id, "create-spc-kv-web.yaml");
    let strategy = (
        go_space(),
        any::<bool>(),
        0..6usize,
        go_space(),
        prop::sample::select(vec!["usePodIdentity", "useVMManagedIdentity"]),
    );
    runner(200)
        .run(&strategy, |(before, on, i, after, key)| {
            let word = if on {
                policy_helpers::consumer::GO_TRUE[i]
            } else {
                policy_helpers::consumer::GO_FALSE[i]
            };
            let value = format!("{before}{word}{after}");
            let mut request = seed.clone();
            request["object"]["spec"]["parameters"][key] = json!(value);
            let e = m
                .validate(&request, &json!({"requireClientIDMatch": false}))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let message = e.response.message().unwrap_or_default().to_string();
            prop_assert_eq!(
                e.response.allowed,
                !on,
                "{:?}={:?}: {}",
                key,
                value,
                message
            );
            if on {
                let expected =
                    format!("{key}={value:?}, which the Key Vault provider reads as true");
                prop_assert!(message.contains(&expected), "{}", message);
            }
            Ok(())
        })
        .unwrap();
}

/// A TOML table or key name in one of the spellings TOML allows for it.
fn toml_name(name: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(name.to_string()),
        Just(format!("\"{name}\"")),
        Just(format!("'{name}'")),
        // A basic string with the first letter escaped.
        Just(format!(
            "\"\\u{:04x}{}\"",
            u32::from(name.as_bytes()[0]),
            &name[1..]
        )),
    ]
}

fn toml_gap() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", " ", "\t", "  "]).prop_map(str::to_string)
}

fn toml_comment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " # enabled = false",
        " # [log_collection_settings.stdout]",
    ])
    .prop_map(str::to_string)
}

/// `log_collection_settings.stdout.enabled = <value>` written in one of the forms TOML allows
/// (a table header, dotted keys under a parent header or at the top, inline tables), with
/// random quoting, escapes, spacing and comments.
fn toml_agent_config() -> impl Strategy<Value = (String, bool)> {
    (
        0..5usize,
        (
            toml_name("log_collection_settings"),
            toml_name("stdout"),
            toml_name("enabled"),
        ),
        (toml_gap(), toml_gap(), toml_gap()),
        (toml_comment(), toml_comment()),
        any::<bool>(),
    )
        .prop_map(|(form, (lcs, out, en), (g1, g2, g3), (c1, c2), on)| {
            let v = if on { "true" } else { "false" };
            let doc = match form {
                0 => format!("[{g1}{lcs}{g2}.{g2}{out}{g1}]{c1}\n{g3}{en}{g1}={g2}{v}{c2}\n"),
                1 => format!("[{g1}{lcs}{g1}]{c1}\n{g3}{out}{g2}.{g2}{en}{g1}={g2}{v}{c2}\n"),
                2 => format!("{lcs}{g1}.{g2}{out}{g2}.{g1}{en}{g3}={g3}{v}{c2}\n"),
                3 => format!("[{lcs}]{c1}\n{out}{g1}={g2}{{{g3}{en}{g1}={g2}{v}{g3}}}{c2}\n"),
                _ => format!("{lcs}{g1}={g1}{{ {out} = {{{g2}{en} = {v}{g2}}} }}{c2}\n"),
            };
            (format!("# agent settings{c1}\n{doc}"), on)
        })
}

/// Whatever TOML spelling the agent configuration uses, the module reads the setting the agent
/// reads: switched off is rejected, kept on is accepted.
#[test]
fn any_toml_spelling_of_the_agent_log_switch_is_read_as_the_agent_reads_it() {
    let id = "protect-security-tooling";
    let m = module(id);
    let seed = request_file(id, "create-configmap-ama-logs-on.yaml");
    runner(200)
        .run(&toml_agent_config(), |(text, on)| {
            let mut request = seed.clone();
            request["object"]["data"]["log-data-collection-settings"] = json!(text);
            let e = m
                .validate(&request, &json!({}))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let message = e.response.message().unwrap_or_default().to_string();
            prop_assert_eq!(e.response.allowed, on, "{}\n{}", text, message);
            if !on {
                prop_assert!(
                    message.contains("sets log_collection_settings.stdout.enabled = false"),
                    "{}\n{}",
                    text,
                    message
                );
            }
            Ok(())
        })
        .unwrap();
}
