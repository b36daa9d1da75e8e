//! Repositories as they are: the paths given to a scan read the way their owners deploy them.
//!
//! - A directory holding a `kustomization.yaml` (`.yml`, `Kustomization`) is rendered with
//!   kustomize (`kustomize build DIR` or `kubectl kustomize DIR`, whichever is on `PATH`,
//!   `kustomize` first) and the rendered objects are scanned; the files of the kustomization
//!   (resources, patches, configuration) are not read on their own. A kustomization that
//!   another one in the tree uses (`resources`, `bases`, `components`) is rendered only as
//!   part of it, so a base shared by overlays is scanned once per overlay, with the overlay's
//!   namespace, labels and patches, as it is deployed.
//! - A Helm chart directory (one holding `Chart.yaml`) is not scanned: it is reported once with
//!   the command that renders it.
//! - Everything else is read by [`admission::manifest`] (Go templates noted, non-objects and
//!   kustomize configuration skipped, a byte order mark ignored).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use admission::manifest::{
    InputError, Manifests, parse_manifests, read_manifests, walk_manifest_files,
};
use serde_json::Value;

/// The file names kustomize looks for in a directory, in its order
/// (sigs.k8s.io/kustomize/api/konfig.RecognizedKustomizationFileNames).
pub const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether kustomizations are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KustomizeMode {
    /// Rendered when a renderer is on `PATH`; otherwise their files are read as they are,
    /// with a warning (the default).
    #[default]
    Auto,
    /// Always rendered: no renderer on `PATH` is an input error.
    Always,
    /// Never rendered: every file is read as it is.
    Never,
}

impl std::str::FromStr for KustomizeMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(KustomizeMode::Auto),
            "always" => Ok(KustomizeMode::Always),
            "never" => Ok(KustomizeMode::Never),
            _ => Err(format!(
                "unknown kustomize mode '{s}' (expected auto, always or never)"
            )),
        }
    }
}

/// A kustomize renderer: the program and the arguments before the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renderer {
    /// The program (`kustomize` or `kubectl`, as found on `PATH`).
    pub program: PathBuf,
    /// `["build"]` for kustomize, `["kustomize"]` for kubectl.
    pub args: Vec<String>,
}

impl Renderer {
    /// The command line, for messages: `kustomize build` or `kubectl kustomize`.
    pub fn describe(&self) -> String {
        let name = self
            .program
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        format!("{name} {}", self.args.join(" "))
    }

    /// Renders the kustomization in `dir`: its YAML output, or the renderer's error.
    ///
    /// # Errors
    /// When the program cannot be started or exits with a failure (its stderr, shortened).
    pub fn render(&self, dir: &Path) -> Result<String, String> {
        let output = Command::new(&self.program)
            .args(&self.args)
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.describe()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first: Vec<&str> = stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(3)
                .collect();
            return Err(format!("{} failed: {}", self.describe(), first.join(" / ")));
        }
        String::from_utf8(output.stdout)
            .map_err(|_| format!("{} wrote output that is not UTF-8", self.describe()))
    }
}

/// The annotation kustomize's `buildMetadata: [originAnnotations]` writes on every object it
/// read from a file: a YAML mapping whose `path` is the file, relative to the kustomization
/// being built (sigs.k8s.io/kustomize/api/resource.Origin).
pub const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";

/// A rendered kustomization: its YAML output, and whether the objects carry
/// [`ORIGIN_ANNOTATION`] relative to `wrapper` (the directory the build ran in).
pub struct Rendered {
    /// The renderer's output.
    pub text: String,
    /// The directory origin paths are relative to, when they were asked for.
    pub wrapper: Option<PathBuf>,
}

impl Renderer {
    /// Renders the kustomization in `dir` with kustomize's origin tracking: through a
    /// temporary kustomization outside the user's tree that has `dir` as its only resource
    /// and `buildMetadata: [originAnnotations]`, so every object read from a file names it.
    /// When that fails (a renderer too old for `buildMetadata`), `dir` is rendered as it is.
    ///
    /// # Errors
    /// When `dir` itself cannot be rendered (the renderer's message).
    pub fn render_with_origins(&self, dir: &Path) -> Result<Rendered, String> {
        if let Some((wrapper, text)) = self.render_wrapped(dir) {
            return Ok(Rendered {
                text,
                wrapper: Some(wrapper),
            });
        }
        self.render(dir).map(|text| Rendered {
            text,
            wrapper: None,
        })
    }

