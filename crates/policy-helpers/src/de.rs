//! Deserialisation helpers shared by the views, and [`view!`](crate::view), the struct
//! decoder every view and settings type of the bundle can use instead of `#[derive(Deserialize)]`.
//!
//! A derived decoder is compiled per struct: a field-name enum with its own visitor, a map
//! visitor holding one `Option` per field, a duplicate check and an error exit per field that
//! drops every field read so far, then the struct assembled from the `Option`s. In a module
//! those were about a third of the code (BENCHMARKS.md, "What a module is made of"). A
//! `view!` struct is read by one loop ([`StructVisitor`]): it starts from `Default` and writes
//! each field in place, keeps one bit per field for duplicates, has one drop on error, and
//! looks keys up in the struct's table of JSON names with one function shared by every struct
//! ([`FieldKey`]). Per struct there is the loop and one direct call per field; everything
//! else is shared: the key step ([`next_field`]: lookup, skip, duplicate and required checks)
//! is compiled once per reader, and a field type's reader ([`read_field`]) once however many
//! structs have a field of that type (session 12; before, the key step and every field's read
//! were inlined into each struct's decoder, about 1.2 KB per struct). The calls are direct:
//! a table of function pointers was smaller still but slower on a fresh instance, where the
//! engine initialises each table entry on its first use (BENCHMARKS.md, "Session 12").
//!
//! A `view!` struct also implements [`crate::json::Decode`]: the modules' reader decodes it
//! directly, with the same loop written against the reader (`json::decode_struct`, one call
//! per field to `json::field` for its type) and no serde visitor at all; the `Deserialize`
//! implementation serves serde_json in native code and the few hand-written decoders that
//! read a view inside them. The tests below check both against the derive.
//!
//! It reads what the derive reads, with the same errors (`invalid type: …, expected struct
//! Name`, ``duplicate field `x` ``, ``missing field `x` ``, and with `deny_unknown_fields`
//! ``unknown field `x`, expected one of …``), at the same places; the tests below compare the
//! two on a set of texts and on over two thousand damaged ones.

use crate::prelude::*;
use core::fmt;
use core::marker::PhantomData;

use serde::Deserialize;
use serde::Deserializer;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};

/// A struct read by [`StructVisitor`]: its JSON names, and how to read the field at an index
/// of that table. Implemented by [`view!`](crate::view); not meant to be written by hand.
pub trait Fields<'de>: Default {
    /// What an error names as expected, e.g. `struct SecurityContext`.
    const EXPECTING: &'static str;
    /// The JSON name of every field read, in order (at most 64).
    const NAMES: &'static [&'static str];
    /// Whether a key not in [`Fields::NAMES`] is an error (`deny_unknown_fields`).
    const DENY_UNKNOWN: bool;
    /// One bit per entry of [`Fields::NAMES`] that must be present (`missing field` otherwise).
    const REQUIRED: u64;
    /// Reads the value of the field `NAMES[index]` into `self`: one direct call per field to
    /// the reader of its type ([`read_field`]).
    ///
    /// # Errors
    /// The reader's error when the value does not fit the field.
    fn read<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;

    /// [`Fields::read`] for the modules' reader directly ([`crate::json::Decode`]): one direct
    /// call per field to [`crate::json::field`] for its type.
    ///
    /// # Errors
    /// The reader's error when the value does not fit the field.
    fn decode_field(
        &mut self,
        index: usize,
        r: &mut crate::json::Deserializer<'de>,
    ) -> Result<(), crate::json::Error>;
}

/// Reads a `T` into `field` (its previous value dropped). Compiled once per field type and
/// reader, however many structs have a field of that type.
///
/// # Errors
/// The reader's error when the value is not a `T`.
#[inline(never)]
pub fn read_field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    field: &mut T,
) -> Result<(), A::Error> {
    *field = map.next_value()?;
    Ok(())
}

/// [`read_field`] for an `or_default` field: `null` stores `T::default()`.
///
/// # Errors
/// The reader's error when the value is neither `null` nor a `T`.
#[inline(never)]
pub fn read_field_or_default<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default>(
    map: &mut A,
    field: &mut T,
) -> Result<(), A::Error> {
    *field = map.next_value::<Option<T>>()?.unwrap_or_default();
    Ok(())
}

/// A value read by a `with(path)` function, unwrapped into its field's type.
pub trait Wrapped {
    /// The field's type.
    type Inner;
    /// The value.
    fn into_inner(self) -> Self::Inner;
}

