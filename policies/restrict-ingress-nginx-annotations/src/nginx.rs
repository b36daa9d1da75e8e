//! How ingress-nginx reads the values this policy judges. Every reader names the controller code
//! it follows (kubernetes/ingress-nginx), so that the policy reads a value exactly as the
//! component that acts on it, neither more leniently (a bypass) nor more strictly without saying
//! so.

use policy_helpers::prelude::*;

/// Go's `strconv.ParseBool` (untrimmed, case-sensitive): ingress-nginx reads boolean annotations
/// with it (`parser.GetBoolAnnotation`, e.g. `use-regex`), and its ConfigMap decoder falls back to
/// it (see [`config_bool`]). The shared reader, with its source, is in `policy_helpers::consumer`.
pub use policy_helpers::consumer::go_parse_bool;

/// A boolean key of the controller's ConfigMap, as the controller reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigBool {
    /// Read as true.
    True,
    /// Read as false.
    False,
    /// Not a boolean: the controller logs a decoding error and keeps its built-in default for
    /// the key, which differs between controller versions.
    Unreadable,
}

/// A boolean of the controller's ConfigMap: `template.ReadConfig` decodes the ConfigMap's data
/// into its `Configuration` with mapstructure (`WeaklyTypedInput: true`), which reads a string
/// into a bool with `strconv.ParseBool` and the empty string as false; any other text is a
/// decoding error and the field keeps its default.
pub fn config_bool(v: &str) -> ConfigBool {
    if v.is_empty() {
        return ConfigBool::False;
    }
    match go_parse_bool(v) {
        Some(true) => ConfigBool::True,
        Some(false) => ConfigBool::False,
        None => ConfigBool::Unreadable,
    }
}

/// The annotation risk levels (`parser.AnnotationRisk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical: snippets and other unvalidated annotations.
    Critical,
}

/// `annotations-risk-level` as `parser.StringRiskToRisk` reads it: lower-cased (not trimmed)
/// and compared with `critical`, `high`, `medium`; anything else is Low (the strictest level).
pub fn risk_level(v: &str) -> Risk {
    match v.to_lowercase().as_str() {
        "critical" => Risk::Critical,
        "high" => Risk::High,
        "medium" => Risk::Medium,
        _ => Risk::Low,
    }
}

/// Whether an annotation name (the part after the prefix and `/`) is a snippet: raw nginx
/// configuration the controller copies into its configuration without validation
/// (`configuration-snippet`, `server-snippet`, `auth-snippet`, `stream-snippet`,
/// `modsecurity-snippet`, and any later `*-snippet`). Compared case-insensitively: a key the
/// controller does not read is refused too rather than guessed about.
pub fn is_snippet(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "snippet" || n.ends_with("-snippet")
}

/// Annotations whose values the controller writes into nginx directives that read nginx
/// variables: `$name` (and `$1` captures) are expected there (its validators
/// `URLWithNginxVariableRegex`, `NGINXVariable`, `RegexPathWithCapture` allow `$`).
pub const VARIABLE_ANNOTATIONS: &[&str] = &[
    "auth-url",
    "auth-signin",
    "auth-cache-key",
    "rewrite-target",
    "upstream-hash-by",
    "upstream-vhost",
    "permanent-redirect",
    "temporal-redirect",
    "mirror-target",
    "mirror-host",
    "global-rate-limit-key",
    "modsecurity-transaction-id",
    "opentelemetry-operation-name",
    "proxy-redirect-from",
    "proxy-redirect-to",
];

/// Annotations whose values are regular expressions (the controller validates them with
/// `IsValidRegex` / its common-name check): `^ $ ( ) [ ] | * + ? .` and `\` escapes are
/// expected there.
pub const REGEX_ANNOTATIONS: &[&str] = &[
    "auth-tls-match-cn",
    "canary-by-header-pattern",
    "server-alias",
];

/// What an annotation's value may hold besides plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueClass {
    /// Literal text: no nginx variable, no escape.
    Plain,
    /// May reference nginx variables (`$name`, `${name}`, `$1`).
    Variables,
    /// A regular expression: `$` anchors and `\` escapes of a visible character.
    Regex,
}

/// The class of an annotation name (after the prefix).
pub fn class_of(name: &str) -> ValueClass {
    if VARIABLE_ANNOTATIONS.contains(&name) {
        ValueClass::Variables
    } else if REGEX_ANNOTATIONS.contains(&name) {
        ValueClass::Regex
    } else {
        ValueClass::Plain
    }
}

