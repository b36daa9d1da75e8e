//! Network objects and values: IPv4/IPv6 CIDRs, ports and port sets, host names, and typed views
//! of `Service`, `Ingress`, `NetworkPolicy` and Gateway API `Gateway`.
//!
//! Everything here parses by hand with the standard library (no regex, no extra crates) and
//! fails with a message instead of panicking:
//!
//! - [`IpNet`]: `10.0.0.0/8`, `::/0`, a bare address (a host route); IPv4-mapped IPv6
//!   (`::ffff:169.254.169.254`) is read as the IPv4 address it is, so it cannot hide an IPv4
//!   range from a containment check. Host bits are masked for comparisons.
//! - [`PortSpec`] and [`PortSet`]: settings entries `443`, `"8000-8100"` or a port name
//!   (`"https"`); a set answers for a number, a name, or a whole range (`port`..`endPort`).
//! - [`PortRef`]: an int-or-string port of an object (`targetPort`, NetworkPolicy `port`).
//! - host names: [`normalise_host`], [`wildcard_covers`], [`in_domain`], [`check_host_pattern`].
//! - views: [`ServiceView`], [`IngressView`], [`NetworkPolicyView`], [`GatewayView`], each
//!   decoding only what network rules read (unknown fields ignored, `null` read as absent).

use crate::prelude::*;
use alloc::collections::BTreeMap;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

use crate::request::ObjectMeta;

// ---------------------------------------------------------------------------------------------
// CIDRs
// ---------------------------------------------------------------------------------------------

/// An IPv4 or IPv6 network: address (host bits masked) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpNet {
    /// IPv4 network.
    V4 {
        /// Network address, host bits cleared.
        addr: u32,
        /// Prefix length, 0..=32.
        prefix: u8,
    },
    /// IPv6 network.
    V6 {
        /// Network address, host bits cleared.
        addr: u128,
        /// Prefix length, 0..=128.
        prefix: u8,
    },
}

fn mask4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn mask6(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
}

impl IpNet {
    /// Parses `addr/prefix`, or a bare address as a host route (`/32`, `/128`).
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse(text: &str) -> Result<IpNet, String> {
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("{text:?} has an invalid prefix length"));
                }
                (
                    a,
                    Some(
                        p.parse::<u8>()
                            .map_err(|_| format!("{text:?} has an invalid prefix length"))?,
                    ),
                )
            }
            None => (t, None),
        };
        if let Ok(v4) = addr.parse::<Ipv4Addr>() {
            let prefix = prefix.unwrap_or(32);
            if prefix > 32 {
                return Err(format!("{text:?}: an IPv4 prefix length is at most 32"));
            }
            return Ok(IpNet::V4 {
                addr: u32::from(v4) & mask4(prefix),
                prefix,
            });
        }
        if let Ok(v6) = addr.parse::<Ipv6Addr>() {
            let prefix = prefix.unwrap_or(128);
            if prefix > 128 {
                return Err(format!("{text:?}: an IPv6 prefix length is at most 128"));
            }
            if let Some(v4) = v6.to_ipv4_mapped()
                && prefix >= 96
            {
                let p = prefix - 96;
                return Ok(IpNet::V4 {
                    addr: u32::from(v4) & mask4(p),
                    prefix: p,
                });
            }
            return Ok(IpNet::V6 {
                addr: u128::from(v6) & mask6(prefix),
                prefix,
            });
        }
        Err(format!("{text:?} is not an IP address or CIDR"))
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        match self {
            IpNet::V4 { prefix, .. } | IpNet::V6 { prefix, .. } => *prefix,
        }
    }

    /// Whether this is an IPv4 network.
    pub fn is_v4(&self) -> bool {
        matches!(self, IpNet::V4 { .. })
    }

    /// Whether it is the whole address space of its family (`0.0.0.0/0`, `::/0`).
    pub fn is_everything(&self) -> bool {
        self.prefix() == 0
    }

    /// Whether every address of `other` is in `self` (same family only).
    pub fn contains(&self, other: &IpNet) -> bool {
        match (*self, *other) {
            (
                IpNet::V4 { addr, prefix },
                IpNet::V4 {
                    addr: o,
                    prefix: op,
                },
            ) => prefix <= op && (o & mask4(prefix)) == addr,
            (
                IpNet::V6 { addr, prefix },
                IpNet::V6 {
                    addr: o,
                    prefix: op,
                },
            ) => prefix <= op && (o & mask6(prefix)) == addr,
            _ => false,
        }
    }

    /// Whether the two networks share an address.
    pub fn overlaps(&self, other: &IpNet) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IpNet::V4 { addr, prefix } => write!(f, "{}/{}", Ipv4Addr::from(addr), prefix),
            IpNet::V6 { addr, prefix } => write!(f, "{}/{}", Ipv6Addr::from(addr), prefix),
        }
    }
}

struct IpNetVisitor;

impl Visitor<'_> for IpNetVisitor {
    type Value = IpNet;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an IP address or CIDR")
    }
    // Parsing inside the visitor lets the decoder place the error at the value, so the
    // message names the list entry.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<IpNet, E> {
        IpNet::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(IpNetVisitor)
    }
}

crate::decode_by_serde!(IpNet);

