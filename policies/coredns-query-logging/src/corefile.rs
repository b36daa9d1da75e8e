//! Reading the plugin directives of a Corefile snippet.

/// The directives (plugin names) at the top level of a Corefile snippet, in order: the first
/// word of each line outside any `{ … }` block. Comments (`#` to the end of the line) are
/// ignored. In an AKS `*.override` key the top level is the default server block, into which
/// the snippet is imported.
pub fn directives(text: &str) -> Vec<&str> {
    let mut depth: usize = 0;
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if depth == 0
            && let Some(word) = line.split_whitespace().next()
            && word != "{"
            && word != "}"
        {
            out.push(word.trim_end_matches('{'));
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_words_only() {
        let t = "log\nerrors # keep\n# log\nforward . 10.0.0.10 {\n  except log.example.com\n  log\n}\ncache 30\n";
        assert_eq!(directives(t), vec!["log", "errors", "forward", "cache"]);
        assert_eq!(directives("log . {\n class denial error\n}\n"), vec!["log"]);
        assert_eq!(directives("log{\n}\n"), vec!["log"]);
        assert!(directives("#log\n   \n").is_empty());
        assert_eq!(
            directives("example.com:53 {\n  log\n  forward . 1.1.1.1\n}\n"),
            vec!["example.com:53"]
        );
    }
}
