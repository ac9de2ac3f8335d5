//! RFC 6587 stream framing for syslog over TCP/TLS, free of I/O so it can be tested byte by byte.
//!
//! The mode is chosen once per connection from its first byte (leading CR/LF/NUL/space ignored):
//! a digit means octet counting (`LEN SP MSG`), anything else means non-transparent framing
//! (messages end at LF, CRLF or NUL).

use crate::codes;

/// What the framer found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// One message, terminator and trailing CR/LF/NUL removed.
    Message(Vec<u8>),
    /// Data that cannot be a message; the stream continues.
    Rejected {
        code: &'static str,
        message: String,
        data: Vec<u8>,
    },
    /// Framing is lost: record this and close the connection.
    Fatal {
        code: &'static str,
        message: String,
        data: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unknown,
    Lines,
    OctetCounted,
    /// After a fatal error: everything is ignored.
    Broken,
}

/// Longest `LEN` we read before deciding the header is bad (RFC 6587 lengths fit in 10 digits).
const MAX_LEN_DIGITS: usize = 10;

/// Splits a byte stream into syslog messages.
#[derive(Debug)]
pub(crate) struct Framer {
    max_message: usize,
    mode: Mode,
    buf: Vec<u8>,
    /// In line mode, after an oversized line: drop bytes up to the next terminator.
    discarding: bool,
}

fn is_separator(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | 0 | b' ')
}

/// Removes trailing CR, LF and NUL.
pub(crate) fn trim_message(mut msg: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n' | 0] = msg {
        msg = rest;
    }
    msg
}

impl Framer {
    /// A framer accepting messages of at most `max_message` bytes.
    pub(crate) fn new(max_message: usize) -> Framer {
        Framer {
            max_message: max_message.max(1),
            mode: Mode::Unknown,
            buf: Vec::new(),
            discarding: false,
        }
    }

    /// Bytes held, waiting for the rest of a frame.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feeds bytes read from the stream; complete frames are appended to `out`.
    /// Returns false once framing is lost (a [`Frame::Fatal`] was emitted).
    pub(crate) fn push(&mut self, data: &[u8], out: &mut Vec<Frame>) -> bool {
        if self.mode == Mode::Broken {
            return false;
        }
        self.buf.extend_from_slice(data);
        let consumed = self.parse(out);
        if consumed >= self.buf.len() {
            self.buf.clear();
        } else if consumed > 0 {
            self.buf.drain(..consumed);
        }
        self.mode != Mode::Broken
    }

    /// The stream ended: emits what is left (an unterminated last line is a message).
    pub(crate) fn finish(&mut self, out: &mut Vec<Frame>) {
        let rest = std::mem::take(&mut self.buf);
        match self.mode {
            Mode::Lines if !self.discarding => {
                let msg = trim_message(&rest);
                if !msg.is_empty() {
                    out.push(Frame::Message(msg.to_vec()));
                }
            }
            Mode::OctetCounted if rest.iter().any(|&b| !is_separator(b)) => {
                out.push(Frame::Rejected {
                    code: codes::TRUNCATED_FRAME,
                    message: "connection closed inside an octet-counted frame".into(),
                    data: rest,
                });
            }
            _ => {}
        }
        self.discarding = false;
    }

    /// Parses `self.buf`, returning how many bytes were consumed.
    fn parse(&mut self, out: &mut Vec<Frame>) -> usize {
        let mut pos = 0;
        loop {
            let avail = &self.buf[pos..];
            match self.mode {
                Mode::Broken => return self.buf.len(),
                Mode::Unknown => {
                    let skip = avail.iter().take_while(|&&b| is_separator(b)).count();
                    pos += skip;
                    match avail.get(skip) {
                        None => return pos,
                        Some(b) if b.is_ascii_digit() => self.mode = Mode::OctetCounted,
                        Some(_) => self.mode = Mode::Lines,
                    }
                }
                Mode::Lines => {
                    let end = memchr::memchr2(b'\n', 0, avail);
                    if self.discarding {
                        match end {
                            Some(i) => {
                                pos += i + 1;
                                self.discarding = false;
                            }
                            None => return self.buf.len(),
                        }
                        continue;
                    }
                    match end {
                        Some(i) => {
                            let line = trim_message(&avail[..i]);
                            if line.len() > self.max_message {
                                out.push(self.too_large(line.len(), line));
                            } else if !line.is_empty() {
                                out.push(Frame::Message(line.to_vec()));
                            }
                            pos += i + 1;
                        }
                        None if avail.len() > self.max_message => {
                            if trim_message(avail).len() <= self.max_message {
                                // Only trailing CRs pass the limit. A terminator next trims them;
                                // anything else makes the line too long. One CR past the limit
                                // says as much as all of them, and keeps the buffer bounded, so
                                // the outcome does not depend on where the stream was split.
                                self.buf.truncate(pos + self.max_message + 1);
                                return pos;
                            }
                            let frame = self.too_large(avail.len(), avail);
                            out.push(frame);
                            self.discarding = true;
                            return self.buf.len();
                        }
                        None => return pos,
                    }
                }
                Mode::OctetCounted => {
                    let skip = avail.iter().take_while(|&&b| is_separator(b)).count();
                    pos += skip;
                    let avail = &avail[skip..];
                    if avail.is_empty() {
                        return pos;
                    }
                    match self.octet_header(avail) {
                        Header::Incomplete => return pos,
                        Header::Bad(frame) => {
                            out.push(frame);
                            self.mode = Mode::Broken;
                            return self.buf.len();
                        }
                        Header::Len { header, len } => {
                            let Some(msg) = avail.get(header..header + len) else {
                                return pos;
                            };
                            let msg = trim_message(msg);
                            if !msg.is_empty() {
                                out.push(Frame::Message(msg.to_vec()));
                            }
                            pos += header + len;
                        }
                    }
                }
            }
        }
    }