/// [`read_field`] for a `with(path)` field, through the wrapper `W` that calls the function.
///
/// # Errors
/// The function's error.
pub fn read_field_with<'de, A: MapAccess<'de>, W: Deserialize<'de> + Wrapped>(
    map: &mut A,
    field: &mut W::Inner,
) -> Result<(), A::Error> {
    *field = map.next_value::<W>()?.into_inner();
    Ok(())
}

/// An object key looked up in a struct's table of JSON names: `Some(index)`, or `None` for a
/// key the struct does not read (an error instead when unknown keys are denied).
pub struct FieldKey {
    names: &'static [&'static str],
    deny_unknown: bool,
}

pub(crate) fn index_of(names: &[&str], key: &str) -> Option<usize> {
    let key = key.as_bytes();
    names
        .iter()
        .position(|n| n.len() == key.len() && same_bytes(n.as_bytes(), key))
}

/// Equality of two slices of the same length, compared eight bytes at a time. (Measured
/// against a plain `==` in the guest: no difference on the typical request; either would do.)
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i + 8 <= a.len() {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if x != y {
            return false;
        }
        i += 8;
    }
    a[i..] == b[i..]
}

impl<'de> DeserializeSeed<'de> for FieldKey {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldKey {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        match index_of(self.names, key) {
            None if self.deny_unknown => Err(E::unknown_field(key, self.names)),
            found => Ok(found),
        }
    }

    fn visit_bytes<E: serde::de::Error>(self, key: &[u8]) -> Result<Option<usize>, E> {
        self.visit_str(&String::from_utf8_lossy(key))
    }
}

/// The bit mask of the `true` entries (at most 64), for [`Fields::REQUIRED`].
pub const fn mask(flags: &[bool]) -> u64 {
    let mut mask = 0u64;
    let mut i = 0;
    while i < flags.len() {
        if flags[i] {
            mask |= 1 << i;
        }
        i += 1;
    }
    mask
}

/// The map visitor of every [`view!`](crate::view) struct.
pub struct StructVisitor<T>(PhantomData<T>);

impl<T> StructVisitor<T> {
    /// The visitor for `T`.
    pub const fn new() -> Self {
        StructVisitor(PhantomData)
    }
}

impl<T> Default for StructVisitor<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, T: Fields<'de>> Visitor<'de> for StructVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    #[inline(always)]
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        let table = Table {
            names: T::NAMES,
            deny_unknown: T::DENY_UNKNOWN,
            required: T::REQUIRED,
        };
        let mut seen = 0u64;
        while let Some(index) = next_field(&mut map, &table, &mut seen)? {
            out.read(index, &mut map)?;
        }
        Ok(out)
    }
}

/// What [`next_field`] needs of a struct.
pub struct Table {
    names: &'static [&'static str],
    deny_unknown: bool,
    required: u64,
}

