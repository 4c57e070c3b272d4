//! Hubs, shared volumes, profiles and the audit trail through the real router and a real
//! SQLite file: role checks on every server function, field errors, stale versions, reverts
//! and the audit export.

use crate::common::{TestApp, enc, fn_path};
use app::api::audit::{AuditEvents, PreviewRevert, RevertToEvent};
use app::api::hubs::{CreateHub, DeleteHub, GetHub, ListHubs, UpdateHub};
use app::api::profiles::{
    CreateProfile, DeleteProfile, ListProfiles, LoadNewProfile, LoadProfile, UpdateProfile,
};
use app::api::volumes::{
    CreateVolume, DeleteVolume, ListVolumes, LoadNewVolume, LoadVolume, UpdateVolume,
};
use app::backend::audit::{Actor, RequestMeta};
use app::backend::write::{self, By};
use app::backend::{profiles, seed};
use app::domain::hub::Hub;
use app::domain::profile::{Profile, ProfileForm};
use app::domain::user::Role;
use app::domain::volume::SharedVolume;
use http::{StatusCode, header};

/// The example hub, volume and profile (ids 1, 1, 1 on a fresh database).
struct Example {
    hub: i64,
    volume: i64,
    profile: i64,
}

async fn example(app: &TestApp) -> Example {
    assert!(
        seed::seed_example(&app.state.pool)
            .await
            .expect("test harness")
    );
    let one = |sql: &'static str| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect("test harness")
        }
    };
    Example {
        hub: one("SELECT id FROM hubs").await,
        volume: one("SELECT id FROM shared_volumes").await,
        profile: one("SELECT id FROM profiles").await,
    }
}

/// The body of a profile form, named as the browser names its inputs.
fn profile_body(prefix: &str, f: &ProfileForm, reason: &str) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("display_name".into(), f.display_name.clone()),
        ("slug".into(), f.slug.clone()),
        ("description".into(), f.description.clone()),
        ("image_name".into(), f.image_name.clone()),
        ("image_tag".into(), f.image_tag.clone()),
        ("image_pull_policy".into(), f.image_pull_policy.clone()),
        ("image_pull_secret".into(), f.image_pull_secret.clone()),
        ("cpu_limit".into(), f.cpu_limit.clone()),
        ("cpu_guarantee".into(), f.cpu_guarantee.clone()),
        ("mem_limit".into(), f.mem_limit.clone()),
        ("mem_guarantee".into(), f.mem_guarantee.clone()),
        ("home_capacity".into(), f.home_capacity.clone()),
        ("home_storage_class".into(), f.home_storage_class.clone()),
        ("home_mount_path".into(), f.home_mount_path.clone()),
        ("allowed_groups".into(), f.allowed_groups.clone()),
        ("replaced_by".into(), f.replaced_by.clone()),
    ];
    for (i, m) in f.mounts.iter().enumerate() {
        pairs.push((format!("mounts][{i}][volume_id"), m.volume_id.clone()));
        pairs.push((format!("mounts][{i}][mount_path"), m.mount_path.clone()));
        if !m.read_only.is_empty() {
            pairs.push((format!("mounts][{i}][read_only"), m.read_only.clone()));
        }
    }
    for (i, e) in f.env.iter().enumerate() {
        pairs.push((format!("env][{i}][name"), e.name.clone()));
        pairs.push((format!("env][{i}][value"), e.value.clone()));
    }
    for (i, l) in f.node_selector.iter().enumerate() {
        pairs.push((format!("node_selector][{i}][key"), l.key.clone()));
        pairs.push((format!("node_selector][{i}][value"), l.value.clone()));
    }
    // Checkboxes are sent only when ticked.
    if !f.is_default.is_empty() {
        pairs.push(("is_default".into(), f.is_default.clone()));
    }
    if !f.deprecated.is_empty() {
        pairs.push(("deprecated".into(), f.deprecated.clone()));
    }
    let mut body: Vec<String> = vec![prefix.to_string()];
    body.extend(
        pairs
            .into_iter()
            .map(|(k, v)| format!("form[{k}]={}", enc(&v))),
    );
    body.push(format!("reason={}", enc(reason)));
    body.retain(|s| !s.is_empty());
    body.join("&")
}

fn hub_body(prefix: &str, release: &str, ns: &str, host: &str) -> String {
    format!(
        "{prefix}form[release_name]={release}&form[namespace]={ns}&form[chart_version]=&form[ingress_host]={}&form[driver]=job&reason=",
        enc(host)
    )
}

