//! A simulated JupyterHub REST API for the hubs deployed in the simulated cluster: the calls
//! the portal makes to start and stop users' servers (JupyterHub 5's
//! `POST|DELETE /hub/api/users/{name}/server`, `GET /hub/api/`, `GET|POST /hub/api/users/{name}`),
//! answered as a z2jh hub with KubeSpawner would. Each hub lives under
//! `/<namespace>/<release>/hub/api/`; it answers only while its release is deployed (else 503,
//! as when the hub pod is gone). A start reads the deployed release's values (the base
//! `singleuser` settings and the `profileList` entry whose slug the request names) and creates
//! the user's PVC and pod through the simulator, which then moves them along as usual.
//!
//! Authentication: `Authorization: token <t>` where `t` is [`crate::SimConfig::hub_token`].

use crate::Simulator;
use crate::config::SpawnOptions;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The JupyterHub version the simulated hub reports (the z2jh 4.4.0 hub image's).
pub const VERSION: &str = "5.5.0";

fn error(status: StatusCode, message: &str) -> Response {
    Refusal(status, message.to_string()).into_response()
}

/// An error answer in JupyterHub's shape (`{"status", "message"}`).
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"status": self.0.as_u16(), "message": self.1})),
        )
            .into_response()
    }
}

/// The hub's deployed values when it runs and the request carries its token.
fn admitted(
    sim: &Simulator,
    ns: &str,
    release: &str,
    headers: &HeaderMap,
) -> Result<Value, Refusal> {
    let values = deployed(sim, ns, release)?;
    authorized(sim, headers)?;
    Ok(values)
}

/// The router of every simulated hub (mount it at the root of a listener).
pub fn router(sim: Simulator) -> axum::Router {
    axum::Router::new()
        .route("/{ns}/{release}/hub/api/", get(version))
        .route("/{ns}/{release}/hub/api", get(version))
        .route(
            "/{ns}/{release}/hub/api/users/{name}",
            get(user).post(create_user),
        )
        .route(
            "/{ns}/{release}/hub/api/users/{name}/server",
            post(start).delete(stop),
        )
        .route(
            "/{ns}/{release}/hub/api/users/{name}/servers/{server}",
            post(named).delete(named),
        )
        .with_state(sim)
}

/// The deployed values of the hub, or the answer a client gets when it is not running.
fn deployed(sim: &Simulator, ns: &str, release: &str) -> Result<Value, Refusal> {
    sim.deployed_values(ns, release).ok_or_else(|| {
        Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("hub {release} in namespace {ns} is not running"),
        )
    })
}

fn authorized(sim: &Simulator, headers: &HeaderMap) -> Result<(), Refusal> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("token ")
                .or_else(|| v.strip_prefix("Bearer "))
        })
        .unwrap_or_default();
    if !presented.is_empty() && presented == sim.hub_token() {
        Ok(())
    } else {
        Err(Refusal(
            StatusCode::FORBIDDEN,
            "Action is not authorized".into(),
        ))
    }
}

async fn version(
    State(sim): State<Simulator>,
    Path((ns, release)): Path<(String, String)>,
) -> Response {
    match deployed(&sim, &ns, &release) {
        Ok(_) => Json(json!({"version": VERSION})).into_response(),
        Err(r) => r.into_response(),
    }
}

fn user_model(sim: &Simulator, ns: &str, name: &str) -> Value {
    let running = sim.user_pod(ns, name);
    let servers = match running {
        Some(pod) => json!({"": {"name": "", "ready": true, "pending": null,
            "state": {"pod_name": pod}}}),
        None => json!({}),
    };
    json!({"kind": "user", "name": name, "admin": false, "servers": servers})
}

