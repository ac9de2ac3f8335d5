//! Local users and their sessions: Argon2id passwords, disabling, password changes and session
//! expiry, each ending what it must.

use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::PrincipalKind;
use vigil_state::{NewUser, Role, StateError, sessions::IDLE_TIMEOUT};

use crate::temp_state;

fn user(name: &str, role: Role, password: &str) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        tenant: "default".into(),
        password: password.into(),
        must_change: false,
    }
}

#[tokio::test]
async fn a_user_logs_in_with_their_password_only() {
    let (state, db) = temp_state().await;
    let made = state
        .create_user(&user("alice", Role::Analyst, "correct horse battery"))
        .await
        .unwrap();
    assert_eq!(
        (made.role, made.disabled, made.last_login),
        (Role::Analyst, false, None)
    );
    let p = made.principal();
    assert_eq!((p.id.as_str(), p.kind), ("user:alice", PrincipalKind::User));
    let ok = state.check_login("alice", "correct horse battery").await.unwrap();
    assert!(ok.is_some_and(|u| u.last_login.is_some()));
    assert!(
        state
            .check_login("alice", "correct horse batterY")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        state
            .check_login("bob", "correct horse battery")
            .await
            .unwrap()
            .is_none()
    );
    // Only the PHC string is stored: the password appears nowhere at rest.
    drop(state);
    let stored = db.at_rest().await;
    assert!(
        stored
            .iter()
            .any(|(_, bytes)| bytes.windows(9).any(|w| w == b"$argon2id"))
    );
    for (name, bytes) in stored {
        assert!(!bytes.windows(21).any(|w| w == b"correct horse battery"), "{name}");
    }
}