fn volume_body(prefix: &str, name: &str, size: &str, mode: &str) -> String {
    format!(
        "{prefix}form[name]={name}&form[pvc_name]={name}&form[namespace]=kube-public&form[size]={size}&form[access_mode]=ReadWriteMany&form[storage_class]=glusterfs&form[volume_mode]={mode}&form[create_pvc]=on&reason="
    )
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .expect("test harness")
}

/// The role check comes before validation: an invalid form from an anonymous or user request
/// answers 401/403, never the field errors (which only an administrator sees, as 422).
#[tokio::test]
async fn role_check_comes_before_validation() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let admin = app.login("root").await;
    let user = app.login("ursula").await;
    let ex = example(&app).await;
    let mut bad_profile = seed::example_profile(ex.volume);
    bad_profile.display_name = String::new();
    let hub = |prefix: &str| hub_body(prefix, "", "kube-public", "");
    let volume = |prefix: &str| volume_body(prefix, "", "1Gi", "");
    let calls: Vec<(String, String)> = vec![
        (fn_path::<CreateHub>(), hub("")),
        (
            fn_path::<UpdateHub>(),
            hub(&format!("id={}&version=1&", ex.hub)),
        ),
        (
            fn_path::<CreateVolume>(),
            volume(&format!("hub_id={}&", ex.hub)),
        ),
        (
            fn_path::<UpdateVolume>(),
            volume(&format!("id={}&version=1&", ex.volume)),
        ),
        (
            fn_path::<CreateProfile>(),
            profile_body(&format!("hub_id={}", ex.hub), &bad_profile, ""),
        ),
        (
            fn_path::<UpdateProfile>(),
            profile_body(&format!("id={}&version=1", ex.profile), &bad_profile, ""),
        ),
    ];
    for (path, body) in &calls {
        let anon = app.post_form(path, body, None).await;
        assert_eq!(
            anon.status,
            StatusCode::UNAUTHORIZED,
            "anonymous {path}: {}",
            anon.body
        );
        let as_user = app.post_form(path, body, Some(&user)).await;
        assert_eq!(
            as_user.status,
            StatusCode::FORBIDDEN,
            "user {path}: {}",
            as_user.body
        );
        let as_admin = app.post_form(path, body, Some(&admin)).await;
        assert_eq!(
            as_admin.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin {path}: {}",
            as_admin.body
        );
    }
}

