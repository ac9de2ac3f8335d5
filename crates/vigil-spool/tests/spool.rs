//! The spool's promises: acknowledged records survive a crash, torn tails are repaired, the
//! checkpoint releases space, a full spool refuses appends instead of dropping them.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use proptest::prelude::*;
use vigil_spool::{Spool, SpoolConfig, SpoolError};

fn all(spool: &Spool) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    spool
        .read_from(1, usize::MAX, &mut |r| out.push((r.seq, r.payload)))
        .expect("read");
    out
}

#[test]
fn append_read_reopen_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = Spool::open(SpoolConfig::new(dir.path())).expect("open");
    let a = spool.append(vec![b"one".to_vec(), b"two".to_vec()]).expect("append");
    let b = spool.append(vec![b"three".to_vec()]).expect("append");
    assert_eq!((a.first, a.last, b.first, b.last), (1, 2, 3, 3));
    drop(spool);
    let spool = Spool::open(SpoolConfig::new(dir.path())).expect("reopen");
    assert_eq!(spool.committed(), 3);
    let got = all(&spool);
    assert_eq!(
        got,
        vec![(1, b"one".to_vec()), (2, b"two".to_vec()), (3, b"three".to_vec())]
    );
    assert_eq!(spool.append(vec![b"four".to_vec()]).expect("append").first, 4);
}

#[test]
fn torn_tail_is_truncated_and_acknowledged_records_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let spool = Spool::open(SpoolConfig::new(dir.path())).expect("open");
        for i in 0..10u8 {
            spool.append(vec![vec![i; 100]]).expect("append");
        }
    }
    let seg = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "seg"))
        .expect("a segment")
        .path();
    // A crash mid-write leaves half a frame behind.
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).expect("open seg");
    f.write_all(&[200, 0, 0, 0, 1, 2, 3]).expect("garbage");
    drop(f);
    let spool = Spool::open(SpoolConfig::new(dir.path())).expect("reopen repairs");
    assert_eq!(spool.committed(), 10);
    assert_eq!(all(&spool).len(), 10);
    assert_eq!(spool.append(vec![b"next".to_vec()]).expect("append").first, 11);
    assert_eq!(all(&spool).last().map(|r| r.1.clone()), Some(b"next".to_vec()));
}

/// Appends 200-byte records until the spool answers Full; returns the last acknowledged seq.
fn fill_until_full(spool: &Spool) -> u64 {
    let mut acked = 0;
    let err = loop {
        match spool.append(vec![vec![7u8; 200]]) {
            Ok(a) => acked = a.last,
            Err(e) => break e,
        }
        assert!(acked < 1000, "the spool must fill up");
    };
    assert!(matches!(err, SpoolError::Full { .. }), "{err}");
    acked
}

#[test]
fn checkpoint_releases_segments_and_full_spool_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SpoolConfig {
        segment_bytes: 1000,
        max_bytes: 5000,
        ..SpoolConfig::new(dir.path())
    };
    let spool = Spool::open(config.clone()).expect("open");
    let acked = fill_until_full(&spool);
    let held = spool.held_bytes();
    assert!(held <= 5000, "{held}");
    spool.checkpoint(acked).expect("checkpoint");
    assert!(spool.held_bytes() < held, "old segments are deleted");
    spool
        .append(vec![vec![8u8; 200]])
        .expect("room again after the checkpoint");
    drop(spool);
    let spool = Spool::open(config).expect("reopen");
    assert_eq!(spool.checkpointed(), acked, "checkpoint is durable");
    let mut after = Vec::new();
    spool
        .read_from(acked + 1, usize::MAX, &mut |r| after.push(r.seq))
        .expect("read");
    assert_eq!(after, vec![acked + 1]);
}

