//! The hub profile API (`GET /api/hub/users/{name}/profiles`), its tokens, the values page's
//! server functions and the `config.yaml` download, through the real router and SQLite; and
//! the generated Python run by JupyterHub 5.5.0 + KubeSpawner 7.0.0 against a served portal.

use crate::common::{PASSWORD, TestApp, fn_path};
use app::api::tokens::{CreateHubToken, ListHubTokens, RevokeHubToken};
use app::api::values::{GetValuesDiff, GetValuesPreview, GetValuesVersions, RecordValuesVersion};
use app::backend::audit::{Actor, RequestMeta};
use app::backend::write::{self, By};
use app::backend::{hub_api, hubs, profiles, tokens, users, values, volumes};
use app::domain::choices::{ChoiceForm, OptionForm};
use app::domain::hub::{Hub, HubForm};
use app::domain::profile::{EnvVarForm, LabelForm, MountForm, Profile, ProfileForm};
use app::domain::scheduling::{AffinityForm, ExtraResourceForm, TolerationForm};
use app::domain::user::{NewUser, Role};
use app::domain::volume::{SharedVolume, VolumeForm};
use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const GIB: u64 = 1024 * 1024 * 1024;

fn actor() -> Actor {
    Actor::system("test")
}

fn meta() -> RequestMeta {
    RequestMeta::default()
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

async fn send(router: &Router, req: Request<Body>) -> Reply {
    let res = router.clone().oneshot(req).await.expect("test setup");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res
        .into_body()
        .collect()
        .await
        .expect("test setup")
        .to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn ask(router: &Router, user: &str, query: &str, auth: Option<&str>) -> Reply {
    let mut b = Request::get(format!("/api/hub/users/{user}/profiles{query}"))
        .header(header::HOST, "127.0.0.1:3000");
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    send(router, b.body(Body::empty()).expect("test setup")).await
}

pub(crate) struct Seeded {
    pub(crate) hub: Hub,
    other: Hub,
    pub(crate) token: String,
    other_token: String,
    revoked_token: String,
    pub(crate) gpu: i64,
    chem: i64,
    older: i64,
}

fn base_form(name: &str, slug: &str) -> ProfileForm {
    ProfileForm {
        display_name: name.into(),
        slug: slug.into(),
        image_name: "quay.io/jupyter/scipy-notebook".into(),
        image_tag: "2024-05-01".into(),
        image_pull_policy: "IfNotPresent".into(),
        cpu_limit: "2".into(),
        cpu_guarantee: "0.5".into(),
        mem_limit: "4G".into(),
        mem_guarantee: "1G".into(),
        home_capacity: "10Gi".into(),
        home_mount_path: "/home/jovyan".into(),
        ..Default::default()
    }
}

async fn add_user(app: &TestApp, name: &str, role: Role, groups: &[&str]) {
    users::create(
        &app.state.pool,
        &actor(),
        &meta(),
        NewUser {
            username: name.into(),
            password: PASSWORD.into(),
            role,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        },
        "",
    )
    .await
    .expect("test setup");
}

/// Hub physics-hub (namespace jhub): Standard (default, everyone), GPU (gpu-users),
/// Chemistry (chemistry), Old chemistry → Chemistry, Older chemistry → Old chemistry; volumes
/// course-data and scratch-data. Hub other-hub (namespace jhub2) with one profile. Users
/// alice (gpu-users), bob (chemistry), carol (no group). Remembered choices: alice → GPU,
/// bob and carol → Older chemistry.
pub(crate) async fn seed(app: &TestApp) -> Seeded {
    let pool = &app.state.pool;
    let hub_spec = |release: &str, ns: &str| {
        HubForm {
            release_name: release.into(),
            namespace: ns.into(),
            chart_version: "4.4.0".into(),
            ingress_host: String::new(),
            driver: "job".into(),
            ..HubForm::default()
        }
        .validate()
        .expect("test setup")
    };
    let hub = write::create::<Hub>(
        pool,
        &By::new(&actor(), &meta(), ""),
        (),
        &hub_spec("physics-hub", "jhub"),
    )
    .await
    .expect("test setup");
    let other = write::create::<Hub>(
        pool,
        &By::new(&actor(), &meta(), ""),
        (),
        &hub_spec("other-hub", "jhub2"),
    )
    .await
    .expect("test setup");
    let volume = |name: &str| {
        VolumeForm {
            name: name.into(),
            pvc_name: name.into(),
            namespace: "jhub".into(),
            size: "10Gi".into(),
            access_mode: "ReadWriteMany".into(),
            volume_mode: "Filesystem".into(),
            create_pvc: "on".into(),
            ..Default::default()
        }
        .validate()
        .expect("test setup")
    };
    let course = write::create::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        hub.id,
        &volume("course-data"),
    )
    .await
    .expect("test setup");
    let scratch = write::create::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        hub.id,
        &volume("scratch-data"),
    )
    .await
    .expect("test setup");
    let create = |hub_id: i64, f: ProfileForm| async move {
        write::create::<Profile>(
            pool,
            &By::new(&actor(), &meta(), ""),
            hub_id,
            &f.validate().expect("test setup"),
        )
        .await
        .expect("test setup")
        .id
    };
    let mount = |id: i64, path: &str| MountForm {
        volume_id: id.to_string(),
        mount_path: path.into(),
        read_only: String::new(),
    };
    let env = |n: &str, v: &str| EnvVarForm {
        name: n.into(),
        value: v.into(),
    };
    create(
        hub.id,
        ProfileForm {
            is_default: "on".into(),
            mounts: vec![mount(course.id, "/mnt/data")],
            env: vec![env("COURSE", "physics-101"), env("DATA", "/mnt/data")],
            ..base_form("Standard", "standard")
        },
    )
    .await;
    let gpu = create(
        hub.id,
        ProfileForm {
            image_name: "nvcr.io/nvidia/pytorch".into(),
            image_tag: "24.05-py3".into(),
            cpu_limit: "8".into(),
            cpu_guarantee: String::new(),
            mem_limit: "32G".into(),
            mem_guarantee: String::new(),
            home_mount_path: "/home/researcher".into(),
            mounts: vec![mount(scratch.id, "/scratch"), mount(course.id, "/mnt/data")],
            node_selector: vec![LabelForm {
                key: "nvidia.com/gpu.present".into(),
                value: "true".into(),
            }],
            extra_resources: vec![ExtraResourceForm {
                name: "nvidia.com/gpu".into(),
                limit: "1".into(),
                guarantee: String::new(),
            }],
            tolerations: vec![TolerationForm {
                key: "nvidia.com/gpu".into(),
                operator: "Exists".into(),
                effect: "NoSchedule".into(),
                ..Default::default()
            }],
            node_affinity: vec![AffinityForm {
                key: "nvidia.com/gpu.product".into(),
                operator: "In".into(),
                values: "NVIDIA-A100-SXM4-80GB".into(),
            }],
            // Choices inside the profile: the image (the profile's own by default, or
            // TensorFlow, or any NVIDIA image by name:tag) and one or two GPUs.
            profile_options: vec![
                OptionForm {
                    key: "image".into(),
                    display_name: "Framework".into(),
                    choices: vec![
                        ChoiceForm {
                            key: "pytorch".into(),
                            display_name: "PyTorch".into(),
                            is_default: "on".into(),
                            image: "nvcr.io/nvidia/pytorch:24.05-py3".into(),
                            ..ChoiceForm::default()
                        },
                        ChoiceForm {
                            key: "tensorflow".into(),
                            display_name: "TensorFlow".into(),
                            image: "nvcr.io/nvidia/tensorflow:24.05-tf2-py3".into(),
                            ..ChoiceForm::default()
                        },
                    ],
                    unlisted: "on".into(),
                    unlisted_display_name: "Another NVIDIA image".into(),
                    unlisted_image: "nvcr.io/nvidia/{value}".into(),
                    unlisted_pattern: "^[a-z0-9._-]+:[A-Za-z0-9._-]+$".into(),
                    unlisted_message: "name:tag of an image under nvcr.io/nvidia".into(),
                },
                OptionForm {
                    key: "gpus".into(),
                    display_name: "GPUs".into(),
                    choices: vec![
                        ChoiceForm {
                            key: "one".into(),
                            display_name: "One GPU".into(),
                            is_default: "on".into(),
                            ..ChoiceForm::default()
                        },
                        ChoiceForm {
                            key: "two".into(),
                            display_name: "Two GPUs".into(),
                            extra_resources: "nvidia.com/gpu=2".into(),
                            mem_limit: "64G".into(),
                            ..ChoiceForm::default()
                        },
                    ],
                    ..OptionForm::default()
                },
            ],
            allowed_groups: "gpu-users".into(),
            ..base_form("GPU", "gpu")
        },
    )
    .await;
    let chem = create(
        hub.id,
        ProfileForm {
            image_name: "quay.io/jupyter/datascience-notebook".into(),
            cpu_limit: "1".into(),
            cpu_guarantee: "0.25".into(),
            mem_limit: "2G".into(),
            mem_guarantee: "512M".into(),
            allowed_groups: "chemistry".into(),
            ..base_form("Chemistry", "chemistry")
        },
    )
    .await;
    let old = create(
        hub.id,
        ProfileForm {
            deprecated: "on".into(),
            replaced_by: chem.to_string(),
            ..base_form("Old chemistry", "old-chemistry")
        },
    )
    .await;
    let older = create(
        hub.id,
        ProfileForm {
            deprecated: "on".into(),
            replaced_by: old.to_string(),
            ..base_form("Older chemistry", "older-chemistry")
        },
    )
    .await;
    create(
        other.id,
        ProfileForm {
            is_default: "on".into(),
            ..base_form("Other", "other")
        },
    )
    .await;
    add_user(app, "alice", Role::User, &["gpu-users"]).await;
    add_user(app, "bob", Role::User, &["chemistry"]).await;
    add_user(app, "carol", Role::User, &[]).await;
    hub_api::remember_selection(pool, hub.id, "alice", gpu)
        .await
        .expect("test setup");
    hub_api::remember_selection(pool, hub.id, "bob", older)
        .await
        .expect("test setup");
    hub_api::remember_selection(pool, hub.id, "carol", older)
        .await
        .expect("test setup");
    let token = tokens::create(pool, &actor(), &meta(), hub.id, "hub pod", "")
        .await
        .expect("test setup")
        .secret;
    let other_token = tokens::create(pool, &actor(), &meta(), other.id, "hub pod", "")
        .await
        .expect("test setup")
        .secret;
    let revoked = tokens::create(pool, &actor(), &meta(), hub.id, "old pod", "")
        .await
        .expect("test setup");
    tokens::revoke(pool, &actor(), &meta(), hub.id, revoked.token.id, "rotated")
        .await
        .expect("test setup");
    Seeded {
        hub,
        other,
        token,
        other_token,
        revoked_token: revoked.secret,
        gpu,
        chem,
        older,
    }
}

