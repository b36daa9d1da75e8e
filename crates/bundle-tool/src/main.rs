//! `bundle`: render profiles into Kubewarden manifests, keep `deploy/` fresh, push and pull the
//! annotated modules. Exit codes: 0 success, 1 a check found differences, 2 usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bundle_tool::oci::{self, Transport};
use bundle_tool::profile::Profile;
use bundle_tool::render::{self, Options};
use bundle_tool::{deploy, policy, sbom, scaffold, sign};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bundle",
    about = "Distribution of the aks-baseline-policies bundle"
)]
struct Cli {
    /// Repository root (holding policies/ and profiles/).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct RenderArgs {
    /// Registry and path prefix the modules are pushed to (module `registry://<registry>/<id>:v<version>`).
    #[arg(long, default_value = "registry.example.com/aks-baseline-policies")]
    registry: String,
    /// PolicyServer the policies run on.
    #[arg(long, default_value = "default")]
    policy_server: String,
    /// Also render the PolicyServer, with this container image.
    #[arg(long)]
    policy_server_image: Option<String>,
    /// failurePolicy of the webhooks (Fail or Ignore).
    #[arg(long, default_value = "Fail")]
    failure_policy: String,
    /// timeoutSeconds of the webhooks (2-30).
    #[arg(long, default_value_t = 10)]
    timeout_seconds: u32,
    /// Cosign public key (PEM): render the PolicyServer's verification-config ConfigMap so it
    /// runs only modules signed by this key (needs --policy-server-image).
    #[arg(long, requires = "policy_server_image")]
    verification_key: Option<PathBuf>,
}

impl RenderArgs {
    fn options(&self, group: bool) -> Result<Options> {
        let verification_key = match &self.verification_key {
            Some(p) => Some(
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            ),
            None => None,
        };
        Ok(Options {
            registry: self.registry.clone(),
            policy_server: self.policy_server.clone(),
            policy_server_image: self.policy_server_image.clone(),
            group,
            failure_policy: self.failure_policy.clone(),
            timeout_seconds: self.timeout_seconds,
            verification_key,
        })
    }
}

#[derive(Args)]
struct TransportArgs {
    /// Talk plain HTTP to the registry (a local registry without TLS).
    #[arg(long)]
    insecure_http: bool,
    /// PEM file of a CA to trust for the registry's TLS certificate.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Basic auth user (password from the BUNDLE_REGISTRY_PASSWORD environment variable).
    #[arg(long)]
    username: Option<String>,
}

/// What `sign` and `verify` act on: the given references, or every module of the bundle (and
/// its SBOM) under a registry prefix.
#[derive(Args)]
struct Targets {
    /// Registry and path prefix the bundle was pushed to.
    #[arg(long, conflicts_with = "references")]
    registry: Option<String>,
    /// Only these policies with --registry (default: all).
    #[arg(long = "policy")]
    only: Vec<String>,
    /// registry://host[:port]/path:tag (or @sha256:…)
    references: Vec<String>,
    #[command(flatten)]
    transport: TransportArgs,
}

