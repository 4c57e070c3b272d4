//! Amounts the portal writes into Helm values, each in the syntax its consumer understands:
//!
//! - Kubernetes quantities (`5Gi`, `10G`, `500Mi`) for storage sizes ([`parse_quantity`]);
//! - KubeSpawner memory (`3G`, `512M`, or plain bytes), 1024-based, which is **not** the
//!   Kubernetes syntax: `3Gi` passes the chart's schema and then fails when a user's server
//!   starts ([`parse_kubespawner_memory`]);
//! - CPU as decimal cores (`1.5`); the chart's schema rejects millicores such as `1500m`
//!   ([`validate_cpu`]).
//!
//! Every function takes the form field name so the error it returns points at the input.
//! Messages say what is wrong and what to write instead.

use super::FieldError;
use super::validate::valid_fix;
// The one Kubernetes quantity parser, shared with the cluster client and the simulated cluster;
// this module adds the messages a form shows.
use clusterkit::quantity::{Decimal, exponent, multiplier, split_number};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;
pub const TIB: u64 = 1024 * GIB;

/// The smallest memory amount accepted: anything below is almost certainly a forgotten suffix
/// (a notebook server cannot start in a few kilobytes).
pub const MEMORY_MIN_BYTES: u64 = MIB;

/// CPU is counted in thousandths of a core by Kubernetes.
pub const CPU_MAX_DECIMALS: usize = 3;
/// Upper bound on cores, to catch typos such as a millicore count without its `m`.
pub const CPU_MAX_CORES: f64 = 1024.0;

/// Suggestion for a suffix that looks like a unit but is not Kubernetes syntax
/// (`GB`, `gi`, `g`, `GiB`...): returns the letter (`K`, `M`, `G`...) meant.
fn unit_letter(suffix: &str) -> Option<char> {
    let lower = suffix.to_ascii_lowercase();
    let stem = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('i'))
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    match stem {
        "k" => Some('K'),
        "m" => Some('M'),
        "g" => Some('G'),
        "t" => Some('T'),
        "p" => Some('P'),
        "e" => Some('E'),
        _ => None,
    }
}

/// Parses a Kubernetes quantity used as a size in bytes (`5Gi`, `10G`, `500Mi`, `1.5Ti`,
/// `1e9`). Returns the number of bytes, rounded up as Kubernetes does.
pub fn parse_quantity(field: &str, input: &str) -> Result<u64, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let s = input.trim();
    if s.is_empty() {
        return err("A size is required: write a Kubernetes quantity such as 10Gi.".into());
    }
    if s.chars().any(char::is_whitespace) {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let hint = match split_number(&compact).and_then(|(n, suf)| Some((n, unit_letter(suf)?))) {
            Some((n, l)) => format!("write {n}{l}i (1024-based) or {n}{l} (1000-based)"),
            None => "write it without spaces, e.g. 10Gi".to_string(),
        };
        return err(format!(
            "\"{s}\" contains a space, which a Kubernetes quantity cannot have: {hint}."
        ));
    }
    if s.starts_with('-') {
        return err(format!("\"{s}\" is negative: a size must be more than 0."));
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let Some((num, suffix)) = split_number(body) else {
        return err(format!(
            "\"{s}\" is not a Kubernetes quantity: write a number followed by an optional unit, e.g. 10Gi, 500Mi or 10G."
        ));
    };
    let Some(dec) = Decimal::parse(num) else {
        return err(format!(
            "\"{s}\" has too many digits: use a larger unit such as Gi or Ti."
        ));
    };
    let too_large = || {
        Err(FieldError::new(
            field,
            format!("\"{s}\" is too large: a size must be below 16Ei."),
        ))
    };
    let bytes = if let Some((mult, 1)) = multiplier(suffix) {
        match dec.times(mult, true) {
            Some(b) => b,
            None => return too_large(),
        }
    } else if let Some(exp) = exponent(suffix) {
        // Decimal exponent: 1e9, 5E3, 25e-1.
        if !(-30..=30).contains(&exp) {
            return too_large();
        }
        let (mult, div) = if exp >= 0 {
            (10u128.pow(exp.unsigned_abs()), 1u128)
        } else {
            (1u128, 10u128.pow(exp.unsigned_abs()))
        };
        match dec.times(mult, true) {
            Some(b) => b.div_ceil(div),
            None => return too_large(),
        }
    } else if matches!(suffix, "m" | "u" | "n") {
        return err(format!(
            "\"{s}\" uses \"{suffix}\", which means a fraction of a byte (m is milli): for megabytes write {num}Mi (1024-based) or {num}M (1000-based)."
        ));
    } else if let Some(l) = unit_letter(suffix) {
        let kilo = if l == 'K' { 'k' } else { l };
        return err(format!(
            "\"{s}\" is not a Kubernetes quantity (units are case-sensitive and have no B): write {num}{l}i (1024-based) or {num}{kilo} (1000-based)."
        ));
    } else {
        return err(format!(
            "\"{s}\" has an unknown unit \"{suffix}\": use Ki, Mi, Gi, Ti (1024-based) or k, M, G, T (1000-based), e.g. 10Gi."
        ));
    };
    if bytes == 0 || dec.is_zero() {
        return err(format!("\"{s}\" is zero: a size must be more than 0."));
    }
    match u64::try_from(bytes) {
        Ok(b) => Ok(b),
        Err(_) => too_large(),
    }
}

