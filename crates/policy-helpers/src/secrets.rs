//! Secret detectors: does a literal (an env value, a ConfigMap entry, an argument) carry
//! credential material, and is a name (a variable, a key) one that holds credentials?
//!
//! One component serves every policy that looks for secrets in plain sight
//! (`no-secrets-in-env`, `no-secrets-in-configmaps`). It is hand-written scanning over bytes:
//! no regular-expression engine, linear in the value's length, no allocation for most values.
//!
//! Value detectors, tried in this order (the first that fires names the finding):
//!
//! | id | fires on |
//! |---|---|
//! | `pem-private-key` | a PEM `-----BEGIN … PRIVATE KEY-----` block (RSA, EC, DSA, OPENSSH, PKCS#8, encrypted, PGP), also base64-encoded, and a base64 DER private key |
//! | `jwt` | a JSON Web Token: `eyJ…` header, three (JWS) or five (JWE) base64url segments, a header that decodes to JSON |
//! | `azure-account-key` | `AccountKey=` / `SharedAccessKey=` with a value (storage, Service Bus, Event Hubs, IoT Hub connection strings) |
//! | `azure-sas` | `SharedAccessSignature=` with a value, or a URL query carrying a SAS (`sv=` and `sig=`) |
//! | `connection-string-password` | `Password=` / `Pwd=` in a connection string, or `scheme://user:password@host` |
//! | `cloud-access-key` | the fixed shapes of cloud and SaaS keys: AWS access key ids, Google API keys, GitHub, GitLab, Slack, Stripe and npm tokens, Entra ID client secrets |
//! | `sensitive-assignment` | a line `name = value` / `name: value` / `--name=value` whose name is sensitive, with a literal value |
//! | `value-pattern` | an operator-supplied glob over the whole value |
//! | `high-entropy` | a token of 20+ characters mixing letters and digits whose Shannon entropy reaches the threshold |
//!
//! Public material is never a finding: PEM certificates, public keys and certificate requests
//! (also base64-encoded, and DER certificates) are skipped before the entropy scan, and so are
//! hexadecimal tokens (digests, commit ids, UUIDs, object ids) and `sha256-…` integrity hashes.
//!
//! Entropy is measured in bits per character over the token's own symbols. Random base64 of 32
//! characters scores about 4.6, of 40 about 4.9; identifiers and words stay below 4.2. Hex has
//! at most 4 bits per character, which is why hex tokens are left to the other detectors.
//!
//! Names are matched case-insensitively after normalisation: `db-password`, `db.password`,
//! `dbPassword` and `DB_PASSWORD` all read as `DB_PASSWORD`.
//!
//! Nothing here ever returns or formats the value itself: [`mask`] describes it by length only.

use crate::glob::Glob;
use crate::json::Decimal;
use crate::prelude::*;

/// Default entropy threshold, in bits per character.
pub const DEFAULT_ENTROPY_THRESHOLD: f64 = 4.5;

/// Lowest and highest accepted entropy thresholds (0 turns the detector off).
pub const ENTROPY_RANGE: (f64, f64) = (3.0, 6.0);

/// Shortest token the entropy detector considers.
pub const MIN_ENTROPY_LEN: usize = 20;

/// Names that hold credentials by default (matched on the normalised name).
pub const DEFAULT_SENSITIVE_NAMES: &[&str] = &[
    "*PASSWORD*",
    "*PASSWD*",
    "*SECRET*",
    "*TOKEN*",
    "*_KEY",
    "*APIKEY*",
    "*API_KEY*",
    "*ACCESS_KEY*",
    "*PRIVATE_KEY*",
    "*CREDENTIAL*",
    "*CONNECTION_STRING*",
    "AZURE_CLIENT_SECRET",
];

/// Names that look sensitive but name a reference, a location or a kind, not a credential
/// (matched on the normalised name).
pub const DEFAULT_ALLOWED_NAMES: &[&str] = &[
    "*_FILE",
    "*_PATH",
    "*_DIR",
    "*_NAME",
    "*_REF",
    "*_TYPE",
    "*_HEADER",
    "*_ENDPOINT",
    "*PUBLIC_KEY*",
    "*_KEY_ID",
    "*INSTRUMENTATION_KEY",
];

/// What fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    /// A PEM or DER private key.
    PemPrivateKey,
    /// A JSON Web Token.
    Jwt,
    /// An Azure account or shared-access key in a connection string.
    AzureAccountKey,
    /// An Azure shared access signature.
    AzureSas,
    /// A password in a connection string or URL.
    ConnectionStringPassword,
    /// A cloud or SaaS access key of a known shape.
    CloudAccessKey,
    /// A sensitive name assigned a literal inside the value.
    SensitiveAssignment,
    /// An operator-supplied value pattern.
    ValuePattern,
    /// A high-entropy token.
    HighEntropy,
    /// A sensitive name carrying a literal (the name, not the value, fired).
    SensitiveName,
}

