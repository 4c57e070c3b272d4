//! Kubernetes quantities (`500m`, `3G`, `512Mi`) as numbers, and back to the spelling
//! `kubectl` shows.

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