/// Filesystem locations an annotation value has no reason to name: the controller's own
/// configuration and certificates (`/etc/nginx`, `/etc/ingress-controller`), the mounted
/// ServiceAccount token (`/var/run/secrets`), process and kernel state (`/proc`, `/sys`, used by
/// the CVE-2025-1974 chain), and temporary files the controller writes request bodies to.
pub const SENSITIVE_PATHS: &[&str] = &[
    "/etc/",
    "/proc/",
    "/sys/",
    "/root/",
    "/var/run/",
    "/run/secrets",
    "/var/lib/",
    "/tmp/",
];

fn describe(c: char) -> &'static str {
    match c {
        ';' => "ends an nginx directive",
        '{' => "opens an nginx block",
        '}' => "closes an nginx block",
        '"' | '\'' | '`' => "ends the quoted string the controller writes the value into",
        '#' => "starts an nginx comment that hides the rest of the directive",
        '\\' => "escapes the next character in nginx's parser",
        '$' => "makes nginx read a variable where the controller expects literal text",
        _ => "is a control character that starts a new nginx line",
    }
}

fn char_problem(c: char, offset: usize) -> String {
    format!("holds {c:?} at offset {offset}, which {}", describe(c))
}

/// Percent-decodes the dots and slashes of a value (`%2e`, `%2f`, either case), so that an
/// encoded `..` is seen as one.
fn decode_dots(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let code = [b[i + 1].to_ascii_lowercase(), b[i + 2].to_ascii_lowercase()];
            if code == *b"2e" {
                out.push('.');
                i += 3;
                continue;
            }
            if code == *b"2f" || code == *b"5c" {
                out.push('/');
                i += 3;
                continue;
            }
        }
        let ch = v[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(if ch == '\\' { '/' } else { ch });
        i += ch.len_utf8();
    }
    out
}

/// Whether the value names a parent directory (`..` as a whole path segment, also
/// percent-encoded or behind a backslash).
pub fn has_parent_segment(v: &str) -> bool {
    decode_dots(v)
        .split(['/', '?', '#', '&', '=', ',', ' '])
        .any(|seg| seg == "..")
}

/// Why the value references a file or a path, if it does: a parent segment (`..`), a
/// `file:` URL, or one of [`SENSITIVE_PATHS`].
pub fn file_reference(v: &str) -> Option<String> {
    if has_parent_segment(v) {
        return Some("references a parent directory (`..`)".into());
    }
    let lower = decode_dots(v).to_ascii_lowercase();
    if lower.contains("file:") {
        return Some("references a local file (`file:`)".into());
    }
    for p in SENSITIVE_PATHS {
        if lower.contains(p) || lower.trim() == p.trim_end_matches('/') {
            return Some(format!(
                "references the filesystem path {:?}",
                p.trim_end_matches('/')
            ));
        }
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Why an annotation value (of a non-snippet annotation named `name`, without the prefix) is
/// refused, or `None` when it holds nothing that leaves the directive the controller writes it
/// into:
///
/// - control characters (newline, carriage return, tab, ...): a new nginx line;
/// - `;` `{` `}`: end a directive, open or close a block;
/// - `"` `'` and backquote: end the quoted string the controller writes many values into
///   (CVE-2025-24514 `auth-url`, CVE-2025-1097 `auth-tls-match-cn`, CVE-2025-1098
///   `mirror-target`/`mirror-host`, CVE-2023-5044 `permanent-redirect`);
/// - `#`: comments out the rest of the directive;
/// - `\`: escapes the next character (a closing quote); allowed in regular expressions only
///   before a visible character other than a quote;
/// - `$`: an nginx variable; allowed as `$name`, `${name}` or `$1` in [`ValueClass::Variables`]
///   annotations and anywhere in [`ValueClass::Regex`] ones;
/// - file references ([`file_reference`]).
pub fn value_problem(name: &str, value: &str) -> Option<String> {
    let class = class_of(name);
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (offset, c) = chars[k];
        let next = chars.get(k + 1).map(|&(_, n)| n);
        match c {
            c if c.is_control() => return Some(char_problem(c, offset)),
            ';' | '{' | '}' | '"' | '\'' | '`' | '#' => return Some(char_problem(c, offset)),
            '\\' => {
                let escapes_visible = next.is_some_and(|n| {
                    n.is_ascii_graphic() && !matches!(n, '"' | '\'' | '`' | ';' | '{' | '}')
                });
                if !(class == ValueClass::Regex && escapes_visible) {
                    return Some(char_problem(c, offset));
                }
                k += 2;
                continue;
            }
            '$' => match class {
                ValueClass::Regex => {}
                ValueClass::Plain => return Some(char_problem(c, offset)),
                ValueClass::Variables => {
                    if next.is_some_and(is_ident) {
                        // `$name` or `$1`
                    } else if next == Some('{') {
                        // `${name}`: the braces belong to the variable reference.
                        let mut j = k + 2;
                        while j < chars.len() && is_ident(chars[j].1) {
                            j += 1;
                        }
                        if j == k + 2 || chars.get(j).map(|&(_, ch)| ch) != Some('}') {
                            return Some(format!(
                                "holds an unterminated or empty nginx variable `${{` at offset {offset}"
                            ));
                        }
                        k = j + 1;
                        continue;
                    } else {
                        return Some(format!(
                            "holds '$' at offset {offset} not followed by a variable name, which nginx cannot read"
                        ));
                    }
                }
            },
            _ => {}
        }
        k += 1;
    }
    file_reference(value)
}

/// Characters of the controller's strict path validation (`inspector.validPathType`,
/// `(?i)^/[[:alnum:]\.\_\-/]*$`): ASCII letters and digits, `.`, `_`, `-` and `/`, after a
/// leading `/`. It applies to `pathType: Exact` and `Prefix` when `strict-validate-path-type` is
/// on (CVE-2022-4886).
pub fn strict_path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("does not start with \"/\"".into());
    }
    path.char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
        .map(|(i, c)| {
            format!(
                "holds {c:?} at offset {i}, outside the controller's strict path characters (letters, digits, `.`, `_`, `-`, `/`)"
            )
        })
}