impl TransportArgs {
    fn transport(&self) -> Result<Transport> {
        let basic_auth = match &self.username {
            Some(u) => Some((
                u.clone(),
                std::env::var("BUNDLE_REGISTRY_PASSWORD")
                    .context("--username needs BUNDLE_REGISTRY_PASSWORD in the environment")?,
            )),
            None => None,
        };
        Ok(Transport {
            insecure_http: self.insecure_http,
            ca_file: self.ca_file.clone(),
            basic_auth,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Render a profile (a name under profiles/, a built-in name, or a path) into Kubewarden
    /// manifests on stdout.
    Render {
        /// Profile name or file.
        #[arg(long)]
        profile: String,
        /// A site parameter of the profile: NAME=VALUE (a list takes A,B,C); repeatable.
        #[arg(long, value_name = "NAME=VALUE")]
        param: Vec<String>,
        /// A YAML file mapping site parameters of the profile to their values.
        #[arg(long, value_name = "FILE")]
        values: Option<PathBuf>,
        /// One ClusterAdmissionPolicyGroup instead of one ClusterAdmissionPolicy per module.
        #[arg(long)]
        group: bool,
        #[command(flatten)]
        render: RenderArgs,
    },
    /// List the profiles and their policies.
    Profiles,
    /// Write (or with --check, compare) the kustomize tree deploy/.
    Deploy {
        /// Output folder.
        #[arg(long, default_value = "deploy")]
        out: PathBuf,
        /// Only compare with what is on disk; exit 1 when stale.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        render: RenderArgs,
    },
    /// Push every annotated module of --dist to <registry>/<id>:v<version> (and :<tag> if given).
    Push {
        /// Folder of annotated modules (<id>.wasm).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Registry and path prefix, e.g. myacr.azurecr.io/policies.
        #[arg(long)]
        registry: String,
        /// An extra tag to push each module under (e.g. latest).
        #[arg(long)]
        tag: Option<String>,
        /// Only these policies (default: all).
        #[arg(long = "policy")]
        only: Vec<String>,
        #[command(flatten)]
        transport: TransportArgs,
    },
    /// Scaffold a policy crate (policies/<id>/) from templates/<shape>/ and add it to the
    /// README catalogue and the profiles given; then run `make new-policy`'s other steps.
    NewPolicy(NewPolicyArgs),
    /// Make a cosign key pair (ECDSA P-256): <prefix>.key (encrypted with COSIGN_PASSWORD, which
    /// may be empty) and <prefix>.pub. Refuses to overwrite.
    Keygen {
        /// Path prefix of the two files.
        #[arg(long, default_value = "cosign")]
        prefix: PathBuf,
    },
    /// Write dist/<id>.sbom.json (CycloneDX 1.5) for every annotated module of --dist.
    Sbom {
        /// Folder of annotated modules (<id>.wasm).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Only these policies (default: all).
        #[arg(long = "policy")]
        only: Vec<String>,
    },
    /// Sign pushed artifacts by digest, as cosign does: the given references, or with --registry
    /// every module <registry>/<id>:v<version> and its attached SBOM.
    Sign {
        /// Private key (cosign's encrypted PEM; password from COSIGN_PASSWORD).
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        targets: Targets,
    },
    /// Verify cosign signatures by a public key: the given references, or with --registry every
    /// module <registry>/<id>:v<version> and its attached SBOM. Exit 1 when one is not verified.
    Verify {
        /// Public key (PEM).
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        targets: Targets,
    },
    /// Pull a module by reference into a file.
    Pull {
        /// registry://host[:port]/path/<id>:<tag>
        reference: String,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        transport: TransportArgs,
    },
}

#[derive(Args)]
struct NewPolicyArgs {
    /// The policy id (folder, crate and module name), e.g. no-debug-env.
    #[arg(long)]
    id: String,
    /// The template: pod, object, rbac or context.
    #[arg(long, default_value = "pod")]
    shape: scaffold::Shape,
    /// Catalogue row (default: the next free P row).
    #[arg(long)]
    row: Option<String>,
    /// Control ids, comma separated (default: those of the shape's example rule).
    #[arg(long)]
    controls: Option<String>,
    /// A profile (name under profiles/) to add the policy to; repeat for several.
    #[arg(long = "profile")]
    profiles: Vec<String>,
    /// The release time stamp (UTC, e.g. 2026-12-06T00:00:00Z); make new-policy gives today's.
    #[arg(long)]
    released: String,
}

impl Targets {
    /// What to sign or verify: the references given, or every policy of the workspace at
    /// `<registry>/<id>:v<version>` (those with their attached SBOM too, marked `true`).
    fn resolve(self, root: &std::path::Path) -> Result<Vec<(String, bool)>> {
        match self.registry {
            Some(r) => {
                let r = r.trim_end_matches('/');
                Ok(policy::discover(root)?
                    .iter()
                    .filter(|p| self.only.is_empty() || self.only.contains(&p.id))
                    .map(|p| (format!("{r}/{}:{}", p.id, p.tag()), true))
                    .collect())
            }
            None if self.references.is_empty() => {
                anyhow::bail!(
                    "name the artifacts (registry://host/path:tag ...) or give --registry"
                )
            }
            None => Ok(self.references.into_iter().map(|r| (r, false)).collect()),
        }
    }
}

/// The immutable reference of the SBOM attached to a module (by the module's digest).
fn sbom_reference(module: &str, transport: &Transport) -> Result<String> {
    let m = oci::reference(module)?;
    let digest = oci::digest_of(module, transport)?;
    let tag = oci::attachment_tag(&digest, "sbom")?;
    let sbom_tag = format!("{}/{}:{tag}", m.registry(), m.repository());
    let sbom_digest = oci::digest_of(&sbom_tag, transport)
        .with_context(|| format!("{module} has no SBOM at {sbom_tag}"))?;
    Ok(format!("{}/{}@{sbom_digest}", m.registry(), m.repository()))
}

/// Writes a private key readable by its owner only.
fn write_private(path: &std::path::Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(data)
        .with_context(|| format!("writing {}", path.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let root = cli.root;
    match cli.command {
        Command::Render {
            profile,
            param,
            values,
            group,
            render,
        } => {
            let policies = policy::discover(&root)?;
            let mut prof = Profile::find(&root, &profile)?;
            let values = match &values {
                Some(path) => Some(serde_yaml::from_str::<serde_json::Value>(
                    &std::fs::read_to_string(path)
                        .with_context(|| format!("reading --values {}", path.display()))?,
                )?),
                None => None,
            };
            let given = prof.parameter_values(&param, values.as_ref())?;
            for note in prof.apply_parameters(&given)?.notes(&prof.name) {
                eprintln!("note: {note}");
            }
            let docs = render::render(&prof, &policies, &render.options(group)?)?;
            print!("{}", render::to_yaml(&docs)?);
        }
        Command::Profiles => {
            let policies = policy::discover(&root)?;
            for p in bundle_tool::profile::discover(&root)? {
                p.check(&policies)?;
                let ids: Vec<&str> = p.policies.iter().map(|e| e.id.as_str()).collect();
                println!("{} ({} policies): {}", p.name, ids.len(), ids.join(", "));
            }
        }
        Command::Deploy { out, check, render } => {
            let files = deploy::generate(&root, &render.options(false)?)?;
            let out = if out.is_absolute() {
                out
            } else {
                root.join(out)
            };
            if check {
                let problems = deploy::check(&out, &files);
                if !problems.is_empty() {
                    for p in problems {
                        eprintln!("deploy/ is stale: {p}");
                    }
                    eprintln!("run `make deploy` and commit the result");
                    return Ok(ExitCode::from(1));
                }
                println!("deploy/ is fresh ({} files)", files.len());
            } else {
                deploy::write(&out, &files)?;
                println!("wrote {} files under {}", files.len(), out.display());
            }
        }
        Command::Push {
            dist,
            registry,
            tag,
            only,
            transport,
        } => {
            let transport = transport.transport()?;
            let policies = policy::discover(&root)?;
            let dist = if dist.is_absolute() {
                dist
            } else {
                root.join(dist)
            };
            let registry = registry.trim_end_matches('/').to_string();
            for p in policies
                .iter()
                .filter(|p| only.is_empty() || only.contains(&p.id))
            {
                let file = dist.join(format!("{}.wasm", p.id));
                let mut tags = vec![p.tag()];
                tags.extend(tag.clone());
                let mut immutable = String::new();
                for t in tags {
                    let target = format!("{registry}/{}:{t}", p.id);
                    immutable = oci::push_file(&file, &target, &transport)?;
                    println!("Policy successfully pushed: {immutable}");
                }
                let sbom_file = dist.join(format!("{}.sbom.json", p.id));
                if sbom_file.is_file() {
                    let sbom = std::fs::read(&sbom_file)
                        .with_context(|| format!("reading {}", sbom_file.display()))?;
                    let pushed = oci::push_sbom(&sbom, &immutable, &transport)?;
                    println!("SBOM pushed: {pushed}");
                }
            }
        }
        Command::Keygen { prefix } => {
            let key = prefix.with_extension("key");
            let public = prefix.with_extension("pub");
            for f in [&key, &public] {
                if f.exists() {
                    anyhow::bail!("{} exists: not overwriting a key", f.display());
                }
            }
            let (private, public_pem) = sign::keygen(&sign::password_from_env())?;
            write_private(&key, private.as_bytes())?;
            std::fs::write(&public, public_pem)
                .with_context(|| format!("writing {}", public.display()))?;
            println!(
                "Private key written to {}\nPublic key written to {}",
                key.display(),
                public.display()
            );
        }
        Command::Sbom { dist, only } => {
            let policies = policy::discover(&root)?;
            let dist = if dist.is_absolute() {
                dist
            } else {
                root.join(dist)
            };
            for p in policies
                .iter()
                .filter(|p| only.is_empty() || only.contains(&p.id))
            {
                let file = dist.join(format!("{}.wasm", p.id));
                let wasm =
                    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let doc = sbom::generate(&root, &p.id, &wasm)?;
                let out = dist.join(format!("{}.sbom.json", p.id));
                std::fs::write(&out, doc).with_context(|| format!("writing {}", out.display()))?;
                println!("wrote {}", out.display());
            }
        }
        Command::Sign { key, targets } => {
            let transport = targets.transport.transport()?;
            let pair = sign::load_private_key(&key, &sign::password_from_env())?;
            let targets = targets.resolve(&root)?;
            for (target, with_sbom) in targets {
                let signed = sign::sign(&target, &pair, &transport)?;
                println!(
                    "Signed {} (signature {})",
                    signed.artifact, signed.signature
                );
                if with_sbom {
                    let sbom_ref = sbom_reference(&signed.artifact, &transport)?;
                    let s = sign::sign(&sbom_ref, &pair, &transport)?;
                    println!("Signed SBOM {} (signature {})", s.artifact, s.signature);
                }
            }
        }
        Command::Verify { key, targets } => {
            let transport = targets.transport.transport()?;
            let public = sign::read_public_key(&key)?;
            let targets = targets.resolve(&root)?;
            let mut failed = 0;
            for (target, with_sbom) in targets {
                match sign::verify(&target, &public, &transport) {
                    Ok(digest_ref) => {
                        println!("Verified {target} ({digest_ref})");
                        if with_sbom {
                            match sbom_reference(&digest_ref, &transport)
                                .and_then(|s| sign::verify(&s, &public, &transport))
                            {
                                Ok(s) => println!("Verified SBOM of {target} ({s})"),
                                Err(e) => {
                                    failed += 1;
                                    eprintln!("NOT verified: SBOM of {target}: {e:#}");
                                }
                            }
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("NOT verified: {e:#}");
                    }
                }
            }
            if failed > 0 {
                eprintln!("{failed} artifact(s) not verified by {}", key.display());
                return Ok(ExitCode::from(1));
            }
        }
        Command::NewPolicy(args) => {
            let written = scaffold::Scaffold {
                id: args.id,
                shape: args.shape,
                row: args.row,
                controls: args.controls,
                profiles: args.profiles,
                released: args.released,
            }
            .write(&root)?;
            println!(
                "wrote {} ({} files; row {}, controls {}); added to the README catalogue{}",
                written.dir.display(),
                written.files.len(),
                written.row,
                written.controls,
                if written.profiles.is_empty() {
                    String::new()
                } else {
                    format!(" and to profiles {}", written.profiles.join(", "))
                }
            );
        }
        Command::Pull {
            reference,
            output,
            transport,
        } => {
            let wasm = oci::pull(&reference, &transport.transport()?)?;
            std::fs::write(&output, &wasm)
                .with_context(|| format!("writing {}", output.display()))?;
            println!(
                "pulled {reference} ({} bytes) into {}",
                wasm.len(),
                output.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