    fn too_large(&self, len: usize, data: &[u8]) -> Frame {
        Frame::Rejected {
            code: codes::FRAME_TOO_LARGE,
            message: format!(
                "message of {len}+ bytes exceeds the maximum of {} bytes",
                self.max_message
            ),
            data: data[..data.len().min(self.max_message)].to_vec(),
        }
    }

    fn octet_header(&self, avail: &[u8]) -> Header {
        let digits = avail.iter().take_while(|b| b.is_ascii_digit()).count();
        let fatal = |code: &'static str, message: String| {
            Header::Bad(Frame::Fatal {
                code,
                message,
                data: avail[..avail.len().min(self.max_message)].to_vec(),
            })
        };
        if digits == 0 {
            return fatal(
                codes::BAD_OCTET_COUNT,
                "octet-counted frame does not start with a length".into(),
            );
        }
        if digits > MAX_LEN_DIGITS {
            return fatal(codes::BAD_OCTET_COUNT, "frame length has too many digits".into());
        }
        let Some(&after) = avail.get(digits) else {
            return Header::Incomplete;
        };
        if after != b' ' {
            return fatal(codes::BAD_OCTET_COUNT, "frame length is not followed by a space".into());
        }
        if avail[0] == b'0' {
            return fatal(
                codes::BAD_OCTET_COUNT,
                "frame length is zero or has a leading zero".into(),
            );
        }
        let len = avail[..digits].iter().fold(0usize, |n, d| {
            n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
        });
        if len > self.max_message {
            return fatal(
                codes::FRAME_TOO_LARGE,
                format!(
                    "octet-counted frame of {len} bytes exceeds the maximum of {} bytes",
                    self.max_message
                ),
            );
        }
        Header::Len {
            header: digits + 1,
            len,
        }
    }
}

