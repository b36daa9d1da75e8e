//! Reading the `coredns-custom` ConfigMap the way CoreDNS reads it.
//!
//! AKS's Corefile (ConfigMap `kube-system/coredns`) is
//!
//! ```text
//! .:53 {
//!     errors ... loadbalance
//!     import custom/*.override
//! }
//! import custom/*.server
//! ```
//!
//! with `coredns-custom` mounted at `custom/`, one file per key. So the `*.override` keys, in the
//! order of their names, are spliced into the default server block `.:53` as its last directives,
//! and the `*.server` keys, in the same order, follow as further server blocks.
//!
//! The rules below are those of CoreDNS's Caddyfile fork, `github.com/coredns/caddy` (its
//! `caddyfile/parse.go` was read; for `lexer.go` and `dispenser.go` those of Caddy v1, which the
//! fork copied, were read, and the comment and placeholder rules agree with CoreDNS's own
//! documentation below), of the `log` plugin (`plugin/log/setup.go`, `log.go`, `plugin/pkg/response`) and of
//! CoreDNS's documentation (corefile(5): "Comments begin with an unquoted hash `#` and continue
//! to the end of the line. Comments may be started anywhere on a line"; coredns.io manual,
//! "Environment Variables": `{$ENV_VAR}` and `{%ENV_VAR%}`; the `import` plugin's README). Where
//! they differ from Caddy v2 (whose Caddyfile has backtick quotes, `#` only at a token start,
//! `{env.VAR}` placeholders and a quoted-brace flag), CoreDNS is what reads the file, so CoreDNS
//! wins:
//!
//! - Tokens are separated by Unicode white space (Go `unicode.IsSpace`, the same set as Rust's
//!   `char::is_white_space`). A `\r` outside quotes is dropped without ending the token, so
//!   CRLF line ends are harmless and `lo\rg` is the token `log`.
//! - A `"` opens a quoted token only as the first character of a token; inside it `\"` is a
//!   quote, any other `\x` stays `\x`, and newlines are kept. The token ends at the closing
//!   quote, so `"lo"g` is two tokens. End of input inside quotes ends the token. A backtick is
//!   an ordinary character.
//! - `#` outside quotes starts a comment anywhere, also inside a token (`log#x` is `log`).
//! - A leading byte-order mark of each file is dropped.
//! - Tokens carry no "was quoted" flag: a quoted `"{"` opens a block and a quoted `"log"` is the
//!   directive `log`. `{` and `}` count only as whole tokens (`log{` is one token).
//! - A directive's line ends at the first token on a later line (or from another file) while no
//!   block is open; a `{` anywhere (even on the next line) opens one. `import PATTERN` at a
//!   directive's place, or at the start of a line inside a block, is replaced by the snippet or
//!   the files it names (relative to the importing file, so a bare name is another key of this
//!   ConfigMap; at most one `*` and one `?`).
//! - `{$VAR}` and `{%VAR%}` are replaced from CoreDNS's environment in directive names,
//!   arguments, server keys and import patterns; `{env.VAR}` is not a CoreDNS placeholder.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

/// Most imports followed in one ConfigMap (CoreDNS stops at 1000 of each kind).
const MAX_IMPORTS: usize = 64;

/// Most tokens read, imports included (a ConfigMap holds at most 1 MiB; this bounds what
/// imports can multiply).
const MAX_TOKENS: usize = 200_000;

/// One token as CoreDNS's lexer yields it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The text, quotes removed.
    pub text: String,
    /// Index of the ConfigMap key the token comes from.
    pub file: usize,
    /// The line it starts on (1-based).
    pub line: usize,
}

