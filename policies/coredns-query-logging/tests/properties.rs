//! Properties of the rule, through the same entry point as the module (`runtime::evaluate`),
//! with a fixed seed: the shapes of the evasion classes rather than single examples.
//!
//! - a `log` block logs every query exactly when its classes, over any number of `class`
//!   lines in any order, hold `all` or all of `success`, `denial` and `error` (the classes
//!   `Classify` sorts every response into);
//! - the same snippet written in any of the spellings CoreDNS's lexer reads alike (quoted or
//!   bare words, CRLF or LF, comments, indentation, a byte-order mark, split over keys read in
//!   name order) gets the same verdict.

use coredns_query_logging::CorednsQueryLogging as P59;
use policy_helpers::runtime::evaluate;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};

const SEED: [u8; 32] = *b"p59-coredns-query-logging-seed!!";

fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &SEED),
    )
}

/// (accepted, message) for a CREATE of `kube-system/coredns-custom` with `data`.
fn run(data: Map<String, Value>) -> (bool, String) {
    let request = json!({
        "uid": "p",
        "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"},
        "name": "coredns-custom", "namespace": "kube-system", "operation": "CREATE",
        "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "coredns-custom", "namespace": "kube-system"},
                   "data": data}
    });
    let payload = json!({"request": request, "settings": {}}).to_string();
    let r = evaluate::<P59>(payload.as_bytes()).expect("a validation response");
    (r.accepted, r.message.unwrap_or_default())
}

const CLASSES: [&str; 4] = ["success", "denial", "error", "all"];

#[test]
fn a_class_filter_is_query_logging_exactly_when_it_covers_every_response() {
    // Each class line: a non-empty list of class indices.
    let lines = prop::collection::vec(prop::collection::vec(0usize..4, 1..4), 1..4);
    runner(200)
        .run(&lines, |lines| {
            let mut text = String::from("log . {\n");
            for l in &lines {
                let names: Vec<&str> = l.iter().map(|&i| CLASSES[i]).collect();
                text.push_str(&format!("    class {}\n", names.join(" ")));
            }
            text.push_str("}\n");
            let has = |i: usize| lines.iter().flatten().any(|&c| c == i);
            let every = has(3) || (has(0) && has(1) && has(2));
            let mut data = Map::new();
            data.insert("log.override".into(), Value::String(text.clone()));
            let (accepted, message) = run(data);
            prop_assert_eq!(accepted, every, "{:?}: {}", text, message);
            if !every {
                prop_assert!(
                    message.contains("logs only responses of class"),
                    "{}",
                    message
                );
            }
            Ok(())
        })
        .unwrap();
}

/// One snippet in a spelling CoreDNS reads the same way.
fn spell(words: &[Vec<&str>], quote: &[bool], crlf: bool, comment: bool, indent: usize) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    let mut k = 0;
    for line in words {
        out.push_str(&" ".repeat(indent));
        let toks: Vec<String> = line
            .iter()
            .map(|w| {
                k += 1;
                // Braces stay bare here only to keep the lines readable: CoreDNS treats a quoted
                // brace as a brace too (see the evasion suite).
                if quote[k % quote.len()] && *w != "{" && *w != "}" {
                    format!("\"{w}\"")
                } else {
                    (*w).to_string()
                }
            })
            .collect();
        out.push_str(&toks.join(" "));
        if comment {
            out.push_str(" # log . { class all }");
        }
        out.push_str(nl);
    }
    out
}

#[test]
fn spellings_coredns_reads_alike_get_the_same_verdict() {
    let filtered: Vec<Vec<&str>> = vec![vec!["log", ".", "{"], vec!["class", "denial"], vec!["}"]];
    let plain: Vec<Vec<&str>> = vec![vec!["log"]];
    let style = (
        prop::collection::vec(any::<bool>(), 1..5),
        any::<bool>(),
        any::<bool>(),
        0usize..5,
        any::<bool>(),
        1usize..3,
    );
    runner(200)
        .run(&style, |(quote, crlf, comment, indent, bom, split)| {
            for (words, logs) in [(&plain, true), (&filtered, false)] {
                let mut text = spell(words, &quote, crlf, comment, indent);
                if bom {
                    text.insert(0, '\u{feff}');
                }
                let mut data = Map::new();
                // Split after the first line into a second key read after it (name order).
                let cut = text.find('\n').map_or(text.len(), |i| i + 1);
                if split == 2 && cut < text.len() {
                    data.insert("a.override".into(), Value::String(text[..cut].to_string()));
                    data.insert("b.override".into(), Value::String(text[cut..].to_string()));
                } else {
                    data.insert("log.override".into(), Value::String(text.clone()));
                }
                let (accepted, message) = run(data);
                prop_assert_eq!(accepted, logs, "{:?}: {}", text, message);
            }
            Ok(())
        })
        .unwrap();
}
