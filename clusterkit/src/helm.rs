//! Helm release Secrets: Helm 3/4 store each revision of a release as a Secret
//! `sh.helm.release.v1.<release>.v<revision>` (type `helm.sh/release.v1`, labels `owner=helm`,
//! `name`, `status`, `version`) whose `data.release` is base64(gzip(JSON)) inside the Secret's
//! own base64. This module encodes (for the simulated cluster and tests) and decodes (for
//! `helm ls --all` / `helm history` equivalents) those Secrets. Decoding is lenient: unknown
//! fields are kept, missing ones default, plain (un-gzipped) JSON is accepted.

use base64::Engine;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// The Secret type Helm uses for release records.
pub const RELEASE_SECRET_TYPE: &str = "helm.sh/release.v1";
/// Label selector for every Helm release Secret.
pub const RELEASE_SECRET_SELECTOR: &str = "owner=helm";

/// Why a release Secret could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HelmCodecError {
    #[error("the Secret has no data.release")]
    MissingData,
    #[error("data.release is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("data.release could not be decompressed: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("the release record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// `info` of a release record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `chart.metadata` of a release record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartMetadata {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `chart` of a release record (templates, files and default values are kept opaque).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartRecord {
    #[serde(default)]
    pub metadata: ChartMetadata,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One Helm release revision as Helm stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub info: ReleaseInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartRecord>,
    /// The user-supplied values.
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub manifest: String,
    #[serde(default, deserialize_with = "lenient_u32")]
    pub version: u32,
    #[serde(default)]
    pub namespace: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn lenient_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Number(n) => n.as_u64().and_then(|x| u32::try_from(x).ok()).unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    })
}

impl ReleaseRecord {
    pub fn status(&self) -> ReleaseStatus {
        ReleaseStatus::parse(&self.info.status)
    }

    /// The user-supplied values, `{}` when the record has none (`helm get values`).
    pub fn values(&self) -> Value {
        if self.config.is_null() {
            Value::Object(Map::new())
        } else {
            self.config.clone()
        }
    }
}

pub use crate::release_status::ReleaseStatus;

/// `sh.helm.release.v1.<release>.v<revision>`.
pub fn secret_name(release: &str, revision: u32) -> String {
    format!("sh.helm.release.v1.{release}.v{revision}")
}

/// The bytes Helm puts in `data.release` (before the Secret's own base64):
/// base64(gzip(JSON)).
pub fn encode_release(record: &ReleaseRecord) -> Result<Vec<u8>, HelmCodecError> {
    let json = serde_json::to_vec(record)?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&json)?;
    let compressed = gz.finish()?;
    Ok(base64::engine::general_purpose::STANDARD
        .encode(compressed)
        .into_bytes())
}

/// Decodes `data.release` bytes (the Secret's outer base64 already removed, as kube's
/// `ByteString` does): base64, then gunzip when gzip-compressed, then JSON.
pub fn decode_release(data: &[u8]) -> Result<ReleaseRecord, HelmCodecError> {
    let trimmed: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let raw = if trimmed.first() == Some(&b'{') {
        trimmed
    } else {
        base64::engine::general_purpose::STANDARD.decode(&trimmed)?
    };
    let json = if raw.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice()).read_to_end(&mut out)?;
        out
    } else {
        raw
    };
    Ok(serde_json::from_slice(&json)?)
}

/// The release Secret Helm would write for a record.
pub fn release_secret(record: &ReleaseRecord) -> Result<Secret, HelmCodecError> {
    let labels = BTreeMap::from([
        ("owner".to_string(), "helm".to_string()),
        ("name".to_string(), record.name.clone()),
        ("status".to_string(), record.info.status.clone()),
        ("version".to_string(), record.version.to_string()),
    ]);
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(&record.name, record.version)),
            namespace: Some(record.namespace.clone()).filter(|n| !n.is_empty()),
            labels: Some(labels),
            ..Default::default()
        },
        type_: Some(RELEASE_SECRET_TYPE.to_string()),
        data: Some(BTreeMap::from([(
            "release".to_string(),
            ByteString(encode_release(record)?),
        )])),
        ..Default::default()
    })
}