/// A storage size as the administrator wrote it (kept verbatim for the Helm values) and its
/// value in bytes. Serialized as the plain string, e.g. `"10Gi"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quantity {
    text: String,
    bytes: u64,
}

impl Quantity {
    pub fn parse(field: &str, input: &str) -> Result<Quantity, FieldError> {
        let bytes = parse_quantity(field, input)?;
        Ok(Quantity {
            text: input.trim().to_string(),
            bytes,
        })
    }

    /// The quantity as written, e.g. `10Gi`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Quantity::parse("quantity", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

fn kubespawner_multiplier(c: char) -> Option<u64> {
    match c {
        'K' => Some(KIB),
        'M' => Some(MIB),
        'G' => Some(GIB),
        'T' => Some(TIB),
        _ => None,
    }
}

/// An error offering `candidate` (in the message by `with`, and as the suggestion) when
/// KubeSpawner's memory syntax accepts it; otherwise the `without` message and no suggestion.
fn offer(
    field: &str,
    fixes: bool,
    candidate: String,
    with: impl FnOnce(&str) -> String,
    without: String,
) -> FieldError {
    let fix = fixes
        .then(|| valid_fix(candidate, |f| kubespawner_memory(field, f, false)))
        .flatten();
    match fix {
        Some(f) => FieldError::new(field, with(&f)).with_suggestion(f),
        None => FieldError::new(field, without),
    }
}

/// Parses memory the way KubeSpawner's `ByteSpecification` does: a whole number of bytes, or a
/// number followed by `K`, `M`, `G` or `T`, each 1024-based (so `3G` = 3 × 1024³ bytes).
/// Fractions are allowed before a suffix (`1.5G`) and truncated to whole bytes, as KubeSpawner
/// does. Kubernetes spellings (`3Gi`), byte suffixes (`3GB`) and lowercase units are rejected
/// with the spelling to use instead.
pub fn parse_kubespawner_memory(field: &str, input: &str) -> Result<u64, FieldError> {
    kubespawner_memory(field, input, true)
}

/// [`parse_kubespawner_memory`]; `fixes` says whether to look for a fix to offer (off while
/// checking a candidate fix, so a check never recurses).
fn kubespawner_memory(field: &str, input: &str, fixes: bool) -> Result<u64, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let s = input.trim();
    if s.is_empty() {
        return err("An amount of memory is required: write e.g. 2G or 512M.".into());
    }
    if s.chars().any(char::is_whitespace) {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        return Err(offer(
            field,
            fixes,
            compact,
            |f| format!("\"{s}\" contains a space: write it without spaces, e.g. {f}."),
            format!("\"{s}\" contains a space: write it without spaces."),
        ));
    }
    if s.starts_with('-') {
        return err(format!("\"{s}\" is negative: memory must be more than 0."));
    }
    let Some((num, suffix)) = split_number(s) else {
        return err(format!(
            "\"{s}\" is not a memory amount KubeSpawner understands: write a number of bytes or a number followed by K, M, G or T, e.g. 2G."
        ));
    };
    let Some(dec) = Decimal::parse(num) else {
        return err(format!(
            "\"{s}\" has too many digits: use a larger unit such as G or T."
        ));
    };
    let mult = if suffix.is_empty() {
        if num.contains('.') {
            return Err(offer(
                field,
                fixes,
                format!("{num}G"),
                |f| {
                    format!(
                        "\"{s}\" is a fraction of a byte: write whole bytes, or add a unit, e.g. {f}."
                    )
                },
                format!("\"{s}\" is a fraction of a byte: write whole bytes, or add a unit."),
            ));
        }
        1
    } else {
        let mut chars = suffix.chars();
        let first = chars.next();
        let rest = chars.as_str();
        match (first.and_then(kubespawner_multiplier), rest) {
            (Some(m), "") => m,
            _ => match unit_letter(suffix) {
                Some(l @ ('K' | 'M' | 'G' | 'T'))
                    if suffix
                        .to_ascii_lowercase()
                        .trim_end_matches('b')
                        .ends_with('i') =>
                {
                    let said = format!(
                        "\"{s}\" is Kubernetes notation, which KubeSpawner does not understand: the hub would accept it and the user's server would then fail to start. KubeSpawner's {l} is already 1024-based"
                    );
                    return Err(offer(
                        field,
                        fixes,
                        format!("{num}{l}"),
                        |f| format!("{said}: write {f} (the same amount)."),
                        format!("{said}."),
                    ));
                }
                Some(l @ ('K' | 'M' | 'G' | 'T')) => {
                    let said = format!(
                        "\"{s}\" is not a unit KubeSpawner understands (it takes one uppercase letter, 1024-based)"
                    );
                    return Err(offer(
                        field,
                        fixes,
                        format!("{num}{l}"),
                        |f| format!("{said}: write {f}."),
                        format!("{said}."),
                    ));
                }
                Some(_) => {
                    return err(format!(
                        "\"{s}\" is too large a unit for KubeSpawner, which knows K, M, G and T only: express it in T."
                    ));
                }
                None => {
                    return err(format!(
                        "\"{s}\" has an unknown unit \"{suffix}\": KubeSpawner takes bytes or a number followed by K, M, G or T (1024-based), e.g. 2G."
                    ));
                }
            },
        }
    };
    let Some(bytes) = dec.times(u128::from(mult), false) else {
        return err(format!("\"{s}\" is too large."));
    };
    let Ok(bytes) = u64::try_from(bytes) else {
        return err(format!("\"{s}\" is too large."));
    };
    if bytes == 0 {
        return err(format!(
            "\"{s}\" is zero: memory must be more than 0 (leave the field empty for no value)."
        ));
    }
    if bytes < MEMORY_MIN_BYTES {
        let said = format!("\"{s}\" is only {bytes} bytes, too little for a notebook server");
        let mega = format!("{num}M");
        let fix = if fixes && kubespawner_memory(field, &mega, false).is_ok() {
            mega
        } else {
            format!("{num}G")
        };
        return Err(offer(
            field,
            fixes,
            fix,
            |f| format!("{said}: add a unit, e.g. {f}."),
            format!("{said}: add a unit such as M or G."),
        ));
    }
    Ok(bytes)
}

