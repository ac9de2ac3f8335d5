//! Which IP addresses a notification may not reach by default, and why.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused by default. Public unicast addresses have no class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressClass {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fc00::/7 (and the deprecated site-local fec0::/10).
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// Cloud instance metadata: 169.254.169.254, fd00:ec2::254, 100.100.100.200.
    Metadata,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedAddressSpace,
    /// 0.0.0.0, ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 224/4, ff00::/8.
    Multicast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// Everything else that is not public unicast: 0/8, 192.0.0/24, 198.18/15, 240/4, the
    /// IPv4-compatible ::/96, the discard prefix 100::/64, Teredo, local NAT64, and IPv6 outside
    /// 2000::/3.
    Reserved,
}

impl AddressClass {
    /// A short lowercase name, used in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::Metadata => "cloud metadata",
            Self::SharedAddressSpace => "shared address space (CGNAT)",
            Self::Unspecified => "unspecified",
            Self::Broadcast => "broadcast",
            Self::Multicast => "multicast",
            Self::Documentation => "documentation",
            Self::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The class of `ip`, or `None` for a public unicast address. IPv6 forms that embed an IPv4
/// address (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by
/// the embedded address.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass::*;
    const TABLE: &[([u8; 4], u32, AddressClass)] = &[
        ([169, 254, 169, 254], 32, Metadata),
        ([100, 100, 100, 200], 32, Metadata),
        ([0, 0, 0, 0], 32, Unspecified),
        ([255, 255, 255, 255], 32, Broadcast),
        ([0, 0, 0, 0], 8, Reserved),
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([100, 64, 0, 0], 10, SharedAddressSpace),
        ([224, 0, 0, 0], 4, Multicast),
        ([192, 0, 2, 0], 24, Documentation),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([192, 0, 0, 0], 24, Reserved),
        ([198, 18, 0, 0], 15, Reserved),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    TABLE
        .iter()
        .find(|(net, len, _)| in_v4(ip, *net, *len))
        .map(|(_, _, class)| *class)
}

fn in_v6(ip: Ipv6Addr, net: u128, len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

/// The IPv4 address in bits `shift..shift + 32` (counted from the low end) of `ip`.
fn embedded_v4(ip: Ipv6Addr, shift: u32) -> Ipv4Addr {
    let bits = (u128::from(ip) >> shift) & u128::from(u32::MAX);
    Ipv4Addr::from(u32::try_from(bits).unwrap_or(0))
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    use AddressClass::*;
    if ip.is_unspecified() {
        return Some(Unspecified);
    }
    if ip.is_loopback() {
        return Some(Loopback);
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if in_v6(ip, 0x0064_ff9b_u128 << 96, 96) || in_v6(ip, 0x2002_u128 << 112, 16) {
        let shift = if in_v6(ip, 0x2002_u128 << 112, 16) { 80 } else { 0 };
        return classify_v4(embedded_v4(ip, shift));
    }
    const TABLE: &[(u128, u32, AddressClass)] = &[
        (0xfd00_0ec2_u128 << 96 | 0x254, 128, Metadata),
        (0, 96, Reserved),
        (0x0064_ff9b_0001_u128 << 80, 48, Reserved),
        (0x0100_u128 << 112, 64, Reserved),
        (0xfc00_u128 << 112, 7, Private),
        (0xfec0_u128 << 112, 10, Private),
        (0xfe80_u128 << 112, 10, LinkLocal),
        (0xff00_u128 << 112, 8, Multicast),
        (0x2001_0db8_u128 << 96, 32, Documentation),
        (0x3fff_u128 << 112, 20, Documentation),
        (0x2001_u128 << 112, 32, Reserved),
    ];
    if let Some((_, _, class)) = TABLE.iter().find(|(net, len, _)| in_v6(ip, *net, *len)) {
        return Some(*class);
    }
    (!in_v6(ip, 0x2000_u128 << 112, 3)).then_some(Reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_v4_reads_the_right_bits() {
        let nat64: Ipv6Addr = "64:ff9b::7f00:1".parse().expect("literal");
        assert_eq!(embedded_v4(nat64, 0), Ipv4Addr::new(127, 0, 0, 1));
        let six_to_four: Ipv6Addr = "2002:a9fe:a9fe::1".parse().expect("literal");
        assert_eq!(embedded_v4(six_to_four, 80), Ipv4Addr::new(169, 254, 169, 254));
    }
}
