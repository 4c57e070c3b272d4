//! What every benchmark in `bench/` shares: the machine line, milliseconds, timings and the
//! section of BENCHMARKS.md a benchmark rewrites (between `<!-- bench:NAME -->` markers).

use std::time::Duration;

/// Median and slowest of a series of runs.
pub struct Timing {
    pub median: Duration,
    pub max: Duration,
}

impl Timing {
    /// From unsorted durations (at least one).
    pub fn of(mut times: Vec<Duration>) -> Self {
        times.sort();
        Timing {
            median: times[times.len() / 2],
            max: times[times.len() - 1],
        }
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "? GiB".into());
    format!(
        "{}, {cores} cores ({cpu}), {mem}",
        chrono::Utc::now().format("%Y-%m-%d")
    )
}

pub fn update_section(name: &str, lines: &[String]) -> std::io::Result<std::path::PathBuf> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let start = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let block = format!("{start}\n{}\n{end}", lines.join("\n"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures measured by the scripts in `bench/`; each section says how to reproduce it.\n".into()
    });
    let text = match (text.find(&start), text.find(&end)) {
        (Some(i), Some(j)) if j > i => {
            format!("{}{block}{}", &text[..i], &text[j + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    };
    std::fs::write(&file, text)?;
    Ok(file)
}
