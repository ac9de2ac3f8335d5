//! Just enough DER to name a TLS client: the certificate subject's CN, else its first SAN.
//! The certificate was already verified by rustls; this only reads it, and never panics.

/// OID 2.5.4.3 (commonName).
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
/// OID 2.5.29.17 (subjectAltName).
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
/// Longest name kept (characters).
const MAX_NAME: usize = 256;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const OCTET_STRING: u8 = 0x04;

/// One tag-length-value: (tag, content, rest after it).
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags do not occur in what we read
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None; // indefinite or absurd lengths are not DER
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    let (content, rest) = rest.split_at_checked(len)?;
    Some((tag, content, rest))
}

/// The TLVs inside `data`, in order (stops at the first malformed one).
fn children(mut data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, content, rest) = tlv(data)?;
        data = rest;
        Some((tag, content))
    })
}

/// The client's name from its DER certificate: subject CN, else the first SAN
/// (DNS name, e-mail, URI or IP address). Control characters are removed.
pub(crate) fn client_name(cert: &[u8]) -> Option<String> {
    let (tag, cert, _) = tlv(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = tlv(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut fields = children(tbs).peekable();
    if fields.peek().is_some_and(|&(tag, _)| tag == 0xa0) {
        fields.next(); // [0] version
    }
    // serial, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional fields
    let mut fields = fields.skip(4);
    let (tag, subject) = fields.next()?;
    if tag != SEQUENCE {
        return None;
    }
    let name = common_name(subject).or_else(|| {
        fields
            .skip(1)
            .find(|&(tag, _)| tag == 0xa3)
            .and_then(|(_, extensions)| first_san(extensions))
    })?;
    let clean: String = name.chars().filter(|c| !c.is_control()).take(MAX_NAME).collect();
    (!clean.is_empty()).then_some(clean)
}

fn common_name(name: &[u8]) -> Option<String> {
    children(name)
        .filter(|&(tag, _)| tag == SET)
        .flat_map(|(_, rdn)| children(rdn))
        .filter(|&(tag, _)| tag == SEQUENCE)
        .find_map(|(_, attribute)| {
            let mut parts = children(attribute);
            let (tag, oid) = parts.next()?;
            if tag != OID || oid != OID_CN {
                return None;
            }
            let (tag, value) = parts.next()?;
            directory_string(tag, value)
        })
}

fn directory_string(tag: u8, value: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String
        0x0c | 0x13 | 0x16 => Some(String::from_utf8_lossy(value).into_owned()),
        // TeletexString: treated as Latin-1
        0x14 => Some(value.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE
        0x1e => {
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        // UniversalString: UTF-32BE
        0x1c => Some(
            value
                .chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or(char::REPLACEMENT_CHARACTER)
                })
                .collect(),
        ),
        _ => None,
    }
}

fn first_san(extensions: &[u8]) -> Option<String> {
    let (_, list) = children(extensions).find(|&(tag, _)| tag == SEQUENCE)?;
    children(list)
        .filter(|&(tag, _)| tag == SEQUENCE)
        .find_map(|(_, extension)| {
            let mut parts = children(extension);
            let (tag, oid) = parts.next()?;
            if tag != OID || oid != OID_SAN {
                return None;
            }
            let (_, value) = parts.find(|&(tag, _)| tag == OCTET_STRING)?;
            let (tag, names, _) = tlv(value)?;
            if tag != SEQUENCE {
                return None;
            }
            children(names).find_map(|(tag, value)| match tag {
                // rfc822Name, dNSName, uniformResourceIdentifier
                0x81 | 0x82 | 0x86 => Some(String::from_utf8_lossy(value).into_owned()),
                // iPAddress
                0x87 => match value.len() {
                    4 => <[u8; 4]>::try_from(value)
                        .ok()
                        .map(|ip| std::net::Ipv4Addr::from(ip).to_string()),
                    16 => <[u8; 16]>::try_from(value)
                        .ok()
                        .map(|ip| std::net::Ipv6Addr::from(ip).to_string()),
                    _ => None,
                },
                _ => None,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rcgen::{CertificateParams, DnType, KeyPair};

    #[test]
    fn common_name_of_a_real_certificate() {
        let mut params = CertificateParams::new(vec!["host.example".to_owned()]).expect("params");
        params.distinguished_name.push(DnType::OrganizationName, "Vigil Test");
        params.distinguished_name.push(DnType::CommonName, "collector-01");
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        assert_eq!(client_name(cert.der()).as_deref(), Some("collector-01"));
    }

    #[test]
    fn first_san_when_no_common_name() {
        let mut params = CertificateParams::new(vec!["10.1.2.3".to_owned(), "a.example".to_owned()]).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        assert_eq!(client_name(cert.der()).as_deref(), Some("10.1.2.3"));
    }

    #[test]
    fn truncated_certificates_give_none() {
        let mut params = CertificateParams::new(vec!["x.example".to_owned()]).expect("params");
        params.distinguished_name.push(DnType::CommonName, "x");
        let key = KeyPair::generate().expect("key");
        let der = params.self_signed(&key).expect("cert").der().to_vec();
        for end in 0..der.len() {
            assert_eq!(client_name(&der[..end]), None, "prefix {end}");
        }
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = client_name(&bytes);
        }

        #[test]
        fn nested_garbage_never_panics(inner in proptest::collection::vec(any::<u8>(), 0..300)) {
            // A plausible outer structure around random content reaches the deeper parsers.
            let mut tbs = vec![SEQUENCE, 0x82];
            tbs.extend_from_slice(&(inner.len() as u16).to_be_bytes());
            tbs.extend_from_slice(&inner);
            let mut cert = vec![SEQUENCE, 0x82];
            cert.extend_from_slice(&(tbs.len() as u16).to_be_bytes());
            cert.extend_from_slice(&tbs);
            let _ = client_name(&cert);
        }
    }
}