/// The tokens of one file (`file` is the key's index), as CoreDNS's lexer reads them.
pub fn lex(input: &str, file: usize) -> Vec<Token> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut out = Vec::new();
    let (mut line, mut start) = (1, 1);
    let mut val = String::new();
    let (mut comment, mut quoted, mut escaped) = (false, false, false);
    let token = |val: &mut String, start: usize| Token {
        text: core::mem::take(val),
        file,
        line: start,
    };
    for ch in input.chars() {
        if quoted {
            if !escaped {
                if ch == '\\' {
                    escaped = true;
                    continue;
                }
                if ch == '"' {
                    quoted = false;
                    out.push(token(&mut val, start));
                    continue;
                }
            }
            if ch == '\n' {
                line += 1;
            }
            if escaped && ch != '"' {
                val.push('\\');
            }
            val.push(ch);
            escaped = false;
            continue;
        }
        if ch.is_whitespace() {
            if ch == '\r' {
                continue;
            }
            if ch == '\n' {
                line += 1;
                comment = false;
            }
            if !val.is_empty() {
                out.push(token(&mut val, start));
            }
            continue;
        }
        if ch == '#' {
            comment = true;
        }
        if comment {
            continue;
        }
        if val.is_empty() {
            start = line;
            if ch == '"' {
                quoted = true;
                continue;
            }
        }
        val.push(ch);
    }
    if !val.is_empty() {
        out.push(token(&mut val, start));
    }
    out
}

/// Whether CoreDNS would replace part of `s` from its environment (`{$X}` or `{%X%}` with a
/// non-empty name, as `replaceEnvReferences` finds them).
pub fn has_env_placeholder(s: &str) -> bool {
    [("{%", "%}"), ("{$", "}")].iter().any(|(open, close)| {
        s.find(open)
            .is_some_and(|i| s[i..].find(close).is_some_and(|end| end > open.len()))
    })
}

/// One server block: its keys and, per directive occurrence, the directive token and the tokens
/// that follow it (braces included), in order.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Server keys (`zone[:port]`), empty for the default block.
    pub keys: Vec<String>,
    /// The key (file) the block starts in.
    pub file: usize,
    /// Directive occurrences: the name token and its argument and block tokens.
    pub directives: Vec<(Token, Vec<Token>)>,
}

impl Block {
    /// All tokens of every occurrence of directive `name`, each starting with the name, the way
    /// CoreDNS hands them to the plugin's setup.
    pub fn tokens_of(&self, name: &str) -> Vec<Token> {
        self.directives
            .iter()
            .filter(|(d, _)| d.text == name)
            .flat_map(|(d, rest)| core::iter::once(d.clone()).chain(rest.iter().cloned()))
            .collect()
    }
}

/// Why the ConfigMap cannot be judged or would not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// CoreDNS refuses the Corefile (it keeps the old configuration running, and a restarted pod
    /// does not start).
    Refused { key: String, reason: String },
    /// What CoreDNS would load depends on something the module cannot see.
    Unknown { key: String, reason: String },
}

/// The parsed ConfigMap: the directives the overrides add to `.:53` and the `*.server` blocks.
#[derive(Debug, Clone, Default)]
pub struct Corefile {
    /// The ConfigMap's keys in file order (index = [`Token::file`]).
    pub keys: Vec<String>,
    /// The directives the `*.override` keys add to the default server block.
    pub default: Block,
    /// The server blocks of the `*.server` keys.
    pub servers: Vec<Block>,
}

struct Parser<'a> {
    files: &'a [(&'a str, &'a str)],
    toks: Vec<Token>,
    snippets: BTreeMap<String, Vec<Token>>,
    imports: usize,
}

fn line_breaks(t: &Token) -> usize {
    t.text.matches('\n').count()
}