    /// The wrapper render: `Some((wrapper directory, output))` when it worked.
    fn render_wrapped(&self, dir: &Path) -> Option<(PathBuf, String)> {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let target = std::fs::canonicalize(dir).ok()?;
        let base = std::fs::canonicalize(std::env::temp_dir()).ok()?;
        let wrapper = base.join(format!(
            "aks-scan-kustomize-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir(&wrapper).ok()?;
        // kustomize refuses absolute resource paths: the directory relative to the wrapper.
        let relative = relative_path(&wrapper, &target);
        let kustomization = format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {}\nbuildMetadata: [originAnnotations]\n",
            serde_json::Value::String(relative.display().to_string())
        );
        let rendered = std::fs::write(wrapper.join(KUSTOMIZATION_FILES[0]), kustomization)
            .ok()
            .and_then(|()| self.render(&wrapper).ok());
        let _ = std::fs::remove_dir_all(&wrapper);
        rendered.map(|text| (wrapper, text))
    }
}

/// `to` relative to `from` (both absolute, without `.` or `..`).
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for component in &to[common..] {
        out.push(component);
    }
    out
}

/// Points a rendered object at the file it came from: reads and removes its
/// [`ORIGIN_ANNOTATION`] (so no policy sees it; `metadata.annotations` is removed when that
/// was its only entry) and returns the source file as the user names it (under `dir` as given
/// when the file is inside it, else relative to the current directory, else absolute) with
/// the line of its document in that file (1 when it cannot be told). `None` when the object
/// has no origin path (generated by a generator, or from a remote base).
fn take_origin(
    object: &mut serde_json::Value,
    wrapper: &Path,
    dir: &Path,
) -> Option<(String, usize)> {
    let annotations = object
        .pointer_mut("/metadata/annotations")?
        .as_object_mut()?;
    let origin = annotations.remove(ORIGIN_ANNOTATION)?;
    if annotations.is_empty()
        && let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut)
    {
        metadata.remove("annotations");
    }
    let origin: Value = serde_yaml::from_str(origin.as_str()?).ok()?;
    let path = origin.get("path")?.as_str()?;
    if origin.get("repo").is_some() {
        return None;
    }
    let source = normal(&wrapper.join(path));
    let shown = match std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| source.strip_prefix(d).ok().map(Path::to_path_buf))
    {
        Some(inside) => dir.join(inside),
        None => std::env::current_dir()
            .ok()
            .and_then(|cwd| source.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| source.clone()),
    };
    let line = source_line(&source, object);
    Some((shown.display().to_string(), line))
}

/// The line the document of `object` starts on in `file`: the document of the same kind
/// whose name is the object's (or is contained in it, as a name prefix or suffix leaves it),
/// or the only document of that kind; else 1.
fn source_line(file: &Path, object: &Value) -> usize {
    let Ok(text) = std::fs::read_to_string(file) else {
        return 1;
    };
    let read = parse_manifests(&text, &file.display().to_string(), false);
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let same_kind: Vec<&admission::manifest::Manifest> =
        read.objects.iter().filter(|m| m.kind() == kind).collect();
    same_kind
        .iter()
        .find(|m| m.name() == Some(name))
        .or_else(|| {
            same_kind
                .iter()
                .find(|m| m.name().is_some_and(|n| !n.is_empty() && name.contains(n)))
        })
        .or_else(|| (same_kind.len() == 1).then(|| &same_kind[0]))
        .map_or(1, |m| m.line)
}

/// The first of `names` found as an executable file on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The renderer on `PATH`: `kustomize build`, else `kubectl kustomize`.
pub fn find_renderer() -> Option<Renderer> {
    if let Some(program) = on_path("kustomize") {
        return Some(Renderer {
            program,
            args: vec!["build".to_owned()],
        });
    }
    on_path("kubectl").map(|program| Renderer {
        program,
        args: vec!["kustomize".to_owned()],
    })
}

/// How a repository is read.
#[derive(Debug, Clone, Default)]
pub struct RepoOptions {
    /// Whether kustomizations are rendered.
    pub kustomize: KustomizeMode,
    /// The renderer ([`find_renderer`] for the one on `PATH`); `None`: none available.
    pub renderer: Option<Renderer>,
}