fn slugs_and_default(body: &str) -> (Vec<String>, Vec<String>) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let list = v.as_array().expect("a JSON list");
    let slugs = list
        .iter()
        .map(|p| p["slug"].as_str().unwrap_or_default().to_string())
        .collect();
    let defaults = list
        .iter()
        .filter(|p| p["default"] == json!(true))
        .map(|p| p["slug"].as_str().unwrap_or_default().to_string())
        .collect();
    (slugs, defaults)
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401_and_no_detail() {
    let app = TestApp::new().await;
    let s = seed(&app).await;
    let router = app.router.clone();
    let bearer = |t: &str| format!("Bearer {t}");
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, ""),
        ("empty bearer", Some("Bearer ".into()), ""),
        ("basic auth", Some("Basic YWxpY2U6cHc=".into()), ""),
        (
            "wrong token",
            Some(bearer(&format!("hfh_{}", "A".repeat(40)))),
            "",
        ),
        ("malformed token", Some(bearer("not-a-token")), ""),
        (
            "token with one character changed",
            Some(bearer(&{
                let mut t = s.token.clone();
                let last = if t.ends_with('a') { 'b' } else { 'a' };
                t.pop();
                t.push(last);
                t
            })),
            "",
        ),
        ("revoked token", Some(bearer(&s.revoked_token)), ""),
        (
            "other hub's token",
            Some(bearer(&s.other_token)),
            "?hub=jhub%2Fphysics-hub",
        ),
        (
            "this hub's token for another hub",
            Some(bearer(&s.token)),
            "?hub=jhub2%2Fother-hub",
        ),
    ];
    for (what, auth, query) in cases {
        let r = ask(&router, "alice", query, auth.as_deref()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.body);
        assert_eq!(r.body, "", "{what}: a 401 carries no detail");
        assert_eq!(
            r.headers
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{what}"
        );
    }
    // Each hub's own token works, with or without naming the hub.
    let r = ask(&router, "alice", "", Some(&bearer(&s.other_token))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(slugs_and_default(&r.body).0, vec!["other"]);
    let r = ask(
        &router,
        "alice",
        "?hub=jhub%2Fphysics-hub",
        Some(&bearer(&s.token)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let _ = (&s.hub, &s.other);
}

#[tokio::test]
async fn the_right_token_gets_each_users_profiles() {
    let app = TestApp::new().await;
    let s = seed(&app).await;
    let router = app.router.clone();
    let auth = format!("Bearer {}", s.token);
    // (user, offered, default)
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        // gpu-users: the open profile and GPU; remembered GPU is the default.
        ("alice", vec!["standard", "gpu"], "gpu"),
        // chemistry: remembered "Older chemistry" → "Old chemistry" → "Chemistry".
        ("bob", vec!["standard", "chemistry"], "chemistry"),
        ("BOB", vec!["standard", "chemistry"], "chemistry"),
        // No group: the replacement of the remembered profile is not hers: the hub default.
        ("carol", vec!["standard"], "standard"),
        // Unknown to the portal: only profiles open to everyone.
        ("zed", vec!["standard"], "standard"),
        ("someone%40example.org", vec!["standard"], "standard"),
    ];
    for (user, offered, default) in cases {
        let r = ask(&router, user, "?hub=jhub%2Fphysics-hub", Some(&auth)).await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.body);
        assert_eq!(
            r.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        assert_eq!(
            r.headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let (slugs, defaults) = slugs_and_default(&r.body);
        assert_eq!(slugs, offered, "{user}: {}", r.body);
        assert_eq!(defaults, vec![default], "{user}: {}", r.body);
        // Deprecated profiles are never offered.
        assert!(!r.body.contains("old-chemistry"), "{user}: {}", r.body);
    }
    // KubeSpawner's format: display_name, slug, kubespawner_override.
    let r = ask(&router, "alice", "", Some(&auth)).await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let gpu = &v[1];
    assert_eq!(gpu["display_name"], "GPU");
    let o = &gpu["kubespawner_override"];
    assert_eq!(o["image"], "nvcr.io/nvidia/pytorch:24.05-py3");
    assert_eq!(o["cpu_limit"], json!(8.0));
    assert_eq!(o["mem_limit"], "32G");
    assert_eq!(o["mem_guarantee"], Value::Null);
    assert_eq!(o["environment"]["COURSE"], Value::Null);
    assert_eq!(
        o["volume_mounts"]["volume-{user_server}"]["mountPath"],
        "/home/researcher"
    );
    // GPUs and node pools: the API answer carries them like the values do.
    assert_eq!(o["extra_resource_limits"]["nvidia.com/gpu"], "1");
    assert_eq!(o["tolerations"][2]["key"], "nvidia.com/gpu");
    assert_eq!(
        o["node_affinity_required"][0]["matchExpressions"][0]["values"],
        json!(["NVIDIA-A100-SXM4-80GB"])
    );

    // A new remembered choice is the default from the next request on; changes to profiles
    // show without any helm upgrade.
    hub_api::remember_selection(&app.state.pool, s.hub.id, "alice", s.chem)
        .await
        .unwrap();
    let r = ask(&router, "alice", "", Some(&auth)).await;
    assert_eq!(
        slugs_and_default(&r.body).1,
        vec!["standard"],
        "Chemistry is not alice's: {}",
        r.body
    );
    // A profile of another hub cannot be remembered.
    assert!(
        hub_api::remember_selection(&app.state.pool, s.other.id, "alice", s.gpu)
            .await
            .is_err()
    );
    let _ = s.older;
    // The token's last use is recorded.
    let list = tokens::list(&app.state.pool, s.hub.id).await.unwrap();
    assert!(list.iter().any(|t| t.last_used_at.is_some()), "{list:?}");
}

/// The admin's token management through the server functions; audited; shown once.
#[tokio::test]
async fn admins_create_list_and_revoke_tokens() {
    let app = TestApp::new().await;
    let s = seed(&app).await;
    let router = app.router.clone();
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let user = app.login("carol").await;
    let create_path = fn_path::<CreateHubToken>();
    let body = format!("hub_id={}&label=hub+pod+2&reason=rotation", s.hub.id);
    // Not for plain users, nor anonymous callers.
    assert_eq!(
        app.post_form(&create_path, &body, Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_form(&create_path, &body, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app.post_form(&create_path, &body, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let created: Value = serde_json::from_str(&r.body).unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("hfh_"));
    let id = created["token"]["id"].as_i64().unwrap();
    // The new token works.
    let ok = ask(&router, "bob", "", Some(&format!("Bearer {secret}"))).await;
    assert_eq!(ok.status, StatusCode::OK);
    // Listed without the secret (only its first characters).
    let r = app
        .post_form(
            &fn_path::<ListHubTokens>(),
            &format!("hub_id={}", s.hub.id),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains(&secret), "the secret is shown once only");
    assert!(r.body.contains(&secret[..10]), "{}", r.body);
    // Only the hash is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM hub_api_tokens")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert!(stored.iter().all(|h| h.len() == 64 && !h.contains("hfh_")));
    // A blank label is a field error.
    let r = app
        .post_form(
            &create_path,
            &format!("hub_id={}&label=&reason=", s.hub.id),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Revoke: the token stops working at once.
    let revoke = fn_path::<RevokeHubToken>();
    let rbody = format!("hub_id={}&id={id}&reason=leaked", s.hub.id);
    assert_eq!(
        app.post_form(&revoke, &rbody, Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post_form(&revoke, &rbody, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let gone = ask(&router, "bob", "", Some(&format!("Bearer {secret}"))).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    // Another hub's token id is not found through this hub.
    let wrong = format!("hub_id={}&id={id}&reason=", s.other.id);
    assert_eq!(
        app.post_form(&revoke, &wrong, Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
    // Audited, with the reason.
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, actor, reason FROM audit_events WHERE target_type = 'hub_token'
         ORDER BY id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert!(events.contains(&("hub_token.create".into(), "root".into(), "rotation".into())));
    assert!(events.contains(&("hub_token.revoke".into(), "root".into(), "leaked".into())));
    assert!(events.contains(&("hub_token.revoke".into(), "test".into(), "rotated".into())));
    let audit_json: Vec<String> =
        sqlx::query_scalar("SELECT COALESCE(after_json, '') FROM audit_events")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert!(audit_json.iter().all(|a| !a.contains(&secret)));
}

/// The values page: showing and downloading values records nothing (issue 9, item 5); a POST
/// with the reviewed digest records a version, with the cause and a diff; the download is an
/// attachment for admins only.
#[tokio::test]
async fn values_preview_versions_diff_and_download() {
    let app = TestApp::new().await;
    let s = seed(&app).await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let user = app.login("carol").await;
    let preview = fn_path::<GetValuesPreview>();
    let body = format!("hub_id={}", s.hub.id);
    assert_eq!(
        app.post_form(&preview, &body, Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    let record = fn_path::<RecordValuesVersion>();
    let versions_count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM values_versions")
            .fetch_one(&app.state.pool)
            .await
            .unwrap()
    };
    let r = app.post_form(&preview, &body, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(p["errors"], json!([]), "{}", r.body);
    // Showing the values records nothing: not the page, not its server function, not the
    // download (a cross-site link must not create history).
    assert_eq!(p["version"], Value::Null);
    assert_eq!(p["next_version"], 1);
    assert_eq!(p["diff"], Value::Null);
    let yaml1 = p["yaml"].as_str().unwrap().to_string();
    let digest1 = p["digest"].as_str().unwrap().to_string();
    assert_eq!(digest1, values::digest(&yaml1));
    let page = format!("/hubs/{}/values", s.hub.id);
    assert_eq!(app.get(&page, Some(&admin)).await.status, StatusCode::OK);
    let download = format!("/hubs/{}/values/config.yaml", s.hub.id);
    assert_eq!(
        app.get(&download, Some(&admin)).await.status,
        StatusCode::OK
    );
    assert_eq!(versions_count().await, 0);
    // Recording needs a POST naming the reviewed digest; a stale digest is a conflict.
    let stale = app
        .post_form(
            &record,
            &format!("{body}&digest={}", "0".repeat(64)),
            Some(&admin),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body.contains("changed since this page was loaded"),
        "{}",
        stale.body
    );
    assert_eq!(versions_count().await, 0);
    assert_eq!(
        app.post_form(&record, &format!("{body}&digest={digest1}"), Some(&user))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(&record, &format!("{body}&digest={digest1}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["version"], 1);
    let r = app.post_form(&preview, &body, Some(&admin)).await;
    let p: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(p["version"]["version"], 1);
    // Recording the same values again adds nothing.
    let r = app
        .post_form(&record, &format!("{body}&digest={digest1}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(versions_count().await, 1);

    // An edit of a profile open to everyone makes version 2, caused by that edit (restricted
    // profiles are not in the values: the hub gets them from the profile API).
    let standard = profiles::list(&app.state.pool, s.hub.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.spec.slug == "standard")
        .unwrap();
    let mut spec = standard.spec.clone();
    spec.cpu_limit = Some(3.0);
    write::update::<Profile>(
        &app.state.pool,
        &By::new(&Actor::system("editor"), &meta(), "more CPU for the course"),
        standard.id,
        standard.version,
        &spec,
    )
    .await
    .unwrap();
    let r = app.post_form(&preview, &body, Some(&admin)).await;
    let p: Value = serde_json::from_str(&r.body).unwrap();
    // Not recorded yet: the page shows what changed since v1 and the diff against it.
    assert_eq!(p["version"], Value::Null, "{}", r.body);
    assert_eq!(p["next_version"], 2);
    assert!(
        p["pending_cause"]
            .as_str()
            .unwrap()
            .contains("more CPU for the course")
    );
    assert_eq!(p["diff"]["from"], 1);
    assert_eq!(p["diff"]["to"], 2);
    let digest2 = p["digest"].as_str().unwrap().to_string();
    let r = app
        .post_form(&record, &format!("{body}&digest={digest2}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post_form(&preview, &body, Some(&admin)).await;
    let p: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(p["version"]["version"], 2, "{}", r.body);
    let cause = p["version"]["cause"].as_str().unwrap();
    assert!(cause.contains("profile.update"), "{cause}");
    assert!(cause.contains("editor"), "{cause}");
    assert!(cause.contains("more CPU for the course"), "{cause}");
    let diff = &p["diff"];
    assert_eq!(diff["from"], 1);
    assert_eq!(diff["to"], 2);
    assert_eq!(diff["added"], 2, "{diff}");
    assert_eq!(diff["removed"], 2, "{diff}");
    let lines: Vec<&Value> = diff["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["lines"].as_array().unwrap())
        .collect();
    assert!(lines.iter().any(
        |l| l["change"] == "removed" && l["text"].as_str().unwrap().contains("cpu_limit: 2.0")
    ));
    assert!(
        lines
            .iter()
            .any(|l| l["change"] == "added"
                && l["text"].as_str().unwrap().contains("cpu_limit: 3.0"))
    );
    // Versions listed newest first; any two diffable.
    let r = app
        .post_form(&fn_path::<GetValuesVersions>(), &body, Some(&admin))
        .await;
    let versions: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[1]["version"], 1);
    let r = app
        .post_form(
            &fn_path::<GetValuesDiff>(),
            &format!("hub_id={}&from=2&to=1", s.hub.id),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Audited.
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'values.version'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(n, 2);

    // Download: an attachment for admins, through the server's router with real sessions.
    let path = format!("/hubs/{}/values/config.yaml", s.hub.id);
    let r = app.get(&path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.starts_with("# z2jh values"));
    assert_eq!(
        r.headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"config.yaml\"")
    );
    assert!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("application/yaml")
    );
    assert!(r.body.contains("cpu_limit: 3.0"));
    let r = app.get(&format!("{path}?version=1"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, yaml1);
    assert_eq!(
        r.headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"config-v1.yaml\"")
    );
    assert_eq!(
        app.get(&path, Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    // Anonymous: the page guard sends to the sign-in page (the path is under /hubs).
    let anon = app.get(&path, None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().unwrap().starts_with("/login?next="));
    let r = app.get("/hubs/999/values/config.yaml", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The generated `hub.extraConfig` code, run by JupyterHub 5.5.0 and KubeSpawner 7.0.0 from
/// PyPI (a virtualenv in target/pyenv made by end2end/python/run.sh) against this portal on a
/// loopback port: each user gets the right profiles, and the static list when the portal is
/// down. Skipped (with a message) when the virtualenv is missing, unless
/// HUBFLEET_REQUIRE_PYENV is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_kubespawner_gets_the_profiles_of_each_user() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let python = root.join("target/pyenv/bin/python");
    if !python.exists() {
        let msg = format!(
            "{} is missing: run end2end/python/run.sh to create it and run this test",
            python.display()
        );
        if std::env::var_os("HUBFLEET_REQUIRE_PYENV").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED python_kubespawner_gets_the_profiles_of_each_user: {msg}");
        return;
    }
    let app = TestApp::new().await;
    let s = seed(&app).await;
    let router = app.router.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    // A port where nothing listens.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{addr}");
    let hub = hubs::get(&app.state.pool, s.hub.id).await.unwrap();
    let p = profiles::list(&app.state.pool, hub.id).await.unwrap();
    let v = volumes::list(&app.state.pool, hub.id).await.unwrap();
    let rendered = values::render(&hub, &p, &v, Some(&url)).unwrap();
    assert!(rendered.errors.is_empty(), "{:?}", rendered.errors);
    let dir = tempfile::tempdir().unwrap();
    let values_path = dir.path().join("values.json");
    std::fs::write(&values_path, rendered.json.to_string()).unwrap();
    // The same hub with Standard restricted too: no profile is open to everyone.
    let closed_profiles: Vec<_> = p
        .iter()
        .cloned()
        .map(|mut p| {
            if p.spec.slug == "standard" {
                p.spec.allowed_groups = vec!["staff".into()];
            }
            p
        })
        .collect();
    let closed = values::render(&hub, &closed_profiles, &v, Some(&url)).unwrap();
    assert!(closed.errors.is_empty(), "{:?}", closed.errors);
    let closed_path = dir.path().join("closed.json");
    std::fs::write(&closed_path, closed.json.to_string()).unwrap();
    // The same hub with markup in Standard's name and description.
    let xss_profiles: Vec<_> = p
        .iter()
        .cloned()
        .map(|mut p| {
            if p.spec.slug == "standard" {
                p.spec.display_name = "<img src=x onerror=alert(1)>".into();
                p.spec.description = "<script>alert('hub')</script> & more".into();
            }
            p
        })
        .collect();
    let xss = values::render(&hub, &xss_profiles, &v, Some(&url)).unwrap();
    let xss_path = dir.path().join("xss.json");
    std::fs::write(&xss_path, xss.json.to_string()).unwrap();
    let standard = json!({
        "image": "quay.io/jupyter/scipy-notebook:2024-05-01",
        "cpu_limit": 2.0,
        "mem_limit_bytes": 4 * GIB,
        "mem_guarantee_bytes": GIB,
        "environment": ["COURSE", "DATA"],
        "mount_paths": ["/home/jovyan", "/mnt/data"],
        "node_selector": {},
        "extra_resource_limits": {},
        "tolerations": ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"],
        "node_affinity": [],
    });
    let expect = json!({
        "users": {
            "alice": {
                "slugs": ["standard", "gpu"],
                "default": "gpu",
                "effective": {
                    "image": "nvcr.io/nvidia/pytorch:24.05-py3",
                    "cpu_limit": 8.0,
                    "mem_limit_bytes": 32 * GIB,
                    "mem_guarantee_bytes": null,
                    "environment": [],
                    "mount_paths": ["/home/researcher", "/mnt/data", "/scratch"],
                    "node_selector": {"nvidia.com/gpu.present": "true"},
                    "extra_resource_limits": {"nvidia.com/gpu": "1"},
                    "tolerations": [
                        "hub.jupyter.org/dedicated",
                        "hub.jupyter.org_dedicated",
                        "nvidia.com/gpu",
                    ],
                    "node_affinity": [["nvidia.com/gpu.product", "In", ["NVIDIA-A100-SXM4-80GB"]]],
                },
            },
            "bob": {
                "slugs": ["standard", "chemistry"],
                "default": "chemistry",
                "effective": {
                    "image": "quay.io/jupyter/datascience-notebook:2024-05-01",
                    "cpu_limit": 1.0,
                    "mem_limit_bytes": 2 * GIB,
                    "mem_guarantee_bytes": 512 * 1024 * 1024,
                    "environment": [],
                    "mount_paths": ["/home/jovyan"],
                    "node_selector": {},
                    "extra_resource_limits": {},
                    "tolerations": ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"],
                    "node_affinity": [],
                },
            },
            "carol": {"slugs": ["standard"], "default": "standard", "effective": standard},
            "zed": {"slugs": ["standard"], "default": "standard", "effective": standard},
        },
        "refused": [["carol", "gpu"], ["zed", "chemistry"], ["bob", "old-chemistry"]],
        // Choices inside alice's GPU profile, as the spawn form submits them.
        "choices": [
            {
                "user": "alice",
                "form": {"profile": ["gpu"], "profile-option-gpu--image": ["tensorflow"], "profile-option-gpu--gpus": ["two"]},
                "image": "nvcr.io/nvidia/tensorflow:24.05-tf2-py3",
                "gpus": "2",
                "mem_limit_bytes": 64 * GIB,
                "tolerations": ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated", "nvidia.com/gpu"],
            },
            {
                "user": "alice",
                "form": {"profile": ["gpu"], "profile-option-gpu--image--unlisted-choice": ["pytorch:24.06-py3"]},
                "image": "nvcr.io/nvidia/pytorch:24.06-py3",
                "gpus": "1",
                "mem_limit_bytes": 32 * GIB,
                "tolerations": ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated", "nvidia.com/gpu"],
            },
        ],
        "bad_choices": [
            {"user": "alice", "form": {"profile": ["gpu"], "profile-option-gpu--image--unlisted-choice": ["../evil image"]}},
            {"user": "alice", "form": {"profile": ["gpu"], "profile-option-gpu--gpus": ["three"]}},
        ],
        "choice_form": ["profile-option-gpu--image", "value=\"tensorflow\"", "profile-option-gpu--gpus", "pattern=\"^[a-z0-9._-]+:[A-Za-z0-9._-]+$\""],
        "restricted": [["alice", "gpu"], ["bob", "chemistry"]],
        "restricted_mounts": ["/scratch", "/home/researcher"],
        "static_default_image": "quay.io/jupyter/scipy-notebook:2024-05-01",
    });
    let expect_path = dir.path().join("expect.json");
    std::fs::write(&expect_path, expect.to_string()).unwrap();
    let script = root.join("end2end/python/test_profiles.py");
    let token = s.token.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .env("HUBFLEET_VALUES_JSON", values_path)
            .env("HUBFLEET_CLOSED_VALUES_JSON", closed_path)
            .env("HUBFLEET_XSS_VALUES_JSON", xss_path)
            .env("HUBFLEET_EXPECT_JSON", expect_path)
            .env("HUBFLEET_URL", &url)
            .env("HUBFLEET_TOKEN", token)
            .env("HUBFLEET_HUB", "jhub/physics-hub")
            .env("HUBFLEET_DOWN_URL", format!("http://{down}"))
            .output()
    })
    .await
    .unwrap()
    .expect("python runs");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the Python checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}\n{stderr}");
}

/// The values page renders on the server for admins: the highlighted YAML, the digest, the
/// validation result, the versions and the token form; others get 403 or the sign-in page.
#[tokio::test]
async fn values_page_renders_for_admins_only() {
    let app = TestApp::new().await;
    let s = seed(&app).await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let user = app.login("carol").await;
    let path = format!("/hubs/{}/values", s.hub.id);
    let r = app.get(&path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for needle in [
        "Values of physics-hub",
        "data-testid=\"values-yaml\"",
        "yaml-key",
        "data-testid=\"values-valid\"",
        "data-testid=\"values-digest\"",
        "Download config.yaml",
        "data-testid=\"values-versions\"",
        "data-testid=\"create-token-form\"",
        "hubfleet-token-physics-hub",
        "hfh_",
    ] {
        assert!(r.body.contains(needle), "{needle} missing from the page");
    }
    let digest = values::render_hub(
        &app.state.pool,
        s.hub.id,
        app.state.settings.public_url.as_deref(),
    )
    .await
    .unwrap()
    .digest;
    assert!(r.body.contains(&digest[..12]), "the digest is shown");
    assert!(!r.body.contains(&s.token), "a token is never shown again");
    assert_eq!(
        app.get(&path, Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&path, None).await.status, StatusCode::SEE_OTHER);

    // A problem links to the form that holds the value: a volume made ReadOnlyMany behind the
    // portal's back while GPU mounts it read-write.
    sqlx::query(
        "UPDATE shared_volumes SET access_mode = 'ReadOnlyMany' WHERE name = 'scratch-data'",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    let r = app.get(&path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-testid=\"values-invalid\""));
    assert!(r.body.contains("data-testid=\"values-errors\""));
    assert!(
        r.body.contains(&format!("href=\"/profiles/{}\"", s.gpu)),
        "the problem links to the GPU profile"
    );
    assert!(r.body.contains("data-field=\"mounts[0].read_only\""));
}
