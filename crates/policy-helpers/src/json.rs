//! The modules' JSON reader over borrowed text, built for size: it decodes the bundle's types
//! directly ([`Decode`]: every [`view!`](crate::view) struct, strings, numbers, booleans,
//! options, lists, maps) and is also a serde `Deserializer` for the few types with a
//! hand-written `Deserialize` and for native code.
//!
//! Every view, settings type and envelope of the bundle used to be decoded through serde, and
//! each decoder was compiled once per reader it was used with. serde_json's reader inlines its
//! parsing into each of those instantiations, so in a module the decoders were about 40 % of the
//! code. This reader keeps each decoder small: the work (whitespace, strings, numbers,
//! skipping, errors) sits in plain functions called from thin generic entry points, the types
//! the modules read decode themselves with plain calls instead of serde's visitors
//! ([`Decode`], session 13: about 5 % of every module), an error that names a floating-point
//! number writes it with a few lines of its own (exact for the short decimals manifests hold),
//! so the modules carry no float formatter, and a float is parsed by a small exact parser of
//! its own (`float.rs`), not the standard library's table-driven one.
//!
//! It reads JSON as serde_json does, with the same error texts, and places each error where
//! serde_json would, so [`crate::request::decode`] names the field (the offset here is what
//! serde_json reports as line and column). `serde_json::value::RawValue` is read through
//! serde_json's own protocol for it (a newtype named by its token, answered with the value's
//! text), so the views keep that type; a unit test fails if serde_json changes it. The
//! deliberate differences, each closer to how the API server reads:
//!
//! - a struct is read only from a JSON object (serde_json also fills a struct positionally from
//!   an array, which the API server and every Go consumer refuse);
//! - a float is rounded to the nearest value, as Go's `ParseFloat` rounds it (serde_json's
//!   default parser may be a unit in the last place off for long numbers);
//! - an error a custom decoder raises after reading its value is placed at that entry's key
//!   (serde_json places it at the end of the enclosing object);
//! - a float met where another type is expected is named as written (`floating point `1.50``,
//!   where serde_json names the parsed `1.5`) and never parsed, so that a module reading no
//!   float links no float parser; one beyond `f64` there is refused as that type error rather
//!   than as `number out of range`;
//! - an error a visitor raises about a float it was given (a reader of floats, `Value`) writes
//!   it with the reader's own formatter (whole numbers and short decimals as serde_json writes
//!   them; beyond 1e17 or below 1e-7 only "a large number" or "a small number").
//!
//! Numbers are otherwise read as serde_json reads them (unsigned, negative or float, `-0` and
//! integers beyond 64 bits as floats; a float is parsed only when a float is asked for). Strings are borrowed from the input when they hold no escape. Nesting deeper than 128
//! arrays or objects in a typed part is refused (`recursion limit exceeded`, as serde_json
//! does); skipped parts may nest deeper, on a heap stack.

use crate::prelude::*;
use core::fmt::{self, Display, Write as _};

use serde::de::{self, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

mod decode;
mod float;

pub use decode::{Decode, DecodeOwned, decode, decode_struct, field, field_or_default, field_with};

/// The token serde_json names `RawValue` with (see the module documentation).
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// How deep typed arrays and objects may nest.
const DEPTH: u8 = 128;

/// A JSON or decoding error, with where in the text it was found. Boxed: every `Result` a
/// decoder returns carries it, and one pointer moves in fewer instructions than its four
/// fields (the modules' code is smaller and a successful read does not pay for errors).
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorImpl>);

#[derive(Clone, PartialEq, Eq)]
struct ErrorImpl {
    reason: String,
    /// Byte offset in the text (`usize::MAX` until the reader places it).
    offset: usize,
    line: usize,
    column: usize,
}

impl Error {
    fn new(reason: String) -> Self {
        Error(Box::new(ErrorImpl {
            reason,
            offset: usize::MAX,
            line: 0,
            column: 0,
        }))
    }

    /// What was wrong, without the position.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The byte offset in the text where the reader stopped (0 when not placed).
    #[must_use]
    pub fn offset(&self) -> usize {
        if self.0.offset == usize::MAX {
            0
        } else {
            self.0.offset
        }
    }

    /// Line (1-based) and column as serde_json reports them (0, 0 when not placed).
    #[must_use]
    pub fn position(&self) -> (usize, usize) {
        (self.0.line, self.0.column)
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.line == 0 {
            f.write_str(&self.0.reason)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.0.reason, self.0.line, self.0.column
            )
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}, offset {})", self.0.reason, self.offset())
    }
}

impl core::error::Error for Error {}

impl de::Error for Error {
    #[cold]
    fn custom<T: Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }

    #[cold]
    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Error::new(format!("invalid type: {}, expected {}", Unexp(unexp), exp))
    }

    #[cold]
    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Error::new(format!("invalid value: {}, expected {}", Unexp(unexp), exp))
    }
}

/// `invalid type: floating point `1.50`, expected ...` for a float where another type was
/// expected: serde_json's message, except that the number is shown as written (serde_json
/// shows the value it parsed: `1.5`), so that a module that reads no float links no float
/// parser. An integer beyond 64 bits is shown as written too.
#[cold]
fn float_type_error(text: &str, exp: &dyn Expected) -> Error {
    Error::new(format!(
        "invalid type: floating point `{text}`, expected {exp}"
    ))
}

/// serde's `Unexpected` as serde_json shows it (`null` for unit), written here so that serde's
/// own rendering, which prints floats with the standard library's formatter, is not linked.
struct Unexp<'a>(Unexpected<'a>);

impl Display for Unexp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Float(x) => {
                f.write_str("floating point `")?;
                write_float(f, x)?;
                f.write_char('`')
            }
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(s) => write!(f, "string {s:?}"),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

