//! Hostile modules in a scan: a module that traps in `wapc_init`, loops, grows its memory
//! without bound, floods host calls or answers garbage gets a clear error for that module,
//! the rest of the scan continues, and the exit code says what happened (2: a module could
//! not be used; 1: an evaluation failed or rejected). The single-module limits themselves are
//! tested in `limits.rs` and `evaluate.rs`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{harness, scratch, wasm, write};
use host_test::metadata::Metadata;

const PODS_ONLY: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE", "UPDATE"]
mutating: false
annotations:
  io.aks-baseline-policies/controls: ASB 7.3
"#;

/// `bytes` with the metadata section `annotate` gives the echo guest appended (`annotate`
/// itself asks the module for its protocol version, which the hostile ones cannot answer).
fn annotated(_name: &str, bytes: &[u8]) -> Vec<u8> {
    let echo = wasm("echo");
    let with_section = host_test::annotate(
        &harness(),
        "echo",
        &echo,
        Metadata::from_yaml(PODS_ONLY).expect("metadata"),
        None,
    )
    .expect("annotates");
    assert!(
        with_section.starts_with(&echo),
        "annotate appends its section"
    );
    let mut out = bytes.to_vec();
    if out.starts_with(b"\0asm\x01\0\0\0") {
        out.extend_from_slice(&with_section[echo.len()..]);
    }
    out
}

/// A guest that answers `validate_settings` (17 bytes) and `protocol_version` properly, and
/// misbehaves with `BODY` on `validate` (8 bytes).
fn misbehaves_on_validate(body: &str) -> Vec<u8> {
    let text = format!(
        r#"(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{{\22valid\22:true,\22message\22:null}}")
  (data (i32.const 64) "\22v1\22")
  (data (i32.const 96) "kubewardenkubernetesget_resource{{}}")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.eq (local.get $op_len) (i32.const 8))
      (then {body}))
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $guest_response (i32.const 64) (i32.const 4)) (return (i32.const 1))))
    (call $guest_response (i32.const 0) (i32.const 29))
    (i32.const 1)))"#
    );
    wat::parse_str(&text).expect("assembles")
}

fn host_test(args: &[&str]) -> (i32, String, String, Duration) {
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_host-test"))
        .args(args)
        .env("HOST_TEST_CACHE", "")
        .output()
        .expect("host-test runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        start.elapsed(),
    )
}

fn s(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn a_scan_continues_past_hostile_modules_and_exits_with_what_happened() {
    let root = scratch("hostile-scan");
    let dist = root.join("dist");
    // Working: the echo guest, whose verdict is its settings.
    write(&dist.join("a-good.wasm"), annotated("echo", &wasm("echo")));
    write(
        &root.join("settings/a-good.yaml"),
        "accepted: false\nmessage: rejected by a working module\n",
    );
    // Unusable: they fail before answering validate_settings.
    for name in ["trap_init", "loop", "grow", "flood", "malformed", "oob"] {
        write(
            &dist.join(format!("b-{name}.wasm")),
            annotated(name, &wasm(name)),
        );
    }
    // Not even a module.
    write(&dist.join("b-garbage.wasm"), b"\0asm garbage");
    // Usable, but failing when they evaluate.
    let on_validate = [
        ("c-loops", "(loop $l (br $l))"),
        ("c-traps", "unreachable"),
        (
            "c-grows",
            "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable",
        ),
        (
            "c-floods",
            "(loop $l (drop (call $host_call (i32.const 96) (i32.const 10) (i32.const 106) (i32.const 10) (i32.const 116) (i32.const 12) (i32.const 128) (i32.const 2))) (br $l))",
        ),
        (
            "c-garbage-answer",
            "(call $guest_response (i32.const 96) (i32.const 20)) (return (i32.const 1))",
        ),
    ];
    for (name, body) in on_validate {
        write(
            &dist.join(format!("{name}.wasm")),
            annotated(name, &misbehaves_on_validate(body)),
        );
    }
    write(
        &root.join("manifests/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: app, image: nginx}]\n",
    );
    let (code, stdout, stderr, elapsed) = host_test(&[
        "scan",
        "--dist",
        &s(&dist),
        "--settings-dir",
        &s(&root.join("settings")),
        "--timeout",
        "0.5",
        "--memory-mib",
        "32",
        &s(&root.join("manifests")),
    ]);
    println!("hostile scan took {elapsed:?}\n{stdout}{stderr}");
    // Every unusable module is named on stderr, with why.
    for name in [
        "trap_init",
        "loop",
        "grow",
        "flood",
        "malformed",
        "oob",
        "garbage",
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("error: module ") && l.contains(&format!("b-{name}.wasm"))),
            "{name} not reported:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("exceeded the allowed execution time"),
        "{stderr}"
    );
    assert!(stderr.contains("memory cap"), "{stderr}");
    // The working module still rejected the Pod; each failing evaluation is an error line.
    assert!(
        stdout.contains("FAIL  a-good") && stdout.contains("rejected by a working module"),
        "{stdout}"
    );
    for name in [
        "c-loops",
        "c-traps",
        "c-grows",
        "c-floods",
        "c-garbage-answer",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(&format!("ERROR {name} "))),
            "{name} has no error line:\n{stdout}"
        );
    }
    assert!(
        stdout.ends_with("1 objects, 6 evaluations, 1 rejected, 5 errors\n"),
        "{stdout}"
    );
    // A module could not be used: exit 2, even with --no-fail.
    assert_eq!(code, 2, "{stdout}{stderr}");
    // Bounded: three loops of 0.5 s and the rest, far from a hang.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");

    // Without the unusable modules: evaluation failures are rejections, exit 1 ...
    for name in [
        "trap_init",
        "loop",
        "grow",
        "flood",
        "malformed",
        "oob",
        "garbage",
    ] {
        std::fs::remove_file(dist.join(format!("b-{name}.wasm"))).expect("removes");
    }
    let base = [
        "scan",
        "--dist",
        &s(&dist),
        "--settings-dir",
        &s(&root.join("settings")),
        "--timeout",
        "0.5",
    ];
    let manifests = s(&root.join("manifests"));
    let (code, stdout, stderr, _) = host_test(&[&base[..], &[manifests.as_str()]].concat());
    assert_eq!(code, 1, "{stdout}{stderr}");
    // ... and 0 with --no-fail (report only).
    let (code, _, _, _) = host_test(&[&base[..], &["--no-fail", manifests.as_str()]].concat());
    assert_eq!(code, 0);
}