enum Header {
    Incomplete,
    Bad(Frame),
    Len { header: usize, len: usize },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame_all(max: usize, chunks: &[&[u8]]) -> (Vec<Frame>, bool) {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        let mut alive = true;
        for chunk in chunks {
            alive &= framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        (out, alive)
    }

    fn msg(s: &str) -> Frame {
        Frame::Message(s.as_bytes().to_vec())
    }

    #[test]
    fn lines_with_lf_crlf_nul_and_unterminated_tail() {
        let (frames, alive) = frame_all(100, &[b"<13>a\n<13>b\r\n<13>c\0\n\n<13>d"]);
        assert!(alive);
        assert_eq!(frames, vec![msg("<13>a"), msg("<13>b"), msg("<13>c"), msg("<13>d")]);
    }

    #[test]
    fn octet_counted_split_anywhere() {
        let stream = b"5 <1>ab11 <13>hello\n\n3 xyz";
        for cut in 0..stream.len() {
            let (frames, alive) = frame_all(100, &[&stream[..cut], &stream[cut..]]);
            assert!(alive);
            assert_eq!(frames, vec![msg("<1>ab"), msg("<13>hello"), msg("xyz")], "cut {cut}");
        }
    }

    /// Found by `fuzz_syslog_framing`: a short line followed by CRs past the limit was rejected
    /// when the terminator came in a later read, and accepted when it came in the same one.
    #[test]
    fn trailing_crs_past_the_limit_frame_the_same_however_the_stream_is_split() {
        let stream = b"[\r\r\r\r\r\r\r\r\r\r\r\r\0zt\n";
        for split in 0..=stream.len() {
            let (frames, open) = frame_all(7, &[&stream[..split], &stream[split..]]);
            assert!(open);
            assert_eq!(frames, vec![msg("["), msg("zt")], "split at {split}");
        }
        // Anything but a terminator after the CRs makes the line too long, split or not.
        let (frames, _) = frame_all(7, &[b"ab\r\r\r\r\r\r", b"\r\r\rc\nok\n"]);
        assert!(matches!(&frames[0], Frame::Rejected { code, .. } if *code == codes::FRAME_TOO_LARGE));
        assert_eq!(frames[1..], [msg("ok")]);
        let mut framer = Framer::new(4);
        let mut out = Vec::new();
        framer.push(b"x", &mut out);
        for _ in 0..1000 {
            framer.push(b"\r\r\r\r\r\r\r\r", &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
        assert!(
            framer.buffered() <= 5,
            "a run of CRs is held in bounded memory: {}",
            framer.buffered()
        );
    }

    #[test]
    fn oversized_line_is_rejected_and_stream_continues() {
        let (frames, alive) = frame_all(4, &[b"ok\n0123456", b"789\nfine\n"]);
        assert!(alive);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], msg("ok"));
        assert!(
            matches!(&frames[1], Frame::Rejected { code, data, .. } if *code == codes::FRAME_TOO_LARGE && data == b"0123")
        );
        assert_eq!(frames[2], msg("fine"));
    }

    #[test]
    fn oversized_complete_line_in_one_chunk() {
        let (frames, _) = frame_all(4, &[b"abcdefgh\nxy\n"]);
        assert!(matches!(&frames[0], Frame::Rejected { code, .. } if *code == codes::FRAME_TOO_LARGE));
        assert_eq!(frames[1], msg("xy"));
    }

    #[test]
    fn bad_octet_counts_are_fatal() {
        for (stream, code) in [
            (&b"5 hello3x abc"[..], codes::BAD_OCTET_COUNT),
            (b"12345678901 x", codes::BAD_OCTET_COUNT),
            (b"05 hello", codes::BAD_OCTET_COUNT),
            (b"0 ", codes::BAD_OCTET_COUNT),
            (b"101 x", codes::FRAME_TOO_LARGE),
        ] {
            let mut framer = Framer::new(100);
            let mut out = Vec::new();
            assert!(!framer.push(stream, &mut out), "{stream:?}");
            assert!(
                matches!(out.last(), Some(Frame::Fatal { code: c, .. }) if *c == code),
                "{stream:?}: {out:?}"
            );
            assert!(!framer.push(b"5 hello", &mut out));
        }
    }

    #[test]
    fn truncated_octet_frame_at_eof() {
        let (frames, _) = frame_all(100, &[b"10 abc"]);
        assert!(matches!(&frames[..], [Frame::Rejected { code, .. }] if *code == codes::TRUNCATED_FRAME));
    }

    #[test]
    fn buffer_stays_bounded_while_discarding() {
        let mut framer = Framer::new(8);
        let mut out = Vec::new();
        for _ in 0..100 {
            framer.push(&[b'a'; 1000], &mut out);
            assert!(framer.buffered() <= 8 + 1000);
        }
        assert_eq!(out.len(), 1);
    }

    fn arb_messages() -> impl Strategy<Value = Vec<Vec<u8>>> {
        // Messages as a sender would produce them: non-empty, no terminators, not starting with
        // a digit or separator (so line mode is chosen), no trailing CR.
        proptest::collection::vec("<[0-9]{1,3}>[a-zA-Z0-9 :.\\-\\[\\]=\"]{0,40}", 1..20)
            .prop_map(|v| v.into_iter().map(|s| s.trim_end().as_bytes().to_vec()).collect())
    }

    proptest! {
        #[test]
        fn any_split_yields_the_same_messages(
            messages in arb_messages(),
            octet in any::<bool>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut stream = Vec::new();
            for m in &messages {
                if octet {
                    stream.extend_from_slice(format!("{} ", m.len()).as_bytes());
                    stream.extend_from_slice(m);
                } else {
                    stream.extend_from_slice(m);
                    stream.push(b'\n');
                }
            }
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for p in points {
                chunks.push(&stream[last..p]);
                last = p;
            }
            chunks.push(&stream[last..]);
            let (frames, alive) = frame_all(1000, &chunks);
            prop_assert!(alive);
            let expected: Vec<Frame> = messages.into_iter().map(Frame::Message).collect();
            prop_assert_eq!(frames, expected);
        }

        #[test]
        fn garbage_never_panics(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
            max in 1usize..32,
        ) {
            let mut framer = Framer::new(max);
            let mut out = Vec::new();
            for c in &chunks {
                framer.push(c, &mut out);
                prop_assert!(framer.buffered() <= max + 64 + MAX_LEN_DIGITS + 1);
            }
            framer.finish(&mut out);
            for f in &out {
                if let Frame::Message(m) = f {
                    prop_assert!(m.len() <= max && !m.is_empty());
                }
            }
        }
    }
}