/// Decodes a release Secret. The storage namespace fills in a record without one.
pub fn decode_secret(secret: &Secret) -> Result<ReleaseRecord, HelmCodecError> {
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .ok_or(HelmCodecError::MissingData)?;
    let mut record = decode_release(&data.0)?;
    if record.namespace.is_empty() {
        record.namespace = secret.metadata.namespace.clone().unwrap_or_default();
    }
    if record.version == 0 {
        record.version = secret
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("version"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
    }
    Ok(record)
}

/// Whether a Secret is a Helm release record.
pub fn is_release_secret(secret: &Secret) -> bool {
    secret.type_.as_deref() == Some(RELEASE_SECRET_TYPE)
        || secret
            .metadata
            .labels
            .as_ref()
            .is_some_and(|l| l.get("owner").map(String::as_str) == Some("helm"))
}

/// The release name and revision Helm writes into a release Secret's labels (`name`,
/// `version`), when both are there: read without decoding the record.
fn labelled(secret: &Secret) -> Option<(&str, u32)> {
    let labels = secret.metadata.labels.as_ref()?;
    let name = labels.get("name")?.as_str();
    let version = labels.get("version")?.parse().ok()?;
    Some((name, version))
}

/// `helm history <release>`: every readable revision of one release in one storage
/// namespace, newest first. Unreadable Secrets are skipped. Secrets whose labels name another
/// release are not decoded.
pub fn history<'a>(
    secrets: impl IntoIterator<Item = &'a Secret>,
    release: &str,
    namespace: &str,
) -> Vec<ReleaseRecord> {
    let mut out: Vec<ReleaseRecord> = secrets
        .into_iter()
        .filter(|s| is_release_secret(s))
        .filter(|s| s.metadata.namespace.as_deref().unwrap_or("") == namespace)
        .filter(|s| labelled(s).is_none_or(|(name, _)| name == release))
        .filter_map(|s| decode_secret(s).ok())
        .filter(|r| r.name == release)
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.version));
    out
}

