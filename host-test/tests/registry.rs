//! OCI round trip against a real registry (Debian's `docker-registry`) started on 127.0.0.1:
//! every annotated module of `dist/` is pushed with the `kwctl push` layout, pulled back
//! byte-identical, and evaluates the same as the file when run as `registry://`. Once over plain
//! HTTP and once over TLS with a private CA (certificates made with `openssl`).
//!
//! The supply chain on the same registry: a module is signed and verified (and refused when
//! tampered with, unsigned or signed by another key, also by `host-test run --verify-key`), its
//! SBOM is generated, schema-checked, compared with `cargo tree`, pushed, pulled and signed.
//!
//! Needs `make dist` (the Makefile's test target runs it first) and the `docker-registry` binary
//! (installed by `make registry-deps`); the test fails with a message saying so when either is
//! missing.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use bundle_tool::oci::{self, Transport};
use bundle_tool::{sbom, sign};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Registry {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("aks-registry-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_registry(tag: &str, tls: Option<(&Path, &Path)>) -> Registry {
    let bin = which("docker-registry").expect(
        "the docker-registry binary is missing: run `make registry-deps` (apt-get install docker-registry)",
    );
    let dir = TempDir::new(tag);
    let port = free_port();
    let tls_block = tls
        .map(|(cert, key)| {
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            )
        })
        .unwrap_or_default();
    let config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{tls_block}",
        dir.0.join("data").display()
    );
    let cfg = dir.0.join("config.yml");
    std::fs::write(&cfg, config).unwrap();
    let child = Command::new(bin)
        .arg("serve")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting docker-registry");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "docker-registry did not listen on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Registry {
        child,
        port,
        _dir: dir,
    }
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(bin))
        .find(|p| p.is_file())
}

fn dist_modules() -> Vec<(String, PathBuf)> {
    let dist = root().join("dist");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dist)
        .unwrap_or_else(|_| panic!("{} is missing: run `make dist` first", dist.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().to_string(), p))
        .collect();
    out.sort();
    assert!(
        !out.is_empty(),
        "no modules in dist/: run `make dist` first"
    );
    out
}

fn host_test() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_host-test"))
}

