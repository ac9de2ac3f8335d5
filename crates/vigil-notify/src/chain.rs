//! Looking through error chains of the HTTP and SMTP clients.

use std::error::Error;
use std::io;

/// The next error in the chain. For an `io::Error` that wraps another error this is the wrapped
/// error itself (`io::Error::source` skips it and returns the wrapped error's source).
fn next<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
    if let Some(io) = err.downcast_ref::<io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return Some(inner);
    }
    err.source()
}

/// The first error of type `E` in the chain starting at `err`.
pub(crate) fn find<'a, E: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a E> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        current = next(e);
    }
    None
}

/// A TLS failure no retry will fix (an untrusted, expired or mismatched certificate, or no
/// protocol version or cipher in common), as a message.
pub(crate) fn tls_misconfiguration(err: &(dyn Error + 'static)) -> Option<String> {
    let tls = find::<rustls::Error>(err)?;
    let permanent = matches!(
        tls,
        rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType
            | rustls::Error::PeerIncompatible(_)
            | rustls::Error::InvalidCertRevocationList(_)
    );
    permanent.then(|| format!("TLS: {tls}"))
}