/// The kustomization file of `dir`, if it is a kustomization.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// What a walk of the given paths found.
#[derive(Default)]
struct Tree {
    /// Manifest files, in walk order.
    files: Vec<PathBuf>,
    /// Kustomization directories, in walk order.
    kustomizations: Vec<PathBuf>,
}

/// Walks `dir` in name order (hidden entries skipped, symbolic links to directories not
/// followed): Helm charts are noted and not entered, kustomization directories recorded.
fn walk(dir: &Path, tree: &mut Tree, out: &mut Manifests) {
    let notes = &mut out.notes;
    let kustomizations = &mut tree.kustomizations;
    let mut enter = |dir: &Path| {
        if dir.join("Chart.yaml").is_file() {
            notes.push(InputError {
                file: dir.display().to_string(),
                line: None,
                message: format!(
                    "a Helm chart, not scanned: render it and scan the output, e.g. \
                     `helm template RELEASE {} --namespace NS | aks-scan -`",
                    dir.display()
                ),
            });
            return false;
        }
        if kustomization_file(dir).is_some() {
            kustomizations.push(dir.to_owned());
        }
        true
    };
    walk_manifest_files(dir, &mut tree.files, &mut out.errors, &mut enter);
}

/// The local paths a kustomization file refers to (resources, bases, components, patches,
/// generators' files, configurations, ...), resolved against its directory; remote
/// references (URLs, `git@`) are left out.
fn references(dir: &Path, kustomization: &Value) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut add = |value: &Value| {
        if let Some(text) = value.as_str() {
            let text = text.split_once('=').map_or(text, |(_, path)| path);
            if !text.contains("://") && !text.starts_with("git@") && !text.trim().is_empty() {
                found.push(dir.join(text.trim()));
            }
        }
    };
    let list = |key: &str| {
        kustomization
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for key in [
        "resources",
        "bases",
        "components",
        "patchesStrategicMerge",
        "configurations",
        "crds",
        "generators",
        "transformers",
        "validators",
    ] {
        for item in list(key) {
            add(&item);
        }
    }
    for key in ["patches", "patchesJson6902", "replacements"] {
        for item in list(key) {
            if let Some(path) = item.get("path") {
                add(path);
            }
        }
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for item in list(key) {
            for field in ["files", "envs"] {
                for file in item
                    .get(field)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    add(file);
                }
            }
            if let Some(env) = item.get("env") {
                add(env);
            }
        }
    }
    if let Some(path) = kustomization.pointer("/openapi/path") {
        add(path);
    }
    found
}