/// Parses a list of CIDRs from settings; the error names `key[i]`.
///
/// # Errors
/// The first entry that does not parse.
pub fn parse_cidrs(key: &str, items: &[String]) -> Result<Vec<IpNet>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| IpNet::parse(s).map_err(|e| format!("{key}[{i}]: {e}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Address spellings
// ---------------------------------------------------------------------------------------------

impl IpNet {
    /// Parses an address or CIDR as Kubernetes' legacy ("sloppy") parser does
    /// (`k8s.io/utils/net.ParseIPSloppy` / `ParseCIDRSloppy`, Go 1.16's `net` parser): as
    /// [`IpNet::parse`], but an IPv4 octet may carry leading zeros and is still *decimal*
    /// (`010.001.002.003` is `10.1.2.3`). The API server validates `Service.spec.externalIPs`,
    /// `spec.loadBalancerSourceRanges` (and its annotation) and NetworkPolicy `ipBlock` with
    /// it, and kube-proxy and the cloud provider read those fields with it, so this is the
    /// address they act on. Go's current `net.ParseIP`/`ParseCIDR` (used by CNI dataplanes)
    /// refuses such octets instead.
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse_sloppy(text: &str) -> Result<IpNet, String> {
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        match sloppy_dotted_quad(addr) {
            Some(v4) if v4.to_string() != addr => {
                let rebuilt = match prefix {
                    Some(p) => format!("{v4}/{p}"),
                    None => v4.to_string(),
                };
                IpNet::parse(&rebuilt).map_err(|_| format!("{text:?} has an invalid prefix length"))
            }
            _ => IpNet::parse(text),
        }
    }

    /// The first and last address of the network, as numbers of its family.
    pub fn first_last(&self) -> (u128, u128) {
        match *self {
            IpNet::V4 { addr, prefix } => {
                let a = u128::from(addr);
                (a, a | u128::from(!mask4(prefix)))
            }
            IpNet::V6 { addr, prefix } => (addr, addr | !mask6(prefix)),
        }
    }
}

/// A dotted quad whose octets are decimal digits (leading zeros allowed, each at most 255).
fn sloppy_dotted_quad(s: &str) -> Option<Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut out {
        let p = parts.next()?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = p.trim_start_matches('0');
        *o = if digits.is_empty() {
            0
        } else if digits.len() > 3 {
            return None;
        } else {
            digits.parse().ok()?
        };
    }
    parts.next().is_none().then(|| Ipv4Addr::from(out))
}

/// Reads an IPv4 address the way a C resolver does with a numeric host (`inet_aton`, which
/// glibc's `getaddrinfo`, curl, ping and most HTTP clients apply before any DNS lookup): one to
/// four parts separated by dots, each decimal, octal with a leading `0`, or hexadecimal with
/// `0x`/`0X`; the last part fills the remaining bytes. So `2852039166`, `0xA9FEA9FE`,
/// `0251.0376.0251.0376`, `169.254.43518` and `169.16689662` are all `169.254.169.254`.
/// `None` when the text is not such an address (a host name). Used wherever a module compares
/// an address a client will resolve (e.g. an ExternalName target); fields the API server
/// validates as IPs cannot hold these forms (see [`IpNet::parse_sloppy`]).
pub fn parse_ipv4_inet_aton(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 8 {
            return None;
        }
        if !digits.bytes().all(|b| (b as char).is_digit(radix)) {
            return None;
        }
        // Leading zeros beyond any width are allowed; the value must fit 32 bits.
        let trimmed = digits.trim_start_matches('0');
        let v = if trimmed.is_empty() {
            0
        } else {
            u32::from_str_radix(trimmed, radix).ok()?
        };
        values.push(v);
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let tail_bits = 32 - 8 * head.len() as u32;
    if tail_bits < 32 && u64::from(*last) >= (1u64 << tail_bits) {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(addr | last))
}

// ---------------------------------------------------------------------------------------------
// Address sets
// ---------------------------------------------------------------------------------------------

/// A set of IPv4 and IPv6 addresses, held per family as sorted, disjoint, non-adjacent
/// inclusive ranges, so that several CIDRs (and their `except`s) are judged by the addresses
/// they hold together: `0.0.0.0/1` plus `128.0.0.0/1` is the whole IPv4 space.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrSet {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

fn ranges_add(ranges: &mut Vec<(u128, u128)>, lo: u128, hi: u128) {
    let (mut lo, mut hi) = (lo, hi);
    let mut out = Vec::with_capacity(ranges.len() + 1);
    for &(a, b) in ranges.iter() {
        // Disjoint and not adjacent: kept as is.
        if b.checked_add(1).is_some_and(|b1| b1 < lo) || hi.checked_add(1).is_some_and(|h1| h1 < a)
        {
            out.push((a, b));
        } else {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    out.push((lo, hi));
    out.sort_unstable();
    *ranges = out;
}

fn ranges_remove(ranges: &mut Vec<(u128, u128)>, lo: u128, hi: u128) {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    for &(a, b) in ranges.iter() {
        if b < lo || a > hi {
            out.push((a, b));
            continue;
        }
        if a < lo {
            out.push((a, lo - 1));
        }
        if b > hi {
            out.push((hi + 1, b));
        }
    }
    *ranges = out;
}

impl AddrSet {
    /// The empty set.
    pub fn new() -> AddrSet {
        AddrSet::default()
    }

    fn family(&mut self, net: &IpNet) -> &mut Vec<(u128, u128)> {
        if net.is_v4() {
            &mut self.v4
        } else {
            &mut self.v6
        }
    }

    /// Adds every address of `net`.
    pub fn add(&mut self, net: &IpNet) {
        let (lo, hi) = net.first_last();
        ranges_add(self.family(net), lo, hi);
    }

    /// Adds every address of another set.
    pub fn add_set(&mut self, other: &AddrSet) {
        for &(lo, hi) in &other.v4 {
            ranges_add(&mut self.v4, lo, hi);
        }
        for &(lo, hi) in &other.v6 {
            ranges_add(&mut self.v6, lo, hi);
        }
    }

    /// Removes every address of `net`.
    pub fn remove(&mut self, net: &IpNet) {
        let (lo, hi) = net.first_last();
        ranges_remove(self.family(net), lo, hi);
    }

    /// Whether every address of `net` is in the set.
    pub fn covers(&self, net: &IpNet) -> bool {
        let (lo, hi) = net.first_last();
        let ranges = if net.is_v4() { &self.v4 } else { &self.v6 };
        // Ranges are merged, so a covered network lies inside one range.
        ranges.iter().any(|&(a, b)| a <= lo && hi <= b)
    }

    /// Whether some address of `net` is in the set.
    pub fn meets(&self, net: &IpNet) -> bool {
        let (lo, hi) = net.first_last();
        let ranges = if net.is_v4() { &self.v4 } else { &self.v6 };
        ranges.iter().any(|&(a, b)| a <= hi && lo <= b)
    }

    /// Whether the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

/// Whether an address or CIDR text is written in IPv6 notation (`::ffff:10.0.0.0/104` is,
/// `10.0.0.0/8` is not), whatever address it denotes.
pub fn written_as_ipv6(text: &str) -> bool {
    text.contains(':')
}

/// The addresses a NetworkPolicy `ipBlock` admits, read so that nothing it opens is missed:
/// its `cidr` minus each `except` that really carves something out of it. An `except` written
/// in the other notation than `cidr` (`0.0.0.0/0` except `::ffff:10.0.0.0/104`, which the API
/// server accepts as a subset because Go compares IPv4-mapped addresses as IPv4) carves
/// nothing here: dataplanes program IPv4 and IPv6 rules apart and need not apply it to IPv4
/// traffic. An `except` outside `cidr` carves nothing either (the API server refuses it).
pub fn ip_block_addresses(cidr_text: &str, cidr: &IpNet, except: &[(&str, IpNet)]) -> AddrSet {
    let mut set = AddrSet::new();
    set.add(cidr);
    for (text, e) in except {
        if written_as_ipv6(text) == written_as_ipv6(cidr_text) && cidr.overlaps(e) {
            set.remove(e);
        }
    }
    set
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/// An int-or-string port as objects carry it (`targetPort`, NetworkPolicy `ports[].port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRef {
    /// A port number (as written; may be out of range in a malformed object).
    Number(i64),
    /// A port name, or a number written as a string.
    Name(String),
}

impl PortRef {
    /// The number, when the port is numeric (a digit string counts, as the API server reads
    /// an int-or-string).
    pub fn number(&self) -> Option<i64> {
        match self {
            PortRef::Number(n) => Some(*n),
            PortRef::Name(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            PortRef::Name(_) => None,
        }
    }
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(s) => write!(f, "{s:?}"),
        }
    }
}

struct PortRefVisitor;

impl Visitor<'_> for PortRefVisitor {
    type Value = PortRef;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a port number or name")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortRef, E> {
        Ok(PortRef::Number(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortRef, E> {
        i64::try_from(v)
            .map(PortRef::Number)
            .map_err(|_| E::custom("port number out of range"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<PortRef, E> {
        Ok(PortRef::Name(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for PortRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PortRefVisitor)
    }
}

crate::decode_by_serde!(PortRef);

/// Whether `s` is a valid port name (IANA service name as Kubernetes checks it: at most 15
/// characters, lower-case letters, digits and `-`, at least one letter, no leading, trailing or
/// double `-`).
pub fn is_port_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// One entry of a port list in settings: a number, an inclusive range, or a port name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// `min..=max` (a single port has `min == max`).
    Range(u16, u16),
    /// A port name (`https`), matching named ports only.
    Name(String),
}

impl PortSpec {
    /// Parses `443`, `8000-8100` or a port name.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(text: &str) -> Result<PortSpec, String> {
        let t = text.trim();
        let num = |s: &str| -> Result<u16, String> {
            if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{text:?} is not a port, range (min-max) or port name"
                ));
            }
            match s.parse::<u32>() {
                Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
                _ => Err(format!("{text:?}: ports are 1-65535")),
            }
        };
        if t.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            if let Some((a, b)) = t.split_once('-') {
                let (lo, hi) = (num(a.trim())?, num(b.trim())?);
                if lo > hi {
                    return Err(format!("{text:?}: the range is empty (min above max)"));
                }
                return Ok(PortSpec::Range(lo, hi));
            }
            if t.bytes().all(|b| b.is_ascii_digit()) {
                let n = num(t)?;
                return Ok(PortSpec::Range(n, n));
            }
        }
        if is_port_name(t) {
            Ok(PortSpec::Name(t.to_string()))
        } else {
            Err(format!(
                "{text:?} is not a port, range (min-max) or port name"
            ))
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Range(a, b) if a == b => write!(f, "{a}"),
            PortSpec::Range(a, b) => write!(f, "{a}-{b}"),
            PortSpec::Name(n) => f.write_str(n),
        }
    }
}

struct PortSpecVisitor;

impl Visitor<'_> for PortSpecVisitor {
    type Value = PortSpec;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a port number, a range \"min-max\" or a port name")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortSpec, E> {
        match u16::try_from(v) {
            Ok(n) if n >= 1 => Ok(PortSpec::Range(n, n)),
            _ => Err(E::custom(format!("{v}: ports are 1-65535"))),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortSpec, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::custom(format!("{v}: ports are 1-65535"))),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<PortSpec, E> {
        PortSpec::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PortSpecVisitor)
    }
}

