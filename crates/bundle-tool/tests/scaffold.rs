//! `bundle new-policy` on a small copy of the repository (README, profiles, templates and two
//! policies): what it writes, where the catalogue row goes, and that a refused request writes
//! nothing. `make test-scaffold` goes further: every shape built and its cases run.

use std::fs;
use std::path::{Path, PathBuf};

use bundle_tool::policy;
use bundle_tool::profile::Profile;
use bundle_tool::scaffold::{Scaffold, Shape};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), to).unwrap();
        }
    }
}

/// A scratch root with what `new-policy` reads; removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("scaffold-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let repo = repo();
        for part in ["profiles", "crates/bundle-tool/templates"] {
            copy_dir(&repo.join(part), &dir.join(part));
        }
        for id in ["no-privileged-containers", "require-probes"] {
            copy_dir(
                &repo.join("policies").join(id),
                &dir.join("policies").join(id),
            );
        }
        fs::copy(repo.join("README.md"), dir.join("README.md")).unwrap();
        Scratch(dir)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.0.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn scaffold(id: &str, shape: Shape) -> Scaffold {
    Scaffold {
        id: id.into(),
        shape,
        row: None,
        controls: None,
        profiles: Vec::new(),
        released: RELEASED.into(),
    }
}

const RELEASED: &str = "2026-12-06T00:00:00Z";

#[test]
fn every_shape_writes_a_complete_filled_crate() {
    let s = Scratch::new("shapes");
    for shape in Shape::ALL {
        let id = format!("probe-{shape}");
        let written = scaffold(&id, shape).write(&s.0).unwrap();
        for part in [
            "Cargo.toml",
            "src/lib.rs",
            "src/rule.rs",
            "src/settings.rs",
            "metadata.yml",
            "README.md",
            "cases.yaml",
        ] {
            assert!(written.files.iter().any(|f| f == part), "{id}: no {part}");
        }
        assert!(written.files.iter().any(|f| f.starts_with("requests/")));
        for f in &written.files {
            let text = s.read(&format!("policies/{id}/{f}"));
            assert!(
                !text.contains("{{id}}") && !text.contains("{{controls}}"),
                "{id}/{f} has a placeholder left"
            );
        }
        let lib = s.read(&format!("policies/{id}/src/lib.rs"));
        let ty: String = id
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect();
        assert!(lib.contains(&format!("export_policy!({ty});")), "{lib}");
        assert!(lib.contains(&format!(
            "const CONTROLS: &'static str = \"{}\";",
            shape.default_controls()
        )));
        assert!(
            s.read(&format!("policies/{id}/README.md"))
                .starts_with(&format!("# {id}\n"))
        );
    }
    // The policies are what distribution reads.
    let policies = policy::discover(&s.0).unwrap();
    let rows: Vec<String> = Shape::ALL
        .iter()
        .map(|shape| {
            let p = policies
                .iter()
                .find(|p| p.id == format!("probe-{shape}"))
                .unwrap();
            assert_eq!(p.version, "0.1.0");
            p.metadata.annotations["io.aks-baseline-policies/catalogue-row"].clone()
        })
        .collect();
    // The copy holds P01 and A25: the next free P rows follow P01.
    let expected: Vec<String> = (2..=5).map(|i| format!("P{i:02}")).collect();
    assert_eq!(rows, expected);
    // The catalogue rows follow the highest P row, in order, before the A rows.
    let readme = s.read("README.md");
    let at = |id: &str| {
        readme
            .find(&format!("| [`{id}`](policies/{id}/README.md) |"))
            .unwrap_or_else(|| panic!("no catalogue row for {id}"))
    };
    assert!(at("probe-pod") < at("probe-object"));
    assert!(at("probe-context") < at("no-bare-pods"));
    assert!(at("no-privileged-containers") < at("probe-pod"));
}

