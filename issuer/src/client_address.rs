//! Which client a request comes from. Behind a reverse proxy or load balancer the TCP peer is the
//! proxy, so the client's address is read from `X-Forwarded-For` — but only when the peer is one of
//! the proxies the operator trusts (`--trusted-proxy`): anyone else could write any address there.
//! The client is then the right-most address in the header that is not itself a trusted proxy (each
//! proxy appends the address it received the request from; the entries left of the first untrusted
//! one are the client's own words). A header that cannot be read leaves the peer as the client.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;

/// The header proxies append the addresses they received a request from to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// Most `X-Forwarded-For` entries looked at, from the right; past them the peer is the client.
const MAX_HOPS: usize = 32;

/// A request's client address, as the per-client limits key it
/// ([`crate::rate_limit::client_key`]); set on each issuance request by the service's middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// A network in CIDR notation, `10.0.0.0/8` or `2001:db8::/32`; a bare address is a network of
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a CIDR text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// The part before `/` is not an IP address.
    #[error("`{0}` is not an IP address or network (e.g. 10.0.0.0/8, 2001:db8::/32)")]
    Address(String),
    /// The prefix length is not a number within the address's bits.
    #[error("`{0}` has a prefix length that is not 0 to 32 (IPv4) or 0 to 128 (IPv6)")]
    Prefix(String),
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| CidrError::Address(text.to_string()))?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| CidrError::Prefix(text.to_string()))?,
        };
        Ok(Cidr {
            network: mask(address, prefix),
            prefix,
        })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }
}

/// `ip` with every bit past the first `prefix` cleared.
fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & keep).into())
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & keep).into())
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Trusts the proxies in `networks`.
    pub fn new(networks: Vec<Cidr>) -> Self {
        TrustedProxies(networks)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client of a request from the TCP peer `peer` with `headers`: `peer` itself unless it is
    /// a trusted proxy; then the right-most `X-Forwarded-For` address that is not a trusted proxy,
    /// or `peer` when the header is missing, unreadable, or names only trusted proxies.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        // Several header lines are one list, in order (RFC 9110 §5.3).
        let mut lines = Vec::new();
        for value in headers.get_all(FORWARDED_FOR) {
            match value.to_str() {
                Ok(line) => lines.push(line),
                Err(_) => return peer,
            }
        }
        let hops = lines.iter().rev().flat_map(|line| line.rsplit(','));
        for hop in hops.take(MAX_HOPS) {
            let Some(ip) = parse_hop(hop) else {
                return peer;
            };
            if !self.contains(ip) {
                return ip;
            }
        }
        peer
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.7:443`,
/// `[2001:db8::7]:443`) or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(lines: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(FORWARDED_FOR, HeaderValue::from_bytes(line).unwrap());
        }
        headers
    }

    fn trusted(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(networks.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn networks_parse_and_match_by_their_prefix() {
        let ten: Cidr = "10.1.2.3/8".parse().unwrap();
        assert_eq!(ten.to_string(), "10.0.0.0/8");
        assert!(ten.contains(ip("10.255.0.1")) && !ten.contains(ip("11.0.0.1")));
        assert!(ten.contains(ip("::ffff:10.0.0.9")), "IPv4-mapped");
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "example.org/8",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxies = trusted(&["127.0.0.1/32", "10.0.0.0/8"]);
        let spoofed = forwarded(&[b"198.51.100.1"]);
        assert_eq!(
            proxies.client_of(ip("203.0.113.5"), &spoofed),
            ip("203.0.113.5"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            TrustedProxies::default().client_of(ip("127.0.0.1"), &spoofed),
            ip("127.0.0.1"),
            "no proxy is trusted by default"
        );
        // The client wrote a fake first entry; the edge proxy appended the address it saw; an
        // inner proxy appended the edge's.
        let chain = forwarded(&[b"198.51.100.1, 203.0.113.9", b"10.0.0.2"]);
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &chain),
            ip("203.0.113.9")
        );
        let with_ports = forwarded(&[b"[2001:db8::7]:443, 203.0.113.9:1234"]);
        assert_eq!(
            proxies.client_of(ip("::ffff:127.0.0.1"), &with_ports),
            ip("203.0.113.9")
        );
        let v6 = forwarded(&[b"2001:db8::7"]);
        assert_eq!(proxies.client_of(ip("127.0.0.1"), &v6), ip("2001:db8::7"));
    }

    #[test]
    fn a_missing_or_malformed_header_leaves_the_peer() {
        let proxies = trusted(&["127.0.0.1/32", "10.0.0.0/8"]);
        let peer = ip("127.0.0.1");
        assert_eq!(proxies.client_of(peer, &HeaderMap::new()), peer);
        for bad in [
            &b"unknown"[..],
            b"",
            b" , ",
            b"203.0.113.9, not-an-address",
            b"\xff\xfe",
            b"203.0.113.9:99999",
        ] {
            assert_eq!(proxies.client_of(peer, &forwarded(&[bad])), peer, "{bad:?}");
        }
        assert_eq!(
            proxies.client_of(peer, &forwarded(&[b"10.0.0.1, 10.0.0.2"])),
            peer,
            "only trusted proxies named"
        );
        let long = vec!["10.0.0.1"; 1000].join(",");
        assert_eq!(
            proxies.client_of(peer, &forwarded(&[long.as_bytes()])),
            peer,
            "a bounded number of hops is read"
        );
    }
}