impl Detector {
    /// The detector's id, as messages and READMEs name it.
    pub fn id(self) -> &'static str {
        match self {
            Detector::PemPrivateKey => "pem-private-key",
            Detector::Jwt => "jwt",
            Detector::AzureAccountKey => "azure-account-key",
            Detector::AzureSas => "azure-sas",
            Detector::ConnectionStringPassword => "connection-string-password",
            Detector::CloudAccessKey => "cloud-access-key",
            Detector::SensitiveAssignment => "sensitive-assignment",
            Detector::ValuePattern => "value-pattern",
            Detector::HighEntropy => "high-entropy",
            Detector::SensitiveName => "sensitive-name",
        }
    }
}

/// Describes a value without revealing any of it.
pub fn mask(value: &str) -> String {
    format!("value masked, {} characters", value.chars().count())
}

/// The normalised form names are matched in: upper case, `-`, `.`, `/` and spaces as `_`, and
/// a `_` at each lower-to-upper (camelCase) boundary.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        match c {
            '-' | '.' | '/' | ' ' => out.push('_'),
            c => out.push(c.to_ascii_uppercase()),
        }
    }
    out
}

fn compile_names(key: &str, list: &[String]) -> Result<Vec<Glob>, String> {
    list.iter()
        .enumerate()
        .map(|(i, p)| Glob::new(&normalise_name(p)).map_err(|e| format!("{key}[{i}]: {e}")))
        .collect()
}

/// Which names hold credentials: denied patterns minus allowed ones, both globs matched on the
/// normalised name.
#[derive(Debug, Clone, Default)]
pub struct NameRules {
    denied: Vec<Glob>,
    allowed: Vec<Glob>,
    /// The fewest literal characters a denied pattern needs: shorter names cannot match.
    min_len: usize,
}

impl NameRules {
    /// Compiles the two lists; `denied_key` and `allowed_key` name the settings keys in errors.
    ///
    /// # Errors
    /// A message naming the offending entry, e.g. `deniedNamePatterns[2]: empty pattern`.
    pub fn new(
        denied_key: &str,
        denied: &[String],
        allowed_key: &str,
        allowed: &[String],
    ) -> Result<NameRules, String> {
        let denied = compile_names(denied_key, denied)?;
        let min_len = denied
            .iter()
            .map(|g| g.as_str().bytes().filter(|c| *c != b'*').count())
            .min()
            .unwrap_or(0);
        Ok(NameRules {
            denied,
            allowed: compile_names(allowed_key, allowed)?,
            min_len,
        })
    }

    /// The denied pattern a name matches, unless an allowed pattern matches it too.
    pub fn sensitive(&self, name: &str) -> Option<&str> {
        let name = name.trim_start_matches('-');
        if name.len() < self.min_len || self.denied.is_empty() {
            return None;
        }
        let n = normalise_name(name);
        let hit = self.denied.iter().find(|g| g.matches(&n))?;
        if self.allowed.iter().any(|g| g.matches(&n)) {
            return None;
        }
        Some(hit.as_str())
    }
}

/// The default lists as owned strings (for settings defaults).
pub fn defaults(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// Whether a literal could be a credential, for the name-based rule: not empty, not a
/// placeholder or a `$(VAR)` reference, not a boolean or an integer, not an absolute path,
/// not a URL without credentials.
pub fn could_be_credential(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || is_placeholder(v) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none" | "enabled" | "disabled"
    ) {
        return false;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if v.starts_with('/') && !v.contains(char::is_whitespace) {
        return false;
    }
    if let Some(i) = v.find("://") {
        return url_password(v, i).is_some() || has_sas_query(v);
    }
    true
}

/// Placeholders and references that are not literals: `$(VAR)`, `${VAR}`, `{{ .x }}`,
/// `<password>`, `#{x}#`, `%VAR%`, and masks such as `****` or `xxxx`.
pub fn is_placeholder(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return true;
    }
    let b = v.as_bytes();
    (v.starts_with("$(") && v.ends_with(')'))
        || (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with("{{") && v.ends_with("}}"))
        || (v.starts_with("#{") && v.ends_with('}'))
        || (b[0] == b'<' && b[b.len() - 1] == b'>')
        || (b.len() > 2 && b[0] == b'%' && b[b.len() - 1] == b'%')
        || b.iter().all(|c| *c == b'*')
        || b.iter().all(|c| *c == b'x' || *c == b'X')
}

/// Settings of a scan.
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    /// Bits per character at or above which a token is a secret; `None` turns it off.
    pub entropy_threshold: Option<f64>,
    /// Names whose assignment inside a value is a finding (`sensitive-assignment`).
    pub names: NameRules,
    /// Whether to look for `name = value` assignments inside values.
    pub assignments: bool,
    /// Extra globs over the whole value (`*` crosses everything).
    pub value_patterns: Vec<Glob>,
}