/// `path` made absolute and free of `.` and `..` (by name: links are not resolved), for
/// comparing the paths of a tree.
fn normal(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Reads a kustomization file as YAML (an unreadable one gives no references).
fn read_kustomization(dir: &Path) -> Value {
    kustomization_file(dir)
        .and_then(|file| std::fs::read_to_string(file).ok())
        .and_then(|text| serde_yaml::from_str(text.trim_start_matches('\u{feff}')).ok())
        .unwrap_or(Value::Null)
}

/// Reads `paths` as a repository (see the module documentation): files, directories and `-`
/// for stdin. Nothing fails: problems become input errors and the rest is still read.
pub fn read_repository(paths: &[PathBuf], options: &RepoOptions) -> Manifests {
    let mut out = Manifests::default();
    let mut tree = Tree::default();
    for path in paths {
        if path.as_os_str() == "-" || !path.is_dir() {
            tree.files.push(path.clone());
        } else {
            walk(path, &mut tree, &mut out);
        }
    }
    if options.kustomize == KustomizeMode::Never || tree.kustomizations.is_empty() {
        let files: Vec<PathBuf> = tree.files;
        out.extend(read_manifests(&files));
        return out;
    }
    // What each kustomization uses: directories (other kustomizations) and files.
    let mut used: BTreeSet<PathBuf> = BTreeSet::new();
    let mut referenced_files: BTreeSet<PathBuf> = BTreeSet::new();
    for dir in &tree.kustomizations {
        for reference in references(dir, &read_kustomization(dir)) {
            let reference = normal(&reference);
            if reference.is_dir() {
                used.insert(reference);
            } else {
                referenced_files.insert(reference);
            }
        }
    }
    let kustomization_dirs: Vec<PathBuf> = tree.kustomizations.iter().map(|d| normal(d)).collect();
    let roots: Vec<(&PathBuf, &PathBuf)> = tree
        .kustomizations
        .iter()
        .zip(&kustomization_dirs)
        .filter(|(_, normal)| !used.contains(*normal))
        .collect();
    let renderer = match (&options.renderer, options.kustomize) {
        (Some(renderer), _) => Some(renderer),
        (None, KustomizeMode::Always) => {
            for (dir, _) in &roots {
                out.errors.push(InputError {
                    file: dir.display().to_string(),
                    line: None,
                    message: "a kustomization, and --kustomize always, but neither kustomize nor \
                              kubectl is on PATH to render it"
                        .to_owned(),
                });
            }
            None
        }
        (None, _) => None,
    };
    let Some(renderer) = renderer else {
        if options.kustomize != KustomizeMode::Always {
            for (dir, _) in &roots {
                out.notes.push(InputError {
                    file: dir.display().to_string(),
                    line: None,
                    message: "a kustomization, not rendered (neither kustomize nor kubectl is on \
                              PATH): its files are scanned as they are, without the namespace, \
                              patches and labels the kustomization applies"
                        .to_owned(),
                });
            }
        }
        // Read the files as they are, but not those a kustomization names as patches or
        // configuration (they are not objects of the cluster).
        let files: Vec<PathBuf> = tree
            .files
            .into_iter()
            .filter(|f| {
                options.kustomize != KustomizeMode::Always
                    || !inside(&normal(f), &kustomization_dirs)
            })
            .filter(|f| !is_patch_or_config(&normal(f), &referenced_files, &tree.kustomizations))
            .collect();
        out.extend(read_manifests(&files));
        return out;
    };
    let rest: Vec<PathBuf> = tree
        .files
        .into_iter()
        .filter(|f| {
            let f = normal(f);
            !inside(&f, &kustomization_dirs) && !referenced_files.contains(&f)
        })
        .collect();
    for (dir, _) in roots {
        let file = kustomization_file(dir).unwrap_or_else(|| dir.join(KUSTOMIZATION_FILES[0]));
        let name = file.display().to_string();
        match renderer.render_with_origins(dir) {
            Ok(Rendered { text, wrapper }) => {
                let mut rendered = parse_manifests(&text, &name, false);
                // The rendered stream's lines are not lines of any file: every object points
                // at the file kustomize read it from (its origin annotation, removed here),
                // else at the kustomization that produced it.
                for object in &mut rendered.objects {
                    object.line = 1;
                    object.source = Some(format!("{} {}", renderer.describe(), dir.display()));
                    if let Some((file, line)) = wrapper
                        .as_deref()
                        .and_then(|wrapper| take_origin(&mut object.object, wrapper, dir))
                    {
                        object.file = file;
                        object.line = line;
                    }
                }
                for problem in rendered
                    .errors
                    .iter_mut()
                    .chain(rendered.skipped.iter_mut())
                {
                    problem.line = None;
                }
                out.info.push(InputError {
                    file: dir.display().to_string(),
                    line: None,
                    message: format!(
                        "a kustomization: rendered with `{} {}` ({} objects)",
                        renderer.describe(),
                        dir.display(),
                        rendered.objects.len()
                    ),
                });
                out.extend(rendered);
            }
            Err(message) => out.errors.push(InputError {
                file: name,
                line: None,
                message,
            }),
        }
    }
    out.extend(read_manifests(&rest));
    out
}

/// Whether `file` lies inside one of `dirs`.
fn inside(file: &Path, dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|dir| file.starts_with(dir))
}

/// Whether `file` is a kustomization file or named by a kustomization as something other
/// than a resource (a patch, a generator's input, configuration).
fn is_patch_or_config(
    file: &Path,
    referenced: &BTreeSet<PathBuf>,
    kustomizations: &[PathBuf],
) -> bool {
    if file
        .file_name()
        .is_some_and(|n| KUSTOMIZATION_FILES.iter().any(|k| n == *k))
    {
        return true;
    }
    if !referenced.contains(file) {
        return false;
    }
    // A file listed under `resources` is an object of the cluster; any other reference is not.
    !kustomizations.iter().any(|dir| {
        read_kustomization(dir)
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|r| normal(&dir.join(r)) == file)
    })
}
