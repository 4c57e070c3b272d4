//! Small helpers of the simulated cluster: its seeded random numbers, time formatting,
//! Kubernetes quantities and JSON path access.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// SplitMix64: tiny, fast and fully deterministic for a given seed (the simulator must not
/// depend on a random crate's version for its output).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        // 53 random bits, exactly representable.
        let bits = self.next_u64() >> 11;
        bits as f64 / (1u64 << 53) as f64
    }

    /// An integer in `[lo, hi)`; `lo` when the range is empty.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.next_u64() % (hi - lo)
        }
    }

    /// A UUID-shaped identifier (version 4 layout).
    pub fn uid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// A suffix in the alphabet Kubernetes uses for generated names (no vowels).
    pub fn name_suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| {
                let i = usize::try_from(self.next_u64() % ALPHABET.len() as u64).unwrap_or(0);
                char::from(ALPHABET[i])
            })
            .collect()
    }

    /// Lower-case hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::new();
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }
}

/// RFC 3339 with whole seconds, as `metav1.Time` is serialized.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// RFC 3339 with microseconds, as `metav1.MicroTime` is serialized.
pub fn fmt_micro_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub use clusterkit::quantity::{
    format_bytes as fmt_bytes_quantity, format_cpu_millis as fmt_cpu_quantity,
    of_json as quantity_of, parse as parse_quantity, to_u64 as f64_to_u64,
};

/// A pod's requested (cpu millicores, memory bytes): requests, or limits where no request.
pub fn pod_requests(pod: &Value) -> (u64, u64) {
    let mut cpu = 0.0;
    let mut mem = 0.0;
    if let Some(cs) = pod.pointer("/spec/containers").and_then(Value::as_array) {
        for c in cs {
            let r = &c["resources"];
            let pick = |k: &str| {
                quantity_of(r.get("requests").and_then(|x| x.get(k)))
                    .or_else(|| quantity_of(r.get("limits").and_then(|x| x.get(k))))
                    .unwrap_or(0.0)
            };
            cpu += pick("cpu");
            mem += pick("memory");
        }
    }
    (f64_to_u64(cpu * 1000.0), f64_to_u64(mem))
}

/// The value at a path of object keys.
pub fn get_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

/// Sets the value at a path, creating intermediate objects (replacing non-objects).
pub fn set_path(v: &mut Value, path: &[String], val: Value) {
    let Some((last, parents)) = path.split_last() else {
        *v = val;
        return;
    };
    let mut cur = v;
    for seg in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Some(map) = cur.as_object_mut() else {
            return;
        };
        cur = map
            .entry(seg.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Some(map) = cur.as_object_mut() {
        map.insert(last.clone(), val);
    }
}

/// Removes the value at a path; absent paths are fine.
pub fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for seg in parents {
        match cur.as_object_mut().and_then(|m| m.get_mut(seg)) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(map) = cur.as_object_mut() {
        map.remove(last);
    }
}

/// A string field by JSON pointer, or "".
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.uid(), b.uid());
        assert_eq!(a.name_suffix(5).len(), 5);
        assert!(a.unit() < 1.0);
    }
}