/// Compiles value patterns: globs over the whole value in which every `*` matches any run.
///
/// # Errors
/// A message naming the offending entry.
pub fn compile_value_patterns(key: &str, list: &[String]) -> Result<Vec<Glob>, String> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let mut norm = String::with_capacity(p.len() + 4);
            let mut stars = false;
            for c in p.chars() {
                if c == '*' {
                    if !stars {
                        norm.push_str("**");
                    }
                    stars = true;
                } else {
                    stars = false;
                    norm.push(c);
                }
            }
            if norm == "**" {
                return Err(format!("{key}[{i}]: {p:?} matches every value"));
            }
            Glob::new(&norm).map_err(|e| format!("{key}[{i}]: {e}"))
        })
        .collect()
}

/// Checks an entropy threshold setting.
///
/// # Errors
/// A message naming `key` when it is neither 0 nor within [`ENTROPY_RANGE`].
pub fn entropy_setting(key: &str, t: f64) -> Result<Option<f64>, String> {
    if t == 0.0 {
        return Ok(None);
    }
    if !t.is_finite() || t < ENTROPY_RANGE.0 || t > ENTROPY_RANGE.1 {
        return Err(format!(
            "{key}: {} is out of range; use 0 (off) or bits per character between {} and {}",
            Decimal(t),
            Decimal(ENTROPY_RANGE.0),
            Decimal(ENTROPY_RANGE.1)
        ));
    }
    Ok(Some(t))
}

impl Scanner {
    /// The first detector that fires on `value`, if any.
    pub fn scan(&self, value: &str) -> Option<Detector> {
        if value.len() < 8 {
            return None;
        }
        let (private, public_spans) = pem_blocks(value);
        if private {
            return Some(Detector::PemPrivateKey);
        }
        if has_jwt(value) {
            return Some(Detector::Jwt);
        }
        if has_key_value(value, &["accountkey", "sharedaccesskey"]) {
            return Some(Detector::AzureAccountKey);
        }
        if has_key_value(value, &["sharedaccesssignature"]) || has_sas_query(value) {
            return Some(Detector::AzureSas);
        }
        if has_key_value(value, &["password", "pwd"]) || has_url_password(value) {
            return Some(Detector::ConnectionStringPassword);
        }
        // Key shapes are looked for in public blocks too: they are exact (a PEM body of 64-column
        // base64 lines cannot hold one by chance), so a key pasted into a certificate is found.
        if Words::new(value, &[]).any(is_cloud_key) {
            return Some(Detector::CloudAccessKey);
        }
        if self.assignments && has_sensitive_assignment(value, &self.names) {
            return Some(Detector::SensitiveAssignment);
        }
        if self.value_patterns.iter().any(|g| g.matches(value)) {
            return Some(Detector::ValuePattern);
        }
        for w in Words::new(value, &public_spans) {
            match classify_blob(w) {
                Blob::PrivateKey => return Some(Detector::PemPrivateKey),
                Blob::Public => continue,
                Blob::Other => {}
            }
            if let Some(t) = self.entropy_threshold
                && high_entropy_word(w, t)
            {
                return Some(Detector::HighEntropy);
            }
        }
        None
    }
}

// ---- PEM -------------------------------------------------------------------------------------

/// Whether `text` holds a PEM private-key block, and the byte spans of public PEM blocks
/// (certificates, public keys, requests, CRLs) to leave out of the entropy scan.
///
/// Only a whole block is a span: a header without its `-----END <label>-----` before the next
/// `-----BEGIN ` hides nothing, so neither an unterminated `BEGIN CERTIFICATE` line nor a
/// private key nested in a public block takes the rest of the value out of the scan. Each
/// stretch of text is searched once, so the cost stays linear.
fn pem_blocks(text: &str) -> (bool, Vec<(usize, usize)>) {
    const BEGIN: &str = "-----BEGIN ";
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(BEGIN) {
        let start = from + i;
        let label_start = start + BEGIN.len();
        let Some(j) = text[label_start..].find("-----") else {
            break;
        };
        let label = &text[label_start..label_start + j];
        if label.contains("PRIVATE KEY") {
            return (true, spans);
        }
        let body = label_start + j + 5;
        from = body;
        let next = text[body..].find(BEGIN).map_or(text.len(), |k| body + k);
        let end_marker = format!("-----END {label}-----");
        if let Some(k) = text[body..next].find(&end_marker) {
            let end = body + k + end_marker.len();
            spans.push((start, end));
            from = end;
        }
    }
    (false, spans)
}

// ---- base64 ----------------------------------------------------------------------------------

fn b64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

/// Decodes standard or URL-safe base64 (padding optional, whitespace ignored); `None` when
/// the text is not base64.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let trimmed = compact.trim_end_matches('=');
    if trimmed.contains('=') {
        return None;
    }
    b64_decode_prefix(trimmed, usize::MAX)
}

/// Decodes up to `max` bytes of standard or URL-safe base64 (padding optional).
fn b64_decode_prefix(s: &str, max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(max.min(s.len()));
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in s.as_bytes() {
        if c == b'=' {
            break;
        }
        acc = (acc << 6) | u32::from(b64_value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            if out.len() >= max {
                break;
            }
        }
    }
    Some(out)
}