/// A set of ports from settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSet(pub Vec<PortSpec>);

impl<'de> Deserialize<'de> for PortSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<PortSpec>::deserialize(d).map(PortSet)
    }
}

crate::decode_by_serde!(PortSpec, PortSet);

impl PortSet {
    /// Builds a set from numbers.
    pub fn of(ports: &[u16]) -> PortSet {
        PortSet(ports.iter().map(|p| PortSpec::Range(*p, *p)).collect())
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the port number is in the set.
    pub fn contains_number(&self, port: i64) -> bool {
        self.contains_range(port, port)
    }

    /// Whether every port of `lo..=hi` is in the set (ranges of the set may be adjacent).
    pub fn contains_range(&self, lo: i64, hi: i64) -> bool {
        if lo > hi {
            return false;
        }
        let mut next = lo;
        loop {
            let reach = self
                .0
                .iter()
                .filter_map(|e| match e {
                    PortSpec::Range(a, b) if i64::from(*a) <= next && next <= i64::from(*b) => {
                        Some(i64::from(*b))
                    }
                    _ => None,
                })
                .max();
            match reach {
                None => return false,
                Some(b) if b >= hi => return true,
                Some(b) => next = b + 1,
            }
        }
    }

    /// Whether any port of `lo..=hi` is in the set.
    pub fn intersects_range(&self, lo: i64, hi: i64) -> bool {
        self.0.iter().any(|e| match e {
            PortSpec::Range(a, b) => i64::from(*a) <= hi && lo <= i64::from(*b),
            PortSpec::Name(_) => false,
        })
    }

    /// Whether the port name is in the set (names match names only).
    pub fn contains_name(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|e| matches!(e, PortSpec::Name(n) if n == name))
    }