#[tokio::test]
async fn every_new_server_function_checks_the_role() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let admin = app.login("root").await;
    let user = app.login("ursula").await;
    let ex = example(&app).await;
    let system = Actor::system("test");
    let meta = RequestMeta::default();
    // Records the delete calls can remove.
    let spare_hub = write::create::<Hub>(
        &app.state.pool,
        &By::new(&system, &meta, ""),
        (),
        &seed::example_hub()
            .validate()
            .map(|mut h| {
                h.release_name = "spare".into();
                h
            })
            .unwrap(),
    )
    .await
    .unwrap();
    let mut spare_volume = seed::example_volume().validate().unwrap();
    spare_volume.name = "spare".into();
    spare_volume.pvc_name = "spare".into();
    let spare_volume = write::create::<SharedVolume>(
        &app.state.pool,
        &By::new(&system, &meta, ""),
        ex.hub,
        &spare_volume,
    )
    .await
    .unwrap();
    let mut spare_profile = seed::example_profile(ex.volume);
    spare_profile.slug = "spare".into();
    spare_profile.is_default = String::new();
    let spare_profile = write::create::<Profile>(
        &app.state.pool,
        &By::new(&system, &meta, ""),
        ex.hub,
        &spare_profile.validate().unwrap(),
    )
    .await
    .unwrap();
    let create_event: i64 = count(
        &app,
        "SELECT id FROM audit_events WHERE action = 'profile.create' ORDER BY id LIMIT 1",
    )
    .await;

    let mut new_profile = seed::example_profile(ex.volume);
    new_profile.slug = "gpu".into();
    new_profile.display_name = "GPU".into();
    new_profile.is_default = String::new();
    let mut changed = seed::example_profile(ex.volume);
    changed.cpu_limit = "2".into();

    let calls: Vec<(String, String)> = vec![
        (fn_path::<ListHubs>(), String::new()),
        (fn_path::<GetHub>(), format!("id={}", ex.hub)),
        (
            fn_path::<CreateHub>(),
            hub_body("", "second-hub", "jhub", ""),
        ),
        (
            fn_path::<UpdateHub>(),
            hub_body(
                &format!("id={}&version=1&", ex.hub),
                "data8-jupyterhub",
                "kube-public",
                "hub.example.org",
            ),
        ),
        (
            fn_path::<DeleteHub>(),
            format!("id={}&version=1&reason=", spare_hub.id),
        ),
        (fn_path::<ListVolumes>(), String::new()),
        (fn_path::<LoadNewVolume>(), format!("hub_id={}", ex.hub)),
        (fn_path::<LoadVolume>(), format!("id={}", ex.volume)),
        (
            fn_path::<CreateVolume>(),
            volume_body(
                &format!("hub_id={}&", ex.hub),
                "scratch",
                "1Gi",
                "Filesystem",
            ),
        ),
        (
            fn_path::<UpdateVolume>(),
            volume_body(
                &format!("id={}&version=1&", ex.volume),
                "claim-share",
                "20Gi",
                "Filesystem",
            ),
        ),
        (
            fn_path::<DeleteVolume>(),
            format!("id={}&version=1&reason=", spare_volume.id),
        ),
        (fn_path::<ListProfiles>(), String::new()),
        (fn_path::<LoadNewProfile>(), format!("hub_id={}", ex.hub)),
        (fn_path::<LoadProfile>(), format!("id={}", ex.profile)),
        (
            fn_path::<CreateProfile>(),
            profile_body(&format!("hub_id={}", ex.hub), &new_profile, "new"),
        ),
        (
            fn_path::<UpdateProfile>(),
            profile_body(
                &format!("id={}&version=1", ex.profile),
                &changed,
                "more CPU",
            ),
        ),
        (
            fn_path::<DeleteProfile>(),
            format!("id={}&version=1&reason=", spare_profile.id),
        ),
        (fn_path::<AuditEvents>(), "query[page]=1".into()),
        (
            fn_path::<PreviewRevert>(),
            format!("event_id={create_event}"),
        ),
        (
            fn_path::<RevertToEvent>(),
            format!("event_id={create_event}&version=2&reason=undo"),
        ),
    ];
    assert_eq!(calls.len(), 20);
    for (path, body) in &calls {
        let anon = app.post_form(path, body, None).await;
        assert_eq!(
            anon.status,
            StatusCode::UNAUTHORIZED,
            "anonymous {path}: {}",
            anon.body
        );
        let as_user = app.post_form(path, body, Some(&user)).await;
        assert_eq!(
            as_user.status,
            StatusCode::FORBIDDEN,
            "user {path}: {}",
            as_user.body
        );
        let as_admin = app.post_form(path, body, Some(&admin)).await;
        assert_eq!(
            as_admin.status,
            StatusCode::OK,
            "admin {path}: {}",
            as_admin.body
        );
    }
    // Nothing the anonymous or user calls tried was written: every change is the admin's.
    let by_others = count(
        &app,
        "SELECT COUNT(*) FROM audit_events
         WHERE actor NOT IN ('root', 'system', 'test') AND action NOT LIKE 'auth.%'",
    )
    .await;
    assert_eq!(by_others, 0);
    // 3 creates, 3 updates, 3 deletes and 1 revert, all by the admin (besides its sign-in).
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE actor = 'root' AND action NOT LIKE 'auth.%'"
        )
        .await,
        10
    );
}

#[tokio::test]
async fn bad_values_are_refused_with_the_field_named() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let ex = example(&app).await;
    let before = count(&app, "SELECT COUNT(*) FROM audit_events").await;

    let mut f = seed::example_profile(ex.volume);
    f.slug = "big".into();
    f.is_default = String::new();
    f.mem_limit = "3Gi".into();
    let r = app
        .post_form(
            &fn_path::<CreateProfile>(),
            &profile_body(&format!("hub_id={}", ex.hub), &f, ""),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"mem_limit\""), "{}", r.body);
    assert!(r.body.contains("KubeSpawner"), "{}", r.body);
    assert!(r.body.contains("write 3G"), "{}", r.body);

    // Rules involving other rows: duplicate slug, second default, mount paths.
    let mut dup = seed::example_profile(ex.volume);
    dup.mounts.push(dup.mounts[0].clone());
    let r = app
        .post_form(
            &fn_path::<CreateProfile>(),
            &profile_body(&format!("hub_id={}", ex.hub), &dup, ""),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("mounts[1].mount_path"), "{}", r.body);
    dup.mounts.pop();
    let r = app
        .post_form(
            &fn_path::<CreateProfile>(),
            &profile_body(&format!("hub_id={}", ex.hub), &dup, ""),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"slug\""), "{}", r.body);
    assert!(r.body.contains("\"is_default\""), "{}", r.body);

    // A hub with a URL for a host, a volume in another namespace.
    let r = app
        .post_form(
            &fn_path::<CreateHub>(),
            &hub_body("", "Hub_2", "jhub", "https://hub.example.org/"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"release_name\""), "{}", r.body);
    assert!(r.body.contains("\"ingress_host\""), "{}", r.body);
    let r = app
        .post_form(
            &fn_path::<CreateVolume>(),
            &volume_body(
                &format!("hub_id={}&", ex.hub),
                "scratch",
                "10 GB",
                "Filesystem",
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"size\""), "{}", r.body);

    // Deleting a mounted volume names the profiles.
    let r = app
        .post_form(
            &fn_path::<DeleteVolume>(),
            &format!("id={}&version=1&reason=", ex.volume),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Data science"), "{}", r.body);

    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        before,
        "nothing may be written by refused requests"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM profiles").await, 1);
}