#[test]
fn concurrent_appends_get_dense_unique_sequences() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = Arc::new(Spool::open(SpoolConfig::new(dir.path())).expect("open"));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let spool = spool.clone();
            std::thread::spawn(move || {
                (0..200)
                    .map(|i| {
                        spool
                            .append(vec![format!("{t}-{i}").into_bytes()])
                            .expect("append")
                            .first
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = handles.into_iter().flat_map(|h| h.join().expect("thread")).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=1600).collect::<Vec<_>>());
    assert_eq!(all(&spool).len(), 1600);
}

#[test]
fn reader_resumes_across_segments_checkpoints_and_waits_for_new_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SpoolConfig::new(dir.path());
    config.segment_bytes = 200; // several segments
    let spool = Arc::new(Spool::open(config).unwrap());
    for i in 0..40u32 {
        spool.append(vec![format!("r{i}").into_bytes()]).unwrap();
    }
    let mut reader = spool.reader(1);
    let mut got = Vec::new();
    while reader.read(&spool, 7, &mut |r| got.push(r)).unwrap() > 0 {}
    assert_eq!(got.len(), 40);
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, r)| r.seq == i as u64 + 1 && r.payload == format!("r{i}").as_bytes())
    );
    // A checkpoint deletes early segments; a new reader from the checkpoint still works.
    spool.checkpoint(25).unwrap();
    let mut late = spool.reader(spool.checkpointed() + 1);
    let mut rest = Vec::new();
    late.read(&spool, 100, &mut |r| rest.push(r.seq)).unwrap();
    assert_eq!(rest, (26..=40).collect::<Vec<_>>());
    // Caught up: read_wait wakes when another thread commits.
    let writer = {
        let spool = spool.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            spool.append(vec![b"late".to_vec()]).unwrap();
        })
    };
    let mut woke = Vec::new();
    let n = reader
        .read_wait(&spool, 10, Duration::from_secs(10), &mut |r| woke.push(r.payload))
        .unwrap();
    writer.join().unwrap();
    assert_eq!((n, woke), (1, vec![b"late".to_vec()]));
    assert_eq!(reader.position(), 42);
}

#[test]
fn oversized_record_is_refused_with_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = Spool::open(SpoolConfig::new(dir.path())).expect("open");
    let err = spool.append(vec![vec![0u8; 17 << 20]]).expect_err("too large");
    assert!(matches!(err, SpoolError::TooLarge(..)), "{err}");
    assert_eq!(spool.committed(), 0);
}

#[test]
fn batch_larger_than_the_whole_spool_is_refused_as_too_large_not_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = Spool::open(SpoolConfig {
        max_bytes: 1000,
        ..SpoolConfig::new(dir.path())
    })
    .expect("open");
    let err = spool
        .append(vec![vec![1u8; 600], vec![2u8; 600]])
        .expect_err("too large");
    assert!(
        matches!(err, SpoolError::BatchTooLarge { bytes, limit: 1000 } if bytes > 1200),
        "{err}"
    );
    assert_eq!(spool.committed(), 0);
    spool
        .append(vec![vec![3u8; 600]])
        .expect("a batch that fits is accepted");
}

/// Backpressure counts records not yet checkpointed, not segment files: with one segment larger
/// than the limit (it is never deleted while it is written to), a fully processed spool must
/// accept again, also after a restart.
#[test]
fn processed_records_in_the_active_segment_no_longer_count_against_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SpoolConfig {
        segment_bytes: 1 << 20,
        max_bytes: 64 << 10,
        ..SpoolConfig::new(dir.path())
    };
    let spool = Spool::open(config.clone()).expect("open");
    let acked = fill_until_full(&spool);
    let held = spool.held_bytes();
    assert_eq!(spool.unprocessed_bytes(), held);
    // Runs are small on a small spool: a partial checkpoint already releases bytes.
    spool.checkpoint(acked / 2).expect("checkpoint");
    assert!(
        spool.unprocessed_bytes() < held,
        "{} of {held}",
        spool.unprocessed_bytes()
    );
    spool.checkpoint(acked).expect("checkpoint");
    assert_eq!(spool.unprocessed_bytes(), 0);
    assert_eq!(spool.held_bytes(), held, "the active segment stays on disk");
    let next = spool
        .append(vec![vec![8u8; 200]])
        .expect("room again: all was processed");
    spool.checkpoint(next.last).expect("checkpoint");
    drop(spool);
    let spool = Spool::open(config).expect("reopen");
    assert_eq!(
        spool.unprocessed_bytes(),
        0,
        "a checkpointed segment counts nothing after a restart"
    );
    spool.append(vec![vec![9u8; 200]]).expect("room after the restart");
    assert!(spool.unprocessed_bytes() > 0);
}

