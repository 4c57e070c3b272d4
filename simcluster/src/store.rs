//! The object store of the simulated API server: objects by resource, namespace and name, one
//! global resourceVersion counter, a bounded change history for watches (older
//! resourceVersions answer 410 Gone) and a broadcast of every change to open watches.

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One committed change.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    /// The resource key (`group/plural`).
    pub resource: String,
    pub namespace: String,
    pub name: String,
    pub kind: ChangeKind,
    /// The object before the change (for selector transitions in watches).
    pub old: Option<Arc<Value>>,
    /// The object after the change; for deletions, the last state stamped with the
    /// deletion's resourceVersion.
    pub object: Arc<Value>,
}

type Objects = BTreeMap<(String, String), Arc<Value>>;

#[derive(Debug)]
pub struct ObjectStore {
    rv: u64,
    objects: HashMap<String, Objects>,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// Watches must start at or after this resourceVersion.
    compacted_rv: u64,
    tx: broadcast::Sender<Arc<Change>>,
    /// Changes not yet seen by the controllers.
    pending: Vec<Arc<Change>>,
}

/// The requested resourceVersion is older than the retained history.
#[derive(Debug, Clone, Copy)]
pub struct Gone;

fn set_rv(obj: &mut Value, rv: u64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".to_string(), json!(rv.to_string()));
    }
}

impl ObjectStore {
    pub fn new(history_limit: usize) -> Self {
        let (tx, _) = broadcast::channel(16_384);
        Self {
            rv: 1,
            objects: HashMap::new(),
            history: VecDeque::new(),
            history_limit: history_limit.max(16),
            compacted_rv: 1,
            tx,
            pending: Vec::new(),
        }
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    pub fn get(&self, resource: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.objects
            .get(resource)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects of a resource, in one namespace or all (`None`), ordered by namespace, name.
    pub fn list<'a>(
        &'a self,
        resource: &str,
        ns: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Arc<Value>> + 'a> {
        let Some(objs) = self.objects.get(resource) else {
            return Box::new(std::iter::empty());
        };
        match ns {
            Some(ns) => Box::new(
                objs.range((ns.to_string(), String::new())..)
                    .take_while(move |((n, _), _)| n == ns)
                    .map(|(_, v)| v),
            ),
            None => Box::new(objs.values()),
        }
    }

    /// Objects after a `(namespace, name)` key (pagination).
    pub fn list_after<'a>(
        &'a self,
        resource: &str,
        after: (String, String),
    ) -> Box<dyn Iterator<Item = &'a Arc<Value>> + 'a> {
        let Some(objs) = self.objects.get(resource) else {
            return Box::new(std::iter::empty());
        };
        Box::new(
            objs.range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
                .map(|(_, v)| v),
        )
    }

    pub fn count(&self, resource: &str) -> usize {
        self.objects.get(resource).map_or(0, BTreeMap::len)
    }

    fn record(&mut self, change: Change) {
        let change = Arc::new(change);
        self.history.push_back(change.clone());
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
        self.pending.push(change.clone());
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    /// Stores an object (create or update), stamping a new resourceVersion.
    pub fn put(&mut self, resource: &str, ns: &str, name: &str, mut obj: Value) -> Arc<Value> {
        self.rv += 1;
        set_rv(&mut obj, self.rv);
        let obj = Arc::new(obj);
        let old = self
            .objects
            .entry(resource.to_string())
            .or_default()
            .insert((ns.to_string(), name.to_string()), obj.clone());
        let kind = if old.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(Change {
            rv: self.rv,
            resource: resource.to_string(),
            namespace: ns.to_string(),
            name: name.to_string(),
            kind,
            old,
            object: obj.clone(),
        });
        obj
    }

    /// Removes an object; returns its last state stamped with the deletion's resourceVersion.
    pub fn remove(&mut self, resource: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        let old = self
            .objects
            .get_mut(resource)?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        let mut last = (*old).clone();
        set_rv(&mut last, self.rv);
        let last = Arc::new(last);
        self.record(Change {
            rv: self.rv,
            resource: resource.to_string(),
            namespace: ns.to_string(),
            name: name.to_string(),
            kind: ChangeKind::Deleted,
            old: Some(old),
            object: last.clone(),
        });
        Some(last)
    }

    /// Changes after `rv` (exclusive), or `Gone` when that part of history was compacted.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Arc<Change>>, Gone> {
        if rv < self.compacted_rv {
            return Err(Gone);
        }
        Ok(self.history.iter().filter(|c| c.rv > rv).cloned().collect())
    }

    /// Forgets the change history: every watch from an older resourceVersion gets 410 Gone.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }

    /// Changes not yet handed to the controllers.
    pub fn take_pending(&mut self) -> Vec<Arc<Change>> {
        std::mem::take(&mut self.pending)
    }

    /// The resources that have objects (for namespace deletion).
    pub fn resources(&self) -> Vec<String> {
        self.objects.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_and_gone() {
        let mut s = ObjectStore::new(16);
        let a = s.put("/pods", "ns", "a", json!({"metadata": {"name": "a"}}));
        assert_eq!(a["metadata"]["resourceVersion"], "2");
        s.put("/pods", "ns", "b", json!({"metadata": {"name": "b"}}));
        assert_eq!(s.list("/pods", Some("ns")).count(), 2);
        assert_eq!(s.changes_since(2).map(|c| c.len()).unwrap_or(99), 1);
        let gone = s
            .remove("/pods", "ns", "a")
            .map(|v| v["metadata"]["resourceVersion"].clone());
        assert_eq!(gone, Some(json!("4")));
        s.compact();
        assert!(s.changes_since(3).is_err());
        assert!(s.changes_since(4).is_ok());
    }
}
