//! Reading `key = value` settings by `[section]` in the TOML-style text the Azure Monitor agent
//! keeps in its ConfigMap (`container-azm-ms-agentconfig`).

/// Every value `setting` has in `[section]` of `text`, trimmed and unquoted, with its line
/// number (1-based). Comments (`#` outside quotes) are ignored; `[[array]]` headers count as
/// sections; keys are compared exactly, sections without surrounding blanks.
pub fn values<'t>(text: &'t str, section: &str, setting: &str) -> Vec<(usize, &'t str)> {
    let mut current = "";
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = inner.trim_start_matches('[').trim_end_matches(']').trim();
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if current == section && unquote(k.trim()) == setting {
            out.push((n + 1, unquote(v.trim())));
        }
    }
    out
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|x| x.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..i],
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMA: &str = r#"
[log_collection_settings]
   [log_collection_settings.stdout]
      # If this setting is set to false, no stdout logs are collected
      enabled = true
      exclude_namespaces = ["kube-system", "gatekeeper-system"]
   [log_collection_settings.stderr]
      enabled = false   # switched off
   [log_collection_settings.env_var]
      "enabled" = 'true'
"#;

    #[test]
    fn reads_by_section() {
        assert_eq!(
            values(AMA, "log_collection_settings.stdout", "enabled"),
            vec![(5, "true")]
        );
        assert_eq!(
            values(AMA, "log_collection_settings.stderr", "enabled"),
            vec![(8, "false")]
        );
        assert_eq!(
            values(AMA, "log_collection_settings.env_var", "enabled"),
            vec![(10, "true")]
        );
        assert!(values(AMA, "log_collection_settings", "enabled").is_empty());
        assert!(values(AMA, "other", "enabled").is_empty());
    }

    #[test]
    fn comments_and_quotes() {
        assert_eq!(
            values("[a]\nx = \"#1\" # c\n#x = 2\n", "a", "x"),
            vec![(2, "#1")]
        );
        assert_eq!(values("[[a]]\nx=1\n", "a", "x"), vec![(2, "1")]);
    }
}