/// The patterns of the controller's deep inspection (`inspector.CheckRegex`), applied to every
/// path whatever its type: nginx `alias`/`root` directives, its own configuration and the
/// accounts files under `/etc`, the ServiceAccount token directory and Lua hooks.
pub const DEEP_INSPECTION: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/nginx",
    "/etc/ingress-controller",
    "/var/run/secrets",
    "_by_lua",
];

/// Why an `ImplementationSpecific` path (or one without `pathType`) is refused: the
/// controller writes it into a `location` line, unquoted unless it is a regular expression
/// (`use-regex`), so control characters, `;`, quotes and `#` always leave it, and `{`, `}`
/// and `\` do unless `use-regex` is on (a trailing `\` always does: it escapes the closing
/// quote). The deep-inspection patterns are refused too.
pub fn free_path_problem(path: &str, use_regex: bool) -> Option<String> {
    let chars: Vec<(usize, char)> = path.char_indices().collect();
    for (k, &(offset, c)) in chars.iter().enumerate() {
        let refused = match c {
            c if c.is_control() => true,
            ';' | '"' | '\'' | '`' | '#' => true,
            '{' | '}' => !use_regex,
            '\\' => !use_regex || k + 1 == chars.len(),
            _ => false,
        };
        if refused {
            return Some(char_problem(c, offset));
        }
    }
    let lower = path.to_ascii_lowercase();
    DEEP_INSPECTION
        .iter()
        .find(|p| lower.contains(*p))
        .map(|p| format!("matches the controller's deep-inspection pattern {p:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_read_as_go_and_mapstructure_read_them() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(go_parse_bool(t), Some(true), "{t}");
            assert_eq!(config_bool(t), ConfigBool::True, "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(config_bool(f), ConfigBool::False, "{f}");
        }
        assert_eq!(config_bool(""), ConfigBool::False);
        for x in ["yes", "on", " true", "true ", "tRUE", "enabled"] {
            assert_eq!(go_parse_bool(x), None, "{x}");
            assert_eq!(config_bool(x), ConfigBool::Unreadable, "{x}");
        }
    }

    #[test]
    fn risk_levels_are_lower_cased_not_trimmed() {
        for c in ["Critical", "critical", "CRITICAL", "cRiTiCaL"] {
            assert_eq!(risk_level(c), Risk::Critical, "{c}");
        }
        assert_eq!(risk_level("High"), Risk::High);
        assert_eq!(risk_level("medium"), Risk::Medium);
        for low in ["low", " Critical", "Critical ", "", "critic"] {
            assert_eq!(risk_level(low), Risk::Low, "{low:?}");
        }
    }

    #[test]
    fn snippets_are_recognised_by_their_suffix() {
        for s in [
            "configuration-snippet",
            "server-snippet",
            "auth-snippet",
            "stream-snippet",
            "modsecurity-snippet",
            "Server-Snippet",
            "future-thing-snippet",
        ] {
            assert!(is_snippet(s), "{s}");
        }
        for n in ["auth-url", "snippets-enabled", "rewrite-target"] {
            assert!(!is_snippet(n), "{n}");
        }
    }

    #[test]
    fn breakout_characters_are_refused() {
        for (name, v) in [
            ("auth-url", "http://a/\nlocation / {}"),
            ("auth-url", "http://a/\";"),
            ("mirror-target", "http://a;"),
            ("mirror-host", "a}"),
            ("auth-tls-match-cn", "CN=a\"b"),
            ("permanent-redirect", "https://a/#x"),
            ("rewrite-target", "/x\\"),
            ("proxy-body-size", "8m;"),
            ("custom-http-errors", "404\r503"),
            ("auth-realm", "it's"),
            ("cors-allow-origin", "https://a`"),
            ("auth-url", "http://a/${host"),
            ("auth-url", "http://a/$ x"),
            ("proxy-body-size", "$request_uri"),
            ("upstream-vhost", "${}"),
        ] {
            assert!(value_problem(name, v).is_some(), "{name}={v:?}");
        }
    }

    #[test]
    fn ordinary_values_pass() {
        for (name, v) in [
            ("auth-url", "https://auth.example.com/oauth2/auth"),
            (
                "auth-signin",
                "https://$host/oauth2/start?rd=$escaped_request_uri",
            ),
            ("rewrite-target", "/$2"),
            ("upstream-hash-by", "${request_uri}$host"),
            ("auth-tls-match-cn", "CN=(client-a|client-b)$"),
            ("canary-by-header-pattern", "^(always|beta\\.x)$"),
            (
                "server-alias",
                "www.example.com, ~^api\\d+\\.example\\.com$",
            ),
            ("auth-cache-duration", "200 202 401 5m"),
            ("cors-allow-origin", "https://*.example.com"),
            ("proxy-body-size", "8m"),
            ("whitelist-source-range", "10.0.0.0/8, 192.168.0.0/16"),
            ("auth-secret", "shop/etc"),
        ] {
            assert_eq!(value_problem(name, v), None, "{name}={v:?}");
        }
    }

    #[test]
    fn file_references_are_refused() {
        for v in [
            "/etc/nginx/nginx.conf",
            "http://a/../../x",
            "/x/%2e%2e/y",
            "/x/.%2E/y",
            "/a\\..\\b",
            "file:///etc/passwd",
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
            "/proc/self/fd/3",
            "/tmp/nginx/client-body/0001",
            "/etc",
        ] {
            assert!(file_reference(v).is_some(), "{v}");
        }
        for v in ["/app/v1", "https://a/etc", "ns/etc", "/x/..y", "/a.b/c"] {
            assert_eq!(file_reference(v), None, "{v}");
        }
    }

    #[test]
    fn strict_paths_follow_the_controller_regex() {
        for p in ["/", "/api/v1", "/a.b_c-d/", "/A1"] {
            assert_eq!(strict_path_problem(p), None, "{p}");
        }
        for p in [
            "api",
            "/a b",
            "/a;b",
            "/a{b}",
            "/a$",
            "/(.*)",
            "/caf\u{e9}",
            "/a%2f",
        ] {
            assert!(strict_path_problem(p).is_some(), "{p}");
        }
    }

    #[test]
    fn free_paths_allow_regex_only_with_use_regex() {
        assert_eq!(free_path_problem("/api/(.*)", false), None);
        assert!(free_path_problem("/api/v{2}", false).is_some());
        assert_eq!(free_path_problem("/api/v\\d{2}", true), None);
        assert!(free_path_problem("/api\\", true).is_some());
        assert!(free_path_problem("/a;b", true).is_some());
        assert!(free_path_problem("/a\"b", true).is_some());
        assert!(free_path_problem("/x/etc/nginx/", true).is_some());
        assert!(free_path_problem("/lua_by_lua", false).is_some());
    }
}