impl Parser<'_> {
    fn key(&self, file: usize) -> String {
        self.files.get(file).map(|f| f.0).unwrap_or("").to_string()
    }

    fn key_at(&self, i: usize) -> String {
        let t = self.toks.get(i).or(self.toks.last());
        self.key(t.map_or(0, |t| t.file))
    }

    fn refused(&self, i: usize, reason: impl Into<String>) -> ParseError {
        ParseError::Refused {
            key: self.key_at(i),
            reason: reason.into(),
        }
    }

    fn unknown(&self, i: usize, reason: impl Into<String>) -> ParseError {
        ParseError::Unknown {
            key: self.key_at(i),
            reason: reason.into(),
        }
    }

    /// Dispenser `isNewLine`: token `i` is on a later line than token `i - 1`, or in another file.
    fn new_line(&self, i: usize) -> bool {
        if i == 0 || i >= self.toks.len() {
            return i == 0;
        }
        let (a, b) = (&self.toks[i - 1], &self.toks[i]);
        a.file != b.file || a.line + line_breaks(a) < b.line
    }

    /// Dispenser `NextArg`: token `i + 1` is on the same line as token `i`.
    fn same_line(&self, i: usize) -> bool {
        same_line(&self.toks, i)
    }

    /// `doImport` for the `import` at `i`: its pattern's tokens replace the two tokens.
    fn import(&mut self, i: usize) -> Result<(), ParseError> {
        if !self.same_line(i) {
            return Err(self.refused(i, "`import` without a pattern"));
        }
        if self.same_line(i + 1) {
            return Err(self.refused(i, "`import` takes only one argument"));
        }
        self.imports += 1;
        if self.imports > MAX_IMPORTS {
            return Err(self.unknown(
                i,
                format!("more than {MAX_IMPORTS} imports (an import cycle?)"),
            ));
        }
        let pattern = self.toks[i + 1].text.clone();
        let imported = self.resolve(i, &pattern)?;
        self.toks.splice(i..i + 2, imported);
        if self.toks.len() > MAX_TOKENS {
            return Err(self.unknown(i, format!("more than {MAX_TOKENS} tokens after imports")));
        }
        Ok(())
    }

    fn resolve(&self, i: usize, pattern: &str) -> Result<Vec<Token>, ParseError> {
        if has_env_placeholder(pattern) {
            return Err(self.unknown(
                i,
                format!("`import {pattern}` takes its pattern from the CoreDNS pod's environment"),
            ));
        }
        if pattern.is_empty() {
            return Err(self.refused(i, "`import` with an empty pattern"));
        }
        if let Some(tokens) = self.snippets.get(pattern) {
            return Ok(tokens.clone());
        }
        if pattern.contains(['/', '\\', '[', ']']) || pattern == "." || pattern.starts_with("..") {
            return Err(self.unknown(
                i,
                format!("`import {pattern}` names files outside this ConfigMap"),
            ));
        }
        let stars = pattern.matches('*').count();
        let marks = pattern.matches('?').count();
        if stars > 1 || marks > 1 {
            return Err(self.refused(
                i,
                format!("`import {pattern}`: a glob pattern may hold one `*` and one `?`"),
            ));
        }
        let glob = stars + marks > 0;
        if glob && could_match_volume_entries(pattern) {
            return Err(self.unknown(
                i,
                format!("`import {pattern}` would also match the volume's own `..data` entries"),
            ));
        }
        let matched: Vec<usize> = (0..self.files.len())
            .filter(|&f| glob_match(pattern, self.files[f].0))
            .collect();
        if matched.is_empty() && !glob {
            return Err(self.refused(
                i,
                format!("`import {pattern}`: no key of this ConfigMap has that name (File to import not found)"),
            ));
        }
        Ok(matched
            .into_iter()
            .flat_map(|f| lex(self.files[f].1, f))
            .collect())
    }

    /// `directives()`: directives from token `i` until a `}` at a directive's place or the end.
    /// Returns the index after the `}` (or the length) and whether a `}` ended it.
    fn directives(&mut self, mut i: usize, block: &mut Block) -> Result<(usize, bool), ParseError> {
        while i < self.toks.len() {
            match self.toks[i].text.as_str() {
                "}" => return Ok((i + 1, true)),
                "import" => self.import(i)?,
                _ => i = self.directive(i, block)?,
            }
        }
        Ok((i, false))
    }

    /// `directive()`: the directive at `i` with its arguments and blocks; returns the next index.
    fn directive(&mut self, i: usize, block: &mut Block) -> Result<usize, ParseError> {
        let name = self.toks[i].clone();
        let mut rest = Vec::new();
        let mut nesting = 0usize;
        let mut j = i + 1;
        while j < self.toks.len() {
            let text = self.toks[j].text.as_str();
            if text == "{" {
                nesting += 1;
            } else if self.new_line(j) && nesting == 0 {
                break;
            } else if text == "}" && nesting > 0 {
                nesting -= 1;
            } else if text == "}" {
                return Err(self.refused(j, "unexpected `}` without a matching `{`"));
            } else if text == "import" && self.new_line(j) {
                self.import(j)?;
                continue;
            }
            rest.push(self.toks[j].clone());
            j += 1;
        }
        if nesting > 0 {
            return Err(self.refused(j, "a `{` is never closed"));
        }
        block.directives.push((name, rest));
        Ok(j)
    }

    /// `parseAll()` over the `*.server` stream: server blocks and snippet definitions.
    fn server_blocks(&mut self) -> Result<Vec<Block>, ParseError> {
        let mut blocks = Vec::new();
        let mut i = 0;
        while i < self.toks.len() {
            let mut block = Block {
                file: self.toks[i].file,
                ..Block::default()
            };
            let mut expecting = false;
            let mut eof = false;
            loop {
                let text = self.toks[i].text.clone();
                if text == "import" && self.new_line(i) {
                    self.import(i)?;
                    if i >= self.toks.len() {
                        eof = true;
                        break;
                    }
                    continue;
                }
                if text == "{" {
                    if expecting {
                        return Err(self.refused(i, "a server key list ends with `,`"));
                    }
                    break;
                }
                if !text.is_empty() {
                    expecting = text.ends_with(',');
                    block
                        .keys
                        .push(text.strip_suffix(',').unwrap_or(&text).to_string());
                }
                i += 1;
                if i >= self.toks.len() {
                    if expecting {
                        return Err(self.refused(i, "the file ends after a `,`"));
                    }
                    eof = true;
                    break;
                }
                if !expecting && self.new_line(i) {
                    break;
                }
            }
            if eof {
                if !block.keys.is_empty() {
                    blocks.push(block);
                }
                break;
            }
            if let [key] = block.keys.as_slice()
                && key.len() > 1
                && key.starts_with('(')
                && key.ends_with(')')
            {
                let name = key[1..key.len() - 1].to_string();
                i = self.snippet(i, name)?;
                continue;
            }
            let braced = self.toks[i].text == "{";
            let (next, closed) = self.directives(if braced { i + 1 } else { i }, &mut block)?;
            // `closeCurlyBrace` looks at the last token read: at the end of the input that is
            // the last token, which closes the block if it is a `}`.
            if braced && !closed && self.toks.last().is_none_or(|t| t.text != "}") {
                return Err(self.refused(next, "a server block's `{` is never closed"));
            }
            i = next;
            blocks.push(block);
        }
        Ok(blocks)
    }

    /// A snippet definition `(name) { … }` starting at `i` (the `{`); returns the index after it.
    fn snippet(&mut self, i: usize, name: String) -> Result<usize, ParseError> {
        if self.toks[i].text != "{" {
            return Err(self.refused(i, format!("snippet ({name}) without `{{`")));
        }
        if self.snippets.contains_key(&name) {
            return Err(self.refused(i, format!("snippet ({name}) declared twice")));
        }
        let mut depth = 1usize;
        let mut j = i + 1;
        let mut body = Vec::new();
        while j < self.toks.len() {
            match self.toks[j].text.as_str() {
                "}" => depth -= 1,
                "{" => depth += 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            body.push(self.toks[j].clone());
            j += 1;
        }
        if depth != 0 {
            return Err(self.refused(j, format!("snippet ({name}) is never closed")));
        }
        self.snippets.insert(name, body);
        Ok(j + 1)
    }
}