    /// Whether an int-or-string port is in the set: numbers against numbers and ranges,
    /// names against names.
    pub fn contains(&self, port: &PortRef) -> bool {
        match port.number() {
            Some(n) => self.contains_number(n),
            None => match port {
                PortRef::Name(s) => self.contains_name(s),
                PortRef::Number(_) => false,
            },
        }
    }

    /// `80, 443, 8000-8100` for messages.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&e.to_string());
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Host names
// ---------------------------------------------------------------------------------------------

/// Lower-cases a host name and drops one trailing dot.
pub fn normalise_host(host: &str) -> String {
    let h = host.trim();
    h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase()
}

/// Whether a host is a wildcard (`*.example.com`).
pub fn is_wildcard(host: &str) -> bool {
    host.starts_with("*.")
}

/// Whether the certificate/TLS name `pattern` covers `host`: equal (case-insensitive), or
/// `*.example.com` covering exactly one more label (`a.example.com`, not `a.b.example.com`,
/// not `example.com`). A wildcard `host` is covered only by the same wildcard.
pub fn wildcard_covers(pattern: &str, host: &str) -> bool {
    let p = normalise_host(pattern);
    let h = normalise_host(host);
    if p == h {
        return true;
    }
    if is_wildcard(&h) {
        return false;
    }
    match p.strip_prefix("*.") {
        Some(suffix) => match h.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        },
        None => false,
    }
}

/// Whether `host` (possibly a wildcard) lies in `domain`: equal to it, or under it at a label
/// boundary (`shop.contoso.com` is in `contoso.com`; `evilcontoso.com` is not).
pub fn in_domain(host: &str, domain: &str) -> bool {
    let h = normalise_host(host);
    let d = normalise_host(domain);
    let h = h.strip_prefix("*.").unwrap_or(&h);
    h == d || (h.len() > d.len() && h.ends_with(&d) && h.as_bytes()[h.len() - d.len() - 1] == b'.')
}