#[tokio::test]
async fn bad_names_passwords_and_duplicates_are_refused() {
    let (state, _dir) = temp_state().await;
    let refused = |r: Result<_, StateError>| matches!(r, Err(StateError::InvalidInput(_)));
    assert!(refused(
        state.create_user(&user("Alice", Role::Viewer, "long enough pw")).await
    ));
    assert!(refused(state.create_user(&user("alice", Role::Viewer, "short")).await));
    let mut bad_tenant = user("alice", Role::Viewer, "long enough pw");
    bad_tenant.tenant = "Not A Tenant".into();
    assert!(refused(state.create_user(&bad_tenant).await));
    state
        .create_user(&user("alice", Role::Viewer, "long enough pw"))
        .await
        .unwrap();
    assert!(refused(
        state.create_user(&user("alice", Role::Admin, "long enough pw")).await
    ));
    assert_eq!(state.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn disabling_or_a_new_password_ends_logins_and_sessions() {
    let (state, _dir) = temp_state().await;
    state
        .create_user(&user("alice", Role::Admin, "first password!"))
        .await
        .unwrap();
    assert!(state.has_enabled_admin().await.unwrap());
    let life = SignedDuration::from_hours(8);
    let session = state.create_session("alice", life).await.unwrap();
    let now = Timestamp::now();
    assert_eq!(
        state.session_user(&session, now).await.unwrap().map(|u| u.name),
        Some("alice".into())
    );
    assert!(state.set_password("alice", "second password", false).await.unwrap());
    assert!(
        state.session_user(&session, now).await.unwrap().is_none(),
        "a new password ends sessions"
    );
    assert!(state.check_login("alice", "first password!").await.unwrap().is_none());
    let session = state.create_session("alice", life).await.unwrap();
    assert!(state.disable_user("alice").await.unwrap());
    assert!(!state.disable_user("alice").await.unwrap());
    assert!(
        state.session_user(&session, now).await.unwrap().is_none(),
        "disabling ends sessions"
    );
    assert!(state.check_login("alice", "second password").await.unwrap().is_none());
    assert!(!state.has_enabled_admin().await.unwrap());
    assert!(
        state.create_session("alice", life).await.is_err(),
        "no session for a disabled user"
    );
}

#[tokio::test]
async fn sessions_end_at_expiry_when_idle_and_at_logout() {
    let (state, _dir) = temp_state().await;
    state
        .create_user(&user("bob", Role::Viewer, "a fine password"))
        .await
        .unwrap();
    let now = Timestamp::now();
    let short = state
        .create_session("bob", SignedDuration::from_mins(10))
        .await
        .unwrap();
    assert!(state.session_user(&short, now).await.unwrap().is_some());
    let later = now + SignedDuration::from_mins(11);
    assert!(
        state.session_user(&short, later).await.unwrap().is_none(),
        "past its expiry"
    );
    let long = state
        .create_session("bob", SignedDuration::from_hours(8))
        .await
        .unwrap();
    let idle = now + IDLE_TIMEOUT + SignedDuration::from_secs(1);
    assert!(
        state.session_user(&long, idle).await.unwrap().is_none(),
        "idle too long"
    );
    let other = state
        .create_session("bob", SignedDuration::from_hours(8))
        .await
        .unwrap();
    assert_ne!(long, other, "every login gets a new id");
    assert!(state.end_session(&other).await.unwrap());
    assert!(state.session_user(&other, now).await.unwrap().is_none(), "logged out");
    for junk in ["", "vgs_", "vgl_x", &"vgs_".repeat(40)] {
        assert!(state.session_user(junk, now).await.unwrap().is_none(), "{junk}");
    }
}

#[tokio::test]
async fn federated_sessions_act_as_their_principal_until_they_end() {
    let (state, _dir) = temp_state().await;
    let principal = vigil_api_types::access::Principal {
        id: "oidc:lead".into(),
        kind: PrincipalKind::User,
        name: "Lead".into(),
        tenant: "acme".into(),
        roles: vec![Role::Lead],
    };
    let now = Timestamp::now();
    let secret = state
        .create_federated_session(&principal, SignedDuration::from_hours(8))
        .await
        .unwrap();
    assert!(secret.starts_with("vgf_"), "{secret}");
    let seen = state.session_principal(&secret, now).await.unwrap().expect("live");
    assert_eq!(seen.principal, principal);
    assert!(!seen.must_change_password);
    assert!(
        state.session_user(&secret, now).await.unwrap().is_none(),
        "not a local user's session"
    );
    let idle = now + IDLE_TIMEOUT + SignedDuration::from_secs(1);
    assert!(
        state.session_principal(&secret, idle).await.unwrap().is_none(),
        "idle too long"
    );
    let later = now + SignedDuration::from_hours(9);
    assert!(
        state.session_principal(&secret, later).await.unwrap().is_none(),
        "past its expiry"
    );
    assert!(state.end_session(&secret).await.unwrap());
    assert!(!state.end_session(&secret).await.unwrap(), "ended once");
    assert!(
        state.session_principal(&secret, now).await.unwrap().is_none(),
        "logged out"
    );
    for junk in ["vgf_", &"vgf_".repeat(40), "vgf_%%%"] {
        assert!(state.session_principal(junk, now).await.unwrap().is_none(), "{junk}");
    }

    state
        .create_user(&user("carol", Role::Analyst, "a fine password"))
        .await
        .unwrap();
    let local = state
        .create_session("carol", SignedDuration::from_hours(8))
        .await
        .unwrap();
    let seen = state
        .session_principal(&local, now)
        .await
        .unwrap()
        .expect("local session");
    assert_eq!(seen.principal.id, "user:carol");

    // A week after their last use, both kinds are deleted; live ones stay.
    assert_eq!(state.prune_sessions(now).await.unwrap(), 0, "nothing a week old yet");
    let later = now + vigil_state::sessions::KEEP_DEAD_SESSIONS + SignedDuration::from_secs(60);
    assert_eq!(
        state.prune_sessions(later).await.unwrap(),
        2,
        "the ended federated and the local one"
    );
}

#[tokio::test]
async fn a_user_made_with_its_audit_entry_has_it_and_a_taken_name_writes_neither() {
    use vigil_state::{AuditOutcome, NewAuditEntry};
    let (state, _db) = temp_state().await;
    let entry = |name: &str| {
        NewAuditEntry::new("cli:keeper", "user.create", AuditOutcome::Success)
            .with_actor_kind("cli")
            .with_target(format!("user:{name}"))
    };
    let made = state
        .create_user_audited(&user("dora", Role::Lead, "a fine password"), entry("dora"))
        .await
        .unwrap();
    assert_eq!(made.role, Role::Lead);
    let again = state
        .create_user_audited(&user("dora", Role::Viewer, "another password"), entry("dora"))
        .await;
    assert!(matches!(again, Err(StateError::InvalidInput(_))), "{again:?}");
    let log = state.audit_entries(0, 100).await.unwrap();
    let targets: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.target.as_deref())).collect();
    assert_eq!(
        targets,
        [("user.create", Some("user:dora"))],
        "one entry, for the user made"
    );
    let kept = state.get_user("dora").await.unwrap().unwrap();
    assert_eq!(kept.role, Role::Lead, "the taken name kept its user");
}
