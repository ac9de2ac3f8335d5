//! Syslog TCP and UDP listeners driven over real sockets.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use vigil_ingest::{Input, RecordFormat, SyslogTcpConfig, SyslogTcpInput, SyslogUdpConfig, SyslogUdpInput, codes};

use crate::support::{Running, WAIT, eventually, local, start};

async fn tcp(config: SyslogTcpConfig) -> Running {
    start(Box::new(SyslogTcpInput::bind(config).await.expect("bind")))
}

fn datas(running: &Running) -> Vec<String> {
    running
        .sink
        .records()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.data).into_owned())
        .collect()
}

/// Reads until EOF (or an error), within the test wait.
async fn read_to_eof(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(WAIT, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn lf_framing_many_in_one_write_and_split_across_writes() {
    let running = tcp(SyslogTcpConfig::new("syslog-tcp", local())).await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
        .write_all(b"<13>one\n<13>two\r\n<13>three\0")
        .await
        .expect("write");
    for byte in b"<14>split across writes\n" {
        stream.write_all(&[*byte]).await.expect("write");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    stream.write_all(b"<15>no terminator at eof").await.expect("write");
    stream.shutdown().await.expect("shutdown");
    let records = running.sink.wait_for_records(5, WAIT).await;
    assert_eq!(
        datas(&running),
        vec![
            "<13>one",
            "<13>two",
            "<13>three",
            "<14>split across writes",
            "<15>no terminator at eof"
        ]
    );
    let record = &records[0];
    assert_eq!(&*record.input, "syslog-tcp");
    assert_eq!(record.format, RecordFormat::Syslog);
    assert_eq!(record.peer, Some(stream.local_addr().expect("addr")));
    assert!(eventually(|| running.metrics.connections() == 0).await);
    assert_eq!(running.metrics.records(), 5);
    assert_eq!(running.metrics.connections_total(), 1);
    running.stop().await;
}

#[tokio::test]
async fn octet_counting_split_and_batched() {
    let running = tcp(SyslogTcpConfig::new("syslog-tcp", local())).await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let msg = |s: &str| format!("{} {s}", s.len());
    let many: String = (0..100).map(|i| msg(&format!("<13>m{i}\nline2"))).collect();
    stream.write_all(many.as_bytes()).await.expect("write");
    let split = msg("<165>1 2003-10-11T22:14:15.003Z host app - ID47 - split");
    for chunk in split.as_bytes().chunks(3) {
        stream.write_all(chunk).await.expect("write");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    running.sink.wait_for_records(101, WAIT).await;
    let got = datas(&running);
    assert_eq!(got.len(), 101);
    assert_eq!(got[0], "<13>m0\nline2");
    assert_eq!(got[99], "<13>m99\nline2");
    assert_eq!(got[100], "<165>1 2003-10-11T22:14:15.003Z host app - ID47 - split");
    // 101 records in far fewer submissions: batching works.
    assert!(running.sink.batches() < 50, "batches: {}", running.sink.batches());
    running.stop().await;
}

#[tokio::test]
async fn oversized_line_is_dead_lettered_and_the_connection_continues() {
    let mut config = SyslogTcpConfig::new("syslog-tcp", local());
    config.max_message_size = 16;
    let running = tcp(config).await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    let long = "x".repeat(100);
    stream
        .write_all(format!("<13>short\n{long}\n<13>after\n").as_bytes())
        .await
        .expect("write");
    running.sink.wait_for_records(2, WAIT).await;
    assert_eq!(datas(&running), vec!["<13>short", "<13>after"]);
    let letters = running.sink.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].code, codes::FRAME_TOO_LARGE);
    assert_eq!(letters[0].data, b"xxxxxxxxxxxxxxxx");
    assert_eq!(running.metrics.rejected(), 1);
    running.stop().await;
}

#[tokio::test]
async fn bad_octet_count_is_dead_lettered_and_closes_the_connection() {
    for (stream_bytes, code) in [
        (&b"9 <13>hello12x <13>bad"[..], codes::BAD_OCTET_COUNT),
        (b"999999 <13>too big", codes::FRAME_TOO_LARGE),
    ] {
        let running = tcp(SyslogTcpConfig::new("syslog-tcp", local())).await;
        let mut stream = TcpStream::connect(running.addr).await.expect("connect");
        stream.write_all(stream_bytes).await.expect("write");
        assert!(read_to_eof(&mut stream).await, "server closes the connection");
        let letters = running.sink.wait_for_dead_letters(1, WAIT).await;
        assert_eq!(letters[0].code, code);
        running.stop().await;
    }
}

#[tokio::test]
async fn connection_limit_closes_extra_connections() {
    let mut config = SyslogTcpConfig::new("syslog-tcp", local());
    config.max_connections = 1;
    let running = tcp(config).await;
    let mut first = TcpStream::connect(running.addr).await.expect("connect");
    first.write_all(b"<13>first\n").await.expect("write");
    running.sink.wait_for_records(1, WAIT).await;
    let mut second = TcpStream::connect(running.addr).await.expect("connect");
    assert!(read_to_eof(&mut second).await);
    assert!(eventually(|| running.metrics.connections_refused() == 1).await);
    first.write_all(b"<13>still served\n").await.expect("write");
    running.sink.wait_for_records(2, WAIT).await;
    assert_eq!(datas(&running), vec!["<13>first", "<13>still served"]);
    running.stop().await;
}

/// Hundreds of sockets from one address get only its share of the connections: a sender from
/// another address is still served.
#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let mut config = SyslogTcpConfig::new("syslog-tcp", local());
    config.max_connections = 16;
    config.max_connections_per_ip = 4;
    let running = tcp(config).await;
    let mut crowd = Vec::new();
    for _ in 0..300 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind("127.0.0.2:0".parse().expect("addr")).expect("bind");
        crowd.push(socket.connect(running.addr).await.expect("connect"));
    }
    assert!(eventually(|| running.metrics.connections_refused() == 296).await);
    let mut other = TcpStream::connect(running.addr).await.expect("connect");
    other.write_all(b"<13>served\n").await.expect("write");
    running.sink.wait_for_records(1, WAIT).await;
    assert_eq!(datas(&running), vec!["<13>served"]);
    drop(crowd);
    running.stop().await;
}

