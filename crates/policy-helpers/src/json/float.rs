//! Decimal text to `f64`, correctly rounded (round half to even, as Go's `ParseFloat`, the
//! standard library's `parse` and serde_json's exact mode read it), without the standard
//! library's parser: its Eisel-Lemire tables are about 12 KB of data and 5 KB of code in every
//! module that reads a float, and a manifest's floats are few and short.
//!
//! Short numbers (at most 19 significant digits, a power of ten within 10^±22 after the
//! digits fit 53 bits) take one exact multiplication or division, which IEEE arithmetic rounds
//! correctly (Clinger's fast path). Every other number is computed exactly with a small big
//! integer: the digits over a power of ten, scaled by a power of two so that the quotient has
//! 64 bits, the remainder kept as a sticky bit, then rounded once. Digits beyond the 800th only
//! tell whether the number is above the value of the first 800 (no `f64` halfway point needs
//! more than 767 significant digits), so they become one non-zero digit after the 800th.
//!
//! The exact path costs about 1 µs natively for a 20-digit number far from 1
//! (`1.2345678901234567890e-300`; the standard library's parser takes 0.03 µs, our fast path
//! 0.02 µs), because its 64-bit quotient comes from one 128-by-64-bit estimate and one
//! correction rather than a pass per bit (2.4-2.9 µs before that change). Only numbers read
//! as floats pay it: a float setting or field, a port written as a number, and the objects
//! the mutating modules read whole; an object of 1.5 MB made only of such numbers (about
//! 60,000) costs one of those about 60 ms natively.
//!
//! Unit tests compare it with the standard library's parser on hard cases (halfway points,
//! subnormals, the overflow and underflow edges, long inputs) and on generated numbers
//! (random digits and exponents; random doubles written exactly and to 17 digits, and the
//! points halfway between neighbours).

use crate::prelude::*;

/// Significant digits kept exactly (see the module documentation).
const MAX_DIGITS: usize = 800;

/// Exact powers of ten as `f64` (10^22 is the largest that is exact).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of `text`, a JSON number (its grammar already checked: `-?digits[.digits][e±digits]`);
/// infinite when it is beyond `f64`.
pub(super) fn parse(text: &str) -> f64 {
    let b = text.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(negative);
    // Significant digits (leading zeros dropped), and the decimal exponent of the last kept one.
    let mut digits: Vec<u8> = Vec::new();
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut fraction = false;
    while i < b.len() {
        match b[i] {
            b'.' => fraction = true,
            c @ b'0'..=b'9' => {
                let d = c - b'0';
                if digits.is_empty() && d == 0 {
                    if fraction {
                        exp -= 1;
                    }
                } else if digits.len() < MAX_DIGITS {
                    digits.push(d);
                    if fraction {
                        exp -= 1;
                    }
                } else {
                    sticky |= d != 0;
                    if !fraction {
                        exp += 1;
                    }
                }
            }
            _ => break,
        }
        i += 1;
    }
    if i < b.len() {
        // `e` or `E`, an optional sign, digits; a huge exponent saturates (the value is then
        // zero or infinite whatever the digits).
        i += 1;
        let minus = b.get(i) == Some(&b'-');
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut e: i64 = 0;
        for &c in &b[i..] {
            e = (e * 10 + i64::from(c - b'0')).min(1 << 40);
        }
        exp += if minus { -e } else { e };
    }
    let magnitude = magnitude(&mut digits, exp, sticky);
    if negative { -magnitude } else { magnitude }
}

/// The value of `digits × 10^exp` (and a little more when `sticky`), correctly rounded.
fn magnitude(digits: &mut Vec<u8>, mut exp: i64, sticky: bool) -> f64 {
    // Trailing zeros move into the exponent (not past digits dropped as sticky: the digit that
    // stands for them goes right after the kept ones).
    while !sticky && digits.last() == Some(&0) {
        digits.pop();
        exp += 1;
    }
    if digits.is_empty() {
        return 0.0;
    }
    let n = digits.len() as i64;
    // The value is in [10^(n+exp-1), 10^(n+exp)).
    if n + exp > 310 {
        return f64::INFINITY;
    }
    if n + exp < -330 {
        return 0.0;
    }
    if !sticky && n <= 19 {
        let mut w: u64 = 0;
        for &d in digits.iter() {
            w = w * 10 + u64::from(d);
        }
        if w < 1 << 53 {
            #[allow(clippy::cast_precision_loss)] // exact: below 2^53
            let x = w as f64;
            if (0..=22).contains(&exp) {
                return x * POW10[exp as usize];
            }
            if (-22..0).contains(&exp) {
                return x / POW10[(-exp) as usize];
            }
        }
    }
    slow(digits, exp, sticky)
}

