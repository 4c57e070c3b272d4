//! Helm release Secrets as the portal shows them: the codec lives in `clusterkit::helm`
//! (shared with the simulated cluster); this module turns its records into the domain's
//! [`ReleaseRevision`] (`helm ls --all` / `helm history` rows).

use crate::domain::cluster::{ReleaseRevision, ReleaseStatus};
pub use clusterkit::helm::{
    ChartMetadata, ChartRecord, HelmCodecError, RELEASE_SECRET_SELECTOR, RELEASE_SECRET_TYPE,
    ReleaseInfo, ReleaseRecord, decode_release, decode_secret, encode_release, is_release_secret,
    release_secret, secret_name,
};
use k8s_openapi::api::core::v1::Secret;

/// The domain view of one revision.
pub fn to_revision(record: &ReleaseRecord) -> ReleaseRevision {
    let meta = record.chart.as_ref().map(|c| &c.metadata);
    ReleaseRevision {
        name: record.name.clone(),
        namespace: record.namespace.clone(),
        revision: record.version,
        status: ReleaseStatus::parse(&record.info.status),
        chart_name: meta.map(|m| m.name.clone()).unwrap_or_default(),
        chart_version: meta.map(|m| m.version.clone()).unwrap_or_default(),
        app_version: meta.and_then(|m| m.app_version.clone()).unwrap_or_default(),
        first_deployed: record.info.first_deployed.clone(),
        last_deployed: record.info.last_deployed.clone(),
        description: record.info.description.clone(),
        values: record.values(),
    }
}

/// `helm history <release>`: every readable revision of one release in one storage
/// namespace, newest first. Unreadable Secrets are skipped.
pub fn history<'a>(
    secrets: impl IntoIterator<Item = &'a Secret>,
    release: &str,
    namespace: &str,
) -> Vec<ReleaseRevision> {
    clusterkit::helm::history(secrets, release, namespace)
        .iter()
        .map(to_revision)
        .collect()
}

/// `helm ls --all -A`: the latest revision of every release, by namespace and name.
pub fn latest_releases<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Vec<ReleaseRevision> {
    clusterkit::helm::latest_releases(secrets)
        .iter()
        .map(to_revision)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn revisions_for_the_portal() {
        let rec = ReleaseRecord {
            name: "data8-jupyterhub".into(),
            namespace: "kube-public".into(),
            version: 3,
            info: ReleaseInfo {
                status: "deployed".into(),
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
            ..Default::default()
        };
        let mut secret = release_secret(&rec).expect("encodes");
        secret.metadata.namespace = Some("kube-public".into());
        let rev = to_revision(&decode_secret(&secret).expect("decodes"));
        assert_eq!(rev.status, ReleaseStatus::Deployed);
        assert_eq!(rev.chart_label(), "jupyterhub-4.4.0");
        assert_eq!(rev.app_version, "5.5.0");
        assert_eq!(rev.values["singleuser"]["memory"]["limit"], "3G");
        let bare = ReleaseRecord {
            info: ReleaseInfo {
                status: "superseded".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(to_revision(&bare).values, json!({}));
        assert_eq!(to_revision(&bare).status, ReleaseStatus::Superseded);
        let secrets = [secret];
        assert_eq!(
            history(&secrets, "data8-jupyterhub", "kube-public")[0].revision,
            3
        );
        assert_eq!(
            latest_releases(&secrets)[0].chart_label(),
            "jupyterhub-4.4.0"
        );
    }
}