/// Writes a float for an error message without the standard library's float formatter: whole
/// numbers as `3.0`, others with up to 17 significant digits (exact for the short decimals
/// people write, such as `1.5` or `0.25`).
fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("NaN");
    }
    if x.is_sign_negative() {
        f.write_char('-')?;
    }
    let x = x.abs();
    if x.is_infinite() {
        return f.write_str("inf");
    }
    if x >= 1e17 || (x != 0.0 && x < 1e-7) {
        // Outside what a manifest writes: name the magnitude only.
        return f.write_str(if x >= 1e17 {
            "a large number"
        } else {
            "a small number"
        });
    }
    let whole = libm::trunc(x);
    // `whole` < 1e17 fits a u64 exactly.
    let int = whole as u64;
    write!(f, "{int}.")?;
    let mut frac = x - whole;
    if frac == 0.0 {
        return f.write_char('0');
    }
    let int_digits = if int == 0 {
        0
    } else {
        int.ilog10() as usize + 1
    };
    let mut budget = 17usize.saturating_sub(int_digits).max(1);
    let mut digits = [0u8; 24];
    let mut n = 0;
    let mut leading_zero = int == 0;
    while frac > 0.0 && budget > 0 && n < digits.len() {
        frac *= 10.0;
        let d = libm::trunc(frac);
        frac -= d;
        digits[n] = d as u8;
        n += 1;
        if !(leading_zero && d == 0.0) {
            leading_zero = false;
            budget -= 1;
        }
    }
    while n > 1 && digits[n - 1] == 0 {
        n -= 1;
    }
    for d in &digits[..n] {
        f.write_char(char::from(b'0' + d))?;
    }
    Ok(())
}

/// A float written as Rust's `{}` writes the numbers settings hold (`9`, `1.5`, `4.25`), without
/// the standard library's float formatter (which would add about 15 KB to a module).
pub struct Decimal(pub f64);

impl Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_finite() && libm::trunc(x) == x && x.abs() < 1e17 {
            // Whole and within i64: exact.
            write!(f, "{}", x as i64)
        } else {
            write_float(f, x)
        }
    }
}

/// The byte offset in `text` of a position serde_json reports as `line` (1-based) and
/// `column`, to compare its errors with this reader's (tests, the `json_reader` property).
#[must_use]
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column).min(text.len())
}

/// Decodes a `T` from JSON text, borrowing strings from it where it can.
///
/// # Errors
/// When the text is not JSON, or not the JSON `T` reads; the error has the position.
pub fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    let mut de = Deserializer::new(text);
    let value = T::deserialize(&mut de).map_err(|e| de.place(e))?;
    de.end()?;
    Ok(value)
}

/// Reads JSON text into a `serde_json::Value` (the mutating policies edit objects as values).
///
/// Built here rather than through `Value`'s own `Deserialize`, which with serde_json's
/// `raw_value` feature calls serde_json's reader and so would link a second reader into the
/// module.
///
/// # Errors
/// When the text is not JSON; the error has the position.
pub fn value(text: &str) -> Result<serde_json::Value, Error> {
    let mut de = Deserializer::new(text);
    let v = de.value()?;
    de.end()?;
    Ok(v)
}

/// The reader over one text.
pub struct Deserializer<'de> {
    text: &'de str,
    index: usize,
    depth: u8,
    /// The skipper's stack of open brackets, kept between values.
    stack: Vec<u8>,
}

/// A string read from the text: borrowed when it held no escape.
enum Str<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Str<'_> {
    fn into_string(self) -> String {
        match self {
            Str::Borrowed(s) => s.to_owned(),
            Str::Owned(s) => s,
        }
    }
}