/// Checks a host or domain written in settings: a DNS subdomain (lower-case labels of letters,
/// digits and `-`), optionally starting with `*.` when `wildcard` is allowed.
///
/// # Errors
/// A message saying what is wrong.
pub fn check_host_pattern(text: &str, wildcard: bool) -> Result<(), String> {
    let body = match text.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        Some(_) => return Err(format!("{text:?}: a wildcard is not allowed here")),
        None => text,
    };
    if body.is_empty() || body.len() > 253 {
        return Err(format!("{text:?} is not a DNS name"));
    }
    for label in body.split('.') {
        let b = label.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 63
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-';
        if !ok {
            return Err(format!(
                "{text:?} is not a lower-case DNS name (labels of a-z, 0-9 and -)"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Label selectors (only as much as network rules need)
// ---------------------------------------------------------------------------------------------

crate::view! {
    /// A label selector; only whether it selects everything matters to the network rules.
    #[derive(Debug, Clone, Default)]
    pub struct LabelSelector {
        /// `matchLabels`
        pub match_labels: BTreeMap<String, String> = "matchLabels" or_default,
        /// `matchExpressions` (not interpreted: a non-empty list narrows the selection)
        pub match_expressions: Vec<IgnoredAny> = "matchExpressions" or_default,
    }
}

impl LabelSelector {
    /// Whether the selector is empty (`{}`), i.e. selects every object.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

crate::view! {
    /// `spec.ports[]` of a Service.
    #[derive(Debug, Clone, Default)]
    pub struct ServicePort {
        /// `name`
        pub name: Option<String> = "name",
        /// `protocol`
        pub protocol: Option<String> = "protocol",
        /// `port`
        pub port: Option<i64> = "port",
        /// `targetPort` (defaults to `port` when absent)
        pub target_port: Option<PortRef> = "targetPort",
        /// `nodePort`
        pub node_port: Option<i64> = "nodePort",
    }
}

impl ServicePort {
    /// The effective target port: `targetPort`, else `port`.
    pub fn effective_target(&self) -> Option<PortRef> {
        self.target_port
            .clone()
            .or_else(|| self.port.map(PortRef::Number))
    }
}

crate::view! {
    /// `spec` of a Service.
    #[derive(Debug, Clone, Default)]
    pub struct ServiceSpec {
        /// `type` (`ClusterIP` when absent)
        pub kind: Option<String> = "type",
        /// `ports`
        pub ports: Vec<ServicePort> = "ports" or_default,
        /// `externalIPs`
        pub external_ips: Vec<String> = "externalIPs" or_default,
        /// `loadBalancerSourceRanges`
        pub load_balancer_source_ranges: Vec<String> = "loadBalancerSourceRanges" or_default,
        /// `loadBalancerIP`
        pub load_balancer_ip: Option<String> = "loadBalancerIP",
        /// `externalName`
        pub external_name: Option<String> = "externalName",
    }
}

crate::view! {
    /// A Service, as network rules read it.
    #[derive(Debug, Clone, Default)]
    pub struct ServiceView {
        /// `metadata`
        pub metadata: ObjectMeta = "metadata" or_default,
        /// `spec`
        pub spec: ServiceSpec = "spec" or_default,
    }
}

impl ServiceView {
    /// `spec.type`, `ClusterIP` when absent or empty.
    pub fn service_type(&self) -> &str {
        self.spec
            .kind
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("ClusterIP")
    }
}

// ---------------------------------------------------------------------------------------------
// Ingress
// ---------------------------------------------------------------------------------------------

crate::view! {
    /// `spec.tls[]`
    #[derive(Debug, Clone, Default)]
    pub struct IngressTls {
        /// `hosts`
        pub hosts: Vec<String> = "hosts" or_default,
        /// `secretName`
        pub secret_name: Option<String> = "secretName",
    }
}

crate::view! {
    /// `backend.service.port`
    #[derive(Debug, Clone, Default)]
    pub struct ServiceBackendPort {
        /// `number`
        pub number: Option<i64> = "number",
        /// `name`
        pub name: Option<String> = "name",
    }
}

crate::view! {
    /// `backend.service`
    #[derive(Debug, Clone, Default)]
    pub struct ServiceBackend {
        /// `name`
        pub name: String = "name" or_default,
        /// `port`
        pub port: Option<ServiceBackendPort> = "port",
    }
}

crate::view! {
    /// An Ingress backend.
    #[derive(Debug, Clone, Default)]
    pub struct IngressBackend {
        /// `service`
        pub service: Option<ServiceBackend> = "service",
        /// `resource` (not interpreted)
        pub resource: Option<IgnoredAny> = "resource",
    }
}

crate::view! {
    /// `spec.rules[].http.paths[]`
    #[derive(Debug, Clone, Default)]
    pub struct HttpPath {
        /// `path`
        pub path: Option<String> = "path",
        /// `pathType`
        pub path_type: Option<String> = "pathType",
        /// `backend`
        pub backend: Option<IngressBackend> = "backend",
    }
}

crate::view! {
    /// `spec.rules[].http`
    #[derive(Debug, Clone, Default)]
    pub struct HttpRule {
        /// `paths`
        pub paths: Vec<HttpPath> = "paths" or_default,
    }
}

crate::view! {
    /// `spec.rules[]`
    #[derive(Debug, Clone, Default)]
    pub struct IngressRule {
        /// `host` (absent: every host)
        pub host: Option<String> = "host",
        /// `http`
        pub http: Option<HttpRule> = "http",
    }
}

impl IngressRule {
    /// The host, `None` when absent or empty (a catch-all rule).
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref().filter(|h| !h.is_empty())
    }
}

crate::view! {
    /// `spec` of an Ingress.
    #[derive(Debug, Clone, Default)]
    pub struct IngressSpec {
        /// `ingressClassName`
        pub ingress_class_name: Option<String> = "ingressClassName",
        /// `defaultBackend`
        pub default_backend: Option<IngressBackend> = "defaultBackend",
        /// `tls`
        pub tls: Vec<IngressTls> = "tls" or_default,
        /// `rules`
        pub rules: Vec<IngressRule> = "rules" or_default,
    }
}

/// The legacy class annotation.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

crate::view! {
    /// An Ingress, as network rules read it.
    #[derive(Debug, Clone, Default)]
    pub struct IngressView {
        /// `metadata`
        pub metadata: ObjectMeta = "metadata" or_default,
        /// `spec`
        pub spec: IngressSpec = "spec" or_default,
    }
}

/// Where an Ingress's class came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressClass<'a> {
    /// The class name.
    pub name: &'a str,
    /// The field path or annotation it was read from.
    pub source: &'static str,
}

impl IngressView {
    /// The class: `spec.ingressClassName`, else the legacy `kubernetes.io/ingress.class`
    /// annotation (empty values count as absent).
    pub fn class(&self) -> Option<IngressClass<'_>> {
        if let Some(n) = self
            .spec
            .ingress_class_name
            .as_deref()
            .filter(|n| !n.is_empty())
        {
            return Some(IngressClass {
                name: n,
                source: "spec.ingressClassName",
            });
        }
        self.metadata
            .annotations
            .get(INGRESS_CLASS_ANNOTATION)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
            .map(|n| IngressClass {
                name: n,
                source: "metadata.annotations[kubernetes.io/ingress.class]",
            })
    }

    /// The legacy `kubernetes.io/ingress.class` annotation when `spec.ingressClassName` also
    /// names a class and the two differ. The API server refuses both on CREATE but not on an
    /// UPDATE that adds one, and controllers do not agree on which wins: ingress-nginx takes
    /// the field first (`GetIngressClass`; the annotation only with `--ignore-ingressclass`),
    /// controllers that still select on the annotation take the annotation, so two controllers
    /// may serve the same Ingress.
    pub fn conflicting_annotation_class(&self) -> Option<&str> {
        let field = self
            .spec
            .ingress_class_name
            .as_deref()
            .filter(|n| !n.is_empty())?;
        self.metadata
            .annotations
            .get(INGRESS_CLASS_ANNOTATION)
            .map(String::as_str)
            .filter(|a| !a.is_empty() && *a != field)
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key).map(String::as_str)
    }
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy
// ---------------------------------------------------------------------------------------------

crate::view! {
    /// `ipBlock`
    #[derive(Debug, Clone, Default)]
    pub struct IpBlock {
        /// `cidr`
        pub cidr: String = "cidr" or_default,
        /// `except`
        pub except: Vec<String> = "except" or_default,
    }
}

crate::view! {
    /// A NetworkPolicy peer (`from[]` / `to[]`).
    #[derive(Debug, Clone, Default)]
    pub struct NetworkPolicyPeer {
        /// `podSelector`
        pub pod_selector: Option<LabelSelector> = "podSelector",
        /// `namespaceSelector`
        pub namespace_selector: Option<LabelSelector> = "namespaceSelector",
        /// `ipBlock`
        pub ip_block: Option<IpBlock> = "ipBlock",
    }
}

crate::view! {
    /// `ports[]` of a NetworkPolicy rule.
    #[derive(Debug, Clone, Default)]
    pub struct NetworkPolicyPort {
        /// `protocol` (TCP when absent)
        pub protocol: Option<String> = "protocol",
        /// `port` (every port when absent)
        pub port: Option<PortRef> = "port",
        /// `endPort`
        pub end_port: Option<i64> = "endPort",
    }
}

/// One ingress or egress rule: its peers (`from` or `to`) and ports.
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicyRule {
    /// `from` (ingress) or `to` (egress); empty: every peer.
    pub peers: Vec<NetworkPolicyPeer>,
    /// `ports`; empty: every port.
    pub ports: Vec<NetworkPolicyPort>,
}

crate::view! {
    #[derive(Default)]
    struct IngressRuleRaw {
        from: Vec<NetworkPolicyPeer> = "from" or_default,
        ports: Vec<NetworkPolicyPort> = "ports" or_default,
    }
}

crate::view! {
    #[derive(Default)]
    struct EgressRuleRaw {
        to: Vec<NetworkPolicyPeer> = "to" or_default,
        ports: Vec<NetworkPolicyPort> = "ports" or_default,
    }
}

fn ingress_rules<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NetworkPolicyRule>, D::Error> {
    let raw: Option<Vec<IngressRuleRaw>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|r| NetworkPolicyRule {
            peers: r.from,
            ports: r.ports,
        })
        .collect())
}

