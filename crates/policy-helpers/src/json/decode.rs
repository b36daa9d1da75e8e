//! Direct decoding: the types the modules read, decoded by the reader itself rather than
//! through serde's `Deserialize`/`Visitor` protocol.
//!
//! Through serde, every field type is read by a visitor built for it (an `Option` visitor, a
//! sequence visitor, a struct visitor), and each of them is compiled once per reader and per
//! type it wraps, with the trait objects and the error paths every visitor carries. A
//! [`Decode`] type reads itself from the [`Deserializer`] with plain calls: an `Option` is a
//! `null` test and its inner type's call, a `Vec` the reader's element loop and one call per
//! element, a [`view!`](crate::view) struct the loop of [`decode_struct`] over its table of
//! names. The reads, their errors and the places of those errors are serde's through this
//! reader (the same messages, the same offsets); the tests in `de.rs` compare the two on over
//! two thousand texts, damaged and whole.
//!
//! A type with a hand-written `Deserialize` (an enum of settings values, a port that is a
//! number or a name) is decoded through it with [`decode_by_serde!`](crate::decode_by_serde):
//! still one reader, only that type's own code goes through serde.

use super::{Deserializer, Error, Str};
use crate::de::Fields;
use crate::prelude::*;
use alloc::collections::BTreeMap;
use serde::de::{self, Unexpected};

/// A type the modules' reader decodes directly (see the module documentation).
pub trait Decode<'de>: Sized {
    /// Reads one value of this type at the reader's position.
    ///
    /// # Errors
    /// When the text is not JSON or not this type's JSON; the error is placed as serde
    /// places it through this reader.
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error>;
}

/// A [`Decode`] type that borrows nothing from the text.
pub trait DecodeOwned: for<'de> Decode<'de> {}

impl<T: for<'de> Decode<'de>> DecodeOwned for T {}

/// Decodes a `T` from JSON text (see [`super::from_str`], its serde counterpart).
///
/// # Errors
/// When the text is not JSON, or not the JSON `T` reads; the error has the position.
pub fn decode<'de, T: Decode<'de>>(text: &'de str) -> Result<T, Error> {
    let mut r = Deserializer::new(text);
    let value = T::decode(&mut r).map_err(|e| r.place(e))?;
    r.end()?;
    Ok(value)
}

