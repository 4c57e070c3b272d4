//! Kubernetes quantities (`500m`, `3G`, `512Mi`) as numbers, and back to the spelling
//! `kubectl` shows.

/// Splits `input` into the leading decimal number (`12`, `1.5`, `.5`, `3.`) and the rest (the
/// suffix). `None` when there are no digits at all at the start.
pub fn split_number(s: &str) -> Option<(&str, &str)> {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    let num = &s[..end];
    if num.matches('.').count() > 1 || !num.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((num, &s[end..]))
}

/// An exact decimal: `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    digits: u128,
    scale: u32,
}

impl Decimal {
    /// Parses `12`, `1.5`, `.5`, `3.`; `None` when too long to be exact.
    pub fn parse(num: &str) -> Option<Decimal> {
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.len() + frac.len() > 30 {
            return None;
        }
        let mut digits: u128 = 0;
        for c in int.chars().chain(frac.chars()) {
            let d = u128::from(c.to_digit(10)?);
            digits = digits.checked_mul(10)?.checked_add(d)?;
        }
        Some(Decimal {
            digits,
            scale: u32::try_from(frac.len()).ok()?,
        })
    }

    pub fn is_zero(self) -> bool {
        self.digits == 0
    }

    /// `self * mult`, rounded up (`ceil`) or down, as a whole number; `None` on overflow.
    pub fn times(self, mult: u128, round_up: bool) -> Option<u128> {
        let n = self.digits.checked_mul(mult)?;
        let d = 10u128.checked_pow(self.scale)?;
        let q = n / d;
        Some(if round_up && n % d != 0 { q + 1 } else { q })
    }

    /// The nearest float.
    #[allow(clippy::cast_precision_loss)]
    pub fn to_f64(self) -> f64 {
        self.digits as f64 / 10f64.powi(i32::try_from(self.scale).unwrap_or(i32::MAX))
    }
}

/// What a Kubernetes quantity suffix multiplies by, as a fraction `(numerator, denominator)`:
/// binary (`Ki` … `Ei`), decimal (`k` … `E`), and the fractions `m`, `u`, `n`. `None` for
/// anything else (including the exponent forms, see [`exponent`]).
pub fn multiplier(suffix: &str) -> Option<(u128, u128)> {
    const K: u128 = 1000;
    const KI: u128 = 1024;
    Some(match suffix {
        "" => (1, 1),
        "n" => (1, K.pow(3)),
        "u" => (1, K.pow(2)),
        "m" => (1, K),
        "k" => (K, 1),
        "M" => (K.pow(2), 1),
        "G" => (K.pow(3), 1),
        "T" => (K.pow(4), 1),
        "P" => (K.pow(5), 1),
        "E" => (K.pow(6), 1),
        "Ki" => (KI, 1),
        "Mi" => (KI.pow(2), 1),
        "Gi" => (KI.pow(3), 1),
        "Ti" => (KI.pow(4), 1),
        "Pi" => (KI.pow(5), 1),
        "Ei" => (KI.pow(6), 1),
        _ => return None,
    })
}

/// The decimal exponent of `e9`, `E3`, `e-1` (the quantity's exponent form).
pub fn exponent(suffix: &str) -> Option<i32> {
    suffix
        .strip_prefix(['e', 'E'])
        .filter(|e| !e.is_empty())
        .and_then(|e| e.parse::<i32>().ok())
}

/// Parses a Kubernetes quantity (`500m`, `1.5`, `3G`, `512Mi`, `1e3`) into base units
/// (cores or bytes), for reading what the cluster reports. `None` for malformed input. The
/// portal's forms validate with the same pieces ([`split_number`], [`Decimal`],
/// [`multiplier`], [`exponent`]) and exact arithmetic.
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    let (negative, body) = match q.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, q.strip_prefix('+').unwrap_or(q)),
    };
    let (num, suffix) = split_number(body)?;
    let n = Decimal::parse(num)?.to_f64();
    let v = if let Some((mult, div)) = multiplier(suffix) {
        #[allow(clippy::cast_precision_loss)]
        let f = mult as f64 / div as f64;
        n * f
    } else {
        n * 10f64.powi(exponent(suffix)?)
    };
    Some(if negative { -v } else { v })
}

/// Converts a non-negative float to `u64`, saturating.
pub fn to_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= u64::MAX as f64 {
        u64::MAX
    } else {
        // Truncation is intended: byte and millicore counts.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = x as u64;
        v
    }
}

/// A quantity given as a JSON string or number (as in an object's `resources`).
pub fn of_json(v: Option<&serde_json::Value>) -> Option<f64> {
    match v? {
        serde_json::Value::String(s) => parse(s),
        serde_json::Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Formats bytes the way `kubectl` shows allocatable memory (`16Gi`, `512Mi`, else bytes).
pub fn format_bytes(bytes: u64) -> String {
    const GI: u64 = 1024 * 1024 * 1024;
    const MI: u64 = 1024 * 1024;
    const KI: u64 = 1024;
    if bytes > 0 && bytes.is_multiple_of(GI) {
        format!("{}Gi", bytes / GI)
    } else if bytes > 0 && bytes.is_multiple_of(MI) {
        format!("{}Mi", bytes / MI)
    } else if bytes > 0 && bytes.is_multiple_of(KI) {
        format!("{}Ki", bytes / KI)
    } else {
        bytes.to_string()
    }
}

/// Formats millicores as a CPU quantity (`4`, `1500m`).
pub fn format_cpu_millis(millis: u64) -> String {
    if millis.is_multiple_of(1000) {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suffixes() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("16Gi"), Some(16.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(to_u64(-1.0), 0);
        assert_eq!(to_u64(1.9), 1);
    }

    #[test]
    fn quantities() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1.5"), Some(1.5));
        assert_eq!(parse("3G"), Some(3e9));
        assert_eq!(parse("512Mi"), Some(512.0 * 1024.0 * 1024.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("x"), None);
        assert_eq!(parse("3Gi "), Some(3.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("25e-1"), Some(2.5));
        assert_eq!(parse("1GB"), None);
        assert_eq!(parse(""), None);
        assert_eq!(format_bytes(16 * 1024 * 1024 * 1024), "16Gi");
        assert_eq!(format_cpu_millis(1500), "1500m");
    }

    #[test]
    fn json_quantities() {
        assert_eq!(
            of_json(Some(&serde_json::json!("2Gi"))),
            Some(2.0 * 1024.0 * 1024.0 * 1024.0)
        );
        assert_eq!(of_json(Some(&serde_json::json!(3))), Some(3.0));
        assert_eq!(of_json(Some(&serde_json::json!(null))), None);
        assert_eq!(of_json(None), None);
    }
}