fn same_line(toks: &[Token], i: usize) -> bool {
    match (toks.get(i), toks.get(i + 1)) {
        (Some(a), Some(b)) => a.file == b.file && a.line + line_breaks(a) == b.line,
        _ => false,
    }
}

/// Go `filepath.Match` for patterns of literal characters, at most one `*`, and `?` (names hold
/// no `/`). Iterative: a pattern is a token of any length.
fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let fits = |p: &[char], n: &[char]| {
        p.len() == n.len() && p.iter().zip(n).all(|(a, b)| *a == '?' || a == b)
    };
    match p.iter().position(|c| *c == '*') {
        None => fits(&p, &n),
        Some(k) => {
            let (pre, suf) = (&p[..k], &p[k + 1..]);
            !suf.contains(&'*')
                && n.len() >= pre.len() + suf.len()
                && fits(pre, &n[..pre.len()])
                && fits(suf, &n[n.len() - suf.len()..])
        }
    }
}

/// Whether a glob could match the entries the kubelet keeps in a ConfigMap volume: `..data` and
/// `..<timestamp>` (`..2006_01_02_15_04_05.<digits>`), which are directories CoreDNS refuses to
/// import.
fn could_match_volume_entries(pattern: &str) -> bool {
    glob_match(pattern, "..data")
        || (pattern.starts_with(['.', '*', '?'])
            && pattern
                .chars()
                .all(|c| matches!(c, '*' | '?' | '.' | '_') || c.is_ascii_digit()))
}