/// Implements [`Decode`] through the type's own `serde::Deserialize`, for types written by
/// hand (or derived) rather than declared with [`view!`](crate::view).
#[macro_export]
macro_rules! decode_by_serde {
    ($($ty:ty),* $(,)?) => {
        $(
            impl<'de> $crate::json::Decode<'de> for $ty {
                fn decode(
                    r: &mut $crate::json::Deserializer<'de>,
                ) -> ::core::result::Result<Self, $crate::json::Error> {
                    <$ty as $crate::__serde::Deserialize<'de>>::deserialize(r)
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> {
    /// An integer within `min..=max`, returned as its 64 bits (a negative value two's
    /// complement): serde's integer visitors' checks and messages (`invalid value: integer
    /// `300`, expected u8`), a float refused as written.
    #[inline(never)]
    fn integer(&mut self, exp: &'static str, min: i64, max: u64) -> Result<u64, Error> {
        match self.ws() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(self.invalid_type(&exp)),
        }
        let r = match self.number() {
            Ok(super::Number::U64(n)) if n <= max => Ok(n),
            Ok(super::Number::U64(n)) => {
                Err(de::Error::invalid_value(Unexpected::Unsigned(n), &exp))
            }
            Ok(super::Number::I64(v)) if v >= min => Ok(v as u64),
            Ok(super::Number::I64(v)) => Err(de::Error::invalid_value(Unexpected::Signed(v), &exp)),
            Ok(super::Number::Float(text)) => Err(super::float_type_error(text, &exp)),
            Err(e) => Err(e),
        };
        r.map_err(|e| self.place(e))
    }

    /// A string, owned.
    #[inline(never)]
    fn owned_string(&mut self) -> Result<String, Error> {
        match self.ws() {
            Some(b'"') => {
                self.index += 1;
                self.string()
                    .map(Str::into_string)
                    .map_err(|e| self.place(e))
            }
            _ => Err(self.invalid_type(&"a string")),
        }
    }

    /// Opens an array: `[`, one level deeper (`exp` names what was expected otherwise).
    #[inline(never)]
    fn open_seq(&mut self, exp: &'static str) -> Result<(), Error> {
        match self.ws() {
            Some(b'[') => self.enter(),
            _ => Err(self.invalid_type(&exp)),
        }
    }

    /// Closes an array read by [`Decode`]: its `]`, and the read's result placed as serde
    /// places a sequence visitor's.
    #[inline(never)]
    fn close_seq(&mut self, read: Result<(), Error>) -> Result<(), Error> {
        let end = self.end_seq();
        read.and(end).map_err(|e| self.place(e))
    }

    /// The next key a struct reads (see [`crate::de`]'s `next_field`, the same step through
    /// serde): its index in `names`, a key the struct does not read skipped (refused when
    /// `deny_unknown`), a duplicate refused, `None` at the end once the `required` keys are
    /// all there. One copy for every struct.
    #[inline(never)]
    fn next_field(
        &mut self,
        names: &'static [&'static str],
        deny_unknown: bool,
        required: u64,
        seen: &mut u64,
        first: &mut bool,
    ) -> Result<Option<usize>, Error> {
        loop {
            let is_first = core::mem::replace(first, false);
            let Some(key) = self.next_key(is_first)? else {
                break;
            };
            let key = match &key {
                Str::Borrowed(s) => s,
                Str::Owned(s) => s.as_str(),
            };
            match crate::de::index_of(names, key) {
                Some(index) => {
                    let bit = 1u64 << index;
                    if *seen & bit != 0 {
                        return Err(de::Error::duplicate_field(names[index]));
                    }
                    *seen |= bit;
                    return Ok(Some(index));
                }
                None if deny_unknown => {
                    return Err(self.place(de::Error::unknown_field(key, names)));
                }
                None => {
                    self.colon()?;
                    self.skip().map_err(|e| self.place(e))?;
                }
            }
        }
        let missing = required & !*seen;
        if missing != 0 {
            return Err(de::Error::missing_field(
                names[missing.trailing_zeros() as usize],
            ));
        }
        Ok(None)
    }
}

/// Reads a [`view!`](crate::view) struct: `{`, its entries through the struct's
/// [`Fields::decode_field`], `}`; what serde's struct visitor of `view!` does, with the same
/// errors at the same places.
///
/// # Errors
/// The reader's or a field's error.
#[inline]
pub fn decode_struct<'de, T: Fields<'de>>(r: &mut Deserializer<'de>) -> Result<T, Error> {
    r.open_map(&T::EXPECTING)?;
    let mut out = T::default();
    let mut seen = 0u64;
    let mut first = true;
    let read = loop {
        match r.next_field(
            T::NAMES,
            T::DENY_UNKNOWN,
            T::REQUIRED,
            &mut seen,
            &mut first,
        ) {
            Ok(Some(index)) => {
                if let Err(e) = out.decode_field(index, r) {
                    break Err(e);
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    match read {
        Ok(()) => {
            r.close_map()?;
            Ok(out)
        }
        Err(e) => Err(r.close_map_after(e)),
    }
}

/// Reads an entry's value into `field`: the colon, then a `T`, its error placed at the entry.
/// Compiled once per field type, however many structs have a field of that type.
///
/// # Errors
/// The reader's error when the value is not a `T`.
#[inline(never)]
pub fn field<'de, T: Decode<'de>>(r: &mut Deserializer<'de>, field: &mut T) -> Result<(), Error> {
    r.colon()?;
    *field = T::decode(r).map_err(|e| r.place(e))?;
    Ok(())
}

/// [`field`] for an `or_default` field: `null` stores `T::default()`.
///
/// # Errors
/// The reader's error when the value is neither `null` nor a `T`.
#[inline(never)]
pub fn field_or_default<'de, T: Decode<'de> + Default>(
    r: &mut Deserializer<'de>,
    field: &mut T,
) -> Result<(), Error> {
    r.colon()?;
    *field = Option::<T>::decode(r)
        .map_err(|e| r.place(e))?
        .unwrap_or_default();
    Ok(())
}

/// [`field`] for a `with(path)` field: the value read by the serde-shaped function `read`.
///
/// # Errors
/// The function's error.
pub fn field_with<'de, T, F>(r: &mut Deserializer<'de>, field: &mut T, read: F) -> Result<(), Error>
where
    F: FnOnce(&mut Deserializer<'de>) -> Result<T, Error>,
{
    r.colon()?;
    *field = read(r).map_err(|e| r.place(e))?;
    Ok(())
}

impl<'de> Decode<'de> for bool {
    #[inline(never)]
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        let v = match r.ws() {
            Some(b't') => r.literal(b"rue").map(|()| true),
            Some(b'f') => r.literal(b"alse").map(|()| false),
            _ => return Err(r.invalid_type(&"a boolean")),
        };
        v.map_err(|e| r.place(e))
    }
}

macro_rules! decode_integers {
    ($($ty:ident)*) => {
        $(
            impl<'de> Decode<'de> for $ty {
                fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
                    // In range: the cast only takes the value back from 64 bits.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                    r.integer(stringify!($ty), $ty::MIN as i64, $ty::MAX as u64)
                        .map(|n| n as $ty)
                }
            }
        )*
    };
}

decode_integers! { i8 i16 i32 i64 u8 u16 u32 u64 }

impl<'de> Decode<'de> for f64 {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        match r.ws() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(r.invalid_type(&"f64")),
        }
        #[allow(clippy::cast_precision_loss)]
        let x = match r.number() {
            Ok(super::Number::U64(n)) => Ok(n as f64),
            Ok(super::Number::I64(v)) => Ok(v as f64),
            Ok(super::Number::Float(text)) => r.float(text),
            Err(e) => Err(e),
        };
        x.map_err(|e| r.place(e))
    }
}

impl<'de> Decode<'de> for String {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        r.owned_string()
    }
}

impl<'de: 'a, 'a> Decode<'de> for &'a str {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        match r.ws() {
            Some(b'"') => {
                r.index += 1;
                let v = match r.string() {
                    Ok(Str::Borrowed(s)) => Ok(s),
                    Ok(Str::Owned(s)) => Err(de::Error::invalid_type(
                        Unexpected::Str(&s),
                        &"a borrowed string",
                    )),
                    Err(e) => Err(e),
                };
                v.map_err(|e| r.place(e))
            }
            _ => Err(r.invalid_type(&"a borrowed string")),
        }
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Option<T> {
    #[inline(always)]
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        if r.null()? {
            Ok(None)
        } else {
            T::decode(r).map(Some)
        }
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Box<T> {
    #[inline(always)]
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        T::decode(r).map(Box::new)
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Vec<T> {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        r.open_seq("a sequence")?;
        let mut out = Vec::new();
        let mut first = true;
        let read = loop {
            match r.next_element(first) {
                Ok(true) => {}
                Ok(false) => break Ok(()),
                Err(e) => break Err(e),
            }
            first = false;
            match T::decode(r) {
                Ok(v) => out.push(v),
                Err(e) => break Err(e),
            }
        };
        r.close_seq(read).map(|()| out)
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for BTreeMap<String, T> {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        r.open_map(&"a map")?;
        let mut out = BTreeMap::new();
        let mut first = true;
        let read = loop {
            let key = match r.next_key(first) {
                Ok(Some(key)) => key.into_string(),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            first = false;
            if let Err(e) = r.colon() {
                break Err(e);
            }
            match T::decode(r) {
                Ok(v) => {
                    out.insert(key, v);
                }
                Err(e) => break Err(r.place(e)),
            }
        };
        match read {
            Ok(()) => {
                r.close_map()?;
                Ok(out)
            }
            Err(e) => Err(r.close_map_after(e)),
        }
    }
}

impl<'de> Decode<'de> for de::IgnoredAny {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        r.skip()?;
        Ok(de::IgnoredAny)
    }
}

impl<'de: 'a, 'a> Decode<'de> for &'a serde_json::value::RawValue {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        serde::Deserialize::deserialize(r)
    }
}

impl<'de> Decode<'de> for Box<serde_json::value::RawValue> {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        serde::Deserialize::deserialize(r)
    }
}

impl<'de> Decode<'de> for serde_json::Value {
    fn decode(r: &mut Deserializer<'de>) -> Result<Self, Error> {
        r.value()
    }
}
