use crate::{at, temp_state};
use vigil_state::{DeadLetterQuery, NewDeadLetter, StateError};

fn letter(input: &str, code: &str, secs: i64, data: &[u8]) -> NewDeadLetter {
    NewDeadLetter {
        tenant: "default".into(),
        input: input.to_owned(),
        received: at(secs),
        peer: Some("10.0.0.7:5514".into()),
        code: code.to_owned(),
        message: format!("{code} at {secs}"),
        data: data.to_vec(),
    }
}

#[tokio::test]
async fn insert_list_and_filter() {
    let (state, _dir) = temp_state().await;
    state.insert_dead_letters(&[]).await.unwrap();
    let letters: Vec<_> = (0..12)
        .map(|i| {
            letter(
                if i % 2 == 0 { "syslog" } else { "hec" },
                if i % 3 == 0 { "too_large" } else { "parse_error" },
                i,
                format!("line {i}").as_bytes(),
            )
        })
        .collect();
    state.insert_dead_letters(&letters).await.unwrap();
    assert_eq!(state.count_dead_letters().await.unwrap(), 12);

    let all = state
        .list_dead_letters("default", &DeadLetterQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 12);
    assert_eq!(all.dead_letters[0].message, "parse_error at 11");
    assert_eq!(all.dead_letters[0].data, b"line 11"[..]);
    assert_eq!(all.dead_letters[0].received, at(11));

    let syslog = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                input: Some("syslog".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(syslog.total, 6);
    assert!(syslog.dead_letters.iter().all(|l| l.input == "syslog"));

    let large = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                code: Some("too_large".into()),
                since: Some(at(3)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let received: Vec<_> = large.dead_letters.iter().map(|l| l.received).collect();
    assert_eq!(received, [at(9), at(6), at(3)]);

    let until = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                until: Some(at(2)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(until.total, 2);
}

#[tokio::test]
async fn pagination_covers_every_letter_once() {
    let (state, _dir) = temp_state().await;
    let letters: Vec<_> = (0..23)
        .map(|i| letter("syslog", "parse_error", i, &[i as u8]))
        .collect();
    state.insert_dead_letters(&letters).await.unwrap();
    let mut q = DeadLetterQuery {
        limit: Some(5),
        ..Default::default()
    };
    let mut got = Vec::new();
    loop {
        let page = state.list_dead_letters("default", &q).await.unwrap();
        got.extend(page.dead_letters.iter().map(|l| l.data[0]));
        let Some(c) = page.next_cursor else { break };
        q.cursor = Some(c);
    }
    assert_eq!(got, (0..23u8).rev().collect::<Vec<_>>());

    let alert_cursor = state
        .list_alerts("default", &vigil_state::AlertQuery::default())
        .await
        .map(|p| p.next_cursor)
        .unwrap();
    assert_eq!(alert_cursor, None);
    let err = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                cursor: Some("YTox".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StateError::InvalidCursor),
        "an alert cursor (\"a:1\") is rejected"
    );
}

#[tokio::test]
async fn binary_data_is_kept_exactly_and_rendered_both_ways() {
    let (state, _dir) = temp_state().await;
    state
        .insert_dead_letters(&[letter("hec", "bad_utf8", 0, &[b'o', b'k', 0xc3])])
        .await
        .unwrap();
    let page = state
        .list_dead_letters("default", &DeadLetterQuery::default())
        .await
        .unwrap();
    assert_eq!(page.dead_letters[0].data, [b'o', b'k', 0xc3]);
    let json = serde_json::to_value(&page).unwrap();
    let l = &json["dead_letters"][0];
    assert_eq!(l["data"], "ok\u{fffd}");
    assert_eq!(l["data_base64"], "b2vD");
    assert_eq!(l["peer"], "10.0.0.7:5514");
    assert_eq!(json["total"], 1);
}

/// `bad_json` (the inputs) and `invalid_json` (the parsers) were two codes for one cause; letters
/// stored under the former name still list, read as `invalid_json` and match either filter.
#[tokio::test]
async fn letters_stored_under_a_former_code_still_list_under_the_unified_code() {
    let (state, _dir) = temp_state().await;
    state
        .insert_dead_letters(&[
            letter("elasticsearch", "bad_json", 1, b"{oops"),
            letter("api", "invalid_json", 2, b"{nope"),
            letter("syslog-udp", "frame_too_large", 3, b"big"),
        ])
        .await
        .unwrap();
    for filter in ["invalid_json", "bad_json"] {
        let page = state
            .list_dead_letters(
                "default",
                &DeadLetterQuery {
                    code: Some(filter.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 2, "{filter}");
        assert!(page.dead_letters.iter().all(|l| l.code == "invalid_json"), "{filter}");
    }
    let large = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                code: Some("too_large".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(large.total, 1);
    assert_eq!(large.dead_letters[0].code, "too_large");
}