/// The step of the loop over an object's entries that does not depend on the struct (one copy
/// per reader): the next key the struct reads, as its index in the table (a key it does not
/// read skipped, or refused with `deny_unknown_fields`; a duplicate refused), or `None` at the
/// end of the object once the required keys are all there (`seen` holds a bit per key read).
#[inline(never)]
fn next_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    table: &Table,
    seen: &mut u64,
) -> Result<Option<usize>, A::Error> {
    while let Some(found) = map.next_key_seed(FieldKey {
        names: table.names,
        deny_unknown: table.deny_unknown,
    })? {
        match found {
            Some(index) => {
                let bit = 1u64 << index;
                if *seen & bit != 0 {
                    return Err(A::Error::duplicate_field(table.names[index]));
                }
                *seen |= bit;
                return Ok(Some(index));
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    let missing = table.required & !*seen;
    if missing != 0 {
        return Err(A::Error::missing_field(
            table.names[missing.trailing_zeros() as usize],
        ));
    }
    Ok(None)
}

/// Declares a struct read from a JSON object, each field with its JSON name, and implements
/// [`crate::json::Decode`] for it (what the modules use) and `serde::Deserialize` through the
/// shared [`StructVisitor`](crate::de::StructVisitor).
///
/// ```
/// policy_helpers::view! {
///     /// `securityContext.capabilities`
///     #[derive(Debug, Clone, Default)]
///     pub struct Capabilities {
///         /// `add`: `null` reads as empty.
///         pub add: Vec<String> = "add" or_default,
///         /// `drop`
///         pub drop: Option<Vec<String>> = "drop",
///     }
/// }
/// let c: Capabilities = policy_helpers::json::from_str(r#"{"add":null,"drop":["ALL"]}"#).unwrap();
/// assert!(c.add.is_empty());
/// ```
///
/// Every field absent from the object keeps the struct's `Default` (the struct must implement
/// it: derive it or write it). `= "key"` names the field's JSON key; `or_default` reads `null`
/// as the field's default instead of an error; `required` makes an object without the key an
/// error (``missing field `key` ``, the first one in declaration order, as the derive reports
/// it); `with(path)` reads the value with a function of serde's `deserialize_with` shape
/// (`fn<'de, D: Deserializer<'de>>(D) -> Result<T, D::Error>`; the field's type then cannot
/// borrow from the input); a field without `= "key"` is not read. A struct
/// marked `[deny_unknown_fields]` after its name refuses keys it does not read. A struct may
/// borrow from the input with one lifetime (`pub struct PodSpec<'a>`). At most 64 fields.
#[macro_export]
macro_rules! view {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? $([$deny:ident])? {
            $(
                $(#[$fattr:meta])*
                $fvis:vis $field:ident : $ty:ty $(= $key:literal $($mode:ident $(($with:path))?)?)?
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name $(<$lt>)? {
            $( $(#[$fattr])* $fvis $field: $ty, )*
        }

        impl<'de $(: $lt, $lt)?> $crate::de::Fields<'de> for $name $(<$lt>)? {
            const EXPECTING: &'static str = concat!("struct ", stringify!($name));
            const NAMES: &'static [&'static str] = &[$($($key,)?)*];
            const DENY_UNKNOWN: bool = $crate::view!(@deny $($deny)?);
            const REQUIRED: u64 =
                $crate::de::mask(&[$($($crate::view!(@required $($mode)?),)?)*]);

            #[allow(unused_assignments, unused_mut, unused_variables)]
            #[inline]
            fn read<A: $crate::__serde::de::MapAccess<'de>>(
                &mut self,
                index: usize,
                map: &mut A,
            ) -> ::core::result::Result<(), A::Error> {
                let mut at = 0usize;
                $($(
                    let _ = $key;
                    if index == at {
                        return $crate::view!(@read map self.$field, [$ty] $($mode $(($with))?)?);
                    }
                    at += 1;
                )?)*
                Ok(())
            }

            #[allow(unused_assignments, unused_mut, unused_variables)]
            #[inline]
            fn decode_field(
                &mut self,
                index: usize,
                r: &mut $crate::json::Deserializer<'de>,
            ) -> ::core::result::Result<(), $crate::json::Error> {
                let mut at = 0usize;
                $($(
                    let _ = $key;
                    if index == at {
                        return $crate::view!(@decode r self.$field, [$ty] $($mode $(($with))?)?);
                    }
                    at += 1;
                )?)*
                Ok(())
            }
        }

        impl<'de $(: $lt, $lt)?> $crate::json::Decode<'de> for $name $(<$lt>)? {
            fn decode(
                r: &mut $crate::json::Deserializer<'de>,
            ) -> ::core::result::Result<Self, $crate::json::Error> {
                $crate::json::decode_struct(r)
            }
        }

        const _: () = {
            let names: &[&str] = &[$($($key,)?)*];
            assert!(names.len() <= 64, "view!: at most 64 fields");
        };

        impl<'de $(: $lt, $lt)?> $crate::__serde::Deserialize<'de> for $name $(<$lt>)? {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                d.deserialize_struct(
                    stringify!($name),
                    <Self as $crate::de::Fields<'de>>::NAMES,
                    $crate::de::StructVisitor::<Self>::new(),
                )
            }
        }
    };
    (@deny) => { false };
    (@deny deny_unknown_fields) => { true };
    (@required) => { false };
    (@required or_default) => { false };
    (@required required) => { true };
    (@required with) => { false };
    (@read $map:ident $self:ident.$field:ident, [$ty:ty]) => {
        $crate::de::read_field::<A, $ty>($map, &mut $self.$field)
    };
    (@read $map:ident $self:ident.$field:ident, [$ty:ty] required) => {
        $crate::de::read_field::<A, $ty>($map, &mut $self.$field)
    };
    (@read $map:ident $self:ident.$field:ident, [$ty:ty] or_default) => {
        $crate::de::read_field_or_default::<A, $ty>($map, &mut $self.$field)
    };
    (@decode $r:ident $self:ident.$field:ident, [$ty:ty]) => {
        $crate::json::field::<$ty>($r, &mut $self.$field)
    };
    (@decode $r:ident $self:ident.$field:ident, [$ty:ty] required) => {
        $crate::json::field::<$ty>($r, &mut $self.$field)
    };
    (@decode $r:ident $self:ident.$field:ident, [$ty:ty] or_default) => {
        $crate::json::field_or_default::<$ty>($r, &mut $self.$field)
    };
    (@decode $r:ident $self:ident.$field:ident, [$ty:ty] with ($f:path)) => {
        $crate::json::field_with::<$ty, _>($r, &mut $self.$field, |d| $f(d))
    };
    (@read $map:ident $self:ident.$field:ident, [$ty:ty] with ($f:path)) => {{
        struct With($ty);
        impl<'w> $crate::__serde::Deserialize<'w> for With {
            fn deserialize<D: $crate::__serde::Deserializer<'w>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $f(d).map(With)
            }
        }
        impl $crate::de::Wrapped for With {
            type Inner = $ty;
            fn into_inner(self) -> $ty {
                self.0
            }
        }
        $crate::de::read_field_with::<A, With>($map, &mut $self.$field)
    }};
}

#[cfg(test)]
mod tests {
    //! `view!` against `#[derive(Deserialize)]`: the same struct declared both ways must read
    //! every text to the same value or to the same error at the same place, through the
    //! modules' reader and through serde_json.
    #![allow(dead_code)] // the structs are compared through their `Debug` output only

    use alloc::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::value::RawValue;

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    struct InnerD {
        #[serde(rename = "type", deserialize_with = "null_or_default")]
        kind: String,
        level: Option<i64>,
    }

    fn null_or_default<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(
        d: D,
    ) -> Result<T, D::Error> {
        Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    struct OuterD<'a> {
        #[serde(deserialize_with = "null_or_default")]
        name: String,
        privileged: Option<bool>,
        run_as_user: Option<i64>,
        #[serde(deserialize_with = "null_or_default")]
        items: Vec<InnerD>,
        inner: Option<Box<InnerD>>,
        #[serde(borrow)]
        raw: Option<&'a RawValue>,
        #[serde(deserialize_with = "null_or_default")]
        labels: BTreeMap<String, String>,
        #[serde(skip)]
        skipped: u8,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct StrictD {
        mode: String,
        #[serde(default)]
        count: u32,
        hint: Option<String>,
        #[serde(default)]
        inner: InnerD,
    }

    crate::view! {
        #[derive(Debug, Default)]
        struct InnerV {
            kind: String = "type" or_default,
            level: Option<i64> = "level",
        }
    }

    crate::view! {
        #[derive(Debug, Default)]
        struct OuterV<'a> {
            name: String = "name" or_default,
            privileged: Option<bool> = "privileged",
            run_as_user: Option<i64> = "runAsUser",
            items: Vec<InnerV> = "items" or_default,
            inner: Option<Box<InnerV>> = "inner",
            raw: Option<&'a RawValue> = "raw",
            labels: BTreeMap<String, String> = "labels" with(null_or_default),
            skipped: u8,
        }
    }

    crate::view! {
        #[derive(Debug, Default)]
        struct StrictV [deny_unknown_fields] {
            mode: String = "mode" required,
            count: u32 = "count",
            hint: Option<String> = "hint",
            inner: InnerV = "inner",
        }
    }

    /// The derived and the declared struct print alike once the type names are made equal.
    fn same<'a, D, V>(text: &'a str)
    where
        D: Deserialize<'a> + core::fmt::Debug,
        V: Deserialize<'a> + crate::json::Decode<'a> + core::fmt::Debug,
    {
        let show = |s: String| {
            s.replace("InnerD", "Inner")
                .replace("InnerV", "Inner")
                .replace("OuterD", "Outer")
                .replace("OuterV", "Outer")
                .replace("StrictD", "Strict")
                .replace("StrictV", "Strict")
        };
        let ours = |r: Result<String, crate::json::Error>| match r {
            Ok(v) => Ok(show(v)),
            Err(e) => Err((show(e.reason().to_string()), e.offset())),
        };
        let derived = ours(crate::json::from_str::<D>(text).map(|v| format!("{v:?}")));
        let declared = ours(crate::json::from_str::<V>(text).map(|v| format!("{v:?}")));
        assert_eq!(derived, declared, "modules' reader, text {text}");
        // The same struct decoded directly (`json::Decode`, what the modules use).
        let direct = ours(crate::json::decode::<V>(text).map(|v| format!("{v:?}")));
        assert_eq!(
            derived, direct,
            "modules' reader, direct decoding, text {text}"
        );
        let sj = |r: Result<String, serde_json::Error>| match r {
            Ok(v) => Ok(show(v)),
            Err(e) => Err(show(e.to_string())),
        };
        let derived = sj(serde_json::from_str::<D>(text).map(|v| format!("{v:?}")));
        let declared = sj(serde_json::from_str::<V>(text).map(|v| format!("{v:?}")));
        // serde_json fills a derived struct from an array as well; `view!` structs, like the
        // modules' reader, take only objects: compared where no array can stand for one.
        if !text.contains('[') {
            assert_eq!(derived, declared, "serde_json, text {text}");
        }
    }

    const TEXTS: &[&str] = &[
        r#"{}"#,
        r#"{"name":"web","privileged":true,"runAsUser":0}"#,
        r#"{"name":null,"items":null,"labels":null,"inner":null,"raw":null}"#,
        r#"{"items":[{"type":"a","level":3},{"type":null},{}],"inner":{"type":"x"}}"#,
        r#"{"raw":{"deep":[1,2,{"x":"y"}]},"unknown":[1,{"a":2}],"labels":{"a":"b"}}"#,
        r#"{"name":"a","name":"b"}"#,
        r#"{"privileged":"true"}"#,
        r#"{"privileged":1}"#,
        r#"{"runAsUser":1.5}"#,
        r#"{"runAsUser":-1}"#,
        r#"{"runAsUser":18446744073709551616}"#,
        r#"{"items":{"type":"a"}}"#,
        r#"{"items":[{"type":1}]}"#,
        r#"{"items":[{"level":"x"}]}"#,
        r#"{"items":[{"type":"a","type":"b"}]}"#,
        r#"{"inner":[]}"#,
        r#"{"inner":"x"}"#,
        r#"{"labels":{"a":1}}"#,
        r#"{"skipped":7}"#,
        r#"[]"#,
        r#"["web"]"#,
        r#""x""#,
        r#"null"#,
        r#"7"#,
        r#"{"name":"web""#,
        r#"{"name":"web",}"#,
        r#"{"name" "web"}"#,
        r#"{"na\u006de":"esc"}"#,
        r#"{"privileged":true} x"#,
    ];

    const STRICT_TEXTS: &[&str] = &[
        r#"{"mode":"enforce"}"#,
        r#"{}"#,
        r#"{"count":3}"#,
        r#"{"mode":"a","count":1,"hint":null,"inner":{"type":"t"}}"#,
        r#"{"mode":"a","extra":1}"#,
        r#"{"extra":1}"#,
        r#"{"mode":"a","mode":"b"}"#,
        r#"{"mode":null}"#,
        r#"{"mode":"a","count":-1}"#,
        r#"{"mode":"a","inner":null}"#,
        r#"{"mode":"a","inner":{"type":"t","other":1}}"#,
        r#"{"hint":"h","count":2}"#,
    ];

    #[test]
    fn declared_structs_read_as_derived_ones() {
        for text in TEXTS {
            same::<OuterD<'_>, OuterV<'_>>(text);
        }
        for text in STRICT_TEXTS {
            same::<StrictD, StrictV>(text);
        }
    }

    #[test]
    fn declared_structs_read_damaged_texts_as_derived_ones() {
        // Every text above cut at each byte, and with each byte replaced by a few others.
        let mut texts = Vec::new();
        for text in TEXTS.iter().chain(STRICT_TEXTS) {
            for cut in 0..text.len() {
                if text.is_char_boundary(cut) {
                    texts.push(text[..cut].to_string());
                }
            }
            for at in 0..text.len() {
                for b in [b'"', b'{', b'}', b'[', b',', b':', b'1', b'n', b' '] {
                    let mut bytes = text.as_bytes().to_vec();
                    bytes[at] = b;
                    if let Ok(t) = String::from_utf8(bytes) {
                        texts.push(t);
                    }
                }
            }
        }
        assert!(texts.len() > 2_000);
        for text in &texts {
            same::<OuterD<'_>, OuterV<'_>>(text);
            same::<StrictD, StrictV>(text);
        }
    }

    #[test]
    fn unknown_fields_are_named_with_the_fields_read() {
        let err = crate::json::from_str::<StrictV>(r#"{"mode":"a","extra":1}"#).unwrap_err();
        assert_eq!(
            err.reason(),
            "unknown field `extra`, expected one of `mode`, `count`, `hint`, `inner`"
        );
        let err = crate::json::from_str::<StrictV>(r#"{"count":1}"#).unwrap_err();
        assert_eq!(err.reason(), "missing field `mode`");
    }
}
