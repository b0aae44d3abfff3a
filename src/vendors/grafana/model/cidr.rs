//! IPv4 / IPv6 subnets in CIDR notation, for access-policy `allowedSubnets`.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::core::error::{EngineResult, bad_request};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    /// Kept as given, so the API shows back exactly what the client sent.
    text: String,
    /// Host bits kept too (`10.1.2.99/32`, `10.0.0.1/24`): `IpNet::contains`
    /// compares the network part only.
    net: IpNet,
}

impl Cidr {
    /// Parsed piecewise rather than with `IpNet::from_str` so that the error
    /// says which part is wrong and the address follows `std`'s rules
    /// (ipnet's own parser also takes e.g. `010.0.0.0/8`, and refuses
    /// `10.0.0.0/008`, which this has always taken).
    pub fn parse(text: &str) -> EngineResult<Self> {
        let invalid = |why: &str| {
            bad_request(format!(
                "allowedSubnets: {text:?} is not a valid CIDR subnet ({why}); \
                 use e.g. 192.168.0.0/24, 10.1.2.99/32 or 2001:db8::/32"
            ))
        };
        let (address, prefix) = text.split_once('/').ok_or_else(|| invalid("no /prefix"))?;
        let address: IpAddr = address.parse().map_err(|_| invalid("bad address"))?;
        let net = prefix
            .parse()
            .ok()
            .filter(|_| !prefix.starts_with('+'))
            .and_then(|prefix| IpNet::new(address, prefix).ok())
            .ok_or_else(|| invalid("bad prefix length"))?;
        Ok(Cidr {
            text: text.to_string(),
            net,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) match as IPv4.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.net.contains(&address.to_canonical())
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_v4_and_v6() {
        let lan = Cidr::parse("192.168.0.0/24").unwrap();
        assert!(lan.contains("192.168.0.77".parse().unwrap()));
        assert!(!lan.contains("192.168.1.1".parse().unwrap()));
        assert!(lan.contains("::ffff:192.168.0.9".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in [
            "10.0.0.1",
            "10.0.0.0/33",
            "fe80::/129",
            "nope/8",
            "10.0.0.0/+8",
            "",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keeps_its_own_acceptance_rules_over_ipnets_parser() {
        // Host bits are kept as sent and ignored when matching.
        let host = Cidr::parse("10.0.0.1/24").unwrap();
        assert_eq!(host.as_str(), "10.0.0.1/24");
        assert!(host.contains("10.0.0.200".parse().unwrap()));
        assert!(!host.contains("10.0.1.1".parse().unwrap()));
        // std's address rules (no leading zeros), a lenient prefix length.
        assert!(Cidr::parse("010.0.0.0/8").is_err());
        assert!(Cidr::parse("10.0.0.0/008").is_ok());
        // An IPv6 subnet never matches an IPv4 client, even ::/0.
        let any_v6 = Cidr::parse("::/0").unwrap();
        assert!(!any_v6.contains("10.0.0.1".parse().unwrap()));
    }
}