/// A number as serde_json reads it, except that a float stays text until a reader asks for
/// its value ([`Deserializer::float`]): only the modules that read a float link a float parser.
enum Number<'de> {
    U64(u64),
    I64(i64),
    /// A number with a fraction or an exponent, or an integer beyond 64 bits, as written
    /// (its grammar checked).
    Float(&'de str),
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `chunk` (little-endian) that end or escape a string (`"`, `\` or a control
/// character), as their high bits: the usual has-zero-byte test, applied three times. A byte
/// can be flagged wrongly only above a real stop, so the lowest flagged byte is always a stop.
#[inline]
fn string_stops(chunk: u64) -> u64 {
    let quote = chunk ^ (ONES * u64::from(b'"'));
    let slash = chunk ^ (ONES * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let below_space = chunk.wrapping_sub(ONES * 0x20) & !chunk;
    (zero(quote) | zero(slash) | below_space) & HIGHS
}

impl<'de> Deserializer<'de> {
    /// A reader at the start of `text`.
    #[must_use]
    pub fn new(text: &'de str) -> Self {
        Deserializer {
            text,
            index: 0,
            depth: DEPTH,
            stack: Vec::new(),
        }
    }

    /// Checks that only whitespace follows the value.
    ///
    /// # Errors
    /// `trailing characters`.
    #[inline(never)]
    pub fn end(&mut self) -> Result<(), Error> {
        match self.ws() {
            None => Ok(()),
            Some(_) => Err(self.peek_error("trailing characters")),
        }
    }

    /// The text between two places the reader stopped at. It stops only next to ASCII bytes
    /// (quotes, brackets, digits, escapes), so both are character boundaries; `get` rather
    /// than indexing keeps the standard library's slicing panic, and its formatting, out of
    /// the modules.
    #[inline(always)]
    fn cut(&self, from: usize, to: usize) -> &'de str {
        self.text.get(from..to).unwrap_or_default()
    }

    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    /// Skips whitespace and returns the next byte, not consumed.
    #[inline]
    fn ws(&mut self) -> Option<u8> {
        let b = self.bytes();
        while let Some(&c) = b.get(self.index) {
            match c {
                b' ' | b'\n' | b'\t' | b'\r' => self.index += 1,
                _ => return Some(c),
            }
        }
        None
    }

    /// An error at the current position.
    #[cold]
    #[inline(never)]
    fn error(&self, reason: &str) -> Error {
        self.place(Error::new(reason.to_owned()))
    }

    /// Gives `e` the current position unless an inner reader already placed it.
    #[cold]
    #[inline(never)]
    fn place(&self, e: Error) -> Error {
        self.place_at(e, self.index)
    }

    /// Gives `e` the position `at` unless it has one.
    #[cold]
    #[inline(never)]
    fn place_at(&self, mut e: Error, at: usize) -> Error {
        if e.0.offset == usize::MAX {
            let at = at.min(self.text.len());
            let before = &self.bytes()[..at];
            let line_start = before
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            e.0.offset = at;
            e.0.line = 1 + before[..line_start].iter().filter(|&&c| c == b'\n').count();
            e.0.column = at - line_start;
        }
        e
    }

    /// An error just after the next byte (serde_json's "peek" position: an error at an opening
    /// bracket is inside that array or object, one at a closing bracket is after it).
    #[cold]
    #[inline(never)]
    fn peek_error(&self, reason: &str) -> Error {
        self.place_at(Error::new(reason.to_owned()), self.index + 1)
    }

    #[cold]
    #[inline(never)]
    fn eof_value(&self) -> Error {
        self.peek_error("EOF while parsing a value")
    }

    /// Reads the rest of a literal (`ull`, `rue`, `alse`) after its first byte.
    #[inline(never)]
    fn literal(&mut self, rest: &[u8]) -> Result<(), Error> {
        self.index += 1;
        for &want in rest {
            match self.bytes().get(self.index) {
                None => return Err(self.eof_value()),
                Some(&c) if c == want => self.index += 1,
                Some(_) => {
                    self.index += 1;
                    return Err(self.error("expected ident"));
                }
            }
        }
        Ok(())
    }

    /// Reads a string after its opening quote.
    #[inline(never)]
    fn string(&mut self) -> Result<Str<'de>, Error> {
        let start = self.index;
        self.scan_plain();
        let b = self.bytes();
        match b.get(self.index) {
            Some(b'"') => {
                self.index += 1;
                Ok(Str::Borrowed(self.cut(start, self.index - 1)))
            }
            _ => self.string_escaped(start),
        }
    }

    /// Moves to the first quote, backslash or control character from the current position,
    /// eight bytes at a time.
    #[inline]
    fn scan_plain(&mut self) {
        let b = self.bytes();
        let mut i = self.index;
        while let Some(Ok(word)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
            let stops = string_stops(u64::from_le_bytes(word));
            if stops != 0 {
                // The lowest flagged byte is a real stop (see `string_stops`).
                self.index = i + (stops.trailing_zeros() / 8) as usize;
                return;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        self.index = i;
    }

    /// The rest of a string that holds an escape (or ends badly), decoded into a new string.
    #[cold]
    #[inline(never)]
    fn string_escaped(&mut self, start: usize) -> Result<Str<'de>, Error> {
        let mut out = String::from(self.cut(start, self.index));
        loop {
            let from = self.index;
            self.scan_plain();
            out.push_str(self.cut(from, self.index));
            match self.bytes().get(self.index) {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    self.index += 1;
                    return Ok(Str::Owned(out));
                }
                Some(b'\\') => {
                    self.index += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => {
                    self.index += 1;
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    /// Decodes one escape after its backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(&c) = self.bytes().get(self.index) else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.index += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        // A trailing surrogate escape must follow (errors as serde_json's).
                        for want in [b'\\', b'u'] {
                            match self.bytes().get(self.index) {
                                None => return Err(self.error("EOF while parsing a string")),
                                Some(&c) => {
                                    self.index += 1;
                                    if c != want {
                                        return Err(self.error("unexpected end of hex escape"));
                                    }
                                }
                            }
                        }
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code)
                            .ok_or_else(|| self.error("invalid unicode code point"))?
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    code => char::from_u32(code)
                        .ok_or_else(|| self.error("invalid unicode code point"))?,
                }
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    /// Four hex digits. As serde_json, the four bytes are taken before they are checked, so
    /// an error is placed after them.
    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(digits) = self.bytes().get(self.index..self.index + 4) else {
            self.index = self.text.len();
            return Err(self.error("EOF while parsing a string"));
        };
        self.index += 4;
        let mut n = 0u32;
        for &c in digits {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(self.error("invalid escape")),
            };
            n = n * 16 + u32::from(d);
        }
        Ok(n)
    }

    /// Steps over a number, checking its grammar; returns whether it is an integer.
    fn number_span(&mut self) -> Result<bool, Error> {
        let b = self.bytes();
        if b.get(self.index) == Some(&b'-') {
            self.index += 1;
        }
        match b.get(self.index) {
            Some(b'0') => {
                self.index += 1;
                if matches!(b.get(self.index), Some(b'0'..=b'9')) {
                    return Err(self.peek_error("invalid number"));
                }
            }
            Some(b'1'..=b'9') => {
                while matches!(b.get(self.index), Some(b'0'..=b'9')) {
                    self.index += 1;
                }
            }
            None => return Err(self.eof_value()),
            Some(_) => return Err(self.peek_error("invalid number")),
        }
        let mut integer = true;
        if b.get(self.index) == Some(&b'.') {
            integer = false;
            self.index += 1;
            self.digits()?;
        }
        if matches!(b.get(self.index), Some(b'e' | b'E')) {
            integer = false;
            self.index += 1;
            if matches!(b.get(self.index), Some(b'+' | b'-')) {
                self.index += 1;
            }
            self.digits()?;
        }
        Ok(integer)
    }

    fn digits(&mut self) -> Result<(), Error> {
        let b = self.bytes();
        match b.get(self.index) {
            Some(b'0'..=b'9') => {}
            None => return Err(self.eof_value()),
            Some(_) => return Err(self.peek_error("invalid number")),
        }
        while matches!(b.get(self.index), Some(b'0'..=b'9')) {
            self.index += 1;
        }
        Ok(())
    }

    /// Reads a number: unsigned or negative integers when they fit (as serde_json, `-0` and
    /// integers out of range are floats), floats otherwise, left as text.
    #[inline(never)]
    fn number(&mut self) -> Result<Number<'de>, Error> {
        let start = self.index;
        let integer = self.number_span()?;
        let text = self.cut(start, self.index);
        if integer {
            if let Some(digits) = text.strip_prefix('-') {
                if let Ok(n) = digits.parse::<u64>()
                    && n != 0
                    && n <= 1 << 63
                {
                    return Ok(Number::I64((n as i64).wrapping_neg()));
                }
            } else if let Ok(n) = text.parse::<u64>() {
                return Ok(Number::U64(n));
            }
        }
        Ok(Number::Float(text))
    }

    /// The value of a float [`Deserializer::number`] left as text (read just before, so that
    /// an error is placed where serde_json places it): finite, or `number out of range`.
    #[inline(never)]
    fn float(&self, text: &str) -> Result<f64, Error> {
        let x = float::parse(text);
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.error("number out of range"))
        }
    }

    /// The error for a value of the wrong JSON type where `exp` was expected; the value is
    /// consumed as serde_json does before it reports.
    #[cold]
    #[inline(never)]
    fn invalid_type(&mut self, exp: &dyn Expected) -> Error {
        let e = match self.ws() {
            None => return self.eof_value(),
            Some(b'n') => match self.literal(b"ull") {
                Ok(()) => de::Error::invalid_type(Unexpected::Unit, exp),
                Err(e) => return e,
            },
            Some(b't') => match self.literal(b"rue") {
                Ok(()) => de::Error::invalid_type(Unexpected::Bool(true), exp),
                Err(e) => return e,
            },
            Some(b'f') => match self.literal(b"alse") {
                Ok(()) => de::Error::invalid_type(Unexpected::Bool(false), exp),
                Err(e) => return e,
            },
            Some(b'-' | b'0'..=b'9') => match self.number() {
                Ok(Number::U64(n)) => de::Error::invalid_type(Unexpected::Unsigned(n), exp),
                Ok(Number::I64(n)) => de::Error::invalid_type(Unexpected::Signed(n), exp),
                Ok(Number::Float(text)) => float_type_error(text, exp),
                Err(e) => return e,
            },
            Some(b'"') => {
                self.index += 1;
                match self.string() {
                    Ok(Str::Borrowed(s)) => de::Error::invalid_type(Unexpected::Str(s), exp),
                    Ok(Str::Owned(s)) => de::Error::invalid_type(Unexpected::Str(&s), exp),
                    Err(e) => return e,
                }
            }
            Some(b'[') => de::Error::invalid_type(Unexpected::Seq, exp),
            Some(b'{') => de::Error::invalid_type(Unexpected::Map, exp),
            Some(_) => return self.peek_error("expected value"),
        };
        self.place(e)
    }

    /// Steps over one value (checking its grammar) and returns its text.
    #[inline(never)]
    fn skip(&mut self) -> Result<&'de str, Error> {
        let Some(_) = self.ws() else {
            return Err(self.eof_value());
        };
        let start = self.index;
        let base = self.stack.len();
        loop {
            // A value.
            match self.ws() {
                None => return Err(self.eof_value()),
                Some(b'"') => {
                    self.index += 1;
                    self.skip_string()?;
                }
                Some(b'{') => {
                    self.index += 1;
                    match self.ws() {
                        Some(b'}') => self.index += 1,
                        _ => {
                            self.stack.push(b'{');
                            self.key_colon()?;
                            continue;
                        }
                    }
                }
                Some(b'[') => {
                    self.index += 1;
                    match self.ws() {
                        Some(b']') => self.index += 1,
                        _ => {
                            self.stack.push(b'[');
                            continue;
                        }
                    }
                }
                Some(b'n') => self.literal(b"ull")?,
                Some(b't') => self.literal(b"rue")?,
                Some(b'f') => self.literal(b"alse")?,
                Some(b'-' | b'0'..=b'9') => {
                    self.number_span()?;
                }
                Some(_) => return Err(self.peek_error("expected value")),
            }
            // After a value: close what ends here, or go on to the next element.
            loop {
                if self.stack.len() == base {
                    return Ok(self.cut(start, self.index));
                }
                let open = self.stack[self.stack.len() - 1];
                let close = if open == b'[' { b']' } else { b'}' };
                match self.ws() {
                    Some(b',') => {
                        self.index += 1;
                        if open == b'{' {
                            self.key_colon()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.index += 1;
                        self.stack.pop();
                    }
                    Some(_) => {
                        return Err(self.peek_error(if open == b'[' {
                            "expected `,` or `]`"
                        } else {
                            "expected `,` or `}`"
                        }));
                    }
                    None => {
                        return Err(self.peek_error(if open == b'[' {
                            "EOF while parsing a list"
                        } else {
                            "EOF while parsing an object"
                        }));
                    }
                }
            }
        }
    }

    /// Steps over a key and its colon inside an object the skipper is in.
    #[inline]
    fn key_colon(&mut self) -> Result<(), Error> {
        match self.ws() {
            Some(b'"') => {
                self.index += 1;
                self.skip_string()?;
            }
            Some(_) => return Err(self.peek_error("key must be a string")),
            None => return Err(self.peek_error("EOF while parsing an object")),
        }
        self.colon()
    }

    /// Steps over the colon after a key (most often the very next byte).
    #[inline]
    fn colon(&mut self) -> Result<(), Error> {
        if self.bytes().get(self.index) == Some(&b':') {
            self.index += 1;
            return Ok(());
        }
        self.colon_after_space()
    }

    #[inline(never)]
    fn colon_after_space(&mut self) -> Result<(), Error> {
        match self.ws() {
            Some(b':') => {
                self.index += 1;
                Ok(())
            }
            Some(_) => Err(self.peek_error("expected `:`")),
            None => Err(self.peek_error("EOF while parsing an object")),
        }
    }

    /// Steps over a string after its opening quote, checking its escapes.
    fn skip_string(&mut self) -> Result<(), Error> {
        loop {
            self.scan_plain();
            match self.bytes().get(self.index) {
                Some(b'"') => {
                    self.index += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.index += 1;
                    self.escape()?;
                }
                None => return Err(self.error("EOF while parsing a string")),
                Some(_) => {
                    self.index += 1;
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    /// Enters an array or object (its bracket not yet consumed).
    fn enter(&mut self) -> Result<(), Error> {
        // As serde_json counts: the 128th level open at once is refused.
        self.depth -= 1;
        if self.depth == 0 {
            return Err(self.peek_error("recursion limit exceeded"));
        }
        self.index += 1;
        Ok(())
    }

    /// Leaves an array: its `]` must follow.
    fn end_seq(&mut self) -> Result<(), Error> {
        self.depth += 1;
        match self.ws() {
            Some(b']') => {
                self.index += 1;
                Ok(())
            }
            Some(b',') => {
                self.index += 1;
                match self.ws() {
                    Some(b']') => Err(self.peek_error("trailing comma")),
                    _ => Err(self.peek_error("trailing characters")),
                }
            }
            Some(_) => Err(self.peek_error("trailing characters")),
            None => Err(self.peek_error("EOF while parsing a list")),
        }
    }

    /// Opens an object for a map or struct visitor: `{`, one level deeper; the wrong type
    /// (named by `exp`) or the nesting limit otherwise.
    #[inline(never)]
    fn open_map(&mut self, exp: &dyn Expected) -> Result<(), Error> {
        match self.ws() {
            Some(b'{') => self.enter(),
            _ => Err(self.invalid_type(exp)),
        }
    }

    /// Closes an object its visitor read: the `}` (see [`Deserializer::end_map`]).
    #[inline(never)]
    fn close_map(&mut self) -> Result<(), Error> {
        self.end_map().map_err(|e| self.place(e))
    }

    /// Closes an object whose visitor failed: its error, placed after the object's end as
    /// serde_json places it (an error the visitor raised at the end, such as a missing field).
    #[cold]
    #[inline(never)]
    fn close_map_after(&mut self, e: Error) -> Error {
        let _ = self.end_map();
        self.place(e)
    }

    /// Whether the next value is `null` (consumed then), for an `Option`.
    #[inline(never)]
    fn null(&mut self) -> Result<bool, Error> {
        match self.ws() {
            None => Err(self.eof_value()),
            Some(b'n') => self.literal(b"ull").map(|()| true),
            Some(_) => Ok(false),
        }
    }

    /// Leaves an object: its `}` must follow.
    fn end_map(&mut self) -> Result<(), Error> {
        self.depth += 1;
        match self.ws() {
            Some(b'}') => {
                self.index += 1;
                Ok(())
            }
            Some(b',') => Err(self.peek_error("trailing comma")),
            Some(_) => Err(self.peek_error("trailing characters")),
            None => Err(self.peek_error("EOF while parsing an object")),
        }
    }

    /// Before an array element: `Ok(false)` at the closing bracket.
    #[inline(never)]
    fn next_element(&mut self, first: bool) -> Result<bool, Error> {
        match self.ws() {
            Some(b']') => Ok(false),
            Some(b',') if !first => {
                self.index += 1;
                match self.ws() {
                    Some(b']') => Err(self.peek_error("trailing comma")),
                    Some(_) => Ok(true),
                    None => Err(self.eof_value()),
                }
            }
            Some(_) if first => Ok(true),
            Some(_) => Err(self.peek_error("expected `,` or `]`")),
            None => Err(self.peek_error("EOF while parsing a list")),
        }
    }

    /// Before an object entry: `Ok(None)` at the closing brace, else the key.
    #[inline(never)]
    fn next_key(&mut self, first: bool) -> Result<Option<Str<'de>>, Error> {
        match self.ws() {
            Some(b'}') => return Ok(None),
            Some(b',') if !first => {
                self.index += 1;
                match self.ws() {
                    Some(b'"') => {}
                    Some(b'}') => return Err(self.peek_error("trailing comma")),
                    Some(_) => return Err(self.peek_error("key must be a string")),
                    None => return Err(self.eof_value()),
                }
            }
            Some(b'"') if first => {}
            Some(_) if first => return Err(self.peek_error("key must be a string")),
            Some(_) => return Err(self.peek_error("expected `,` or `}`")),
            None => return Err(self.peek_error("EOF while parsing an object")),
        }
        self.index += 1;
        self.string().map(Some)
    }

    /// One value as a `serde_json::Value` (see [`value`]).
    fn value(&mut self) -> Result<serde_json::Value, Error> {
        use serde_json::Value;
        Ok(match self.ws() {
            None => return Err(self.eof_value()),
            Some(b'"') => {
                self.index += 1;
                Value::String(self.string()?.into_string())
            }
            Some(b'[') => {
                self.enter()?;
                let mut items = Vec::new();
                let mut first = true;
                while self.next_element(first)? {
                    first = false;
                    items.push(self.value()?);
                }
                self.end_seq()?;
                Value::Array(items)
            }
            Some(b'{') => {
                self.enter()?;
                let mut map = serde_json::Map::new();
                let mut first = true;
                while let Some(key) = self.next_key(first)? {
                    first = false;
                    self.colon()?;
                    let v = self.value()?;
                    map.insert(key.into_string(), v);
                }
                self.end_map()?;
                Value::Object(map)
            }
            Some(b'n') => {
                self.literal(b"ull")?;
                Value::Null
            }
            Some(b't') => {
                self.literal(b"rue")?;
                Value::Bool(true)
            }
            Some(b'f') => {
                self.literal(b"alse")?;
                Value::Bool(false)
            }
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                Number::U64(n) => Value::from(n),
                Number::I64(n) => Value::from(n),
                // Finite: `float` refuses the rest.
                Number::Float(text) => {
                    let x = self.float(text)?;
                    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                }
            },
            Some(_) => return Err(self.peek_error("expected value")),
        })
    }

    /// The value of a bare literal or number for [`serde::Deserializer::deserialize_any`].
    fn visit_scalar<V: Visitor<'de>>(&mut self, c: u8, visitor: V) -> Result<V::Value, Error> {
        match c {
            b'n' => {
                self.literal(b"ull")?;
                visitor.visit_unit()
            }
            b't' => {
                self.literal(b"rue")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                visitor.visit_bool(false)
            }
            b'-' | b'0'..=b'9' => self.visit_number(visitor),
            _ => Err(self.peek_error("expected value")),
        }
    }

    fn visit_number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.number()? {
            Number::U64(n) => visitor.visit_u64(n),
            Number::I64(n) => visitor.visit_i64(n),
            Number::Float(text) => visitor.visit_f64(self.float(text)?),
        }
    }

    /// A number for an integer type's visitor: a float is refused as written, never parsed
    /// (see [`float_type_error`]).
    fn visit_integer<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.number()? {
            Number::U64(n) => visitor.visit_u64(n),
            Number::I64(n) => visitor.visit_i64(n),
            Number::Float(text) => Err(float_type_error(text, &visitor)),
        }
    }

    fn visit_string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.index += 1;
        match self.string()? {
            Str::Borrowed(s) => visitor.visit_borrowed_str(s),
            Str::Owned(s) => visitor.visit_str(&s),
        }
    }
}

/// Number methods of the reader that `deserialize_i64` serves: the visitor gets the number
/// as read and checks its own range, as with serde_json.
macro_rules! read_as_i64 {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.deserialize_i64(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match self.ws() {
            None => return Err(self.eof_value()),
            Some(b'"') => self.visit_string(visitor),
            Some(b'[') => return self.deserialize_seq(visitor),
            Some(b'{') => return self.deserialize_map(visitor),
            Some(c) => self.visit_scalar(c, visitor),
        };
        r.map_err(|e| self.place(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match self.ws() {
            Some(b't') => self.literal(b"rue").and_then(|()| visitor.visit_bool(true)),
            Some(b'f') => self
                .literal(b"alse")
                .and_then(|()| visitor.visit_bool(false)),
            _ => return Err(self.invalid_type(&visitor)),
        };
        r.map_err(|e| self.place(e))
    }

    read_as_i64! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_u8 deserialize_u16
        deserialize_u32 deserialize_u64
    }

    /// Every integer type (see `read_as_i64`): the visitor gets the integer as read and
    /// checks its range; a float is refused without being parsed.
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'-' | b'0'..=b'9') => self.visit_integer(visitor).map_err(|e| self.place(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    /// Both float types: the visitor gets the number as read (an integer as an integer).
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'-' | b'0'..=b'9') => self.visit_number(visitor).map_err(|e| self.place(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'"') => self.visit_string(visitor).map_err(|e| self.place(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'"') => {
                self.index += 1;
                let r = match self.string()? {
                    Str::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
                    Str::Owned(s) => visitor.visit_bytes(s.as_bytes()),
                };
                r.map_err(|e| self.place(e))
            }
            Some(b'[') => self.deserialize_seq(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.null()? {
            visitor.visit_none().map_err(|e| self.place(e))
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'n') => {
                self.literal(b"ull")?;
                visitor.visit_unit().map_err(|e| self.place(e))
            }
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == RAW_TOKEN {
            let raw = self.skip()?;
            return visitor
                .visit_map(RawMap { raw: Some(raw) })
                .map_err(|e| self.place(e));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'[') => {
                self.enter()?;
                let r = visitor.visit_seq(Seq {
                    de: self,
                    first: true,
                });
                let end = self.end_seq();
                r.and_then(|v| end.map(|()| v)).map_err(|e| self.place(e))
            }
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // The steps around the visitor are calls, not inlined: this function is compiled once
        // per struct read.
        self.open_map(&visitor)?;
        match visitor.visit_map(Map {
            de: self,
            first: true,
        }) {
            Ok(v) => {
                self.close_map()?;
                Ok(v)
            }
            Err(e) => Err(self.close_map_after(e)),
        }
    }

    /// A struct only from an object (see the module documentation).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.ws() {
            Some(b'"') => visitor
                .visit_enum(UnitVariant { de: self })
                .map_err(|e| self.place(e)),
            Some(b'{') => {
                self.enter()?;
                let r = visitor.visit_enum(Variant { de: self });
                self.depth += 1;
                let r = r.and_then(|v| match self.ws() {
                    Some(b'}') => {
                        self.index += 1;
                        Ok(v)
                    }
                    Some(_) => Err(self.error("expected value")),
                    None => Err(self.error("EOF while parsing an object")),
                });
                r.map_err(|e| self.place(e))
            }
            None => Err(self.eof_value()),
            Some(_) => Err(self.peek_error("expected value")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }
}

struct Seq<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let first = core::mem::replace(&mut self.first, false);
        if self.de.next_element(first)? {
            seed.deserialize(&mut *self.de).map(Some)
        } else {
            Ok(None)
        }
    }
}

struct Map<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Map<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let first = core::mem::replace(&mut self.first, false);
        match self.de.next_key(first)? {
            None => Ok(None),
            Some(key) => seed
                .deserialize(Key(key))
                .map(Some)
                .map_err(|e| self.de.place(e)),
        }
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.de.colon()?;
        // An error a custom decoder raises after reading the whole value is placed here, so
        // that it names this entry's key rather than the enclosing object.
        seed.deserialize(&mut *self.de)
            .map_err(|e| self.de.place(e))
    }
}

/// An object key, already read.
struct Key<'de>(Str<'de>);

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Str::Borrowed(s) => visitor.visit_borrowed_str(s),
            Str::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Str::Borrowed(s) => visitor.visit_enum(s.into_deserializer()),
            Str::Owned(s) => visitor.visit_enum(s.into_deserializer()),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// `"Variant"`: a unit variant.
struct UnitVariant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), Error> {
        let v = seed.deserialize(&mut *self.de)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

/// `{"Variant": value}`.
struct Variant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), Error> {
        let key = match self.de.ws() {
            Some(b'"') => {
                self.de.index += 1;
                self.de.string()?
            }
            Some(b'}') => return Err(self.de.peek_error("expected value")),
            Some(_) => return Err(self.de.peek_error("key must be a string")),
            None => return Err(self.de.peek_error("EOF while parsing an object")),
        };
        let v = seed.deserialize(Key(key)).map_err(|e| self.de.place(e))?;
        self.de.colon()?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(&mut *self.de)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(&mut *self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(&mut *self.de, visitor)
    }
}

/// serde_json's `RawValue` protocol: one entry, the token, whose value is the raw text.
struct RawMap<'de> {
    raw: Option<&'de str>,
}

impl<'de> de::MapAccess<'de> for RawMap<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.raw.is_none() {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::new(RAW_TOKEN))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let raw = self.raw.take().unwrap_or("null");
        seed.deserialize(de::value::BorrowedStrDeserializer::new(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use serde::Deserialize;
    use serde_json::value::RawValue;

    /// Both readers on the same text: the same value, or errors with the same reason at the
    /// same position.
    fn agree<'a, T>(text: &'a str)
    where
        T: Deserialize<'a> + PartialEq + fmt::Debug,
    {
        let ours = from_str::<T>(text);
        let theirs = serde_json::from_str::<T>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(a), Err(b)) => {
                let b_text = b.to_string();
                let b_reason = b_text.rsplit_once(" at line ").map_or(&*b_text, |(r, _)| r);
                // Floats beyond 1e17 or below 1e-7 are named by their magnitude only.
                if !b_reason.contains("e+") && !b_reason.contains("e-") {
                    assert!(
                        same_reason(a.reason(), b_reason),
                        "{text} as {}: ours {:?}, serde_json {b_reason:?}",
                        core::any::type_name::<T>(),
                        a.reason()
                    );
                }
                // What users see of the position is the field path named from it.
                let path = |offset| crate::request::path_at(text, offset);
                assert_eq!(
                    path(a.offset()),
                    path(offset_of(text, b.line(), b.column())),
                    "{text}: {a} / {b}"
                );
            }
            _ => panic!("{text}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    /// Whether two error reasons say the same, allowing for the one difference on purpose: a
    /// float where another type was expected is shown as written, not as parsed (`1.50` where
    /// serde_json shows `1.5`), and one out of range for a float is refused as a float where
    /// serde_json says `number out of range` first.
    fn same_reason(ours: &str, theirs: &str) -> bool {
        const FLOAT: &str = "floating point `";
        let split = |s: &str| -> Option<(String, f64, String)> {
            let (head, rest) = s.split_once(FLOAT)?;
            let (number, tail) = rest.split_once('`')?;
            Some((head.to_owned(), number.parse().ok()?, tail.to_owned()))
        };
        if ours == theirs {
            return true;
        }
        match (split(ours), split(theirs)) {
            (Some((h1, x1, t1)), Some((h2, x2, t2))) => h1 == h2 && t1 == t2 && x1 == x2,
            (Some((h1, x1, _)), None) => {
                h1 == "invalid type: " && !x1.is_finite() && theirs == "number out of range"
            }
            _ => false,
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Container<'a> {
        name: String,
        #[serde(default)]
        image: Option<String>,
        #[serde(default)]
        ports: Vec<Port>,
        #[serde(default, borrow)]
        env: Option<&'a str>,
        #[serde(default)]
        read_only: Option<bool>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Port {
        #[serde(rename = "containerPort")]
        container_port: u16,
        #[serde(default)]
        protocol: Option<Protocol>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Protocol {
        #[serde(rename = "TCP")]
        Tcp,
        #[serde(rename = "UDP")]
        Udp,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Shape {
        Unit,
        Newtype(u32),
        Pair(u8, String),
        Named { a: bool },
    }

    const TEXTS: &[&str] = &[
        "",
        " ",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "1",
        "-1",
        "1.5",
        "-2.25e3",
        "1e400",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "01",
        "1.",
        "-",
        "1e",
        "1e+",
        "tru",
        "nul",
        "nulll",
        "\"a\"",
        "\"a",
        "\"\\u00e9\\n\\\"x\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83dx\"",
        "\"\\x\"",
        "\"\u{1}\"",
        "\"é ü 日本\"",
        "[]",
        "[1,2]",
        "[1,]",
        "[1 2]",
        "[",
        "[1",
        "{}",
        "{\"a\":1}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":",
        "{",
        "{\"name\":\"x\"}",
        "{\"name\":5}",
        "{\"name\":null}",
        "[\"x\"]",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":80}]}",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":70000}]}",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":-1}]}",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":8.5}]}",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":80,\"protocol\":\"SCTP\"}]}",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":80,\"hostIP\":\"1.2.3.4\"}]}",
        "{\"name\":\"x\",\"ports\":[{\"containerPort\":80,\"protocol\":\"UDP\"}]}",
        "{\"name\":\"x\",\"name\":\"y\"}",
        "{\"image\":\"x\"}",
        "{\"name\":\"x\",\"extra\":{\"deep\":[1,{\"z\":[true,false,null,\"s\\\"\"]}]}}",
        "{\"name\":\"x\",\"extra\":{\"deep\":[1,{\"z\":[tru]}]}}",
        "{\"name\":\"x\",\"extra\":[1,]}",
        "{\"name\":\"x\",\"extra\":{\"a\":1,}}",
        "{\"name\":\"x\",\"readOnly\":\"true\"}",
        "{\"name\":\"x\",\"readOnly\":1}",
        "{\"name\":\"x\",\"env\":\"plain\"}",
        "{\"name\":\"x\"} x",
        "{\"name\":\"x\"}  \n ",
        "{\n  \"name\": \"x\",\n  \"ports\": [\n    {\"containerPort\": \"80\"}\n  ]\n}",
        "\"Unit\"",
        "{\"Newtype\":7}",
        "{\"Pair\":[1,\"a\"]}",
        "{\"Named\":{\"a\":true}}",
        "{\"Named\":{\"a\":true},\"x\":1}",
        "\"Other\"",
        "{\"Unit\":null}",
        "[1,2,3]",
        "{\"a\":{\"b\":{\"c\":[[[[\"deep\"]]]]}}}",
        "  {\"k\" : [ 1 , 2 ] }  ",
    ];

    #[test]
    fn reads_as_serde_json_reads() {
        for text in TEXTS {
            agree::<serde_json::Value>(text);
            agree::<Option<String>>(text);
            agree::<Vec<String>>(text);
            agree::<Vec<u8>>(text);
            agree::<bool>(text);
            agree::<u16>(text);
            agree::<i64>(text);
            agree::<u64>(text);
            // serde_json also fills a struct from an array; this reader does not.
            if !text.trim_start().starts_with('[') {
                agree::<Option<Container<'_>>>(text);
            }
            agree::<BTreeMap<String, Vec<u32>>>(text);
            agree::<Shape>(text);
            agree::<Protocol>(text);
            agree::<()>(text);
        }
    }

    #[test]
    fn values_are_built_as_serde_json_builds_them() {
        for text in TEXTS {
            let ours = value(text);
            let theirs = serde_json::from_str::<serde_json::Value>(text);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(a), Err(b)) => {
                    let b_text = b.to_string();
                    assert!(b_text.starts_with(a.reason()), "{text}: {a} / {b}");
                }
                _ => panic!("{text}: ours {ours:?}, serde_json {theirs:?}"),
            }
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            value(&deep).unwrap_err().reason(),
            "recursion limit exceeded"
        );
    }

    #[test]
    fn raw_values_keep_their_text() {
        #[derive(Deserialize, Debug)]
        struct Envelope<'a> {
            #[serde(borrow)]
            object: &'a RawValue,
            boxed: Box<RawValue>,
            #[serde(default, borrow)]
            absent: Option<&'a RawValue>,
        }
        let text = r#"{ "object" : {"a": [1, "x\"y"] } , "boxed":"s", "absent": null}"#;
        let e: Envelope<'_> = from_str(text).unwrap();
        assert_eq!(e.object.get(), r#"{"a": [1, "x\"y"] }"#);
        assert_eq!(e.boxed.get(), r#""s""#);
        assert!(e.absent.is_none());
        let err = from_str::<Envelope<'_>>(r#"{"object": {"a": [1,]}, "boxed": 1}"#).unwrap_err();
        assert_eq!(err.reason(), "expected value");
    }

    #[test]
    fn long_numbers_round_to_the_nearest_float() {
        // Between 33333333333333331968 and ...36064, nearer the first.
        assert_eq!(
            from_str::<f64>("33333333333333333337").unwrap(),
            33333333333333331968.0
        );
        assert_eq!(from_str::<f64>("0.1").unwrap(), 0.1);
        assert_eq!(from_str::<u64>("18446744073709551615").unwrap(), u64::MAX);
        assert!(from_str::<u64>("18446744073709551616").is_err());
    }

    #[test]
    fn strings_are_borrowed_without_escapes() {
        let s: &str = from_str(r#""plain text, é""#).unwrap();
        assert_eq!(s, "plain text, é");
        assert!(from_str::<&str>(r#""a\nb""#).is_err());
        let s: String = from_str(r#""a\nb\u0041""#).unwrap();
        assert_eq!(s, "a\nbA");
        // Every length around the eight-byte scan, with the stop at each place.
        for len in 0..20 {
            for stop in ["\"", "\\n\"", "\u{1f}\""] {
                let body = "x".repeat(len);
                let text = format!("\"{body}{stop}");
                agree::<String>(&text);
            }
        }
    }

    #[test]
    fn a_struct_is_read_only_from_an_object() {
        let e = from_str::<Container<'_>>(r#"["x"]"#).unwrap_err();
        assert_eq!(
            e.reason(),
            "invalid type: sequence, expected struct Container"
        );
        assert!(serde_json::from_str::<Container<'_>>(r#"["x"]"#).is_ok());
    }

    #[test]
    fn nesting_is_limited_where_typed_and_free_where_skipped() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            from_str::<serde_json::Value>(&deep).unwrap_err().reason(),
            "recursion limit exceeded"
        );
        let skipped = format!("{{\"name\":\"x\",\"other\":{deep}}}");
        assert!(from_str::<Container<'_>>(&skipped).is_ok());
        for depth in [100, 127, 128, 129] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            agree::<serde_json::Value>(&text);
            agree::<Vec<serde_json::Value>>(&text);
        }
    }

    #[test]
    fn floats_in_messages_without_the_float_formatter() {
        // As written, not parsed (serde_json shows `2.5`).
        let e = from_str::<String>("2.50").unwrap_err();
        assert_eq!(
            e.reason(),
            "invalid type: floating point `2.50`, expected a string"
        );
        let e = from_str::<u16>("1e3").unwrap_err();
        assert_eq!(
            e.reason(),
            "invalid type: floating point `1e3`, expected u16"
        );
        // Parsed where a float is read.
        assert_eq!(from_str::<f64>("2.50").unwrap(), 2.5);
        assert_eq!(
            from_str::<f32>("1e400").unwrap_err().reason(),
            "number out of range"
        );
        let show = |x: f64| {
            struct S(f64);
            impl Display for S {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write_float(f, self.0)
                }
            }
            S(x).to_string()
        };
        assert_eq!(show(3.0), "3.0");
        assert_eq!(show(-0.0), "-0.0");
        assert_eq!(show(1.5), "1.5");
        assert_eq!(show(0.25), "0.25");
        assert_eq!(show(-12.125), "-12.125");
        assert_eq!(show(1e20), "a large number");
        for (x, shown) in [
            (9.0, "9"),
            (1.5, "1.5"),
            (-3.0, "-3"),
            (4.25, "4.25"),
            (0.5, "0.5"),
        ] {
            assert_eq!(Decimal(x).to_string(), shown);
            assert_eq!(format!("{x}"), shown);
        }
        // Through a visitor (an integer field given a float).
        agree::<u16>("8.5");
    }
}