/// Parses the ConfigMap's `data` the way CoreDNS loads it through AKS's Corefile.
///
/// # Errors
/// When CoreDNS would refuse it, or what it loads depends on something the module cannot see.
pub fn parse(data: &BTreeMap<String, String>) -> Result<Corefile, ParseError> {
    let files: Vec<(&str, &str)> = data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let stream = |suffix: &str| -> Vec<Token> {
        files
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| k.ends_with(suffix))
            .flat_map(|(f, (_, text))| lex(text, f))
            .collect()
    };
    let mut p = Parser {
        files: &files,
        toks: stream(".override"),
        snippets: BTreeMap::new(),
        imports: 0,
    };
    let mut default = Block::default();
    if p.toks.len() > MAX_TOKENS {
        return Err(p.unknown(0, format!("more than {MAX_TOKENS} tokens")));
    }
    let (end, closed) = p.directives(0, &mut default)?;
    if closed {
        return Err(p.refused(
            end - 1,
            "a `}` closes CoreDNS's default server block `.:53` early, so what follows is not part of it",
        ));
    }
    p.toks = stream(".server");
    if p.toks.len() > MAX_TOKENS {
        return Err(p.unknown(0, format!("more than {MAX_TOKENS} tokens")));
    }
    let servers = p.server_blocks()?;
    Ok(Corefile {
        keys: files.iter().map(|f| f.0.to_string()).collect(),
        default,
        servers,
    })
}

/// A response class of the CoreDNS `log` plugin (`plugin/pkg/response/classify.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Every response.
    All,
    /// NOERROR with data, and delegations.
    Success,
    /// NXDOMAIN and NODATA.
    Denial,
    /// Everything else (SERVFAIL, REFUSED, NOTIMP, FORMERR, …).
    Error,
}

impl Class {
    fn parse(s: &str) -> Option<Class> {
        Some(match s {
            "all" => Class::All,
            "success" => Class::Success,
            "denial" => Class::Denial,
            "error" => Class::Error,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Class::All => "all",
            Class::Success => "success",
            Class::Denial => "denial",
            Class::Error => "error",
        }
    }
}

/// One rule of the `log` plugin: names it matches, classes it logs, the entry's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRule {
    /// The name scope, fully qualified (`dns.Fqdn`), as written.
    pub scope: String,
    /// The classes logged (never empty; `All` when no `class` was given).
    pub classes: Vec<Class>,
    /// The entry format.
    pub format: String,
    /// The ConfigMap key of the `log` directive.
    pub file: usize,
}

impl LogRule {
    /// Whether every response it sees is logged: `all`, or `success`, `denial` and `error`
    /// together (`Classify` puts every response in one of the three).
    pub fn logs_every_class(&self) -> bool {
        self.classes.contains(&Class::All)
            || [Class::Success, Class::Denial, Class::Error]
                .iter()
                .all(|c| self.classes.contains(c))
    }

    /// The classes, for messages.
    pub fn class_list(&self) -> String {
        self.classes
            .iter()
            .map(|c| format!("`{}`", c.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The Common Log Format the plugin writes by default (`{common}`).
const COMMON_FORMAT: &str = r#"{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}"#;

/// A port of the caddy `Dispenser` calls `logParse` makes, over one directive's tokens.
struct Dispenser<'a> {
    toks: &'a [Token],
    cursor: isize,
    nesting: usize,
}

impl Dispenser<'_> {
    fn next(&mut self) -> bool {
        if self.cursor < self.toks.len() as isize - 1 {
            self.cursor += 1;
            true
        } else {
            false
        }
    }

    fn val(&self) -> &str {
        usize::try_from(self.cursor)
            .ok()
            .and_then(|c| self.toks.get(c))
            .map_or("", |t| t.text.as_str())
    }

    fn next_arg(&mut self) -> bool {
        if self.cursor < 0 {
            self.cursor += 1;
            return true;
        }
        if same_line(self.toks, self.cursor as usize) {
            self.cursor += 1;
            return true;
        }
        false
    }

    fn remaining_args(&mut self) -> Vec<String> {
        let mut args = Vec::new();
        while self.next_arg() {
            if self.val() == "{" {
                self.cursor -= 1;
                break;
            }
            args.push(self.val().to_string());
        }
        args
    }

    fn next_block(&mut self) -> bool {
        if self.nesting > 0 {
            if !self.next() {
                return false;
            }
            if self.val() == "}" {
                self.nesting -= 1;
                return false;
            }
            return true;
        }
        if !self.next_arg() {
            return false;
        }
        if self.val() != "{" {
            self.cursor -= 1;
            return false;
        }
        self.next();
        if self.val() == "}" {
            return false;
        }
        self.nesting += 1;
        true
    }
}

/// Go `time.ParseDuration` acceptance: `0`, or signed decimals each with a unit.
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (int, after) = rest.split_at(digits);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.len() - a.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                (n, &a[n..])
            }
            None => (0, after),
        };
        if int.is_empty() && frac == 0 {
            return false;
        }
        let unit = after
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(after.len(), |(i, _)| i);
        if !matches!(
            &after[..unit],
            "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h"
        ) {
            return false;
        }
        rest = &after[unit..];
    }
    true
}