/// Memory in KubeSpawner's format as written (`3G`, or plain bytes) and its value in bytes.
/// Serialized as the plain string. When the text is plain bytes, Helm values must carry it
/// as a YAML integer ([`Memory::kubespawner_value`]), since KubeSpawner rejects the string
/// `"1073741824"` (it reads the last character as a unit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Memory {
    text: String,
    bytes: u64,
}

impl Memory {
    pub fn parse(field: &str, input: &str) -> Result<Memory, FieldError> {
        let bytes = parse_kubespawner_memory(field, input)?;
        Ok(Memory {
            text: input.trim().to_string(),
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The value to write into Helm values / `kubespawner_override`: a number for plain
    /// bytes, the string (e.g. `"3G"`) otherwise.
    pub fn kubespawner_value(&self) -> serde_json::Value {
        if self.text.chars().all(|c| c.is_ascii_digit()) {
            serde_json::Value::from(self.bytes)
        } else {
            serde_json::Value::from(self.text.clone())
        }
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Memory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Memory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Memory::parse("memory", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// Formats a number of cores the way it is written in values (`1.5`, `0.25`, `2`).
pub fn format_cores(cores: f64) -> String {
    let millis = (cores * 1000.0).round();
    // Whole millicores only; at most 3 decimals, trailing zeros removed.
    let s = format!("{:.3}", millis / 1000.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Parses CPU as decimal cores (`1.5`, `0.5`, `2`, `.25`), the form the chart's schema accepts.
/// Millicores (`1500m`) are rejected with the decimal to write instead.
pub fn validate_cpu(field: &str, input: &str) -> Result<f64, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let s = input.trim();
    if s.is_empty() {
        return err("A number of cores is required, e.g. 1.5.".into());
    }
    if let Some(m) = s.strip_suffix('m')
        && !m.is_empty()
        && m.chars().all(|c| c.is_ascii_digit())
    {
        let cores = match m.parse::<u64>() {
            Ok(n) => format_cores(n as f64 / 1000.0),
            Err(_) => "a number of cores".into(),
        };
        return err(format!(
            "\"{s}\" is in millicores, which the JupyterHub chart rejects (it takes a number of cores): write {cores}."
        ));
    }
    if s.starts_with('-') {
        return err(format!("\"{s}\" is negative: CPU must be more than 0."));
    }
    if s.contains(',') && s.replace(',', ".").parse::<f64>().is_ok() {
        return err(format!(
            "\"{s}\" uses a comma: write the decimal with a dot, e.g. {}.",
            s.replace(',', ".")
        ));
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let valid_shape = split_number(body).is_some_and(|(_, rest)| rest.is_empty());
    if !valid_shape {
        return err(format!(
            "\"{s}\" is not a number of cores: write a decimal such as 1.5 or 0.5."
        ));
    }
    let decimals = body.split_once('.').map_or(0, |(_, f)| f.len());
    if decimals > CPU_MAX_DECIMALS {
        return err(format!(
            "\"{s}\" has {decimals} decimals: Kubernetes counts CPU in thousandths of a core, so use at most {CPU_MAX_DECIMALS}."
        ));
    }
    let Ok(cores) = body.parse::<f64>() else {
        return err(format!(
            "\"{s}\" is not a number of cores: write a decimal such as 1.5 or 0.5."
        ));
    };
    if cores <= 0.0 {
        return err(format!(
            "\"{s}\" is zero: CPU must be more than 0 (leave the field empty for no value)."
        ));
    }
    if cores > CPU_MAX_CORES {
        return err(format!(
            "\"{s}\" cores is more than any node has (at most {CPU_MAX_CORES}): if you meant millicores, write {}.",
            format_cores(cores / 1000.0)
        ));
    }
    // Round to whole millicores so 0.1 + 0.2 style noise never reaches the values.
    Ok((cores * 1000.0).round() / 1000.0)
}

/// An amount compared by `value` and shown in messages as `text` (e.g. bytes shown as the
/// `3G` the admin wrote).
#[derive(Debug, Clone)]
pub struct Shown<T> {
    pub value: T,
    pub text: String,
}

impl Shown<f64> {
    /// Cores, shown as written in forms (`1.5`).
    pub fn cores(cores: f64) -> Self {
        Shown {
            value: cores,
            text: format_cores(cores),
        }
    }
}

impl Shown<u64> {
    /// Memory, compared in bytes and shown as written (`3G`).
    pub fn memory(m: &Memory) -> Self {
        Shown {
            value: m.bytes(),
            text: m.to_string(),
        }
    }
}

impl<T: PartialOrd> PartialEq for Shown<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value.partial_cmp(&other.value) == Some(std::cmp::Ordering::Equal)
    }
}

impl<T: PartialOrd> PartialOrd for Shown<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T> std::fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `guarantee <= limit` for any pair of amounts; the error is reported on the guarantee field.
/// The one place this rule lives: the profile form and the values checks both call it.
pub fn check_guarantee<T: PartialOrd + std::fmt::Display>(
    guarantee_field: &str,
    what: &str,
    guarantee: &T,
    limit: &T,
) -> Result<(), FieldError> {
    if guarantee > limit {
        return Err(FieldError::new(
            guarantee_field,
            format!(
                "The {what} guarantee ({guarantee}) is more than the {what} limit ({limit}): lower the guarantee or raise the limit."
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("c", "5Gi").unwrap(), 5 * GIB);
        assert_eq!(parse_quantity("c", "10G").unwrap(), 10_000_000_000);
        assert_eq!(parse_quantity("c", "500Mi").unwrap(), 500 * MIB);
        assert_eq!(parse_quantity("c", "1.5Ti").unwrap(), 3 * TIB / 2);
        assert_eq!(parse_quantity("c", "1e9").unwrap(), 1_000_000_000);
        assert_eq!(parse_quantity("c", "25e-1").unwrap(), 3);
        assert_eq!(parse_quantity("c", "128974848").unwrap(), 128_974_848);
        assert_eq!(parse_quantity("c", "100k").unwrap(), 100_000);
        assert_eq!(parse_quantity("c", " 5Gi ").unwrap(), 5 * GIB);
        assert_eq!(parse_quantity("c", ".5Gi").unwrap(), GIB / 2);
        assert_eq!(parse_quantity("c", "+1Ki").unwrap(), 1024);
    }

    #[test]
    fn bad_quantities_explain_the_fix() {
        let e = parse_quantity("home_capacity", "5 GB").unwrap_err();
        assert_eq!(e.field, "home_capacity");
        assert!(e.message.contains("space"), "{}", e.message);
        assert!(e.message.contains("5Gi"), "{}", e.message);
        for (bad, hint) in [
            ("5GB", "5Gi"),
            ("5gi", "5Gi"),
            ("5g", "5Gi"),
            ("5GiB", "5Gi"),
            ("5K", "5Ki"),
            ("500m", "500Mi"),
            ("10Q", "Ki, Mi"),
            ("-5Gi", "negative"),
            ("0Gi", "zero"),
            ("", "required"),
            ("Gi", "not a Kubernetes quantity"),
            ("1.2.3Gi", "not a Kubernetes quantity"),
            ("99999Ei", "too large"),
            ("1e40", "too large"),
        ] {
            let e = parse_quantity("c", bad).unwrap_err();
            assert!(e.message.contains(hint), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn kubespawner_memory() {
        assert_eq!(parse_kubespawner_memory("m", "3G").unwrap(), 3 * GIB);
        assert_eq!(parse_kubespawner_memory("m", "1G").unwrap(), GIB);
        assert_eq!(parse_kubespawner_memory("m", "512M").unwrap(), 512 * MIB);
        assert_eq!(parse_kubespawner_memory("m", "1.5G").unwrap(), 3 * GIB / 2);
        assert_eq!(parse_kubespawner_memory("m", "2048K").unwrap(), 2 * MIB);
        assert_eq!(parse_kubespawner_memory("m", "1T").unwrap(), TIB);
        assert_eq!(parse_kubespawner_memory("m", "1073741824").unwrap(), GIB);
    }

    #[test]
    fn kubernetes_memory_is_rejected_with_the_reason() {
        let e = parse_kubespawner_memory("mem_limit", "3Gi").unwrap_err();
        assert_eq!(e.field, "mem_limit");
        assert!(e.message.contains("KubeSpawner"), "{}", e.message);
        assert!(e.message.contains("write 3G"), "{}", e.message);
        assert!(e.message.contains("fail"), "{}", e.message);
        for (bad, hint) in [
            ("512Mi", "write 512M"),
            ("3gi", "write 3G"),
            ("3GB", "write 3G"),
            ("3g", "write 3G"),
            ("3m", "write 3M"),
            ("1P", "express it in T"),
            ("3X", "unknown unit"),
            ("3 G", "space"),
            ("-1G", "negative"),
            ("0G", "zero"),
            ("1000", "add a unit"),
            ("1.5", "fraction of a byte"),
            ("G", "not a memory amount"),
            ("", "required"),
        ] {
            let e = parse_kubespawner_memory("m", bad).unwrap_err();
            assert!(e.message.contains(hint), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn memory_values_for_kubespawner() {
        let m = Memory::parse("m", " 3G ").unwrap();
        assert_eq!(m.as_str(), "3G");
        assert_eq!(m.kubespawner_value(), serde_json::json!("3G"));
        let b = Memory::parse("m", "1073741824").unwrap();
        assert_eq!(b.kubespawner_value(), serde_json::json!(1_073_741_824u64));
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"3G\"");
        let back: Memory = serde_json::from_str("\"3G\"").unwrap();
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Memory>("\"3Gi\"").is_err());
        let q: Quantity = serde_json::from_str("\"10Gi\"").unwrap();
        assert_eq!(q.bytes(), 10 * GIB);
        assert_eq!(serde_json::to_value(&q).unwrap(), serde_json::json!("10Gi"));
    }

    #[test]
    fn cpu() {
        assert_eq!(validate_cpu("c", "1.5").unwrap(), 1.5);
        assert_eq!(validate_cpu("c", "0.5").unwrap(), 0.5);
        assert_eq!(validate_cpu("c", "2").unwrap(), 2.0);
        assert_eq!(validate_cpu("c", ".25").unwrap(), 0.25);
        assert_eq!(validate_cpu("c", "0.001").unwrap(), 0.001);
        let e = validate_cpu("cpu_limit", "1500m").unwrap_err();
        assert_eq!(e.field, "cpu_limit");
        assert!(e.message.contains("1.5"), "{}", e.message);
        assert!(e.message.contains("millicores"), "{}", e.message);
        assert!(
            validate_cpu("c", "500m")
                .unwrap_err()
                .message
                .contains("write 0.5")
        );
        assert!(
            validate_cpu("c", "2000m")
                .unwrap_err()
                .message
                .contains("write 2.")
        );
        for (bad, hint) in [
            ("1,5", "write the decimal with a dot, e.g. 1.5"),
            ("-1", "negative"),
            ("0", "zero"),
            ("0.0001", "at most 3"),
            ("abc", "not a number of cores"),
            ("1.5.1", "not a number of cores"),
            ("1500", "write 1.5"),
            ("", "required"),
            ("NaN", "not a number"),
            ("inf", "not a number"),
        ] {
            let e = validate_cpu("c", bad).unwrap_err();
            assert!(e.message.contains(hint), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn guarantees() {
        assert!(check_guarantee("cpu_guarantee", "CPU", &0.5, &1.5).is_ok());
        assert!(check_guarantee("cpu_guarantee", "CPU", &1.5, &1.5).is_ok());
        let e = check_guarantee("cpu_guarantee", "CPU", &2.0, &1.5).unwrap_err();
        assert_eq!(e.field, "cpu_guarantee");
        assert!(
            e.message.contains("more than the CPU limit"),
            "{}",
            e.message
        );
    }

    #[test]
    fn cores_format() {
        assert_eq!(format_cores(1.5), "1.5");
        assert_eq!(format_cores(2.0), "2");
        assert_eq!(format_cores(0.125), "0.125");
        assert_eq!(format_cores(0.1 + 0.2), "0.3");
    }

    proptest! {
        #[test]
        fn binary_quantities_are_exact(n in 1u64..100_000, i in 0usize..4) {
            let (suf, mult) = [("Ki", KIB), ("Mi", MIB), ("Gi", GIB), ("Ti", TIB)][i];
            prop_assert_eq!(parse_quantity("c", &format!("{n}{suf}")).unwrap(), n * mult);
        }

        #[test]
        fn decimal_quantities_are_exact(n in 1u64..100_000, i in 0usize..4) {
            let (suf, mult) = [("k", 1_000u64), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000)][i];
            prop_assert_eq!(parse_quantity("c", &format!("{n}{suf}")).unwrap(), n * mult);
        }

        #[test]
        fn kubespawner_units_are_1024_based(n in 1u64..100_000, i in 1usize..4) {
            let (suf, mult) = [("K", KIB), ("M", MIB), ("G", GIB), ("T", TIB)][i];
            prop_assert_eq!(parse_kubespawner_memory("m", &format!("{n}{suf}")).unwrap(), n * mult);
        }

        #[test]
        fn kubernetes_binary_units_never_pass_as_memory(n in 1u64..100_000, suf in "(Ki|Mi|Gi|Ti|ki|mi|gi|ti|KiB|GiB)") {
            let input = format!("{n}{suf}");
            let e = parse_kubespawner_memory("mem_limit", &input).unwrap_err();
            prop_assert!(e.message.contains("KubeSpawner"), "{}", e.message);
        }

        #[test]
        fn millicores_suggest_the_decimal(n in 1u64..64_000) {
            let e = validate_cpu("cpu_limit", &format!("{n}m")).unwrap_err();
            let expected = format!("write {}.", format_cores(n as f64 / 1000.0));
            prop_assert!(e.message.contains(&expected), "{}", e.message);
        }

        #[test]
        fn decimal_cores_roundtrip(millis in 1u32..1_024_000) {
            let text = format_cores(f64::from(millis) / 1000.0);
            let parsed = validate_cpu("c", &text).unwrap();
            prop_assert_eq!((parsed * 1000.0).round() as u32, millis);
            prop_assert_eq!(format_cores(parsed), text);
        }

        #[test]
        fn amounts_never_panic(s in ".{0,40}") {
            let _ = parse_quantity("c", &s);
            let _ = parse_kubespawner_memory("m", &s);
            let _ = validate_cpu("c", &s);
        }

        #[test]
        fn spaces_are_rejected(n in 1u64..1000, suf in "(Gi|G|Mi|GB)") {
            let spaced = format!("{n} {suf}");
            let memory = format!("{n} G");
            prop_assert!(parse_quantity("c", &spaced).is_err());
            prop_assert!(parse_kubespawner_memory("m", &memory).is_err());
        }
    }
}