fn egress_rules<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NetworkPolicyRule>, D::Error> {
    let raw: Option<Vec<EgressRuleRaw>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|r| NetworkPolicyRule {
            peers: r.to,
            ports: r.ports,
        })
        .collect())
}

crate::view! {
    /// `spec` of a NetworkPolicy.
    #[derive(Debug, Clone, Default)]
    pub struct NetworkPolicySpec {
        /// `podSelector`
        pub pod_selector: Option<LabelSelector> = "podSelector",
        /// `policyTypes` (absent: defaulted as the API server does, see
        /// [`NetworkPolicyView::affects`])
        pub policy_types: Option<Vec<String>> = "policyTypes",
        /// `ingress`
        pub ingress: Vec<NetworkPolicyRule> = "ingress" with(ingress_rules),
        /// `egress`
        pub egress: Vec<NetworkPolicyRule> = "egress" with(egress_rules),
    }
}

crate::view! {
    /// A NetworkPolicy, as network rules read it.
    #[derive(Debug, Clone, Default)]
    pub struct NetworkPolicyView {
        /// `metadata`
        pub metadata: ObjectMeta = "metadata" or_default,
        /// `spec`
        pub spec: NetworkPolicySpec = "spec" or_default,
    }
}

/// Traffic direction of a NetworkPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `Ingress`
    Ingress,
    /// `Egress`
    Egress,
}

impl Direction {
    /// `Ingress` / `Egress`, as in `policyTypes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The field holding the rules (`ingress` / `egress`).
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The field holding a rule's peers (`from` / `to`).
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

impl NetworkPolicyView {
    /// Whether the policy selects every pod of its namespace (`podSelector: {}`; an absent
    /// selector is defaulted to `{}` by the API server).
    pub fn selects_all_pods(&self) -> bool {
        self.spec
            .pod_selector
            .as_ref()
            .is_none_or(LabelSelector::is_empty)
    }

    /// Whether the policy affects traffic in `dir`: listed in `policyTypes`, or, when
    /// `policyTypes` is absent, as the API server defaults it (Ingress always, Egress when
    /// there are egress rules).
    pub fn affects(&self, dir: Direction) -> bool {
        match &self.spec.policy_types {
            Some(types) if !types.is_empty() => types.iter().any(|t| t == dir.as_str()),
            _ => match dir {
                Direction::Ingress => true,
                Direction::Egress => !self.spec.egress.is_empty(),
            },
        }
    }