/// `logParse` of the CoreDNS `log` plugin over all `log` tokens of one server block.
///
/// # Errors
/// The reason CoreDNS refuses the configuration.
pub fn log_rules(toks: &[Token]) -> Result<Vec<LogRule>, String> {
    let mut d = Dispenser {
        toks,
        cursor: -1,
        nesting: 0,
    };
    let mut rules: Vec<LogRule> = Vec::new();
    while d.next() {
        let file = d.toks[d.cursor as usize].file;
        let mut args = d.remaining_args();
        let first = rules.len();
        let rule = |scope: &str, format: &str| LogRule {
            scope: fqdn(scope),
            classes: Vec::new(),
            format: format.to_string(),
            file,
        };
        match args.len() {
            0 => rules.push(rule(".", COMMON_FORMAT)),
            1 => rules.push(rule(&args[0], COMMON_FORMAT)),
            _ => {
                let mut format = COMMON_FORMAT.to_string();
                if let Some(last) = args.last().filter(|a| a.contains('{')) {
                    format = match last.as_str() {
                        "{common}" => COMMON_FORMAT.to_string(),
                        "{combined}" => format!("{COMMON_FORMAT} \"{{>opcode}}\""),
                        other => other.to_string(),
                    };
                    args.pop();
                }
                rules.extend(args.iter().map(|a| rule(a, &format)));
            }
        }
        let mut classes = Vec::new();
        while d.next_block() {
            match d.val() {
                "class" => {
                    let names = d.remaining_args();
                    if names.is_empty() {
                        return Err("`class` without a class".into());
                    }
                    for n in names {
                        let c = Class::parse(&n).ok_or(format!("invalid Class: {n}"))?;
                        if !classes.contains(&c) {
                            classes.push(c);
                        }
                    }
                }
                "minDuration" => {
                    let a = d.remaining_args();
                    if a.len() > 1 || a.first().is_some_and(|x| !is_go_duration(x)) {
                        return Err(format!("illegal minDuration {}", a.join(" ")));
                    }
                }
                other => return Err(format!("unknown property `{other}` in a `log` block")),
            }
        }
        if classes.is_empty() {
            classes.push(Class::All);
        }
        classes.sort();
        for r in &mut rules[first..] {
            r.classes.clone_from(&classes);
        }
    }
    Ok(rules)
}

/// `dns.Fqdn`, lower-cased (`plugin.Name.Matches` compares case-insensitively).
fn fqdn(s: &str) -> String {
    let s = s.to_ascii_lowercase();
    if s.ends_with('.') { s } else { format!("{s}.") }
}

/// Whether `name` is `zone` or below it (both fully qualified, lower case).
fn is_sub(name: &str, zone: &str) -> bool {
    zone == "." || name == zone || name.ends_with(&format!(".{zone}"))
}

/// The zone a server key serves (`[scheme://]zone[:port]`), or `None` when it is built from the
/// environment or is a reverse-zone CIDR the module does not expand.
pub fn key_zone(key: &str) -> Option<String> {
    if has_env_placeholder(key) {
        return None;
    }
    let host = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    if host.contains(['/', '[', ']', ':']) {
        return None;
    }
    Some(fqdn(host))
}