enum Blob {
    PrivateKey,
    Public,
    Other,
}

/// A long base64 word that decodes to PEM or DER: private key or public material.
fn classify_blob(w: &str) -> Blob {
    if w.len() < 40 {
        return Blob::Other;
    }
    let Some(head) = b64_decode_prefix(w, 48) else {
        return Blob::Other;
    };
    if head.starts_with(b"-----BEGIN ") {
        let label = &head[11..];
        return if label.windows(11).any(|x| x == b"PRIVATE KEY") {
            Blob::PrivateKey
        } else {
            Blob::Public
        };
    }
    // DER: SEQUENCE with a long-form length, then either INTEGER 0 (PKCS#1/#8 private key)
    // or another SEQUENCE (certificate, public key info).
    if head.len() >= 7 && head[0] == 0x30 && (head[1] == 0x82 || head[1] == 0x81) {
        let body = if head[1] == 0x82 { 4 } else { 3 };
        if head[body..].starts_with(&[0x02, 0x01, 0x00]) {
            return Blob::PrivateKey;
        }
        if head[body] == 0x30 {
            return Blob::Public;
        }
    }
    Blob::Other
}

// ---- JWT -------------------------------------------------------------------------------------

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

fn has_jwt(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("eyJ") {
        let start = from + i;
        from = start + 3;
        if start > 0 && is_b64url(b[start - 1]) {
            continue;
        }
        let mut end = start;
        while end < b.len() && (is_b64url(b[end]) || b[end] == b'.') {
            end += 1;
        }
        from = from.max(end);
        let token = &text[start..end];
        let segments: Vec<&str> = token.split('.').collect();
        let shape = match segments.len() {
            3 => segments[0].len() >= 10 && segments[1].len() >= 2,
            5 => segments[0].len() >= 10,
            _ => false,
        };
        if !shape {
            continue;
        }
        if let Some(h) = b64_decode_prefix(segments[0], 64)
            && h.starts_with(b"{\"")
            && (h.windows(5).any(|x| x == b"\"alg\"") || h.windows(5).any(|x| x == b"\"typ\""))
        {
            return true;
        }
    }
    false
}

// ---- key=value in connection strings ----------------------------------------------------------

/// Whether `text` has `<key>=<literal>` for one of `keys` (ASCII case-insensitive), the key
/// starting the text or following `;`, whitespace, `?`, `&` or a quote.
fn has_key_value(text: &str, keys: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    let b = lower.as_bytes();
    for key in keys {
        let pat = format!("{key}=");
        let mut from = 0;
        while let Some(i) = lower[from..].find(&pat) {
            let at = from + i;
            from = at + pat.len();
            let boundary = at == 0
                || matches!(
                    b[at - 1],
                    b';' | b' ' | b'\t' | b'\n' | b'?' | b'&' | b'"' | b'\''
                );
            if !boundary {
                continue;
            }
            let rest = &text[from..];
            let end = rest.find([';', '\n', '"', '\'', '&']).unwrap_or(rest.len());
            let value = rest[..end].trim();
            if !is_placeholder(value) {
                return true;
            }
            from += end;
        }
    }
    false
}

/// A URL query carrying an Azure SAS: `sig=` with a value, and `sv=` (the service version
/// every SAS has).
fn has_sas_query(text: &str) -> bool {
    let Some(q) = text.find('?') else {
        return false;
    };
    let query = &text[q + 1..];
    let mut sig = false;
    let mut sv = false;
    for pair in query.split(['&', ' ', '\n', '"', '\'']) {
        if let Some((k, v)) = pair.split_once('=') {
            match k {
                "sig" if !v.is_empty() && !is_placeholder(v) => sig = true,
                "sv" if !v.is_empty() => sv = true,
                _ => {}
            }
        }
    }
    sig && sv
}

/// The password of `scheme://user:password@host` at `i` (the `://`), if it is a literal.
fn url_password(text: &str, i: usize) -> Option<&str> {
    let rest = &text[i + 3..];
    let end = rest
        .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"')
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let at = authority.rfind('@')?;
    let (_, password) = authority[..at].split_once(':')?;
    (!is_placeholder(password)).then_some(password)
}

fn has_url_password(text: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text[from..].find("://") {
        let at = from + i;
        if url_password(text, at).is_some() {
            return true;
        }
        from = at + 3;
    }
    false
}

// ---- words and known key shapes ---------------------------------------------------------------

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'_' | b'-' | b'.' | b'~' | b'%')
}

/// The words of a value, outside the skipped spans: runs of base64, base64url and
/// identifier characters, split at `=` (so `key=value` and padding fall apart).
#[derive(Clone)]
struct Words<'a> {
    text: &'a str,
    pos: usize,
    skip: &'a [(usize, usize)],
}

