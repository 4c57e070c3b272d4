//! What a [`crate::Simulator`] and its clones share: the cluster state behind a mutex, the
//! reachability switch and the real-time ticker. The API front end (`api`) works on this, so
//! it does not depend on the crate root that wraps it.

use crate::state::SimState;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub struct Shared {
    pub state: Mutex<SimState>,
    pub reachable: tokio::sync::watch::Sender<bool>,
    pub ticker: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn reachable_watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.reachable.subscribe()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(t) = self
            .ticker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            t.abort();
        }
    }
}
