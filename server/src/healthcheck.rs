//! `hubfleet healthcheck`: asks the portal on this machine for `GET /healthz` over plain
//! HTTP/1.1 and succeeds on a 200 answer. The container image's `HEALTHCHECK` runs it, so the
//! image needs no shell or HTTP client.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Where to connect for a portal listening on `listen`: an unspecified address (`0.0.0.0`,
/// `::`) means this machine's loopback.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `Ok` when `GET /healthz` on the portal listening at `listen` answers 200 within `timeout`;
/// otherwise what went wrong.
pub fn check(listen: SocketAddr, timeout: Duration) -> Result<(), String> {
    let addr = target(listen);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let io = |e: std::io::Error| format!("{addr}: {e}");
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .map_err(io)?;
    // The status line is all that matters; read at most a little.
    let mut head = Vec::new();
    stream.take(1024).read_to_end(&mut head).map_err(io)?;
    let text = String::from_utf8_lossy(&head);
    let status = text.lines().next().unwrap_or_default();
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ if status.is_empty() => Err(format!("{addr} closed the connection without answering")),
        _ => Err(format!("{addr} answered /healthz with \"{status}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_mean_loopback() {
        let t = |s: &str| target(s.parse().unwrap()).to_string();
        assert_eq!(t("0.0.0.0:3000"), "127.0.0.1:3000");
        assert_eq!(t("[::]:8080"), "[::1]:8080");
        assert_eq!(t("10.1.2.3:80"), "10.1.2.3:80");
    }
}