impl<'a> Words<'a> {
    fn new(text: &'a str, skip: &'a [(usize, usize)]) -> Words<'a> {
        Words { text, pos: 0, skip }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let b = self.text.as_bytes();
        loop {
            // Jump over a skipped span the position is in.
            while let Some(&(s, e)) = self.skip.first() {
                if self.pos >= e {
                    self.skip = &self.skip[1..];
                } else {
                    if self.pos >= s {
                        self.pos = e;
                        self.skip = &self.skip[1..];
                    }
                    break;
                }
            }
            let limit = self.skip.first().map_or(b.len(), |(s, _)| *s);
            while self.pos < limit && !is_word_byte(b[self.pos]) {
                self.pos += 1;
            }
            if self.pos >= b.len() {
                return None;
            }
            if self.pos >= limit {
                continue;
            }
            let start = self.pos;
            while self.pos < limit && is_word_byte(b[self.pos]) {
                self.pos += 1;
            }
            let w = self.text[start..self.pos].trim_matches(|c| c == '.' || c == '/');
            if !w.is_empty() {
                return Some(w);
            }
        }
    }
}

fn all_in(s: &[u8], f: impl Fn(u8) -> bool) -> bool {
    s.iter().all(|c| f(*c))
}

fn upper_or_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn secret_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'~')
}

/// A word (or a prefix of it) with the fixed shape of a cloud or SaaS key.
fn is_cloud_key(w: &str) -> bool {
    let b = w.as_bytes();
    // AWS access key ids: a four-letter prefix and 16 upper-case letters or digits.
    const AWS: &[&str] = &[
        "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA",
    ];
    if b.len() == 20 && AWS.iter().any(|p| w.starts_with(p)) && all_in(&b[4..], upper_or_digit) {
        return true;
    }
    // Google API keys.
    if b.len() == 39
        && w.starts_with("AIza")
        && all_in(&b[4..], |c| alnum(c) || c == b'-' || c == b'_')
    {
        return true;
    }
    // GitHub tokens (classic and fine-grained), GitLab, npm, Stripe, Slack.
    for (prefix, min) in [
        ("ghp_", 36),
        ("gho_", 36),
        ("ghu_", 36),
        ("ghs_", 36),
        ("ghr_", 36),
        ("github_pat_", 60),
        ("glpat-", 20),
        ("npm_", 36),
        ("sk_live_", 20),
        ("rk_live_", 20),
        ("xoxb-", 20),
        ("xoxp-", 20),
        ("xoxa-", 20),
        ("xoxs-", 20),
    ] {
        if let Some(rest) = w.strip_prefix(prefix)
            && rest.len() >= min
            && all_in(rest.as_bytes(), |c| alnum(c) || c == b'_' || c == b'-')
        {
            return true;
        }
    }
    // Entra ID (Azure AD) client secrets: three characters, a digit, `Q~`, then 31 to 34.
    if (37..=40).contains(&b.len())
        && b[3].is_ascii_digit()
        && &b[4..6] == b"Q~"
        && all_in(b, secret_char)
    {
        return true;
    }
    false
}

// ---- sensitive assignments ---------------------------------------------------------------------

/// An assignment of a literal to a sensitive name anywhere in the value: `name=value`,
/// `name: value`, `"name": "value"` (also inside one-line JSON), `--name=value`,
/// `export NAME=value`. Lines starting with `#` or `//` are comments.
fn has_sensitive_assignment(text: &str, names: &NameRules) -> bool {
    let b = text.as_bytes();
    let mut comment = line_is_comment(text, 0);
    // The last key that was not sensitive: repeated keys are not matched again.
    let mut plain: &str = "";
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            comment = line_is_comment(text, i + 1);
            continue;
        }
        if comment || (c != b'=' && c != b':') {
            continue;
        }
        let next = &text[i + 1..];
        if (c == b':' && next.starts_with("//")) || (c == b'=' && next.starts_with('=')) {
            continue;
        }
        // The key: back over blanks and a closing quote, then over name characters.
        let mut j = i;
        while j > 0 && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
            j -= 1;
        }
        if j > 0 && (b[j - 1] == b'"' || b[j - 1] == b'\'') {
            j -= 1;
        }
        let key_end = j;
        while j > 0 && (b[j - 1].is_ascii_alphanumeric() || matches!(b[j - 1], b'_' | b'-' | b'.'))
        {
            j -= 1;
        }
        let key = &text[j..key_end];
        if key.is_empty() || key.len() > 128 || key == plain {
            continue;
        }
        if names.sensitive(key).is_none() {
            plain = key;
            continue;
        }
        // The value: quoted, or up to the next separator.
        let v = next.trim_start_matches([' ', '\t']);
        // Placeholders, and nested objects or lists (their own entries are seen on their own).
        if ["${", "$(", "{{", "#{", "{", "["]
            .iter()
            .any(|o| v.starts_with(o))
        {
            continue;
        }
        let value = match v.as_bytes().first() {
            Some(&q) if q == b'"' || q == b'\'' => {
                let inner = &v[1..];
                &inner[..inner.find(q as char).unwrap_or(inner.len())]
            }
            _ => v[..v.find([',', ';', '}', '&', '\n', '\r']).unwrap_or(v.len())].trim(),
        };
        if could_be_credential(value) {
            return true;
        }
    }
    false
}