async fn user(
    State(sim): State<Simulator>,
    Path((ns, release, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admitted(&sim, &ns, &release, &headers) {
        return r.into_response();
    }
    Json(user_model(&sim, &ns, &name)).into_response()
}

async fn create_user(
    State(sim): State<Simulator>,
    Path((ns, release, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admitted(&sim, &ns, &release, &headers) {
        return r.into_response();
    }
    (StatusCode::CREATED, Json(user_model(&sim, &ns, &name))).into_response()
}

/// z2jh's default: named servers are off.
async fn named(
    State(sim): State<Simulator>,
    Path((ns, release, _name, _server)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admitted(&sim, &ns, &release, &headers) {
        return r.into_response();
    }
    error(StatusCode::BAD_REQUEST, "Named servers are not enabled.")
}

async fn start(
    State(sim): State<Simulator>,
    Path((ns, release, name)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let values = match admitted(&sim, &ns, &release, &headers) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    if sim.user_pod(&ns, &name).is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("{name} is already running"),
        );
    }
    let profile = body
        .as_ref()
        .and_then(|Json(b)| b.get("profile"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let options = match spawn_options(&values, &ns, &release, profile) {
        Ok(o) => o,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    sim.spawn_user(&name, options);
    // A real hub answers 202 while the server is still starting.
    StatusCode::ACCEPTED.into_response()
}

async fn stop(
    State(sim): State<Simulator>,
    Path((ns, release, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admitted(&sim, &ns, &release, &headers) {
        return r.into_response();
    }
    if sim.stop_user(&ns, &name) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(
            StatusCode::BAD_REQUEST,
            &format!("Server {name} is not running"),
        )
    }
}

fn str_of<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn number_of(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(|x| {
        x.as_f64()
            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
    })
}

fn text_of(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// What KubeSpawner would start for `profile` (a slug; empty = the default entry, or the base
/// settings when there is no list) from the hub's values.
pub fn spawn_options(
    values: &Value,
    ns: &str,
    release: &str,
    profile: &str,
) -> Result<SpawnOptions, String> {
    let su = values.get("singleuser").cloned().unwrap_or(Value::Null);
    let list = su
        .get("profileList")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let entry = if profile.is_empty() {
        list.iter()
            .find(|e| e.get("default").and_then(Value::as_bool) == Some(true))
            .or_else(|| list.first())
            .cloned()
    } else {
        // Profiles restricted to groups are not in the static list (the hub asks the portal
        // for them): the simulated hub starts those with the base settings.
        list.iter()
            .find(|e| str_of(e, "/slug") == Some(profile))
            .cloned()
    };
    let base_image = match (str_of(&su, "/image/name"), str_of(&su, "/image/tag")) {
        (Some(n), Some(t)) => format!("{n}:{t}"),
        (Some(n), None) => n.to_string(),
        _ => SpawnOptions::default().image,
    };
    let over = entry
        .as_ref()
        .and_then(|e| e.get("kubespawner_override"))
        .cloned()
        .unwrap_or(Value::Null);
    let pick_num = |o: &str, b: &str| number_of(&over, o).or_else(|| number_of(&su, b));
    let pick_text = |o: &str, b: &str| text_of(&over, o).or_else(|| text_of(&su, b));
    let slug = entry
        .as_ref()
        .and_then(|e| str_of(e, "/slug"))
        .map(str::to_string)
        .or_else(|| (!profile.is_empty()).then(|| profile.to_string()));
    Ok(SpawnOptions {
        release: release.to_string(),
        namespace: ns.to_string(),
        server_name: String::new(),
        image: str_of(&over, "/image")
            .map(str::to_string)
            .unwrap_or(base_image),
        cpu_limit: pick_num("/cpu_limit", "/cpu/limit"),
        cpu_guarantee: pick_num("/cpu_guarantee", "/cpu/guarantee"),
        mem_limit: pick_text("/mem_limit", "/memory/limit"),
        mem_guarantee: pick_text("/mem_guarantee", "/memory/guarantee")
            .or_else(|| Some("1G".to_string())),
        storage_capacity: pick_text("/storage_capacity", "/storage/capacity")
            .or_else(|| Some("10Gi".to_string())),
        storage_class: pick_text("/storage_class", "/storage/dynamic/storageClass"),
        home_mount_path: str_of(&su, "/storage/homeMountPath")
            .unwrap_or("/home/jovyan")
            .to_string(),
        profile: slug,
        failure: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_entry_overrides_the_base_settings() {
        let values = json!({"singleuser": {
            "image": {"name": "base", "tag": "1"},
            "memory": {"limit": "2G", "guarantee": "1G"},
            "storage": {"capacity": "5Gi", "homeMountPath": "/home/jupyter"},
            "profileList": [
                {"slug": "small", "default": true, "kubespawner_override": {"mem_limit": "1G"}},
                {"slug": "big", "kubespawner_override": {"image": "big:2", "mem_limit": "8G", "cpu_limit": 4}}
            ]
        }});
        let o = spawn_options(&values, "ns", "rel", "big").unwrap();
        assert_eq!(o.image, "big:2");
        assert_eq!(o.mem_limit.as_deref(), Some("8G"));
        assert_eq!(o.cpu_limit, Some(4.0));
        assert_eq!(o.profile.as_deref(), Some("big"));
        assert_eq!(o.home_mount_path, "/home/jupyter");
        let o = spawn_options(&values, "ns", "rel", "").unwrap();
        assert_eq!(o.image, "base:1");
        assert_eq!(o.mem_limit.as_deref(), Some("1G"));
        assert_eq!(o.profile.as_deref(), Some("small"));
        // Not in the static list (restricted): the base settings, still annotated.
        let o = spawn_options(&values, "ns", "rel", "secret").unwrap();
        assert_eq!(o.mem_limit.as_deref(), Some("2G"));
        assert_eq!(o.profile.as_deref(), Some("secret"));
    }
}