/// A request file of the policy's own cases, to evaluate with.
fn some_request(id: &str) -> PathBuf {
    let dir = root().join("policies").join(id).join("requests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    files.remove(0)
}

fn run(module: &str, request: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(host_test())
        .args(["run", "--module", module, "--request"])
        .arg(request)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[test]
fn every_module_round_trips_through_a_plain_http_registry() {
    let modules = dist_modules();
    let reg = start_registry("http", None);
    let transport = Transport {
        insecure_http: true,
        ..Transport::default()
    };
    for (id, path) in &modules {
        let target = format!("127.0.0.1:{}/aks/{id}:v0.1.0", reg.port);
        let immutable =
            oci::push_file(path, &target, &transport).unwrap_or_else(|e| panic!("{id}: {e:#}"));
        assert!(immutable.contains("@sha256:"), "{immutable}");
        let pulled = oci::pull(&format!("registry://{target}"), &transport).unwrap();
        let original = std::fs::read(path).unwrap();
        assert!(
            pulled == original,
            "{id}: pulled module differs from dist/{id}.wasm"
        );
    }
    // The manifest is the kwctl layout.
    let (id, _) = &modules[0];
    let url = format!("http://127.0.0.1:{}/v2/aks/{id}/manifests/v0.1.0", reg.port);
    let out = Command::new("curl")
        .args([
            "-sf",
            "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json",
            &url,
        ])
        .output();
    if let Ok(out) = out
        && out.status.success()
    {
        let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(m["schemaVersion"], 2);
        assert!(m.get("mediaType").is_none(), "{m}");
        assert_eq!(m["config"]["mediaType"], oci::CONFIG_MEDIA_TYPE);
        assert_eq!(m["config"]["size"], 2);
        assert_eq!(m["layers"].as_array().unwrap().len(), 1);
        assert_eq!(m["layers"][0]["mediaType"], oci::LAYER_MEDIA_TYPE);
        assert_eq!(m["annotations"]["io.kubewarden.policy.title"], id.as_str());
        assert!(m["annotations"].get("io.kubewarden.policy.usage").is_none());
    }
    // A pulled module evaluates exactly as the file does.
    for (id, path) in modules.iter().take(3) {
        let request = some_request(id);
        let file = run(path.to_str().unwrap(), &request, &["--allow-unannotated"]);
        let reference = format!("registry://127.0.0.1:{}/aks/{id}:v0.1.0", reg.port);
        let pulled = run(
            &reference,
            &request,
            &["--allow-unannotated", "--registry-insecure-http"],
        );
        assert_eq!(
            file, pulled,
            "{id}: evaluation differs between file and registry"
        );
    }
    // A missing artifact is a clear error.
    let e = oci::pull(
        &format!("registry://127.0.0.1:{}/aks/nope:v0", reg.port),
        &transport,
    )
    .unwrap_err();
    assert!(format!("{e:#}").contains("pulling"), "{e:#}");
}

#[test]
fn a_tls_registry_with_a_private_ca_works_and_is_refused_without_it() {
    let modules = dist_modules();
    let dir = TempDir::new("tls-certs");
    let d = &dir.0;
    let sh = |args: &[&str]| {
        let st = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .stderr(Stdio::null())
            .status()
            .expect("openssl is needed");
        assert!(st.success(), "openssl {args:?}");
    };
    sh(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=aks test CA",
    ]);
    sh(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    sh(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let reg = start_registry("tls", Some((&d.join("srv.pem"), &d.join("srv.key"))));
    let (id, path) = &modules[0];
    let target = format!("127.0.0.1:{}/aks/{id}:v0.1.0", reg.port);
    let untrusted = Transport::default();
    assert!(
        oci::push_file(path, &target, &untrusted).is_err(),
        "push must fail without the CA"
    );
    let trusted = Transport {
        ca_file: Some(d.join("ca.pem")),
        ..Transport::default()
    };
    oci::push_file(path, &target, &trusted).unwrap_or_else(|e| panic!("{e:#}"));
    let pulled = oci::pull(&target, &trusted).unwrap();
    assert!(pulled == std::fs::read(path).unwrap());
}

/// The crates `cargo tree -e normal --target wasm32-wasip1 -p <id>` lists, as `name@version`,
/// the policy itself left out (read independently of the SBOM generator's own parse).
fn cargo_tree_crates(id: &str) -> std::collections::BTreeSet<String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args([
            "tree",
            "--locked",
            "-e",
            "normal",
            "--target",
            sbom::TARGET,
            "-p",
            id,
        ])
        .args(["--prefix", "none", "--format", "{p}"])
        .output()
        .expect("running cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some(format!(
                "{}@{}",
                w.next()?,
                w.next()?.trim_start_matches('v')
            ))
        })
        .filter(|k| !k.starts_with(&format!("{id}@")))
        .collect()
}

/// Flips one bit of the last byte of the code section (the section list stays readable, so the
/// module still pushes with its metadata).
fn flip_a_code_byte(wasm: &mut [u8]) {
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let (mut size, mut shift) = (0usize, 0);
        while wasm[at] & 0x80 != 0 {
            size |= usize::from(wasm[at] & 0x7f) << shift;
            shift += 7;
            at += 1;
        }
        size |= usize::from(wasm[at]) << shift;
        at += 1;
        if id == 10 {
            wasm[at + size - 1] ^= 1;
            return;
        }
        at += size;
    }
    panic!("no code section");
}

/// The `sha256:…` part of an immutable reference (`oci::push` keeps the tag before it,
/// `sign` names the repository only).
fn digest(reference: &str) -> &str {
    reference.rsplit('@').next().unwrap_or_default()
}

/// `host-test run --verify-key` of a module expected to be refused: exit code and stderr.
fn run_refused(module: &str, request: &Path, key: &Path) -> (Option<i32>, String) {
    let out = Command::new(host_test())
        .args(["run", "--module", module, "--request"])
        .arg(request)
        .args([
            "--allow-unannotated",
            "--registry-insecure-http",
            "--verify-key",
        ])
        .arg(key)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (private, public) = sign::keygen(b"test password").unwrap();
    let key = dir.join(format!("{name}.key"));
    let public_path = dir.join(format!("{name}.pub"));
    std::fs::write(&key, private).unwrap();
    std::fs::write(&public_path, public).unwrap();
    (key, public_path)
}