fn line_is_comment(text: &str, start: usize) -> bool {
    // Only blanks: trimming newlines too would rescan every following empty line.
    let line = text[start..].trim_start_matches([' ', '\t']);
    line.starts_with('#') || line.starts_with("//")
}

// ---- entropy -----------------------------------------------------------------------------------

/// Shannon entropy of `s` in bits per character, over the symbols it uses.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &c in s {
        counts[usize::from(c)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * libm::log2(p)
        })
        .sum()
}

/// Whether a word holds a high-entropy token. A word of the base64 alphabet is measured
/// whole; any other word (paths, URLs, host names) is measured piece by piece between `/`.
fn high_entropy_word(w: &str, threshold: f64) -> bool {
    // Subresource integrity and similar `sha512-<base64>` hashes.
    if let Some(rest) = w.strip_prefix("sha")
        && let Some(d) = rest.find('-')
        && d > 0
        && rest[..d].bytes().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    if all_in(w.as_bytes(), |c| alnum(c) || c == b'+' || c == b'/') {
        return high_entropy_token(w.as_bytes(), threshold);
    }
    w.split('/')
        .any(|piece| high_entropy_token(piece.as_bytes(), threshold))
}

fn high_entropy_token(b: &[u8], threshold: f64) -> bool {
    if b.len() < MIN_ENTROPY_LEN {
        return false;
    }
    // Hex (digests, commit ids, UUIDs, object ids) carries at most 4 bits per character.
    if all_in(b, |c| c.is_ascii_hexdigit() || c == b'-') {
        return false;
    }
    let digits = b.iter().any(u8::is_ascii_digit);
    let letters = b.iter().any(u8::is_ascii_alphabetic);
    if !digits || !letters {
        return false;
    }
    shannon_entropy(b) >= threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> Scanner {
        Scanner {
            entropy_threshold: Some(DEFAULT_ENTROPY_THRESHOLD),
            names: NameRules::new(
                "d",
                &defaults(DEFAULT_SENSITIVE_NAMES),
                "a",
                &defaults(DEFAULT_ALLOWED_NAMES),
            )
            .unwrap(),
            assignments: true,
            value_patterns: Vec::new(),
        }
    }

    fn id(v: &str) -> Option<&'static str> {
        scanner().scan(v).map(Detector::id)
    }

    // A base64 PEM certificate (a CA bundle as Kubernetes objects carry it) and its DER form.
    const CA_B64: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkKZG1WeUxXTmhRREUzTURBd01EQXdNREF3SGhjTk1qUXdNVEF4TURBd01EQXdXaGNOTXpRd01UQXhNREF3TURBdwpXakFqTVNFd0h3WURWUVFEREJock0zTXRjMlZ5ZG1WeUxXTmhRREUzTURBd01EQXdNREF3V1RBVEJnY3Foa2pPClBRSUJCZ2dxaGtqT1BRTUJCd05DQUFTN1hRPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
    const DER_CERT_B64: &str = "MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2VydmVyLWNhQDE3MDAwMDAwMDAwHhcNMjQwMTAxMDAwMDAwWhcN";
    const DER_KEY_B64: &str =
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";

    #[test]
    fn pem_private_keys_in_every_form() {
        assert_eq!(
            id("-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----"),
            Some("pem-private-key")
        );
        assert_eq!(
            id("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n"),
            Some("pem-private-key")
        );
        assert_eq!(
            id("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII"),
            Some("pem-private-key")
        );
        // base64 of "-----BEGIN PRIVATE KEY-----\nMIIE"
        assert_eq!(
            id("LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUU="),
            Some("pem-private-key")
        );
        assert_eq!(id(DER_KEY_B64), Some("pem-private-key"));
    }

    #[test]
    fn public_material_is_not_a_secret() {
        assert_eq!(id(CA_B64), None);
        assert_eq!(id(DER_CERT_B64), None);
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\ndmVyLWNhQDE3MDAwMDAwMDAwHhcNMjQwMTAxMDAwMDAwWhcNMzQwMTAxMDAwMDAw\n-----END CERTIFICATE-----\n";
        assert_eq!(id(pem), None);
        let key = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu1SU1LfVLPHCozMxH2Mo4lgOEePz\n-----END PUBLIC KEY-----";
        assert_eq!(id(key), None);
    }

    #[test]
    fn public_blocks_hide_nothing_else() {
        // Found by the property tests: an unterminated public header used to take the rest of
        // the value out of the scan, and a private key nested in a public block was missed.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n";
        assert_eq!(
            id("-----BEGIN CERTIFICATE-----\nAKIAIOSFODNN7EXAMPLQ\n"),
            Some("cloud-access-key")
        );
        assert_eq!(
            id(&format!(
                "{cert}AKIAIOSFODNN7EXAMPLQ\n-----END CERTIFICATE-----"
            )),
            Some("cloud-access-key")
        );
        assert_eq!(
            id(&format!(
                "{cert}-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n-----END CERTIFICATE-----"
            )),
            Some("pem-private-key")
        );
        assert_eq!(
            id(&format!(
                "{cert}-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE"
            )),
            Some("pem-private-key")
        );
        // A whole certificate is still public material.
        assert_eq!(id(&format!("{cert}-----END CERTIFICATE-----\n")), None);
    }

    #[test]
    fn jwts() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(id(jwt), Some("jwt"));
        assert_eq!(id(&format!("Bearer {jwt}")), Some("jwt"));
        // `eyJ` inside a longer word, or a lone segment, is not a token.
        assert_eq!(id("keyJar.eyJx"), None);
    }

    #[test]
    fn azure_connection_strings() {
        assert_eq!(
            id(
                "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net"
            ),
            Some("azure-account-key")
        );
        assert_eq!(
            id(
                "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc123def456"
            ),
            Some("azure-account-key")
        );
        assert_eq!(
            id(
                "BlobEndpoint=https://shop.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=abc%3D"
            ),
            Some("azure-sas")
        );
        assert_eq!(
            id(
                "https://shop.blob.core.windows.net/c/f.txt?sv=2022-11-02&se=2026-01-01&sr=b&sp=r&sig=Zm9vYmFy%3D"
            ),
            Some("azure-sas")
        );
        // Without the key's value, or with a reference, nothing is exposed.
        assert_eq!(
            id("AccountName=shop;AccountKey=;EndpointSuffix=core.windows.net"),
            None
        );
        assert_eq!(id("AccountName=shop;AccountKey=$(STORAGE_KEY)"), None);
    }

    #[test]
    fn passwords_in_connection_strings_and_urls() {
        assert_eq!(
            id(
                "Server=tcp:db.database.windows.net,1433;Database=shop;User ID=app;Password=Sup3rS3cret!;"
            ),
            Some("connection-string-password")
        );
        assert_eq!(
            id("postgres://app:hunter2@db.internal:5432/shop"),
            Some("connection-string-password")
        );
        assert_eq!(
            id("redis://:s3cr3t@cache:6379/0"),
            Some("connection-string-password")
        );
        assert_eq!(id("postgres://app@db.internal:5432/shop"), None);
        assert_eq!(id("postgres://app:${DB_PASSWORD}@db:5432/shop"), None);
        assert_eq!(
            id("Server=db;Database=shop;Authentication=Active Directory Managed Identity"),
            None
        );
    }

    #[test]
    fn cloud_keys() {
        assert_eq!(id("AKIAIOSFODNN7EXAMPLE"), Some("cloud-access-key"));
        assert_eq!(
            id("AIzaSyA1234567890abcdefghijklmnopqrstuv"),
            Some("cloud-access-key")
        );
        assert_eq!(
            id("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some("cloud-access-key")
        );
        assert_eq!(
            id("abc8Q~defghijklmnopqrstuvwxyz0123456.-_"),
            Some("cloud-access-key")
        );
        assert_eq!(
            id("xoxb-123456789012-abcdefghijkl"),
            Some("cloud-access-key")
        );
        assert_eq!(id("AKIA is a prefix"), None);
    }

    #[test]
    fn high_entropy_strings() {
        assert_eq!(
            id("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY9x"),
            Some("high-entropy")
        );
        assert_eq!(id("q8Zr2LmT4vXw9Ys1Kd7Hn3Bf6Gj0Pc5R"), Some("high-entropy"));
        // Off, or above what the value reaches.
        let mut s = scanner();
        s.entropy_threshold = None;
        assert_eq!(s.scan("q8Zr2LmT4vXw9Ys1Kd7Hn3Bf6Gj0Pc5R"), None);
        s.entropy_threshold = Some(5.5);
        assert_eq!(s.scan("q8Zr2LmT4vXw9Ys1Kd7Hn3Bf6Gj0Pc5R"), None);
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        for v in [
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
            "https://shop.vault.azure.net/secrets/db-password/0f3c2b1a9d8e4f5a6b7c8d9e0f1a2b3c",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "myacr.azurecr.io/shop/web@sha256:3f1e8c2d9b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e",
            "sha256:3f1e8c2d9b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e",
            "9fceb02d0ae598e95dc970b74767f19372d61af8",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-shop-prod-weu/providers/Microsoft.KeyVault/vaults/kv-shop-prod",
            "/var/run/secrets/azure/tokens/azure-identity-token",
            "Server=db.internal;Database=shop;Integrated Security=true",
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
            "ApplicationConfigurationManagerSettings2024",
            "-Xms512m -Xmx2g -XX:+UseG1GC -Dspring.profiles.active=production",
            "info,shop=debug,tower_http=warn",
            "kv-shop-prod.vault.azure.net",
            "mcr.microsoft.com/oss/kubernetes/pause:3.9",
            "2026-11-23T00:00:00Z",
            "",
            "true",
        ] {
            assert_eq!(id(v), None, "{v}");
        }
    }

    #[test]
    fn sensitive_assignments_in_files() {
        assert_eq!(
            id("spring.datasource.url=jdbc:sqlserver://db\nspring.datasource.password=changeit\n"),
            Some("sensitive-assignment")
        );
        assert_eq!(
            id("{\n  \"ApiKey\": \"k-live-0001\",\n  \"Logging\": {}\n}"),
            Some("sensitive-assignment")
        );
        assert_eq!(
            id(r#"{"Logging":{"Level":"Info"},"ApiKey":"k-live-0001"}"#),
            Some("sensitive-assignment")
        );
        assert_eq!(id("# password: example-only\nuser: app"), None);
        assert_eq!(
            id(
                r#"{"ConnectionStrings": {"Shop": "Server=db;Authentication=Active Directory Managed Identity"}}"#
            ),
            None
        );
        assert_eq!(
            id("--client-secret=notsorandom"),
            Some("sensitive-assignment")
        );
        // References, file locations, names and switches are not literals.
        assert_eq!(
            id(
                "password_file=/run/secrets/db\ntoken_url: https://login.example.com/token\nsecretName: db-creds\npassword: ${DB_PASSWORD}\ntoken_ttl: 3600\n"
            ),
            None
        );
        // Off when the caller does not want it.
        let mut s = scanner();
        s.assignments = false;
        assert_eq!(s.scan("db_secret: changeit"), None);
        s.assignments = true;
        assert_eq!(
            s.scan("db_secret: changeit").map(Detector::id),
            Some("sensitive-assignment")
        );
    }

    #[test]
    fn value_patterns_cross_every_character() {
        let mut s = scanner();
        s.value_patterns =
            compile_value_patterns("valuePatterns", &["*internal-only/*".into()]).unwrap();
        assert_eq!(
            s.scan("https://x/internal-only/a/b").map(Detector::id),
            Some("value-pattern")
        );
        assert!(
            compile_value_patterns("valuePatterns", &["***".into()])
                .unwrap_err()
                .contains("valuePatterns[0]")
        );
    }

    #[test]
    fn names() {
        let n = scanner().names;
        for name in [
            "DB_PASSWORD",
            "db-password",
            "dbPassword",
            "AZURE_CLIENT_SECRET",
            "GITHUB_TOKEN",
            "STRIPE_API_KEY",
            "storage.key",
            "--client-secret",
        ] {
            assert!(n.sensitive(name).is_some(), "{name}");
        }
        for name in [
            "DB_HOST",
            "AZURE_CLIENT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "DB_PASSWORD_FILE",
            "JWT_PUBLIC_KEY",
            "SECRET_NAME",
            "secretName",
            "TOKEN_ENDPOINT",
            "KEYVAULT_NAME",
        ] {
            assert!(n.sensitive(name).is_none(), "{name}");
        }
        assert_eq!(n.sensitive("DB_PASSWORD"), Some("*PASSWORD*"));
        assert!(
            NameRules::new("deniedNamePatterns", &["".into()], "a", &[])
                .unwrap_err()
                .contains("deniedNamePatterns[0]")
        );
    }

    #[test]
    fn literals_that_could_be_credentials() {
        for v in ["hunter2", "s3cr3t value", "changeme"] {
            assert!(could_be_credential(v), "{v}");
        }
        for v in [
            "",
            "true",
            "3600",
            "$(DB_PASSWORD)",
            "${X}",
            "{{ .Values.x }}",
            "<password>",
            "****",
            "/run/secrets/x",
            "https://login.example.com/token",
        ] {
            assert!(!could_be_credential(v), "{v}");
        }
        assert!(could_be_credential("https://u:p@example.com"));
    }

    #[test]
    fn masks_show_no_character_of_the_value() {
        let m = mask("zq7!");
        assert_eq!(m, "value masked, 4 characters");
        assert!(!m.contains('z') && !m.contains('q') && !m.contains('7') && !m.contains('!'));
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert!(decode_base64("a=b").is_none());
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(entropy_setting("entropyThreshold", 0.0).unwrap().is_none());
        assert!(
            entropy_setting("entropyThreshold", 9.0)
                .unwrap_err()
                .contains("entropyThreshold")
        );
        assert_eq!(entropy_setting("x", 4.0).unwrap(), Some(4.0));
    }

    #[test]
    fn hostile_input_stays_linear() {
        let pieces = [
            "eyJ".repeat(100_000),
            "=".repeat(300_000),
            "a://".repeat(50_000),
            "\n".repeat(300_000),
            " \n".repeat(150_000),
            "x:".repeat(150_000),
            (0..60_000).map(|i| format!("k{i}:")).collect::<String>(),
            format!("{}=", "a".repeat(300_000)),
            "-----BEGIN CERTIFICATE-----".repeat(10_000),
            "password=$(X);".repeat(20_000),
            "q8Zr2LmT/".repeat(30_000),
        ];
        let s = scanner();
        for v in &pieces {
            let t = std::time::Instant::now();
            let _ = s.scan(v);
            assert!(t.elapsed().as_millis() < 1500, "{}", &v[..20]);
        }
    }
}
