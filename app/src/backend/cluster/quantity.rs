//! Kubernetes quantities (`500m`, `3G`, `512Mi`) as numbers.

/// Parses a Kubernetes quantity (`500m`, `1.5`, `3G`, `512Mi`, `1e3`) into base units
/// (cores or bytes). `None` for malformed input.
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let suffixes: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024.0f64.powi(4)),
        ("Pi", 1024.0f64.powi(5)),
        ("Ei", 1024.0f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, factor) in suffixes {
        if let Some(num) = q.strip_suffix(suffix) {
            return num.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    if let Some(num) = q.strip_suffix('P') {
        return num.parse::<f64>().ok().map(|n| n * 1e15);
    }
    if let Some(num) = q.strip_suffix('E')
        && !num.contains(['e', 'E'])
    {
        return num.parse::<f64>().ok().map(|n| n * 1e18);
    }
    q.parse::<f64>().ok()
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
}
