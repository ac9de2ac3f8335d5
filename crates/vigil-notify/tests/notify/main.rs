//! Integration tests of vigil-notify against real receivers: an HTTP server on 127.0.0.1 and
//! aiosmtpd for e-mail.

mod config;
mod email;
mod payload;
mod policy;
mod smtp;
mod support;
mod webhook;
