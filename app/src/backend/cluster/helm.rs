//! Helm release Secrets: Helm 3/4 store each revision of a release as a Secret
//! `sh.helm.release.v1.<release>.v<revision>` (type `helm.sh/release.v1`, labels `owner=helm`,
//! `name`, `status`, `version`) whose `data.release` is base64(gzip(JSON)) inside the Secret's
//! own base64. This module encodes (for the simulated cluster and tests) and decodes (for
//! `helm ls --all` / `helm history` equivalents) those Secrets. Decoding is lenient: unknown
//! fields are kept, missing ones default, plain (un-gzipped) JSON is accepted.

use crate::domain::cluster::{ReleaseRevision, ReleaseStatus};
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

    /// The domain view of this revision.
    pub fn to_revision(&self) -> ReleaseRevision {
        let meta = self.chart.as_ref().map(|c| &c.metadata);
        ReleaseRevision {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            revision: self.version,
            status: self.status(),
            chart_name: meta.map(|m| m.name.clone()).unwrap_or_default(),
            chart_version: meta.map(|m| m.version.clone()).unwrap_or_default(),
            app_version: meta.and_then(|m| m.app_version.clone()).unwrap_or_default(),
            first_deployed: self.info.first_deployed.clone(),
            last_deployed: self.info.last_deployed.clone(),
            description: self.info.description.clone(),
            values: if self.config.is_null() {
                Value::Object(Map::new())
            } else {
                self.config.clone()
            },
        }
    }
}

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

/// `helm history <release>`: every readable revision of one release in one storage
/// namespace, newest first. Unreadable Secrets are skipped.
pub fn history<'a>(
    secrets: impl IntoIterator<Item = &'a Secret>,
    release: &str,
    namespace: &str,
) -> Vec<ReleaseRevision> {
    let mut out: Vec<ReleaseRevision> = secrets
        .into_iter()
        .filter(|s| is_release_secret(s))
        .filter(|s| s.metadata.namespace.as_deref().unwrap_or("") == namespace)
        .filter_map(|s| decode_secret(s).ok())
        .filter(|r| r.name == release)
        .map(|r| r.to_revision())
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.revision));
    out
}

/// `helm ls --all -A`: the latest revision of every release, by namespace and name.
pub fn latest_releases<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Vec<ReleaseRevision> {
    let mut latest: BTreeMap<(String, String), ReleaseRevision> = BTreeMap::new();
    for s in secrets.into_iter().filter(|s| is_release_secret(s)) {
        let Ok(r) = decode_secret(s) else {
            continue;
        };
        let rev = r.to_revision();
        let key = (rev.namespace.clone(), rev.name.clone());
        if latest
            .get(&key)
            .is_none_or(|cur| cur.revision < rev.revision)
        {
            latest.insert(key, rev);
        }
    }
    latest.into_values().collect()
}