#[test]
fn a_module_and_its_sbom_are_signed_verified_and_refused_when_tampered_or_foreign() {
    let modules = dist_modules();
    let (id, path) = &modules[0];
    let wasm = std::fs::read(path).unwrap();
    let reg = start_registry("sign", None);
    let transport = Transport {
        insecure_http: true,
        ..Transport::default()
    };
    let dir = TempDir::new("sign-keys");
    let (key_a, pub_a) = keypair(&dir.0, "a");
    let (_, pub_b) = keypair(&dir.0, "b");
    let signer = sign::load_private_key(&key_a, b"test password").unwrap();
    let public_a = sign::read_public_key(&pub_a).unwrap();
    let public_b = sign::read_public_key(&pub_b).unwrap();
    let target = format!("127.0.0.1:{}/aks/{id}:v0.1.0", reg.port);
    let pushed = oci::push_file(path, &target, &transport).unwrap();

    // Unsigned: refused.
    let e = sign::verify(&target, &public_a, &transport).unwrap_err();
    assert!(format!("{e:#}").contains("is not signed"), "{e:#}");

    // Signed with A: verified with A, by the digest pushed; refused with B.
    let signed = sign::sign(&format!("registry://{target}"), &signer, &transport).unwrap();
    assert_eq!(digest(&signed.artifact), digest(&pushed));
    assert!(signed.signature.ends_with(".sig"), "{}", signed.signature);
    let verified = sign::verify(&target, &public_a, &transport).unwrap();
    assert_eq!(digest(&verified), digest(&pushed));
    let e = sign::verify(&target, &public_b, &transport).unwrap_err();
    assert!(format!("{e:#}").contains("is by the given key"), "{e:#}");

    // The signature is cosign's layout: one simple-signing layer with the signature annotation.
    let sig_manifest = format!(
        "http://127.0.0.1:{}/v2/aks/{id}/manifests/{}",
        reg.port,
        signed.signature.rsplit(':').next().unwrap()
    );
    let out = Command::new("curl")
        .args([
            "-sf",
            "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json",
            &sig_manifest,
        ])
        .output()
        .expect("curl is needed");
    assert!(
        out.status.success(),
        "no signature manifest at {sig_manifest}"
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    assert!(
        m["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{m}"
    );

    // host-test runs the module only when verified.
    let request = some_request(id);
    let module = format!("registry://{target}");
    let file = run(path.to_str().unwrap(), &request, &["--allow-unannotated"]);
    let ok = run(
        &module,
        &request,
        &[
            "--allow-unannotated",
            "--registry-insecure-http",
            "--verify-key",
            pub_a.to_str().unwrap(),
        ],
    );
    assert_eq!(ok, file, "the verified module evaluates as the file");
    let (code, stderr) = run_refused(&module, &request, &pub_b);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("is by the given key"), "{stderr}");

    // The SBOM: generated, schema-valid, exactly cargo tree's crates, pushed, pulled, signed.
    let doc = sbom::generate(&root(), id, &wasm).unwrap();
    let problems = common::schemas::cyclonedx_problems(&doc);
    assert!(problems.is_empty(), "invalid CycloneDX: {problems:#?}");
    let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let listed: std::collections::BTreeSet<String> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        listed,
        cargo_tree_crates(id),
        "the SBOM of {id} lists other crates than cargo tree"
    );
    assert!(!listed.is_empty());
    let sbom_ref = oci::push_sbom(&doc, &pushed, &transport).unwrap();
    let (from, pulled) = oci::pull_sbom(&target, &transport).unwrap();
    assert!(from.ends_with(".sbom"), "{from}");
    assert!(pulled == doc, "the pulled SBOM differs");
    assert!(common::schemas::cyclonedx_problems(&pulled).is_empty());
    sign::sign(&sbom_ref, &signer, &transport).unwrap();
    assert_eq!(
        sign::verify(&sbom_ref, &public_a, &transport).unwrap(),
        sbom_ref
    );
    assert!(sign::verify(&sbom_ref, &public_b, &transport).is_err());

    // Tampered: one byte of the module changed and pushed under the same tag. The tag now
    // names a digest nobody signed.
    let mut tampered = wasm.clone();
    flip_a_code_byte(&mut tampered);
    let moved = oci::push(&tampered, &target, &transport).unwrap();
    assert_ne!(moved, pushed);
    let e = sign::verify(&target, &public_a, &transport).unwrap_err();
    assert!(format!("{e:#}").contains("is not signed"), "{e:#}");
    let (code, stderr) = run_refused(&module, &request, &pub_a);
    assert_eq!(code, Some(2), "a tampered module must not run");
    assert!(stderr.contains("is not signed"), "{stderr}");
    // The original digest still verifies.
    assert_eq!(
        digest(&sign::verify(&pushed, &public_a, &transport).unwrap()),
        digest(&pushed)
    );
}