#[test]
fn row_controls_and_profiles_are_honoured() {
    let s = Scratch::new("options");
    let written = Scaffold {
        id: "probe-rbac".into(),
        shape: Shape::Rbac,
        row: Some("A77".into()),
        controls: Some("ASB 3.3, PCI 7.1.2".into()),
        profiles: vec!["pci-dss".into(), "aks-baseline".into()],
        released: RELEASED.into(),
    }
    .write(&s.0)
    .unwrap();
    assert_eq!(written.row, "A77");
    let meta = s.read("policies/probe-rbac/metadata.yml");
    assert!(meta.contains("io.aks-baseline-policies/controls: ASB 3.3, PCI 7.1.2\n"));
    assert!(meta.contains("io.aks-baseline-policies/catalogue-row: A77\n"));
    assert!(meta.contains("io.aks-baseline-policies/released: \"2026-12-06T00:00:00Z\"\n"));
    assert!(
        s.read("policies/probe-rbac/README.md")
            .contains("**ASB 3.3**, **PCI 7.1.2**")
    );
    assert!(
        s.read("README.md").contains(
            "| [`probe-rbac`](policies/probe-rbac/README.md) | A77 | ASB 3.3, PCI 7.1.2 |"
        )
    );
    let policies = policy::discover(&s.0).unwrap();
    for name in ["pci-dss", "aks-baseline"] {
        let p = Profile::load(&s.0.join(format!("profiles/{name}.yaml"))).unwrap();
        let e = p
            .policies
            .iter()
            .find(|e| e.id == "probe-rbac")
            .expect(name);
        assert_eq!(e.mode.as_deref(), Some("protect"));
        // The copy holds two policies: only the new entry's problems count.
        if let Err(e) = p.check(&policies) {
            assert!(!e.to_string().contains("probe-rbac"), "{e}");
        }
    }
    let untouched = Profile::load(&s.0.join("profiles/pss-baseline.yaml")).unwrap();
    assert!(!untouched.policies.iter().any(|e| e.id == "probe-rbac"));
}

#[test]
fn refused_requests_write_nothing() {
    let s = Scratch::new("refused");
    let readme = s.read("README.md");
    let profile = s.read("profiles/pci-dss.yaml");
    let mut cases: Vec<(Scaffold, &str)> = Vec::new();
    let mut bad = |f: fn(&mut Scaffold), why: &'static str| {
        let mut x = scaffold("probe-refused", Shape::Pod);
        f(&mut x);
        cases.push((x, why));
    };
    bad(|x| x.id = "Probe".into(), "not a policy id");
    bad(
        |x| x.id = "no-privileged-containers".into(),
        "exists already",
    );
    bad(
        |x| x.row = Some("P01".into()),
        "taken by no-privileged-containers",
    );
    bad(|x| x.row = Some("Q1".into()), "not a catalogue row");
    bad(|x| x.controls = Some("ASB7.3".into()), "not a control id");
    bad(|x| x.released = "2026-12-06".into(), "not a UTC time stamp");
    bad(
        |x| x.profiles = vec!["pci-dss".into(), "nope".into()],
        "profile \"nope\"",
    );
    for (x, why) in cases {
        let e = format!("{:#}", x.write(&s.0).unwrap_err());
        assert!(e.contains(why), "expected {why:?} in {e:?}");
        assert!(
            !s.0.join("policies/probe-refused").exists(),
            "{why}: files written"
        );
        assert_eq!(s.read("README.md"), readme, "{why}: README changed");
        assert_eq!(
            s.read("profiles/pci-dss.yaml"),
            profile,
            "{why}: profile changed"
        );
    }
}

#[test]
fn an_unknown_placeholder_in_a_template_is_refused() {
    let s = Scratch::new("placeholder");
    let cases = s.0.join("crates/bundle-tool/templates/object/cases.yaml");
    let text = fs::read_to_string(&cases).unwrap();
    fs::write(&cases, text + "# {{no_such_value}}\n").unwrap();
    let e = format!(
        "{:#}",
        scaffold("probe-object", Shape::Object)
            .write(&s.0)
            .unwrap_err()
    );
    assert!(
        e.contains("object/cases.yaml") && e.contains("{{no_such_value}}"),
        "{e}"
    );
    assert!(!s.0.join("policies/probe-object").exists());
}
