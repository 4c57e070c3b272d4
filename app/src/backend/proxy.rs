//! The client's address behind reverse proxies.
//!
//! The socket peer is the client unless it is one of the configured trusted proxies
//! (`--trusted-proxies`). Only then is the forwarding header read (`X-Forwarded-For` by
//! default, or the standard `Forwarded`, `--forwarded-header`): from the right, every address
//! that is itself a trusted proxy is skipped, and the first other one is the client. Entries a
//! client wrote into the header itself sit further left and are never reached unless every
//! hop after them is trusted. The other forwarding header is ignored, so a client cannot pick
//! the one the proxy does not overwrite. The result keys the sign-in throttle and is written
//! into audit events.

use std::net::IpAddr;

/// The request's client address, put on the request by the server's middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Which header trusted proxies use to pass the client's address on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, Traefik, Envoy, most ingresses).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:4711"`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!(
                "forwarded header \"{other}\" is unknown: use x-forwarded-for or forwarded"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

/// An address or a network (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "trusted proxy \"{s}\" is not an IP address or network, e.g. 10.0.0.5 or 10.0.0.0/8"
            )
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, seen on dual-stack sockets) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The configured trusted proxies and the header they write.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    pub networks: Vec<Network>,
    pub header: ForwardedHeader,
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    /// The client's address of a request from socket peer `peer` whose forwarding header
    /// holds `header_values` (every occurrence, in order).
    pub fn client_addr<'a>(
        &self,
        peer: IpAddr,
        header_values: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = header_values
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(|hop| match self.header {
                ForwardedHeader::XForwardedFor => parse_node(hop),
                ForwardedHeader::Forwarded => forwarded_for(hop).and_then(parse_node),
            })
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                // An unreadable or obfuscated hop ("unknown", "_hidden"): nothing left of it
                // can be believed; the last trusted hop is the best we know.
                None => return client,
                Some(ip) => {
                    let ip = canonical(*ip);
                    client = ip;
                    if !self.trusts(ip) {
                        return ip;
                    }
                }
            }
        }
        client
    }
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `"[2001:db8::1]:4711"`.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    s.rsplit_once(':')
        .and_then(|(ip, port)| port.parse::<u16>().ok().and(ip.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies {
            networks: list.iter().map(|n| Network::parse(n).unwrap()).collect(),
            header,
        }
    }

    #[test]
    fn networks() {
        let n = Network::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.200.1.1")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.2.3")));
        assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Network::parse("192.0.2.7")
                .unwrap()
                .contains(ip("192.0.2.7"))
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy.local").is_err());
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_send() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        assert_eq!(
            p.client_addr(ip("203.0.113.9"), ["1.2.3.4"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn x_forwarded_for_from_the_right() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        // The client forged "6.6.6.6"; the ingress appended the address it saw.
        assert_eq!(
            p.client_addr(ip("10.0.0.2"), ["6.6.6.6, 198.51.100.7", "10.0.0.3"]),
            ip("198.51.100.7")
        );
        assert_eq!(p.client_addr(ip("10.0.0.2"), []), ip("10.0.0.2"));
        assert_eq!(
            p.client_addr(ip("10.0.0.2"), ["198.51.100.7:5000"]),
            ip("198.51.100.7")
        );
        assert_eq!(p.client_addr(ip("10.0.0.2"), ["garbage"]), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_header() {
        let p = proxies(&["10.0.0.2"], ForwardedHeader::Forwarded);
        assert_eq!(
            p.client_addr(
                ip("10.0.0.2"),
                ["for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https"]
            ),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            p.client_addr(ip("10.0.0.2"), ["for=192.0.2.60;proto=http;by=10.0.0.2"]),
            ip("192.0.2.60")
        );
        assert_eq!(
            p.client_addr(ip("10.0.0.2"), ["for=unknown"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            ForwardedHeader::parse("Forwarded"),
            Ok(ForwardedHeader::Forwarded)
        );
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
    }
}