/// `helm ls --all -A`: the latest revision of every release, by namespace and name. Of the
/// Secrets Helm labelled, only each release's newest readable one is decoded; unlabelled ones
/// are decoded to learn what they are.
pub fn latest_releases<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Vec<ReleaseRecord> {
    let mut candidates: BTreeMap<(String, String), Vec<(u32, &Secret)>> = BTreeMap::new();
    let mut latest: BTreeMap<(String, String), ReleaseRecord> = BTreeMap::new();
    let keep = |latest: &mut BTreeMap<(String, String), ReleaseRecord>, r: ReleaseRecord| {
        let key = (r.namespace.clone(), r.name.clone());
        if latest.get(&key).is_none_or(|cur| cur.version < r.version) {
            latest.insert(key, r);
        }
    };
    for s in secrets.into_iter().filter(|s| is_release_secret(s)) {
        match labelled(s) {
            Some((name, version)) => {
                let ns = s.metadata.namespace.clone().unwrap_or_default();
                candidates
                    .entry((ns, name.to_string()))
                    .or_default()
                    .push((version, s));
            }
            None => {
                if let Ok(r) = decode_secret(s) {
                    keep(&mut latest, r);
                }
            }
        }
    }
    for (_, mut list) in candidates {
        list.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
        if let Some(r) = list.iter().find_map(|(_, s)| decode_secret(s).ok()) {
            keep(&mut latest, r);
        }
    }
    latest.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(version: u32, status: &str) -> ReleaseRecord {
        ReleaseRecord {
            name: "data8-jupyterhub".into(),
            namespace: "kube-public".into(),
            version,
            info: ReleaseInfo {
                status: status.into(),
                description: "Install complete".into(),
                first_deployed: Some("2026-01-01T00:00:00Z".into()),
                last_deployed: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            },
            chart: Some(ChartRecord {
                metadata: ChartMetadata {
                    name: "jupyterhub".into(),
                    version: "4.4.0".into(),
                    app_version: Some("5.5.0".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            config: json!({"singleuser": {"memory": {"limit": "3G", "guarantee": "1G"}}}),
            manifest: "---\n".into(),
            ..Default::default()
        }
    }

    #[test]
    fn labels_spare_decoding_but_unreadable_newest_falls_back() {
        let mut secrets: Vec<Secret> = (1..=3)
            .map(|v| {
                let mut s = release_secret(&record(v, "superseded")).unwrap();
                s.metadata.namespace = Some("kube-public".into());
                s
            })
            .collect();
        // The newest revision's record is unreadable: the one before it is the latest.
        secrets[2].data.as_mut().unwrap().insert(
            "release".into(),
            k8s_openapi::ByteString(b"not base64!".to_vec()),
        );
        // A Secret without Helm's name/version labels is decoded to learn what it is.
        let mut other = record(7, "deployed");
        other.name = "other".into();
        let mut bare = release_secret(&other).unwrap();
        bare.metadata.namespace = Some("kube-public".into());
        bare.metadata.labels = Some(BTreeMap::from([("owner".into(), "helm".into())]));
        secrets.push(bare);
        let latest = latest_releases(secrets.iter());
        let found: Vec<(String, u32)> =
            latest.iter().map(|r| (r.name.clone(), r.version)).collect();
        assert_eq!(
            found,
            vec![
                ("data8-jupyterhub".to_string(), 2),
                ("other".to_string(), 7)
            ]
        );
        let h = history(secrets.iter(), "data8-jupyterhub", "kube-public");
        assert_eq!(h.iter().map(|r| r.version).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(
            history(secrets.iter(), "other", "kube-public")[0].version,
            7
        );
    }

    #[test]
    fn release_secret_round_trip_and_lenient_decoding() {
        let rec = record(3, "deployed");
        let secret = release_secret(&rec).expect("encodes");
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some("sh.helm.release.v1.data8-jupyterhub.v3")
        );
        assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
        let labels = secret.metadata.labels.clone().expect("labels");
        assert_eq!(labels["owner"], "helm");
        assert_eq!(labels["name"], "data8-jupyterhub");
        assert_eq!(labels["status"], "deployed");
        assert_eq!(labels["version"], "3");
        // data.release is base64(gzip(JSON)).
        let data = &secret.data.as_ref().expect("data")["release"].0;
        let gz = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64");
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 0x08]);
        // Through the wire format (the Secret's own base64) and back.
        let wire = serde_json::to_value(&secret).expect("serializes");
        let back: Secret = serde_json::from_value(wire).expect("deserializes");
        let decoded = decode_secret(&back).expect("decodes");
        assert_eq!(decoded, rec);
        assert_eq!(decoded.status(), ReleaseStatus::Deployed);
        assert_eq!(decoded.values()["singleuser"]["memory"]["limit"], "3G");

        // Older releases: plain JSON, unknown fields, a version as a string, missing parts.
        let plain = json!({"name": "old", "version": "2", "info": {"status": "superseded", "future_field": 1}, "hooks": [], "chart": {"metadata": {"name": "jupyterhub", "version": "3.3.8"}, "templates": []}});
        let b64 = base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&plain).expect("json"));
        let s = Secret {
            metadata: ObjectMeta {
                namespace: Some("jh".into()),
                labels: Some(BTreeMap::from([("owner".into(), "helm".into())])),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(
                "release".to_string(),
                ByteString(b64.into_bytes()),
            )])),
            ..Default::default()
        };
        let r = decode_secret(&s).expect("decodes");
        assert_eq!(
            (r.version, r.namespace.as_str(), r.status()),
            (2, "jh", ReleaseStatus::Superseded)
        );
        assert!(r.extra.contains_key("hooks"));
        assert_eq!(r.values(), json!({}));
        let garbage = Secret {
            data: Some(BTreeMap::from([(
                "release".to_string(),
                ByteString(b"!!!".to_vec()),
            )])),
            ..Default::default()
        };
        assert!(decode_secret(&garbage).is_err());
        assert!(decode_secret(&Secret::default()).is_err());

        // history / latest over a mixed set, skipping unreadable Secrets.
        let mut secrets: Vec<Secret> = (1..=3)
            .map(|v| {
                let mut s =
                    release_secret(&record(v, if v == 3 { "deployed" } else { "superseded" }))
                        .expect("encodes");
                s.metadata.namespace = Some("kube-public".into());
                s
            })
            .collect();
        secrets.push(garbage);
        let h = history(&secrets, "data8-jupyterhub", "kube-public");
        assert_eq!(
            h.iter().map(|r| r.version).collect::<Vec<_>>(),
            vec![3, 2, 1]
        );
        let latest = latest_releases(&secrets);
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].version, 3);
    }
}
