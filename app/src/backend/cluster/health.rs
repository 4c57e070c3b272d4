//! Explaining a pod's status: from phase, container states, the `PodScheduled` condition and
//! recent Events to a [`PodHealth`] with Kubernetes' own message and a suggestion.

use crate::domain::cluster::{PodHealth, PodState};
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};
use std::sync::Arc;

fn hint_for_scheduling(message: &str) -> Option<String> {
    if message.contains("Insufficient memory") {
        Some(
            "No node has enough free memory for this server's memory guarantee. Lower the \
             profile's guarantee, stop idle servers, or add nodes."
                .to_string(),
        )
    } else if message.contains("Insufficient cpu") {
        Some(
            "No node has enough free CPU for this server's CPU guarantee. Lower the profile's \
             guarantee, stop idle servers, or add nodes."
                .to_string(),
        )
    } else if message.contains("unbound immediate PersistentVolumeClaims")
        || message.contains("persistentvolumeclaim")
    {
        Some(
            "A volume of this server is not ready. Check the home or shared volume's \
             StorageClass and the volume's events."
                .to_string(),
        )
    } else if message.contains("node affinity/selector") {
        Some("No node matches the profile's node selector.".to_string())
    } else if message.contains("untolerated taint") || message.contains("unschedulable") {
        Some("The suitable nodes are cordoned or tainted.".to_string())
    } else {
        None
    }
}

fn first_container(pod: &Pod) -> Option<&ContainerStatus> {
    pod.status.as_ref()?.container_statuses.as_ref()?.first()
}

fn memory_limit(pod: &Pod) -> Option<String> {
    let c = pod.spec.as_ref()?.containers.first()?;
    Some(
        c.resources
            .as_ref()?
            .limits
            .as_ref()?
            .get("memory")?
            .0
            .clone(),
    )
}

/// The newest Warning event's message.
fn latest_warning(events: &[Arc<Event>]) -> Option<String> {
    events
        .iter()
        .rev()
        .find(|e| e.type_.as_deref() == Some("Warning"))
        .and_then(|e| e.message.clone())
}

/// Explains a pod. `events` are the pod's events, oldest first (e.g.
/// `ClusterStores::events_for(uid)`); they fill in details the status lacks.
pub fn pod_health(pod: &Pod, events: &[Arc<Event>]) -> PodHealth {
    let status = pod.status.clone().unwrap_or_default();
    let phase = status
        .phase
        .clone()
        .unwrap_or_else(|| "Unknown".to_string());
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    let container = first_container(pod);
    let restarts = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| {
            cs.iter()
                .map(|c| u32::try_from(c.restart_count).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let waiting = container.and_then(|c| c.state.as_ref()?.waiting.clone());
    let terminated = container.and_then(|c| c.state.as_ref()?.terminated.clone());
    let last_terminated = container.and_then(|c| c.last_state.as_ref()?.terminated.clone());
    let mk = |state: PodState, detail: Option<String>, hint: Option<String>| PodHealth {
        state,
        phase: phase.clone(),
        ready,
        detail,
        hint,
        restarts,
        node: node.clone(),
    };

    if status.reason.as_deref() == Some("Evicted") {
        return mk(
            PodState::Evicted,
            status.message.clone(),
            Some(
                "The node ran short of memory and stopped this server. Start it again; a \
                 larger memory guarantee makes this less likely."
                    .to_string(),
            ),
        );
    }
    if let Some(w) = &waiting {
        let reason = w.reason.as_deref().unwrap_or("");
        if matches!(
            reason,
            "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName"
        ) {
            return mk(
                PodState::ImagePullFailed,
                w.message.clone().or_else(|| latest_warning(events)),
                Some(
                    "Check the image name and tag in the profile, and that the nodes can \
                     reach the registry."
                        .to_string(),
                ),
            );
        }
    }
    let oom = terminated
        .as_ref()
        .or(last_terminated.as_ref())
        .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"));
    if oom {
        let limit = memory_limit(pod)
            .map(|l| format!(" ({l} bytes)"))
            .unwrap_or_default();
        return mk(
            PodState::OomKilled,
            Some(format!(
                "The container was killed for using more memory than its limit{limit}."
            )),
            Some(
                "Raise the profile's memory limit, or use less memory in the notebook.".to_string(),
            ),
        );
    }
    if let Some(w) = &waiting
        && w.reason.as_deref() == Some("CrashLoopBackOff")
    {
        let last = last_terminated
            .as_ref()
            .map(|t| {
                format!(
                    "The container exited with code {} ({}).",
                    t.exit_code,
                    t.reason.clone().unwrap_or_default()
                )
            })
            .or_else(|| w.message.clone());
        return mk(
            PodState::CrashLooping,
            last,
            Some("Read the server's log for the error.".to_string()),
        );
    }
    match phase.as_str() {
        "Running" if ready => mk(PodState::Running, None, None),
        "Running" => mk(PodState::Starting, None, None),
        "Succeeded" => mk(PodState::Completed, None, None),
        "Failed" => mk(
            PodState::Failed,
            status
                .message
                .clone()
                .or_else(|| {
                    terminated
                        .as_ref()
                        .and_then(|t| t.message.clone().or(t.reason.clone()))
                })
                .or_else(|| latest_warning(events)),
            Some("Read the log and the events of this pod.".to_string()),
        ),
        "Pending" => {
            let unschedulable = status
                .conditions
                .as_ref()
                .and_then(|cs| {
                    cs.iter()
                        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
                })
                .map(|c| c.message.clone().unwrap_or_default());
            if let Some(msg) = unschedulable {
                let detail = if msg.is_empty() {
                    latest_warning(events)
                } else {
                    Some(msg)
                };
                let hint = detail.as_deref().and_then(hint_for_scheduling);
                return mk(PodState::Unschedulable, detail, hint);
            }
            if node.is_some() {
                mk(PodState::Starting, waiting.and_then(|w| w.reason), None)
            } else {
                mk(PodState::Scheduling, None, None)
            }
        }
        _ => mk(PodState::Unknown, None, None),
    }
}