/// Whether the `log` rules of a block log every query its zones receive: `Ok`, or what they
/// miss. The first rule whose scope matches a name handles it (`Logger.ServeDNS`).
///
/// # Errors
/// What is not logged.
pub fn logs_every_query(
    rules: &[LogRule],
    zones: &[Option<String>],
    keys: &[String],
) -> Result<(), String> {
    let covers = |scope: &str, zone: &Option<String>| {
        scope == "." || zone.as_deref().is_some_and(|z| is_sub(z, scope))
    };
    let overlaps = |scope: &str, zone: &Option<String>| {
        zone.as_deref()
            .is_none_or(|z| is_sub(z, scope) || is_sub(scope, z))
    };
    let key = |r: &LogRule| keys.get(r.file).map_or("", String::as_str).to_string();
    for r in rules {
        if !zones.iter().any(|z| overlaps(&r.scope, z)) {
            continue;
        }
        if !r.format.contains("{name}") {
            return Err(format!(
                "`log` in `{}` writes entries in the format `{}`, which has no `{{name}}`: the log does not say which name was queried",
                key(r),
                r.format
            ));
        }
        if !r.logs_every_class() {
            return Err(format!(
                "the first `log` rule for names under `{}` (in `{}`) logs only responses of class {}; every query needs `class all` or no class filter",
                r.scope,
                key(r),
                r.class_list()
            ));
        }
        if zones.iter().all(|z| covers(&r.scope, z)) {
            return Ok(());
        }
    }
    let scopes: Vec<String> = rules.iter().map(|r| format!("`{}`", r.scope)).collect();
    Err(format!(
        "`log` logs only names under {}, not every name the block serves",
        scopes.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &[Token]) -> Vec<&str> {
        t.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn the_lexer_reads_as_coredns_does() {
        let t = lex("\u{feff}log . {\r\n  class \"den\\\"ial\" error# c\n}\n", 0);
        assert_eq!(
            texts(&t),
            ["log", ".", "{", "class", "den\"ial", "error", "}"]
        );
        assert_eq!(t[3].line, 2);
        assert_eq!(
            texts(&lex("lo\rg # log\n\"lo\"g `x y` a\\b \"a\\b\"", 0)),
            ["log", "lo", "g", "`x", "y`", "a\\b", "a\\b"]
        );
        assert_eq!(
            texts(&lex("log#x\n\"\" \"{\" \"open", 0)),
            ["log", "", "{", "open"]
        );
        assert_eq!(texts(&lex("a\u{a0}b\u{2003}c", 0)), ["a", "b", "c"]);
        let multi = lex("x \"a\nb\" c\nd", 0);
        assert_eq!((multi[1].line, multi[2].line, multi[3].line), (1, 2, 3));
        assert!(same_line(&multi, 1));
    }

    #[test]
    fn env_placeholders_are_found_as_coredns_replaces_them() {
        assert!(has_env_placeholder("{$LOG}"));
        assert!(has_env_placeholder("x{%A%}y"));
        assert!(!has_env_placeholder("{$}"));
        assert!(!has_env_placeholder("{env.LOG}"));
        assert!(!has_env_placeholder("{name}"));
    }

    fn data(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn names(b: &Block) -> Vec<&str> {
        b.directives.iter().map(|(d, _)| d.text.as_str()).collect()
    }

    #[test]
    fn overrides_are_directives_of_the_default_block() {
        let c = parse(&data(&[
            ("a.override", "log . {\n"),
            (
                "b.override",
                "class error\n}\nforward . 10.0.0.10 {\n  except log.example.com\n  log\n}\n",
            ),
            (
                "x.server",
                "contoso.internal:53 example.org {\n  errors\n}\n(s) {\n log\n}\nz.org\nimport s\n",
            ),
        ]))
        .unwrap();
        assert_eq!(names(&c.default), ["log", "forward"]);
        assert_eq!(
            texts(&c.default.tokens_of("log")),
            ["log", ".", "{", "class", "error", "}"]
        );
        assert_eq!(c.servers.len(), 2);
        assert_eq!(c.servers[0].keys, ["contoso.internal:53", "example.org"]);
        assert_eq!(names(&c.servers[1]), ["log"]);
    }

    #[test]
    fn structure_errors_and_unknowns() {
        let refused =
            |kv: &[(&str, &str)]| matches!(parse(&data(kv)), Err(ParseError::Refused { .. }));
        let unknown =
            |kv: &[(&str, &str)]| matches!(parse(&data(kv)), Err(ParseError::Unknown { .. }));
        assert!(refused(&[("a.override", "}\nexample.org {\nlog\n")]));
        assert!(refused(&[("a.override", "log . {\n")]));
        assert!(refused(&[("a.override", "log . } x")]));
        assert!(refused(&[("a.override", "import missing.conf")]));
        assert!(unknown(&[("a.override", "import ../Corefile")]));
        assert!(unknown(&[("a.override", "import {$X}")]));
        assert!(unknown(&[("a.override", "import *")]));
        assert!(unknown(&[("a.override", "import a.override")]));
        assert!(parse(&data(&[("a.override", "import *.conf"), ("l.conf", "log")])).is_ok());
        assert!(parse(&data(&[("a.override", "import nothing*.conf")])).is_ok());
    }

    #[test]
    fn log_rules_follow_log_parse() {
        let rules = |s: &str| log_rules(&lex(s, 0));
        let r = rules("log\nlog example.org {\n class denial\n class error\n}\n").unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].logs_every_class() && r[0].scope == ".");
        assert_eq!(
            (r[1].scope.as_str(), r[1].logs_every_class()),
            ("example.org.", false)
        );
        assert!(rules("log . {\n class success denial error\n}").unwrap()[0].logs_every_class());
        // One-line blocks: `}` is read as a class (CoreDNS refuses it).
        assert!(rules("log . { class success denial error }").is_err());
        assert!(
            rules("log . {\n class all error\n minDuration 1.5s\n}").unwrap()[0].logs_every_class()
        );
        assert!(rules("log . {\n class nothing\n}").is_err());
        assert!(rules("log . {\n minDuration soon\n}").is_err());
        assert!(rules("log . {\n colour blue\n}").is_err());
        let f = rules("log . a.org {combined}").unwrap();
        assert_eq!((f.len(), f[1].scope.as_str()), (2, "a.org."));
        assert!(f[0].format.contains("{>opcode}"));
        assert_eq!(rules("log {combined}").unwrap()[0].scope, "{combined}.");
        assert_eq!(rules("log . \"{>id}\"").unwrap()[0].format, "{>id}");
    }

    #[test]
    fn coverage_of_zones() {
        let keys = vec!["k".to_string()];
        let root = [Some(".".to_string())];
        let rules = |s: &str| log_rules(&lex(s, 0)).unwrap();
        assert!(logs_every_query(&rules("log"), &root, &keys).is_ok());
        assert!(
            logs_every_query(&rules("log a.org {\n class error\n}\nlog"), &root, &keys).is_err()
        );
        assert!(logs_every_query(&rules("log a.org\nlog"), &root, &keys).is_ok());
        assert!(logs_every_query(&rules("log a.org"), &root, &keys).is_err());
        assert!(logs_every_query(&rules("log . \"{>id}\""), &root, &keys).is_err());
        let zone = [key_zone("dns://A.org:53")];
        assert_eq!(zone[0].as_deref(), Some("a.org."));
        assert!(logs_every_query(&rules("log a.org"), &zone, &keys).is_ok());
        assert!(
            logs_every_query(&rules("log b.org {\n class error\n}\nlog"), &zone, &keys).is_ok()
        );
        assert!(
            logs_every_query(&rules("log x.a.org {\n class error\n}\nlog"), &zone, &keys).is_err()
        );
        assert!(logs_every_query(&rules("log a.org"), &[key_zone("{$Z}")], &keys).is_err());
        assert!(is_go_duration("1h2m0.5s") && is_go_duration("0") && !is_go_duration("1"));
        assert!(glob_match("*.conf", "a.conf") && !glob_match("*.conf", "a.confx"));
        assert!(glob_match("a?.c*", "ab.conf") && !glob_match("a?.c*", "a.conf"));
        assert!(glob_match("x", "x") && !glob_match("*xx", "x") && glob_match("*", ""));
        assert!(could_match_volume_entries("*") && !could_match_volume_entries("*.conf"));
    }
}