/// The exact algorithm (see the module documentation).
fn slow(digits: &[u8], mut exp: i64, sticky: bool) -> f64 {
    let mut num = Big::from_digits(digits);
    if sticky {
        // One non-zero digit after the kept ones.
        num.mul_u64(10);
        num.add_small(1);
        exp -= 1;
    }
    let mut den = Big::one();
    if exp >= 0 {
        num.mul_pow10(exp as u32);
    } else {
        den.mul_pow10((-exp) as u32);
    }
    // Scale by 2^s so that num·2^s / den is in [2^63, 2^64).
    let k = num.bits() as i64 - den.bits() as i64;
    let mut s = 63 - k;
    let (mut a, mut d) = (num.clone(), den.clone());
    scale(&mut a, &mut d, s);
    let mut limit = d.clone();
    limit.shl(63);
    if a.cmp(&limit) == core::cmp::Ordering::Less {
        s += 1;
        a = num;
        d = den;
        scale(&mut a, &mut d, s);
    }
    // The 64-bit quotient and whether a remainder is left.
    let (q, sticky) = quotient(&a, &d);
    // value = q · 2^-s, with q's top bit at 2^63: its binary exponent is 63 - s.
    round(q, 63 - s, sticky)
}

/// `floor(a / d)` and whether it leaves a remainder, for `d·2^63 <= a < d·2^64`. The quotient
/// is estimated from the top 128 bits of `a` and the top 64 of `d` (at most 8 too large, or 1
/// too small, when `d` has more than 64 bits; exact otherwise), then corrected with one product
/// `q·d` and a few subtractions: a few passes over the numbers instead of one per quotient bit.
fn quotient(a: &Big, d: &Big) -> (u64, bool) {
    // Both moved up alike (the quotient is the same) until `d` has at least 64 bits.
    let pad = 64u32.saturating_sub(d.bits());
    let (mut a, mut d) = (a.clone(), d.clone());
    a.shl(pad);
    d.shl(pad);
    let (a, d) = (&a, &d);
    let shift = i64::from(d.bits()) - 64;
    // `d` has `shift + 64` bits, so its window holds 64; `a` has at most `shift + 128`.
    #[allow(clippy::cast_possible_truncation)]
    let d_top = d.window(shift) as u64;
    let a_top = a.window(shift);
    // `a_top / d_top` bit by bit in 128-bit registers (a division instruction of that width
    // would link a 1.5 KB routine into the module).
    let divisor = u128::from(d_top);
    let (mut estimate, mut rem) = (0u128, a_top);
    for i in (0..=64).rev() {
        if rem >> i >= divisor {
            rem -= divisor << i;
            estimate |= 1 << i;
        }
    }
    let mut q = u64::try_from(estimate).unwrap_or(u64::MAX);
    let mut product = d.clone();
    product.mul_u64(q);
    while product.cmp(a) == core::cmp::Ordering::Greater {
        q -= 1;
        product.sub(d);
    }
    let mut rest = a.clone();
    rest.sub(&product);
    while rest.cmp(d) != core::cmp::Ordering::Less {
        q += 1;
        rest.sub(d);
    }
    (q, !rest.is_zero())
}

/// `a / d` scaled by `2^s`: the numerator shifted left, or the denominator when `s < 0`.
fn scale(a: &mut Big, d: &mut Big, s: i64) {
    if s >= 0 {
        a.shl(s as u32);
    } else {
        d.shl((-s) as u32);
    }
}

/// Rounds `q · 2^(e2 - 63)` (q's top bit set; `sticky` when the true value is a little more)
/// to the nearest `f64`, ties to even.
fn round(q: u64, e2: i64, sticky: bool) -> f64 {
    // Bits below the 53 kept (more below the normal range).
    let shift = if e2 >= -1022 { 11 } else { 11 + (-1022 - e2) };
    if shift > 64 {
        return 0.0;
    }
    let q = u128::from(q);
    let mut mant = q >> shift;
    let rest = q & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    if rest > half || (rest == half && (sticky || mant & 1 == 1)) {
        mant += 1;
    }
    let bits = if e2 >= -1022 {
        // mant in [2^52, 2^53]: a carry into 2^53 moves the exponent up by itself.
        (((e2 + 1023) as u128) << 52) + (mant - (1 << 52))
    } else {
        // Subnormal (a carry into 2^52 gives the smallest normal).
        mant
    };
    if bits >= 0x7ff0_0000_0000_0000 {
        return f64::INFINITY;
    }
    #[allow(clippy::cast_possible_truncation)] // below 2^63
    f64::from_bits(bits as u64)
}