#[tokio::test]
async fn full_sink_pauses_reading_until_freed_and_nothing_is_lost() {
    let running = tcp(SyslogTcpConfig::new("syslog-tcp", local())).await;
    running.sink.set_full(Some(Duration::from_millis(20)));
    const N: usize = 40_000;
    let payload = "p".repeat(1000);
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    let writer = tokio::spawn(async move {
        for i in 0..N {
            let line = format!("<13>{i:05} {payload}\n");
            stream.write_all(line.as_bytes()).await.expect("write");
        }
        stream.shutdown().await.expect("shutdown");
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !writer.is_finished(),
        "40 MB must not fit the socket buffers while the sink is full"
    );
    assert_eq!(running.sink.record_count(), 0);
    assert!(running.metrics.backpressured() > 5);
    running.sink.set_full(None);
    tokio::time::timeout(WAIT, writer)
        .await
        .expect("writer finishes")
        .expect("join");
    let records = running.sink.wait_for_records(N, WAIT).await;
    assert_eq!(records.len(), N);
    for (i, record) in records.iter().enumerate() {
        assert!(
            record.data.starts_with(format!("<13>{i:05} ").as_bytes()),
            "record {i} in order"
        );
    }
    running.stop().await;
}

#[tokio::test]
async fn shutdown_flushes_and_returns() {
    let mut config = SyslogTcpConfig::new("syslog-tcp", local());
    config.flush_delay = Duration::from_secs(3600);
    let running = tcp(config).await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    stream.write_all(b"<13>pending\n").await.expect("write");
    assert!(eventually(|| running.metrics.connections() == 1).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sink = running.sink.clone();
    running.stop().await;
    assert_eq!(sink.record_count(), 1, "the partial batch is flushed on shutdown");
}

async fn udp(config: SyslogUdpConfig) -> Running {
    let input = SyslogUdpInput::bind(config).await.expect("bind");
    assert_ne!(input.local_addr().port(), 0);
    start(Box::new(input))
}

#[tokio::test]
async fn udp_datagrams_become_records() {
    let mut config = SyslogUdpConfig::new("syslog-udp", local());
    config.max_message_size = 32;
    let running = udp(config).await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket.send_to(b"<13>one\n", running.addr).await.expect("send");
    socket.send_to(b"<13>two\0", running.addr).await.expect("send");
    socket.send_to(&[b'y'; 40], running.addr).await.expect("send");
    socket.send_to(b"\n", running.addr).await.expect("send");
    running.sink.wait_for_records(2, WAIT).await;
    assert_eq!(datas(&running), vec!["<13>one", "<13>two"]);
    let records = running.sink.records();
    assert_eq!(records[0].peer, Some(socket.local_addr().expect("addr")));
    assert_eq!(&*records[0].input, "syslog-udp");
    let letters = running.sink.wait_for_dead_letters(1, WAIT).await;
    assert_eq!(letters[0].code, codes::FRAME_TOO_LARGE);
    assert_eq!(letters[0].data.len(), 32);
    running.stop().await;
}

#[tokio::test]
async fn udp_holds_datagrams_while_the_sink_is_full() {
    let running = udp(SyslogUdpConfig::new("syslog-udp", local())).await;
    running.sink.set_full(Some(Duration::from_millis(20)));
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    for i in 0..300 {
        socket
            .send_to(format!("<13>held {i}").as_bytes(), running.addr)
            .await
            .expect("send");
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert!(eventually(|| running.metrics.backpressured() >= 3).await);
    assert_eq!(running.sink.record_count(), 0);
    running.sink.set_full(None);
    let records = running.sink.wait_for_records(300, WAIT).await;
    assert_eq!(
        records.len(),
        300,
        "every held datagram is submitted once the sink frees up"
    );
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.data, format!("<13>held {i}").as_bytes());
    }
    running.stop().await;
}

#[tokio::test]
async fn bind_error_surfaces() {
    let taken = SyslogTcpInput::bind(SyslogTcpConfig::new("a", local()))
        .await
        .expect("bind");
    let again = SyslogTcpInput::bind(SyslogTcpConfig::new("b", taken.local_addr())).await;
    assert!(matches!(again, Err(vigil_ingest::IngestError::Bind { .. })));
}

/// A batch the sink can never take is split until it fits, in order; a single record it cannot
/// take is dead-lettered. Nothing is dropped unseen and the connection keeps serving.
#[tokio::test]
async fn batches_too_large_for_the_sink_are_split_and_lone_records_dead_lettered() {
    let running = tcp(SyslogTcpConfig::new("syslog-tcp", local())).await;
    running.sink.set_max_batch(Some(2));
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    let lines: String = (0..7).map(|i| format!("<13>line {i}\n")).collect();
    stream.write_all(lines.as_bytes()).await.expect("write");
    let records = running.sink.wait_for_records(7, WAIT).await;
    let texts: Vec<_> = records
        .iter()
        .map(|r| String::from_utf8_lossy(&r.data).into_owned())
        .collect();
    assert_eq!(texts, (0..7).map(|i| format!("<13>line {i}")).collect::<Vec<_>>());
    // Now not even one record fits: each becomes a dead letter.
    running.sink.set_max_batch(Some(0));
    stream
        .write_all(b"<13>too big a\n<13>too big b\n")
        .await
        .expect("write");
    let letters = running.sink.wait_for_dead_letters(2, WAIT).await;
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert!(letters.iter().all(|l| l.code == codes::FRAME_TOO_LARGE));
    assert_eq!(letters[0].data, b"<13>too big a");
    running.sink.set_max_batch(None);
    stream.write_all(b"<13>fits again\n").await.expect("write");
    assert_eq!(running.sink.wait_for_records(8, WAIT).await.len(), 8);
    running.stop().await;
}