const CHILD_ENV: &str = "VIGIL_SPOOL_CRASH_CHILD";

/// Not a test of its own: the writer process that `kill_9_loses_no_acknowledged_record` starts
/// (re-running this test binary) and kills. Ignored, so it never counts as a passing test.
#[test]
#[ignore = "child process of kill_9_loses_no_acknowledged_record"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let spool = Arc::new(Spool::open(SpoolConfig::new(dir)).expect("child open"));
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (spool, out) = (spool.clone(), out.clone());
            std::thread::spawn(move || {
                for i in 0u64.. {
                    let batch = (0..5).map(|j| format!("t{t}-{i}-{j}").into_bytes()).collect();
                    let a = spool.append(batch).expect("append");
                    let mut o = out.lock().expect("stdout");
                    let _ = writeln!(o, "acked {} {}", a.first, a.last);
                    let _ = o.flush();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[test]
fn kill_9_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut max_acked = 0u64;
    let mut acks = 0;
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(rest) = line.strip_prefix("acked ") {
            let last: u64 = rest.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("acked line");
            max_acked = max_acked.max(last);
            acks += 1;
        }
        if acks >= 300 || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    child.kill().expect("SIGKILL"); // kill -9 on Unix
    let _ = child.wait();
    assert!(acks > 0, "the child acknowledged appends");
    let spool = Spool::open(SpoolConfig::new(dir.path())).expect("recover after kill -9");
    assert!(
        spool.committed() >= max_acked,
        "committed {} < acknowledged {max_acked}",
        spool.committed()
    );
    let records = all(&spool);
    assert_eq!(records.len() as u64, spool.committed(), "dense, nothing missing");
    for (i, (seq, payload)) in records.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
        assert!(payload.starts_with(b"t"), "intact payload at {seq}");
    }
    eprintln!(
        "kill -9 after {acks} acknowledgements: {max_acked} acknowledged, {} recovered",
        records.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn any_batches_round_trip_across_reopen(batches in prop::collection::vec(prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..6), 1..12)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SpoolConfig { segment_bytes: 700, ..SpoolConfig::new(dir.path()) };
        let expected: Vec<Vec<u8>> = batches.iter().flatten().cloned().collect();
        {
            let spool = Spool::open(config.clone()).expect("open");
            for b in &batches {
                spool.append(b.clone()).expect("append");
            }
        }
        let spool = Spool::open(config).expect("reopen");
        let got: Vec<Vec<u8>> = all(&spool).into_iter().map(|r| r.1).collect();
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn a_new_spool_continues_numbering_after_what_its_consumers_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SpoolConfig::new(dir.path());
    let spool = Spool::open(config.clone()).expect("open");
    let epoch = spool.epoch();
    assert!(spool.continue_after(500).expect("continue"));
    assert_eq!(spool.append(vec![b"a".to_vec()]).expect("append").first, 501);
    // Unprocessed records are never skipped over; nor is a spool already past the floor moved.
    assert!(!spool.continue_after(900).expect("continue"));
    spool.checkpoint(501).expect("checkpoint");
    assert!(!spool.continue_after(400).expect("continue"));
    drop(spool);
    let spool = Spool::open(config).expect("reopen");
    assert_eq!(spool.epoch(), epoch, "the epoch is kept with the spool");
    assert_eq!(spool.append(vec![b"b".to_vec()]).expect("append").first, 502);
    let other = tempfile::tempdir().expect("tempdir");
    assert_ne!(
        Spool::open(SpoolConfig::new(other.path())).expect("open").epoch(),
        epoch
    );
}
