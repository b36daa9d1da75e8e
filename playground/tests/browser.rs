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
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
                     "--disable-dev-shm-usage", "--window-size=1400,1100",
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

    // Pick the aks-baseline profile, then paste the Deployment.
    let profile = client
        .find(Locator::Css("#profile option[value='aks-baseline']"))
        .await
        .unwrap();
    profile.click().await.unwrap();
    let selection = client
        .find(Locator::Id("selection"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        selection.contains("no-privileged-containers"),
        "profile selection: {selection}"
    );
    let manifests = client.find(Locator::Id("manifests")).await.unwrap();
    manifests.clear().await.unwrap();
    manifests.send_keys(DEPLOYMENT).await.unwrap();
    let pasted = manifests.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(
        pasted, DEPLOYMENT,
        "the textarea did not take the text as typed"
    );
    let before: u64 = client
        .execute(
            "return Number(document.body.dataset.evaluated || 0);",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    client
        .find(Locator::Id("run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    poll(
        &client,
        &format!("return Number(document.body.dataset.evaluated) > {before};"),
        "the evaluation",
    )
    .await;

    // What the rules say about this input, computed by the same code natively.
    let (expected_selection, _) = playground::profile_selection("aks-baseline").unwrap();
    let selected = playground::parse_selection(&expected_selection).unwrap();
    let report = playground::run(DEPLOYMENT, &selected, &playground::Defaults::default());
    let rejected: Vec<_> = report.outcomes.iter().filter(|o| !o.allowed).collect();
    assert!(
        rejected
            .iter()
            .any(|o| o.policy == "no-privileged-containers")
    );

    let shown: Value = client
        .execute(
            "return [...document.querySelectorAll('.verdict.rejected')].map(v => [v.dataset.policy, v.querySelector('.message').textContent]);",
            vec![],
        )
        .await
        .unwrap();
    let shown: Vec<(String, String)> = serde_json::from_value(shown).unwrap();
    let want: Vec<(String, String)> = rejected
        .iter()
        .map(|o| (o.policy.clone(), o.message.clone().unwrap()))
        .collect();
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

    // Every control of a rejecting policy is marked rejected in the per-control table.
    let controls: Value = client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('#controls tbody tr')].map(r => [r.dataset.control, r.children[1].textContent]));",
            vec![],
        )
        .await
        .unwrap();
    for o in &rejected {
        for c in o.controls.split(", ") {
            let cell = controls
                .get(c)
                .and_then(Value::as_str)
                .unwrap_or("(missing)");
            assert!(cell.starts_with("rejected"), "control {c}: {cell}");
        }
    }
    // The offending line (16: `privileged: true`) is highlighted.
    let hits: Value = client
        .execute("return [...document.querySelectorAll('#source span.hit')].map(s => Number(s.dataset.n));", vec![])
        .await
        .unwrap();
    assert!(
        hits.as_array().unwrap().contains(&json!(16)),
        "highlighted lines: {hits}"
    );

    let shot = client.screenshot().await.unwrap();
    let out = root().join("target/playground");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("browser-test.png"), &shot).unwrap();

    // The state travels in the fragment: a fresh load of the URL shows the same input and result.
    let shared = poll(
        &client,
        "return location.hash.length > 3 ? location.href : null;",
        "the share link",
    )
    .await;
    client.goto("about:blank").await.unwrap();
    client.goto(shared.as_str().unwrap()).await.unwrap();
    poll(&client, "return document.body.dataset.ready === 'true' && Number(document.body.dataset.evaluated) > 0;", "the shared page").await;
    let restored = client
        .find(Locator::Id("manifests"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(restored, DEPLOYMENT);
    let again: Value = client
        .execute(
            "return document.querySelectorAll('.verdict.rejected').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(again, json!(want.len()));

    client.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile_dir);
}
