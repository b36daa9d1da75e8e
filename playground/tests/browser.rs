//! The page in a real browser: Debian's headless chromium driven over WebDriver (chromedriver +
//! fantoccini), the built page served from 127.0.0.1 by a small static server started here. A
//! non-compliant Deployment is pasted, and the controls, messages and highlighted lines shown
//! must be those the rules give; the shared URL must restore the state. The screenshot is kept
//! in target/playground/browser-test.png. Needs `make playground` (`make test-playground`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: docker.io/library/nginx:1.27
        securityContext:
          privileged: true
";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Serves `dir` on 127.0.0.1 (GET only, no directory listing); returns the port.
fn serve(dir: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || answer(stream, &dir));
        }
    });
    port
}

fn answer(mut stream: TcpStream, dir: &Path) {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_or(true, |n| n == 0) || header.trim().is_empty() {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let rel = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let file = dir.join(rel);
    let ok = !rel.contains("..") && file.is_file();
    let (status, body, ty) = if ok {
        ("200 OK", std::fs::read(&file).unwrap(), content_type(&file))
    } else {
        ("404 Not Found", b"not found".to_vec(), "text/plain")
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ty}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn poll(client: &fantoccini::Client, script: &str, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = client.execute(script, vec![]).await.unwrap();
        if !v.is_null() && v != json!(false) {
            return v;
        }
        if Instant::now() >= deadline {
            let status = client
                .execute(
                    "return document.getElementById('status')?.textContent ?? '(no page)';",
                    vec![],
                )
                .await;
            panic!("timed out waiting for {what}; the page's status line: {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many evaluations the page has run so far.
async fn evaluations(client: &fantoccini::Client) -> u64 {
    client
        .execute(
            "return Number(document.body.dataset.evaluated || 0);",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Waits until the page has run an evaluation after the `before`-th, and the debounced
/// re-evaluation typing may have scheduled has settled.
async fn evaluated_after(client: &fantoccini::Client, before: u64, what: &str) {
    poll(
        client,
        &format!("return Number(document.body.dataset.evaluated) > {before};"),
        what,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// Clicks "Evaluate" and waits for the result.
async fn evaluate(client: &fantoccini::Client, what: &str) {
    let before = evaluations(client).await;
    client
        .find(Locator::Id("run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    evaluated_after(client, before, what).await;
}

/// Types `text` into the textarea `id` (replacing what is there), as a user would.
async fn type_into(client: &fantoccini::Client, id: &str, text: &str) {
    let area = client.find(Locator::Id(id)).await.unwrap();
    area.clear().await.unwrap();
    area.send_keys(text).await.unwrap();
    let typed = area.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(typed, text, "#{id} did not take the text as typed");
}

async fn value_of(client: &fantoccini::Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Chooses `value` in the `<select id=…>` by clicking its option.
async fn choose(client: &fantoccini::Client, id: &str, value: &str) {
    let before = evaluations(client).await;
    client
        .find(Locator::Css(&format!("#{id} option[value='{value}']")))
        .await
        .unwrap_or_else(|e| panic!("#{id} has no option {value}: {e}"))
        .click()
        .await
        .unwrap();
    assert_eq!(value_of(client, id).await, value);
    evaluated_after(
        client,
        before,
        &format!("the evaluation after choosing {value}"),
    )
    .await;
}

/// The rejections the page shows: (policy, message) in page order.
async fn shown_rejections(client: &fantoccini::Client) -> Vec<(String, String)> {
    let shown = client
        .execute(
            "return [...document.querySelectorAll('.verdict.rejected')].map(v => [v.dataset.policy, v.querySelector('.message')?.textContent ?? '']);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(shown).unwrap()
}

/// What the rules say about `yaml` under `selection` (the page's defaults), computed natively
/// by the same code: the rejected outcomes.
fn expected(yaml: &str, selection: &str) -> playground::Report {
    let selected = playground::parse_selection(selection).unwrap();
    playground::run(yaml, &selected, &playground::defaults())
}

fn rejections(report: &playground::Report) -> Vec<(String, String)> {
    report
        .outcomes
        .iter()
        .filter(|o| !o.allowed)
        .map(|o| (o.policy.clone(), o.message.clone().unwrap_or_default()))
        .collect()
}

/// The per-control table: control id to its result cell.
async fn control_cells(client: &fantoccini::Client) -> Value {
    client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('#controls tbody tr')].map(r => [r.dataset.control, r.children[1].textContent]));",
            vec![],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_rejected_controls_and_messages() {
    let dist = std::env::var_os("PLAYGROUND_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("playground/dist"));
    assert!(
        dist.join("index.html").is_file() && dist.join("playground_bg.wasm").is_file(),
        "{} has no built page: run `make playground`",
        dist.display()
    );
    let port = serve(dist);

    let driver_port = free_port();
    let profile_dir =
        std::env::temp_dir().join(format!("playground-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile_dir);
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver: make browser-deps)"),
    );
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,1200", "--hide-scrollbars",
                     format!("--user-data-dir={}", profile_dir.display())],
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a chromium session: {e}"),
        }
    };

    // 1. A fresh load shows a bundled non-compliant example under the aks-baseline profile,
    //    already evaluated.
    let url = format!("http://127.0.0.1:{port}/");
    client.goto(&url).await.unwrap();
    let ready = poll(
        &client,
        "return document.body.dataset.ready || null;",
        "the page to load its module",
    )
    .await;
    assert_eq!(
        ready,
        json!("true"),
        "the page did not start: {:?}",
        client
            .find(Locator::Id("status"))
            .await
            .unwrap()
            .text()
            .await
    );
    evaluated_after(&client, 0, "the first evaluation").await;
    assert_eq!(value_of(&client, "profile").await, "aks-baseline");
    let (aks, _) = playground::profile_selection("aks-baseline").unwrap();
    assert_eq!(value_of(&client, "selection").await, aks);
    let example = value_of(&client, "example").await;
    let bundled = |name: &str| {
        playground::registry::EXAMPLES
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("the page offers example {name:?}, the bundle has none"))
            .text
    };
    assert!(example.starts_with("non-compliant/"), "example {example:?}");
    assert_eq!(value_of(&client, "manifests").await, bundled(&example));
    let want = rejections(&expected(bundled(&example), &aks));
    assert!(!want.is_empty(), "{example} is meant to be rejected");
    assert_eq!(shown_rejections(&client).await, want, "{example}");

    // 2. Every bundled example can be loaded from the list; each shows the rules' verdicts.
    let offered: Vec<String> = serde_json::from_value(
        client
            .execute(
                "return [...document.querySelectorAll('#example option')].map(o => o.value).filter(Boolean);",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = playground::registry::EXAMPLES
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(offered, names, "examples offered");
    for name in ["compliant/shop.yaml", "non-compliant/rbac.yaml"] {
        choose(&client, "example", name).await;
        assert_eq!(value_of(&client, "manifests").await, bundled(name));
        let report = expected(bundled(name), &aks);
        assert_eq!(
            shown_rejections(&client).await,
            rejections(&report),
            "{name}"
        );
        let objects: Value = client
            .execute(
                "return document.querySelectorAll('#results .object').length;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            objects,
            json!(report.documents.len()),
            "{name}: objects shown"
        );
    }

    // 3. A profile chosen from the list fills in its selection.
    choose(&client, "profile", "pss-restricted").await;
    let (pss, _) = playground::profile_selection("pss-restricted").unwrap();
    assert_eq!(value_of(&client, "selection").await, pss);
    choose(&client, "profile", "aks-baseline").await;

    // 3b. Uploaded files (several at once) become one multi-document input.
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    let uploads = [
        (profile_dir.with_extension("deployment.yaml"), DEPLOYMENT),
        (profile_dir.with_extension("namespace.yaml"), namespace),
    ];
    for (path, text) in &uploads {
        std::fs::write(path, text).unwrap();
    }
    let before = evaluations(&client).await;
    let paths: Vec<String> = uploads
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    client
        .find(Locator::Id("upload"))
        .await
        .unwrap()
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    evaluated_after(&client, before, "the evaluation of the uploaded files").await;
    let joined = format!("{DEPLOYMENT}---\n{namespace}");
    assert_eq!(value_of(&client, "manifests").await, joined);
    let report = expected(&joined, &aks);
    assert_eq!(report.documents.len(), 2);
    assert_eq!(shown_rejections(&client).await, rejections(&report));
    for (path, _) in &uploads {
        let _ = std::fs::remove_file(path);
    }

    // 4. A non-compliant Deployment pasted under aks-baseline: its rejections, messages with
    //    field paths, every control of a rejecting policy marked, the offending line highlighted.
    type_into(&client, "manifests", DEPLOYMENT).await;
    evaluate(&client, "the evaluation of the pasted Deployment").await;
    assert_eq!(
        value_of(&client, "example").await,
        "",
        "edited text is no longer the example"
    );
    let report = expected(DEPLOYMENT, &aks);
    let want = rejections(&report);
    assert!(want.iter().any(|(p, _)| p == "no-privileged-containers"));
    let shown = shown_rejections(&client).await;
    assert_eq!(
        shown, want,
        "rejections shown differ from the rules' verdicts"
    );
    let privileged = &shown
        .iter()
        .find(|(p, _)| p == "no-privileged-containers")
        .unwrap()
        .1;
    assert!(
        privileged.starts_with("Deployment default/web: container \"app\" (spec.template.spec.containers[0]) sets securityContext.privileged=true ["),
        "{privileged}"
    );
    let controls = control_cells(&client).await;
    for o in report.outcomes.iter().filter(|o| !o.allowed) {
        for c in o.controls.split(", ") {
            let cell = controls
                .get(c)
                .and_then(Value::as_str)
                .unwrap_or("(missing)");
            assert!(cell.starts_with("rejected"), "control {c}: {cell}");
        }
    }
    // The policies column names the rejecting policies first, marked.
    let marked: Value = client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('#controls tbody tr')].map(r => [r.dataset.control, [...r.children[2].querySelectorAll('span.rejected')].map(s => s.textContent)]));",
            vec![],
        )
        .await
        .unwrap();
    for (c, policies) in marked.as_object().unwrap() {
        let mut want: Vec<&str> = report
            .outcomes
            .iter()
            .filter(|o| !o.allowed && o.controls.split(", ").any(|x| x == c))
            .map(|o| o.policy.as_str())
            .collect();
        want.dedup();
        assert_eq!(policies, &json!(want), "control {c}: rejecting policies");
    }
    for (c, cell) in controls.as_object().unwrap() {
        let rejecting = report
            .outcomes
            .iter()
            .any(|o| !o.allowed && o.controls.split(", ").any(|x| x == c));
        assert_eq!(
            cell.as_str().unwrap().starts_with("rejected"),
            rejecting,
            "control {c}: {cell}"
        );
    }
    // The highlighted lines are exactly those the findings point at; 16 is `privileged: true`.
    let hits: Vec<usize> = serde_json::from_value(
        client
            .execute(
                "return [...document.querySelectorAll('#source span.hit')].map(s => Number(s.dataset.n));",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let mut lines: Vec<usize> = report
        .outcomes
        .iter()
        .flat_map(|o| o.findings.iter().filter_map(|f| f.line))
        .collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(hits, lines, "highlighted lines");
    assert!(hits.contains(&16), "highlighted lines: {hits:?}");
    let privileged_line: Value = client
        .execute("return document.getElementById('L16').textContent;", vec![])
        .await
        .unwrap();
    assert_eq!(privileged_line, json!("          privileged: true"));

    // The screenshot (kept as the test's artifact): the page from the top, as a visitor sees it.
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let shot = client.screenshot().await.unwrap();
    let out = root().join("target/playground");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("browser-test.png"), &shot).unwrap();

    // 5. Edited settings: a refused key is reported naming it; valid settings change the verdict.
    type_into(
        &client,
        "selection",
        "no-privileged-containers:\n  privilegedContainers: true\n",
    )
    .await;
    evaluate(&client, "the evaluation with refused settings").await;
    assert_eq!(
        value_of(&client, "profile").await,
        "",
        "editing leaves the profile"
    );
    let errors: Vec<String> = serde_json::from_value(
        client
            .execute(
                "return [...document.querySelectorAll('#errors .settings-error')].map(e => e.textContent);",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("no-privileged-containers: invalid settings: ")
            && errors[0].contains("privilegedContainers"),
        "{errors:?}"
    );
    let custom = "no-privileged-containers:\n  exemptions:\n    namespaces: [default]\nallowed-image-registries:\n  allowedRegistries: [contoso.azurecr.io]\n";
    type_into(&client, "selection", custom).await;
    evaluate(&client, "the evaluation with edited settings").await;
    let want = rejections(&expected(DEPLOYMENT, custom));
    assert_eq!(
        want.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["allowed-image-registries"],
        "the exemption lifts the privileged rejection, the registry list adds one"
    );
    assert_eq!(shown_rejections(&client).await, want);

    // 6. The state travels in the fragment: a fresh load of the URL shows the same input,
    //    settings and result.
    let shared = poll(
        &client,
        "return location.hash.length > 3 ? location.href : null;",
        "the share link",
    )
    .await;
    client.goto("about:blank").await.unwrap();
    client.goto(shared.as_str().unwrap()).await.unwrap();
    poll(&client, "return document.body.dataset.ready === 'true' && Number(document.body.dataset.evaluated) > 0;", "the shared page").await;
    assert_eq!(value_of(&client, "manifests").await, DEPLOYMENT);
    assert_eq!(value_of(&client, "selection").await, custom);
    assert_eq!(shown_rejections(&client).await, want);

    client.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile_dir);
}