/// An unsigned big integer, 32-bit limbs, least significant first, no high zero limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn one() -> Big {
        Big(vec![1])
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(Vec::new());
        for chunk in digits.chunks(19) {
            let mut v = 0u64;
            let mut scale = 1u64;
            for &d in chunk {
                v = v * 10 + u64::from(d);
                scale *= 10;
            }
            b.mul_u64(scale);
            b.add_small(v);
        }
        b
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> u32 {
        match self.0.last() {
            None => 0,
            Some(&top) => 32 * (self.0.len() as u32 - 1) + (32 - top.leading_zeros()),
        }
    }

    fn add_small(&mut self, a: u64) {
        let mut carry = u128::from(a);
        for limb in &mut self.0 {
            if carry == 0 {
                return;
            }
            let v = u128::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        while carry != 0 {
            self.0.push(carry as u32);
            carry >>= 32;
        }
    }

    fn mul_u64(&mut self, m: u64) {
        let mut carry = 0u128;
        for limb in &mut self.0 {
            let v = u128::from(*limb) * u128::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        while carry != 0 {
            self.0.push(carry as u32);
            carry >>= 32;
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut e: u32) {
        while e >= 19 {
            self.mul_u64(10_000_000_000_000_000_000);
            e -= 19;
        }
        self.mul_u64(10u64.pow(e));
    }

    /// The 128 bits from bit `shift + 127` down to bit `shift` (`shift >= 0`).
    fn window(&self, shift: i64) -> u128 {
        let limb = |k: usize| u128::from(self.0.get(k).copied().unwrap_or(0));
        let (i, off) = ((shift / 32) as usize, (shift % 32) as u32);
        let low = limb(i) | limb(i + 1) << 32 | limb(i + 2) << 64 | limb(i + 3) << 96;
        if off == 0 {
            low
        } else {
            (low >> off) | (limb(i + 4) << (128 - off))
        }
    }

    fn shl(&mut self, n: u32) {
        if self.is_zero() {
            return;
        }
        let (limbs, bits) = ((n / 32) as usize, n % 32);
        if bits != 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = *limb;
                *limb = (v << bits) | carry;
                carry = v >> (32 - bits);
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if limbs != 0 {
            self.0.splice(0..0, core::iter::repeat_n(0, limbs));
        }
    }

    /// `self -= other`, `other <= self`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let o = i64::from(other.0.get(i).copied().unwrap_or(0));
            let mut v = i64::from(*limb) - o - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            *limb = v as u32;
        }
        self.trim();
    }

    fn cmp(&self, other: &Big) -> core::cmp::Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn same(text: &str) {
        let ours = parse(text);
        let std = text.parse::<f64>().unwrap();
        assert_eq!(
            ours.to_bits(),
            std.to_bits(),
            "{text}: ours {ours:e}, std {std:e}"
        );
    }

    #[test]
    fn hard_cases_round_as_the_standard_library() {
        for text in [
            "0",
            "-0",
            "0.0",
            "1",
            "-1",
            "1.5",
            "0.1",
            "0.2",
            "0.3",
            "2.5e-3",
            "1e22",
            "1e23",
            "9007199254740993",
            "9007199254740992.5",
            "9007199254740993.0000000001",
            "123456789012345678901234567890",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2e308",
            "1e309",
            "4.9e-324",
            "5e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.470328229206232720882538e-324",
            "3e-324",
            "1e-400",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "4.940656458412465441765687928682213723651e-324",
            "0.000001",
            "1e-7",
            "123.456e-2",
            "7.038531e-26",
            "8.988465674311579e307",
            "0.500000000000000166533453693773481063544750213623046875",
            "3.0517578125e-5",
            "1448997445238699",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999999999999999999999999999999999999999999999999999999999999",
        ] {
            same(text);
        }
        // Halfway between two doubles, with and without a last non-zero digit far away.
        let long = format!("9007199254740993{}", "0".repeat(900));
        same(&long);
        same(&format!("{long}1"));
        same(&format!("0.{}1", "0".repeat(1000)));
        same(&format!("1{}e-1000", "0".repeat(700)));
        same(&format!("{}e-700", "9".repeat(1200)));
        same("1e-99999999999999999999");
        same("1e99999999999999999999");
    }

    #[test]
    fn generated_numbers_round_as_the_standard_library() {
        // A small deterministic generator: digits, a point and an exponent in every mix.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let r = next();
            let int_digits = 1 + (r % 25) as usize;
            let frac_digits = ((r >> 8) % 25) as usize;
            let mut text = String::new();
            if r & (1 << 20) != 0 {
                text.push('-');
            }
            let d = next();
            for i in 0..int_digits {
                let c = (d >> (i % 16 * 4)) % 10;
                if i == 0 && int_digits > 1 && c == 0 {
                    text.push('1');
                } else {
                    text.push(char::from(b'0' + c as u8));
                }
            }
            if frac_digits > 0 {
                text.push('.');
                let f = next();
                for i in 0..frac_digits {
                    text.push(char::from(b'0' + ((f >> (i % 16 * 4)) % 10) as u8));
                }
            }
            if r & (1 << 21) != 0 {
                let e = ((r >> 24) % 700) as i64 - 350;
                text.push_str(&format!("e{e}"));
            }
            same(&text);
        }
    }

    #[test]
    fn the_midpoint_helper_is_exact() {
        let one = format!("{:.60e}", 1.0f64);
        let next = format!("{:.60e}", f64::from_bits(1.0f64.to_bits() + 1));
        let mid = midpoint(&one, &next);
        // 1 + 2^-53, exactly.
        let want = "1.00000000000000011102230246251565404236316680908203125";
        assert_eq!(
            mid.trim_start_matches('0')
                .split('e')
                .next()
                .unwrap()
                .trim_end_matches('0'),
            want
        );
        assert_eq!(midpoint("9.5e0", "1.0e1"), "00.975e1");
        // Halfway, ties to even: 1 (even mantissa) stays.
        assert_eq!(parse(&mid), 1.0);
    }

    #[test]
    fn doubles_written_out_read_back_exactly() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..20_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Every exponent, subnormals included; finite only.
            let x = f64::from_bits(state & 0x7fef_ffff_ffff_ffff);
            let exact = format!("{x:.1100e}");
            assert_eq!(parse(&exact).to_bits(), x.to_bits(), "{exact}");
            same(&format!("{x:.16e}"));
            same(&format!("{x:e}"));
            // Halfway to the next double up: x's exact digits plus half its gap, which the
            // formatter writes exactly as the midpoint of two exact decimals.
            let next = f64::from_bits(x.to_bits() + 1);
            if next.is_finite() && i % 4 == 0 {
                let mid = midpoint(&format!("{x:.1100e}"), &format!("{next:.1100e}"));
                same(&mid);
            }
        }
    }

    /// The exact decimal midpoint of two exact decimals written as `d.ddd…e±x` with the same
    /// number of digits (their exponents may differ by one).
    fn midpoint(a: &str, b: &str) -> String {
        let split = |t: &str| {
            let (m, e) = t.split_once('e').unwrap();
            let digits: Vec<u32> = m
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|c| u32::from(c - b'0'))
                .collect();
            (digits, e.parse::<i64>().unwrap())
        };
        let (mut da, ea) = split(a);
        let (mut db, eb) = split(b);
        // Align to the smaller exponent by prefixing a zero to the other.
        let e = ea.max(eb);
        if ea < e {
            da.insert(0, 0);
        }
        if eb < e {
            db.insert(0, 0);
        }
        while da.len() < db.len() {
            da.push(0);
        }
        while db.len() < da.len() {
            db.push(0);
        }
        // Sum, then halve, digit by digit (one more digit for the half).
        let mut sum = vec![0u32; da.len() + 1];
        let mut carry = 0;
        for i in (0..da.len()).rev() {
            let v = da[i] + db[i] + carry;
            sum[i + 1] = v % 10;
            carry = v / 10;
        }
        sum[0] = carry;
        sum.push(0);
        let mut half = Vec::with_capacity(sum.len());
        let mut rem = 0;
        for d in sum {
            let v = rem * 10 + d;
            half.push(v / 2);
            rem = v % 2;
        }
        // sum had its units digit at index 1; `half` keeps that place.
        let text: String = half.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        format!("{}.{}e{}", &text[..2], &text[2..], e)
    }
}
