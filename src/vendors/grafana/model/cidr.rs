//! IPv4 / IPv6 subnets in CIDR notation, for access-policy `allowedSubnets`.

use std::fmt;
use std::net::IpAddr;

use crate::core::error::{EngineResult, bad_request};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    /// Kept as given, so the API shows back exactly what the client sent.
    text: String,
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> EngineResult<Self> {
        let invalid = |why: &str| {
            bad_request(format!(
                "allowedSubnets: {text:?} is not a valid CIDR subnet ({why}); \
                 use e.g. 192.168.0.0/24, 10.1.2.99/32 or 2001:db8::/32"
            ))
        };
        let (address, prefix) = text.split_once('/').ok_or_else(|| invalid("no /prefix"))?;
        let network: IpAddr = address.parse().map_err(|_| invalid("bad address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max && !prefix.starts_with('+'))
            .ok_or_else(|| invalid("bad prefix length"))?;
        Ok(Cidr {
            text: text.to_string(),
            network,
            prefix,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => prefix_matches(
                u32::from(net).into(),
                u32::from(addr).into(),
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                prefix_matches(u128::from(net), u128::from(addr), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_matches(net: u128, addr: u128, prefix: u8, width: u32) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = width - u32::from(prefix);
    (net >> shift) == (addr >> shift)
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
}