    /// The rules of a direction.
    pub fn rules(&self, dir: Direction) -> &[NetworkPolicyRule] {
        match dir {
            Direction::Ingress => &self.spec.ingress,
            Direction::Egress => &self.spec.egress,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway API
// ---------------------------------------------------------------------------------------------

crate::view! {
    /// `spec.listeners[].tls`
    #[derive(Debug, Clone, Default)]
    pub struct GatewayTls {
        /// `mode` (`Terminate` when absent)
        pub mode: Option<String> = "mode",
        /// `certificateRefs`
        pub certificate_refs: Vec<IgnoredAny> = "certificateRefs" or_default,
    }
}

crate::view! {
    /// `spec.listeners[]`
    #[derive(Debug, Clone, Default)]
    pub struct GatewayListener {
        /// `name`
        pub name: String = "name" or_default,
        /// `hostname`
        pub hostname: Option<String> = "hostname",
        /// `port`
        pub port: Option<i64> = "port",
        /// `protocol`
        pub protocol: String = "protocol" or_default,
        /// `tls`
        pub tls: Option<GatewayTls> = "tls",
    }
}

crate::view! {
    /// `spec` of a Gateway.
    #[derive(Debug, Clone, Default)]
    pub struct GatewaySpec {
        /// `gatewayClassName`
        pub gateway_class_name: Option<String> = "gatewayClassName",
        /// `listeners`
        pub listeners: Vec<GatewayListener> = "listeners" or_default,
    }
}

crate::view! {
    /// A Gateway API `Gateway`, as network rules read it.
    #[derive(Debug, Clone, Default)]
    pub struct GatewayView {
        /// `metadata`
        pub metadata: ObjectMeta = "metadata" or_default,
        /// `spec`
        pub spec: GatewaySpec = "spec" or_default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        IpNet::parse(s).unwrap()
    }

    #[test]
    fn cidrs_parse_and_contain() {
        assert!(net("0.0.0.0/0").is_everything());
        assert!(net("::/0").is_everything());
        assert!(net("0.0.0.0/0").contains(&net("169.254.169.254")));
        assert!(net("169.254.0.0/16").contains(&net("169.254.169.254/32")));
        assert!(!net("10.0.0.0/8").contains(&net("169.254.169.254")));
        assert!(!net("10.0.0.0/8").contains(&net("0.0.0.0/0")));
        assert!(net("10.0.0.0/8").overlaps(&net("0.0.0.0/0")));
        // Host bits are masked.
        assert_eq!(net("10.1.2.3/8"), net("10.0.0.0/8"));
        // IPv6 and families.
        assert!(net("2001:db8::/32").contains(&net("2001:db8:1::1")));
        assert!(!net("::/0").contains(&net("10.0.0.1")));
        assert!(!net("0.0.0.0/0").contains(&net("2001:db8::1")));
        // IPv4-mapped IPv6 is IPv4.
        assert_eq!(net("::ffff:169.254.169.254"), net("169.254.169.254/32"));
        assert_eq!(net("::ffff:0.0.0.0/96"), net("0.0.0.0/0"));
        assert_eq!(net("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(net("2001:DB8::/32").to_string(), "2001:db8::/32");
    }

    #[test]
    fn address_sets_are_unions() {
        let mut s = AddrSet::new();
        assert!(s.is_empty());
        s.add(&net("0.0.0.0/1"));
        assert!(!s.covers(&net("0.0.0.0/0")));
        s.add(&net("128.0.0.0/1"));
        assert!(s.covers(&net("0.0.0.0/0")));
        assert!(!s.covers(&net("::/0")));
        // Four /2s, out of order, and an IPv4-mapped quarter.
        let mut q = AddrSet::new();
        for c in [
            "192.0.0.0/2",
            "::ffff:0.0.0.0/98",
            "128.0.0.0/2",
            "64.0.0.0/2",
        ] {
            q.add(&net(c));
        }
        assert!(q.covers(&net("0.0.0.0/0")));
        q.remove(&net("10.0.0.0/8"));
        assert!(!q.covers(&net("0.0.0.0/0")));
        assert!(q.covers(&net("11.0.0.0/8")));
        assert!(!q.meets(&net("10.1.0.0/16")));
        q.add(&net("10.0.0.0/8"));
        assert!(q.covers(&net("0.0.0.0/0")));
        // IPv6 ends at u128::MAX without overflow.
        let mut v6 = AddrSet::new();
        v6.add(&net("8000::/1"));
        v6.add(&net("::/1"));
        assert!(v6.covers(&net("::/0")));
        v6.remove(&net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"));
        assert!(!v6.covers(&net("::/0")));
        assert!(v6.covers(&net("::/1")));
    }

    #[test]
    fn ip_blocks_carve_only_with_excepts_of_their_notation() {
        let c = net("0.0.0.0/0");
        let e = |t: &'static str| (t, IpNet::parse(t).unwrap());
        let carved = ip_block_addresses("0.0.0.0/0", &c, &[e("10.0.0.0/8")]);
        assert!(!carved.covers(&c));
        // An IPv4-mapped except of an IPv4 cidr carves nothing.
        let mapped = ip_block_addresses("0.0.0.0/0", &c, &[e("::ffff:10.0.0.0/104")]);
        assert!(mapped.covers(&c));
        // An except outside the cidr carves nothing.
        let outside = ip_block_addresses("10.0.0.0/8", &net("10.0.0.0/8"), &[e("11.0.0.0/8")]);
        assert!(outside.covers(&net("10.0.0.0/8")));
    }

    #[test]
    fn inet_aton_spellings() {
        let meta = Ipv4Addr::new(169, 254, 169, 254);
        for s in [
            "169.254.169.254",
            "2852039166",
            "0xA9FEA9FE",
            "0xa9fea9fe",
            "0251.0376.0251.0376",
            "0xa9.0xfe.0xa9.0xfe",
            "169.254.43518",
            "169.16689662",
            "0251.254.0xa9.254",
            "000251.0376.0251.0376",
            "025177524776",
        ] {
            assert_eq!(parse_ipv4_inet_aton(s), Some(meta), "{s}");
        }
        assert_eq!(
            parse_ipv4_inet_aton("127.1"),
            Some(Ipv4Addr::new(127, 0, 0, 1))
        );
        assert_eq!(parse_ipv4_inet_aton("0"), Some(Ipv4Addr::new(0, 0, 0, 0)));
        for s in [
            "",
            "256.1.1.1",
            "1.2.3.4.5",
            "08.1.1.1",
            "0x",
            "1..2",
            "1.2.3.",
            "4294967296",
            "1.16777216",
            "example.com",
            "1.2.3.4 ",
            "-1",
            "+1",
        ] {
            assert_eq!(parse_ipv4_inet_aton(s), None, "{s}");
        }
    }

    #[test]
    fn sloppy_parsing_reads_leading_zeros_as_decimal() {
        assert_eq!(
            IpNet::parse_sloppy("010.001.002.003").unwrap(),
            net("10.1.2.3")
        );
        assert_eq!(
            IpNet::parse_sloppy("0169.0254.0169.0254/32").unwrap(),
            net("169.254.169.254/32")
        );
        assert_eq!(
            IpNet::parse_sloppy("10.0.0.0/8").unwrap(),
            net("10.0.0.0/8")
        );
        assert_eq!(
            IpNet::parse_sloppy("2001:db8::/32").unwrap(),
            net("2001:db8::/32")
        );
        assert!(IpNet::parse("010.0.0.0/8").is_err());
        assert!(IpNet::parse_sloppy("0256.0.0.1").is_err());
        assert!(IpNet::parse_sloppy("2852039166").is_err());
        assert!(IpNet::parse_sloppy("0xA9FEA9FE").is_err());
        assert!(IpNet::parse_sloppy("010.0.0.0/33").is_err());
    }

    #[test]
    fn bad_cidrs_are_errors() {
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "a/8",
            "10.0.0.0/8/8",
            "1.2.3.4/0008",
        ] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
        let e = parse_cidrs("deniedCIDRs", &["0.0.0.0/0".into(), "x".into()]).unwrap_err();
        assert!(e.starts_with("deniedCIDRs[1]: "), "{e}");
    }

    #[test]
    fn port_specs() {
        assert_eq!(PortSpec::parse("443").unwrap(), PortSpec::Range(443, 443));
        assert_eq!(
            PortSpec::parse("8000-8100").unwrap(),
            PortSpec::Range(8000, 8100)
        );
        assert_eq!(
            PortSpec::parse("https").unwrap(),
            PortSpec::Name("https".into())
        );
        for bad in [
            "0",
            "65536",
            "100-90",
            "-5",
            "HTTPS",
            "a_b",
            "",
            "1-",
            "verylongportname1",
        ] {
            assert!(PortSpec::parse(bad).is_err(), "{bad}");
        }
        let s: PortSet = serde_json::from_str(r#"[80, "443", "8000-8100", "metrics"]"#).unwrap();
        assert_eq!(s.describe(), "80, 443, 8000-8100, metrics");
        assert!(s.contains_number(8050) && !s.contains_number(8101) && !s.contains_number(0));
        assert!(s.contains(&PortRef::Name("metrics".into())));
        assert!(s.contains(&PortRef::Name("443".into())));
        assert!(!s.contains(&PortRef::Name("http".into())));
        assert!(s.contains_range(8000, 8100) && !s.contains_range(443, 8000));
        assert!(s.intersects_range(1, 80) && !s.intersects_range(81, 442));
        let adjacent = PortSet(vec![PortSpec::Range(1, 10), PortSpec::Range(11, 20)]);
        assert!(adjacent.contains_range(5, 20));
        assert!(serde_json::from_str::<PortSet>("[0]").is_err());
        assert!(serde_json::from_str::<PortSet>("[true]").is_err());
        assert!(serde_json::from_str::<PortSet>("[-1]").is_err());
    }

    #[test]
    fn settings_errors_name_the_entry() {
        crate::view! {
            #[derive(Debug, Default)]
            #[allow(dead_code)]
            struct S {
                allowed_ports: PortSet = "allowedPorts" required,
                ranges: Vec<IpNet> = "ranges" required,
            }
        }
        let e = crate::request::decode::<S>(r#"{"allowedPorts":[80,"90-70"],"ranges":[]}"#)
            .unwrap_err();
        assert_eq!(e.path, "allowedPorts[1]", "{e}");
        assert!(e.reason.contains("min above max"), "{e}");
        let e =
            crate::request::decode::<S>(r#"{"allowedPorts":[],"ranges":["10.0.0.0/8","nope"]}"#)
                .unwrap_err();
        assert_eq!(e.path, "ranges[1]", "{e}");
    }

    #[test]
    fn port_refs() {
        let p: PortRef = serde_json::from_str("8080").unwrap();
        assert_eq!(p.number(), Some(8080));
        let p: PortRef = serde_json::from_str(r#""http""#).unwrap();
        assert_eq!(p.number(), None);
        assert_eq!(p.to_string(), "\"http\"");
        assert!(serde_json::from_str::<PortRef>("[1]").is_err());
        assert!(is_port_name("http-alt") && !is_port_name("http--alt") && !is_port_name("8080"));
    }

    #[test]
    fn hosts() {
        assert_eq!(normalise_host("Shop.Contoso.COM."), "shop.contoso.com");
        assert!(wildcard_covers("*.contoso.com", "shop.contoso.com"));
        assert!(!wildcard_covers("*.contoso.com", "a.shop.contoso.com"));
        assert!(!wildcard_covers("*.contoso.com", "contoso.com"));
        assert!(wildcard_covers("*.contoso.com", "*.contoso.com"));
        assert!(!wildcard_covers("shop.contoso.com", "*.contoso.com"));
        assert!(wildcard_covers("SHOP.contoso.com", "shop.contoso.com."));
        assert!(in_domain("shop.contoso.com", "contoso.com"));
        assert!(in_domain("contoso.com", "contoso.com"));
        assert!(in_domain("*.contoso.com", "contoso.com"));
        assert!(!in_domain("evilcontoso.com", "contoso.com"));
        assert!(!in_domain("contoso.com.evil.io", "contoso.com"));
        assert!(check_host_pattern("*.apps.contoso.com", true).is_ok());
        assert!(check_host_pattern("*.apps.contoso.com", false).is_err());
        assert!(check_host_pattern("Contoso.com", false).is_err());
        assert!(check_host_pattern("a..b", false).is_err());
        assert!(check_host_pattern("-a.b", false).is_err());
    }

    #[test]
    fn network_policy_view() {
        let np: NetworkPolicyView = serde_json::from_str(
            r#"{"metadata":{"name":"deny"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],
            "egress":[{"ports":[{"port":53,"protocol":"UDP"}]}],"ingress":null}}"#,
        )
        .unwrap();
        assert!(np.selects_all_pods());
        assert!(np.affects(Direction::Egress) && np.affects(Direction::Ingress));
        assert!(np.rules(Direction::Ingress).is_empty());
        assert_eq!(
            np.rules(Direction::Egress)[0].ports[0].port,
            Some(PortRef::Number(53))
        );
        let np: NetworkPolicyView = serde_json::from_str(
            r#"{"spec":{"podSelector":{"matchLabels":{"a":"b"}},"egress":[{}]}}"#,
        )
        .unwrap();
        assert!(!np.selects_all_pods());
        assert!(np.affects(Direction::Egress), "egress rules imply Egress");
        let np: NetworkPolicyView = serde_json::from_str(r#"{"spec":{}}"#).unwrap();
        assert!(np.affects(Direction::Ingress) && !np.affects(Direction::Egress));
    }

    #[test]
    fn service_and_ingress_views() {
        let s: ServiceView = serde_json::from_str(
            r#"{"spec":{"ports":[{"port":80,"targetPort":"http"},{"port":443}],"externalIPs":null}}"#,
        )
        .unwrap();
        assert_eq!(s.service_type(), "ClusterIP");
        assert_eq!(
            s.spec.ports[0].effective_target(),
            Some(PortRef::Name("http".into()))
        );
        assert_eq!(
            s.spec.ports[1].effective_target(),
            Some(PortRef::Number(443))
        );
        let i: IngressView = serde_json::from_str(
            r#"{"metadata":{"annotations":{"kubernetes.io/ingress.class":"nginx"}},"spec":{"rules":[{"host":""}]}}"#,
        )
        .unwrap();
        assert_eq!(i.class().unwrap().name, "nginx");
        assert_eq!(i.spec.rules[0].host(), None);
        let i: IngressView =
            serde_json::from_str(r#"{"spec":{"ingressClassName":"azure-application-gateway"}}"#)
                .unwrap();
        assert_eq!(i.class().unwrap().source, "spec.ingressClassName");
    }
}