#[tokio::test]
async fn stale_versions_answer_409_and_write_nothing() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let ex = example(&app).await;

    let mut first = seed::example_profile(ex.volume);
    first.cpu_limit = "2".into();
    let r = app
        .post_form(
            &fn_path::<UpdateProfile>(),
            &profile_body(&format!("id={}&version=1", ex.profile), &first, "tab A"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let events = count(&app, "SELECT COUNT(*) FROM audit_events").await;

    // A second form opened at version 1.
    let mut second = seed::example_profile(ex.volume);
    second.mem_limit = "4G".into();
    let r = app
        .post_form(
            &fn_path::<UpdateProfile>(),
            &profile_body(&format!("id={}&version=1", ex.profile), &second, "tab B"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("StaleWrite"), "{}", r.body);
    // The stored record travels with the error, so the page can show both side by side.
    let err: app::error::AppError = serde_json::from_str(&r.body).unwrap();
    let stored: app::domain::profile::Profile = err.stored().expect("stored profile");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.spec.cpu_limit, Some(2.0));

    let mem: String = sqlx::query_scalar("SELECT mem_limit FROM profiles")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(mem, "3G", "the stale save leaked");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        events
    );

    // "Keep mine": the same values with the stored version go through.
    let r = app
        .post_form(
            &fn_path::<UpdateProfile>(),
            &profile_body(&format!("id={}&version=2", ex.profile), &second, "tab B"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Hubs and volumes too.
    for (path, body) in [
        (
            fn_path::<UpdateHub>(),
            hub_body(
                &format!("id={}&version=7&", ex.hub),
                "data8-jupyterhub",
                "kube-public",
                "",
            ),
        ),
        (
            fn_path::<UpdateVolume>(),
            volume_body(
                &format!("id={}&version=7&", ex.volume),
                "claim-share",
                "20Gi",
                "Filesystem",
            ),
        ),
        (
            fn_path::<DeleteVolume>(),
            format!("id={}&version=7&reason=", ex.volume),
        ),
    ] {
        let r = app.post_form(&path, &body, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.body);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        events + 1
    );
}

#[tokio::test]
async fn revert_restores_an_old_version_as_a_new_audited_change() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let ex = example(&app).await;
    let create_event = count(
        &app,
        "SELECT id FROM audit_events WHERE action = 'profile.create'",
    )
    .await;
    let mut f = seed::example_profile(ex.volume);
    f.cpu_limit = "2".into();
    f.description = "changed".into();
    let r = app
        .post_form(
            &fn_path::<UpdateProfile>(),
            &profile_body(&format!("id={}&version=1", ex.profile), &f, ""),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let preview = app
        .post_form(
            &fn_path::<PreviewRevert>(),
            &format!("event_id={create_event}"),
            Some(&admin),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let plan: app::api::audit::RevertPreview = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(plan.current_version, 2);
    let fields: Vec<&str> = plan.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["cpu_limit", "description"]);

    let events = count(&app, "SELECT COUNT(*) FROM audit_events").await;
    // Against an old version: refused, nothing written.
    let r = app
        .post_form(
            &fn_path::<RevertToEvent>(),
            &format!("event_id={create_event}&version=1&reason="),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        events
    );

    let r = app
        .post_form(
            &fn_path::<RevertToEvent>(),
            &format!("event_id={create_event}&version=2&reason=quota"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.trim(), "3");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        events + 1
    );
    let (action, reason, actor): (String, String, String) =
        sqlx::query_as("SELECT action, reason, actor FROM audit_events ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(action, "profile.update");
    assert_eq!(actor, "root");
    assert_eq!(
        reason,
        format!("Revert to the version of audit entry #{create_event}: quota")
    );
    let p = profiles::get(&app.state.pool, ex.profile).await.unwrap();
    assert_eq!(p.spec.cpu_limit, Some(1.5));
    assert_eq!(p.version, 3);

    // Reverting again changes nothing, and says so.
    let r = app
        .post_form(
            &fn_path::<RevertToEvent>(),
            &format!("event_id={create_event}&version=3&reason="),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("nothing to revert"), "{}", r.body);

    // Account entries are not revertible (hub entries are since hub revert exists: see
    // app/tests/hubs_volumes_db.rs).
    let user_event = count(
        &app,
        "SELECT id FROM audit_events WHERE target_type = 'user' ORDER BY id LIMIT 1",
    )
    .await;
    let r = app
        .post_form(
            &fn_path::<RevertToEvent>(),
            &format!("event_id={user_event}&version=1&reason="),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("only hub, profile and shared-volume"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn audit_events_are_filtered_and_paged() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let ex = example(&app).await;
    for i in 0..30 {
        let mut f = seed::example_profile(ex.volume);
        f.description = format!("edit {i}");
        let r = app
            .post_form(
                &fn_path::<UpdateProfile>(),
                &profile_body(&format!("id={}&version={}", ex.profile, i + 1), &f, ""),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let page = |body: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .post_form(&fn_path::<AuditEvents>(), &body, Some(&admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            serde_json::from_str::<app::api::audit::AuditPage>(&r.body).unwrap()
        }
    };
    let p1 = page(format!(
        "query[target_type]=profile&query[target_id]={}&query[action]=profile.update",
        ex.profile
    ))
    .await;
    assert_eq!(p1.total, 30);
    assert_eq!(p1.entries.len(), 25);
    assert_eq!(
        p1.entries[0].event.diff[0].new,
        Some(serde_json::json!("edit 29"))
    );
    assert!(p1.entries.iter().all(|e| e.revertible));
    let p2 = page(format!(
        "query[target_type]=profile&query[target_id]={}&query[action]=profile.update&query[page]=2",
        ex.profile
    ))
    .await;
    assert_eq!(p2.entries.len(), 5);
    assert!(p2.entries[0].event.id < p1.entries[24].event.id);
    assert!(p1.actions.contains(&"hub.create".to_string()));

    let by_actor = page("query[actor]=system".into()).await;
    assert_eq!(by_actor.total, 3);
    let future = page("query[from]=2999-01-01".into()).await;
    assert_eq!(future.total, 0);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let today_only = page(format!("query[from]={today}&query[to]={today}")).await;
    // 30 edits, the 3 seeded records, the admin account and its sign-in.
    assert_eq!(today_only.total, 35);

    let r = app
        .post_form(
            &fn_path::<AuditEvents>(),
            "query[from]=yesterday&query[to]=2024-01-01T10:00",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"from\""), "{}", r.body);
}

/// The export route through the server's router, with `cookie`'s session.
async fn export(
    app: &TestApp,
    cookie: Option<&str>,
    query: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let r = app.get(&format!("/api/audit/export?{query}"), cookie).await;
    (r.status, r.headers, r.body)
}

#[tokio::test]
async fn audit_export_downloads_the_filtered_list() {
    let app = TestApp::new().await;
    example(&app).await;
    app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let admin = app.login("root").await;
    let user = app.login("ursula").await;
    let (status, _, _) = export(&app, None, "format=csv").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = export(&app, Some(&user), "format=csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, headers, body) =
        export(&app, Some(&admin), "format=csv&target_type=profile").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let disposition = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"hubfleet-audit-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(
        lines[0].starts_with("id,occurred_at,actor,action"),
        "{body}"
    );
    assert!(lines[1].contains("profile.create"), "{body}");
    assert!(lines[1].contains("mem_limit: (none) → 3G"), "{body}");

    // The seeded records' events (the accounts' creations and sign-ins are by others).
    let (status, headers, body) = export(&app, Some(&admin), "format=json&actor=system").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .unwrap()
            .ends_with(".json\"")
    );
    let events: Vec<app::domain::audit::AuditEvent> = serde_json::from_str(&body).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].action, "profile.create", "newest first");

    let (status, _, body) = export(&app, Some(&admin), "format=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = export(&app, Some(&admin), "format=csv&from=soon").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
