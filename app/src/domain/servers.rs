//! Every user's servers as administrators see them: one row per user and server, and the
//! search, filters, sort and paging of that list. The rows are made on the server from the
//! watch stores; choosing which of them to show is plain, pure code here (and tested here).

use super::cluster::{PodHealth, PodState};
use super::environment::MyVolume;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Where the Servers page listens for changes (server-sent events, administrators only).
pub const EVENTS_PATH: &str = "/api/v1/servers/events";

/// Rows per page unless the query asks otherwise, and the most it may ask for.
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 200;

/// One user's server (a pod KubeSpawner started) and its home volume; or, for a home volume
/// without a server pod, a stopped server (state [`PodState::Stopped`], no pod).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerRow {
    /// From the `hub.jupyter.org/username` annotation.
    pub user: String,
    /// JupyterHub's server name (empty for the default server).
    pub server_name: String,
    /// Empty for a stopped server.
    pub pod: String,
    pub namespace: String,
    /// The Helm release (the pod's `release` label), empty when unknown.
    pub hub: String,
    /// The pod's `hubfleet.io/profile` annotation.
    pub profile: Option<String>,
    /// The portal's hub of that namespace and release, when there is one (start / stop go
    /// through its REST API).
    #[serde(default)]
    pub hub_id: Option<i64>,
    pub health: PodHealth,
    pub image: String,
    /// Requests and limits of the notebook container, as the pod has them ("500m", "4G").
    pub cpu_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_request: Option<String>,
    pub memory_limit: Option<String>,
    /// When the pod started (RFC 3339), and how many seconds ago that was when the list was
    /// read (`None` before it has started).
    pub started_at: Option<String>,
    pub age_seconds: Option<i64>,
    /// The home volume with the same user and server annotations, if any.
    pub home: Option<MyVolume>,
}

/// The list's query, as in the page's query string. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerQuery {
    /// Text searched for (ignoring case) in the user, server name, image and node.
    #[serde(default)]
    pub q: String,
    /// A [`PodState::key`], or `problem` for every state that needs attention.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub profile: String,
    #[serde(default)]
    pub node: String,
    #[serde(default)]
    pub namespace: String,
    /// `user` (default), `status`, `age` or `restarts`.
    #[serde(default)]
    pub sort: String,
    /// `desc` for descending; anything else ascending.
    #[serde(default)]
    pub dir: String,
    /// 1-based; empty or invalid means the first page.
    #[serde(default)]
    pub page: String,
    /// Rows per page: empty means [`DEFAULT_PAGE_SIZE`], at most [`MAX_PAGE_SIZE`].
    #[serde(default)]
    pub per_page: String,
}

/// The columns the list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSort {
    User,
    Status,
    Age,
    Restarts,
}

impl ServerSort {
    pub const ALL: [ServerSort; 4] = [
        ServerSort::User,
        ServerSort::Status,
        ServerSort::Age,
        ServerSort::Restarts,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ServerSort::User => "user",
            ServerSort::Status => "status",
            ServerSort::Age => "age",
            ServerSort::Restarts => "restarts",
        }
    }
}

/// The `status` filter value for "every state that needs attention".
pub const PROBLEM_FILTER: &str = "problem";

impl ServerQuery {
    pub fn sort_by(&self) -> ServerSort {
        ServerSort::ALL
            .into_iter()
            .find(|s| s.key() == self.sort.trim())
            .unwrap_or(ServerSort::User)
    }

    pub fn descending(&self) -> bool {
        self.dir.trim() == "desc"
    }

    pub fn page_number(&self) -> usize {
        positive(&self.page).unwrap_or(1)
    }

    pub fn page_size(&self) -> usize {
        positive(&self.per_page)
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .min(MAX_PAGE_SIZE)
    }

    /// The query's fields as `key=value` pairs, empty ones left out (for links).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("status", &self.status),
            ("profile", &self.profile),
            ("node", &self.node),
            ("namespace", &self.namespace),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("page", &self.page),
            ("per_page", &self.per_page),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect()
    }

    /// Builds a query from `key → value` lookups (e.g. the page's query string).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let g = |k: &str| get(k).unwrap_or_default();
        ServerQuery {
            q: g("q"),
            status: g("status"),
            profile: g("profile"),
            node: g("node"),
            namespace: g("namespace"),
            sort: g("sort"),
            dir: g("dir"),
            page: g("page"),
            per_page: g("per_page"),
        }
    }

    /// Whether anything narrows the list (search or a filter).
    pub fn is_filtered(&self) -> bool {
        [
            &self.q,
            &self.status,
            &self.profile,
            &self.node,
            &self.namespace,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    /// Whether row `r` passes the search and filters; `text` is the search lowercased once
    /// per query, `haystack` the row's searched fields lowercased once per build.
    fn matches(&self, r: &ServerRow, text: &str, haystack: &str) -> bool {
        let eq = |want: &str, have: Option<&str>| {
            let want = want.trim();
            want.is_empty() || have == Some(want)
        };
        let status = self.status.trim();
        let status_ok = status.is_empty()
            || (status == PROBLEM_FILTER && r.health.state.is_problem())
            || status == r.health.state.key();
        status_ok
            && (text.is_empty() || haystack.contains(text))
            && eq(&self.profile, r.profile.as_deref())
            && eq(&self.node, r.health.node.as_deref())
            && eq(&self.namespace, Some(r.namespace.as_str()))
    }
}

fn positive(s: &str) -> Option<usize> {
    s.trim().parse::<usize>().ok().filter(|n| *n > 0)
}

/// The values each filter can take, from every row (so a filter never hides its own options).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFacets {
    /// `(key, label, how many rows)`, in [`status_rank`] order.
    pub statuses: Vec<(String, String, usize)>,
    pub profiles: Vec<String>,
    pub nodes: Vec<String>,
    pub namespaces: Vec<String>,
}

/// One page of the list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerPage {
    pub rows: Vec<ServerRow>,
    /// Rows matching the search and filters (all pages).
    pub total: usize,
    /// Every server known, before searching and filtering.
    pub all: usize,
    /// How many servers need attention (of all).
    pub problems: usize,
    /// The page shown (1-based; the last page when the query asked for one past it).
    pub page: usize,
    pub page_size: usize,
    pub facets: ServerFacets,
    /// Why the list is empty or may be stale (cluster not connected yet, unreachable).
    pub cluster_note: Option<String>,
}

impl ServerPage {
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.page_size.max(1)).max(1)
    }
}

/// Sort order of states for "status": what needs attention first, then what is on its way,
/// then what runs.
pub fn status_rank(s: PodState) -> u8 {
    match s {
        PodState::Unschedulable => 0,
        PodState::ImagePullFailed => 1,
        PodState::OomKilled => 2,
        PodState::CrashLooping => 3,
        PodState::Evicted => 4,
        PodState::Failed => 5,
        PodState::Unknown => 6,
        PodState::Scheduling => 7,
        PodState::Starting => 8,
        PodState::Running => 9,
        PodState::Completed => 10,
        PodState::Stopped => 11,
    }
}

fn compare(by: ServerSort, a: &ServerRow, b: &ServerRow) -> Ordering {
    match by {
        ServerSort::User => Ordering::Equal,
        ServerSort::Status => status_rank(a.health.state).cmp(&status_rank(b.health.state)),
        // Youngest first; a server that has not started yet is younger than any.
        ServerSort::Age => a
            .age_seconds
            .unwrap_or(i64::MIN)
            .cmp(&b.age_seconds.unwrap_or(i64::MIN)),
        ServerSort::Restarts => a.health.restarts.cmp(&b.health.restarts),
    }
}

/// Ties after the user's name: server name, namespace, pod.
fn tie(a: &ServerRow, b: &ServerRow) -> Ordering {
    a.server_name
        .cmp(&b.server_name)
        .then_with(|| a.namespace.cmp(&b.namespace))
        .then_with(|| a.pod.cmp(&b.pod))
}

fn sorted_set(values: impl Iterator<Item = String>) -> Vec<String> {
    let set: std::collections::BTreeSet<String> = values.filter(|v| !v.is_empty()).collect();
    set.into_iter().collect()
}

fn facets(rows: &[ServerRow]) -> ServerFacets {
    let mut states: Vec<(PodState, usize)> = Vec::new();
    for r in rows {
        match states.iter_mut().find(|(s, _)| *s == r.health.state) {
            Some((_, n)) => *n += 1,
            None => states.push((r.health.state, 1)),
        }
    }
    states.sort_by_key(|(s, _)| status_rank(*s));
    ServerFacets {
        statuses: states
            .into_iter()
            .map(|(s, n)| (s.key().to_string(), s.label().to_string(), n))
            .collect(),
        profiles: sorted_set(rows.iter().filter_map(|r| r.profile.clone())),
        nodes: sorted_set(rows.iter().filter_map(|r| r.health.node.clone())),
        namespaces: sorted_set(rows.iter().map(|r| r.namespace.clone())),
    }
}

/// The page of `rows` that `q` asks for: searched, filtered, sorted (ties by user, then server
/// name), cut to one page, with the total and every filter's values.
pub fn select(rows: Vec<ServerRow>, q: &ServerQuery) -> ServerPage {
    ServerIndex::new(rows).select(q, q.page_size(), 0)
}

/// Rows made once (when the cluster's pods or volumes change) and asked many times: with
/// the filters' values, the count of problems, each row's searched text lowercased, and each
/// sort order computed the first time a query asks for it. A query then costs one pass over
/// the order it asks for (none without search or filters) and a copy of one page of rows.
#[derive(Debug, Default)]
pub struct ServerIndex {
    rows: Vec<ServerRow>,
    facets: ServerFacets,
    problems: usize,
    /// Per row: user, server name, image and node, lowercased, joined by newlines.
    haystacks: Vec<String>,
    /// Per row: the user lowercased (the name order).
    names: Vec<String>,
    /// Row positions in each [`ServerSort`] order (by its index in [`ServerSort::ALL`]),
    /// ascending and descending.
    orders: [[std::sync::OnceLock<Vec<u32>>; 2]; 4],
}

impl ServerIndex {
    pub fn new(rows: Vec<ServerRow>) -> Self {
        let lower = |s: &str| s.to_lowercase();
        Self {
            facets: facets(&rows),
            problems: rows.iter().filter(|r| r.health.state.is_problem()).count(),
            haystacks: rows
                .iter()
                .map(|r| {
                    [
                        r.user.as_str(),
                        r.server_name.as_str(),
                        r.image.as_str(),
                        r.health.node.as_deref().unwrap_or_default(),
                    ]
                    .map(lower)
                    .join("\n")
                })
                .collect(),
            names: rows.iter().map(|r| lower(&r.user)).collect(),
            rows,
            orders: Default::default(),
        }
    }

    /// Row positions sorted by `by` (ties by user ignoring case, server name, namespace, pod),
    /// made on first use.
    fn order(&self, by: ServerSort, desc: bool) -> &[u32] {
        let slot = ServerSort::ALL.iter().position(|s| *s == by).unwrap_or(0);
        self.orders[slot][usize::from(desc)].get_or_init(|| {
            let mut order: Vec<u32> = (0..self.rows.len())
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect();
            order.sort_by(|&a, &b| {
                let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
                let by_name = || {
                    self.names[a as usize]
                        .cmp(&self.names[b as usize])
                        .then_with(|| tie(ra, rb))
                };
                let primary = if by == ServerSort::User {
                    by_name()
                } else {
                    compare(by, ra, rb)
                };
                let primary = if desc { primary.reverse() } else { primary };
                primary.then_with(by_name)
            });
            order
        })
    }

    /// The page `q` asks for, with pages of `page_size` rows (`usize::MAX`: every matching
    /// row on one page); ages shifted by `age_shift` seconds (the time since the rows were
    /// made).
    pub fn select(&self, q: &ServerQuery, page_size: usize, age_shift: i64) -> ServerPage {
        let page_size = page_size.max(1);
        let order = self.order(q.sort_by(), q.descending());
        let text = q.q.trim().to_lowercase();
        let wanted = q.page_number();
        // Positions of the matching rows, in order; without search or filters, all of them.
        let matching: Vec<u32>;
        let shown: &[u32] = if q.is_filtered() {
            matching = order
                .iter()
                .copied()
                .filter(|&i| q.matches(&self.rows[i as usize], &text, &self.haystacks[i as usize]))
                .collect();
            &matching
        } else {
            order
        };
        let total = shown.len();
        let last = total.div_ceil(page_size).max(1);
        let page = wanted.min(last);
        let start = (page - 1).saturating_mul(page_size).min(total);
        let end = start.saturating_add(page_size).min(total);
        let rows = shown[start..end]
            .iter()
            .map(|&i| {
                let mut r = self.rows[i as usize].clone();
                r.age_seconds = r.age_seconds.map(|a| a.saturating_add(age_shift));
                r
            })
            .collect();
        ServerPage {
            rows,
            total,
            all: self.rows.len(),
            problems: self.problems,
            page,
            page_size,
            facets: self.facets.clone(),
            cluster_note: None,
        }
    }
}

/// "3d 4h", "2h 5m", "4m", "12s": how long a server has been running.
pub fn age_text(seconds: Option<i64>) -> String {
    let Some(s) = seconds else {
        return "not started".to_string();
    };
    let s = s.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

/// "500m / 2" (request / limit); "1 GiB / no limit"; "not set" when neither is.
pub fn request_limit_text(request: Option<&str>, limit: Option<&str>) -> String {
    match (request, limit) {
        (None, None) => "not set".to_string(),
        (r, l) => format!("{} / {}", r.unwrap_or("none"), l.unwrap_or("no limit")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: &str, state: PodState) -> ServerRow {
        ServerRow {
            user: user.into(),
            server_name: String::new(),
            pod: format!("jupyter-{user}"),
            namespace: "jhub".into(),
            hub: "physics-hub".into(),
            profile: Some("Standard".into()),
            hub_id: None,
            health: PodHealth {
                state,
                phase: "Running".into(),
                ready: state == PodState::Running,
                detail: None,
                hint: None,
                restarts: 0,
                node: Some("node-a".into()),
            },
            image: "quay.io/jupyter/scipy-notebook:2024-05-01".into(),
            cpu_request: Some("500m".into()),
            cpu_limit: Some("2".into()),
            memory_request: Some("1G".into()),
            memory_limit: Some("4G".into()),
            started_at: Some("2026-01-01T00:00:00Z".into()),
            age_seconds: Some(60),
            home: None,
        }
    }

    fn users(p: &ServerPage) -> Vec<&str> {
        p.rows.iter().map(|r| r.user.as_str()).collect()
    }

    /// The orders an index makes once are the orders a plain sort of the rows gives (ties by
    /// user ignoring case, then server name), for every column and direction; pages of one
    /// query cover the rows once; ages move on by the time since the build.
    #[test]
    fn an_index_answers_like_a_plain_sort_and_shifts_ages() {
        let mut rows = sample();
        for (i, name) in ["Ada", "bob", "ada"].into_iter().enumerate() {
            let mut r = row(name, PodState::Running);
            r.server_name = format!("s{i}");
            r.pod = format!("jupyter-{name}-{i}");
            r.age_seconds = Some(60 * i as i64);
            r.health.restarts = u32::try_from(i).unwrap();
            rows.push(r);
        }
        let index = ServerIndex::new(rows.clone());
        for by in ServerSort::ALL {
            for desc in [false, true] {
                let q = ServerQuery {
                    sort: by.key().into(),
                    dir: if desc { "desc".into() } else { String::new() },
                    ..Default::default()
                };
                let mut plain: Vec<&ServerRow> = rows.iter().collect();
                plain.sort_by(|a, b| {
                    let name = |a: &ServerRow, b: &ServerRow| {
                        a.user
                            .to_lowercase()
                            .cmp(&b.user.to_lowercase())
                            .then_with(|| tie(a, b))
                    };
                    let primary = if by == ServerSort::User {
                        name(a, b)
                    } else {
                        compare(by, a, b)
                    };
                    let primary = if desc { primary.reverse() } else { primary };
                    primary.then_with(|| name(a, b))
                });
                let want: Vec<&str> = plain.iter().map(|r| r.pod.as_str()).collect();
                let page = index.select(&q, usize::MAX, 0);
                let got: Vec<&str> = page.rows.iter().map(|r| r.pod.as_str()).collect();
                assert_eq!(got, want, "{by:?} desc={desc}");
                // Pages of two cover the same rows in the same order.
                let mut paged = Vec::new();
                for n in 1..=4 {
                    let q = ServerQuery {
                        page: n.to_string(),
                        ..q.clone()
                    };
                    paged.extend(index.select(&q, 2, 0).rows.into_iter().map(|r| r.pod));
                }
                assert_eq!(paged, want, "{by:?} desc={desc}");
            }
        }
        let later = index.select(&ServerQuery::default(), usize::MAX, 30);
        let ada = later.rows.iter().find(|r| r.pod == "jupyter-ada").unwrap();
        assert_eq!(ada.age_seconds, Some(3_630));
        let ken = later.rows.iter().find(|r| r.user == "Ken").unwrap();
        assert_eq!(ken.age_seconds, None, "not started stays not started");
    }

    fn sample() -> Vec<ServerRow> {
        let mut ada = row("ada", PodState::Running);
        ada.age_seconds = Some(3_600);
        ada.health.restarts = 1;
        let mut ken = row("Ken", PodState::ImagePullFailed);
        ken.image = "registry.example/typo:v2".into();
        ken.age_seconds = None;
        ken.health.node = Some("node-b".into());
        let mut dennis = row("dennis", PodState::OomKilled);
        dennis.health.restarts = 4;
        dennis.profile = Some("GPU".into());
        dennis.namespace = "other".into();
        let mut grace = row("grace", PodState::Starting);
        grace.age_seconds = Some(5);
        vec![ken, grace, dennis, ada]
    }

    #[test]
    fn default_is_by_user_ignoring_case_first_page_of_fifty() {
        let p = select(sample(), &ServerQuery::default());
        assert_eq!(users(&p), ["ada", "dennis", "grace", "Ken"]);
        assert_eq!((p.total, p.all, p.problems), (4, 4, 2));
        assert_eq!((p.page, p.page_size, p.pages()), (1, DEFAULT_PAGE_SIZE, 1));
    }

    #[test]
    fn search_matches_user_image_and_node_ignoring_case() {
        let q = |text: &str| ServerQuery {
            q: text.into(),
            ..Default::default()
        };
        assert_eq!(users(&select(sample(), &q("KEN"))), ["Ken"]);
        assert_eq!(users(&select(sample(), &q("typo"))), ["Ken"]);
        assert_eq!(users(&select(sample(), &q("node-b"))), ["Ken"]);
        assert_eq!(select(sample(), &q("scipy")).total, 3);
        let none = select(sample(), &q("nobody"));
        assert_eq!((none.total, none.all), (0, 4));
        assert_eq!(none.rows, []);
    }

    #[test]
    fn filters_combine_and_facets_come_from_every_row() {
        let p = select(
            sample(),
            &ServerQuery {
                status: "oom_killed".into(),
                ..Default::default()
            },
        );
        assert_eq!(users(&p), ["dennis"]);
        assert_eq!(p.facets.profiles, ["GPU", "Standard"]);
        assert_eq!(p.facets.nodes, ["node-a", "node-b"]);
        assert_eq!(p.facets.namespaces, ["jhub", "other"]);
        let keys: Vec<&str> = p.facets.statuses.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            keys,
            ["image_pull_failed", "oom_killed", "starting", "running"]
        );
        assert_eq!(p.facets.statuses[0].1, "Image pull failed");

        let problems = ServerQuery {
            status: PROBLEM_FILTER.into(),
            ..Default::default()
        };
        assert_eq!(users(&select(sample(), &problems)), ["dennis", "Ken"]);
        let both = ServerQuery {
            profile: "Standard".into(),
            node: "node-a".into(),
            namespace: "jhub".into(),
            ..Default::default()
        };
        assert_eq!(users(&select(sample(), &both)), ["ada", "grace"]);
        let unknown_status = ServerQuery {
            status: "sleeping".into(),
            ..Default::default()
        };
        assert_eq!(select(sample(), &unknown_status).total, 0);
    }

    #[test]
    fn sorts_by_status_age_and_restarts_both_ways() {
        let by = |sort: &str, dir: &str| {
            let q = ServerQuery {
                sort: sort.into(),
                dir: dir.into(),
                ..Default::default()
            };
            select(sample(), &q)
                .rows
                .into_iter()
                .map(|r| r.user)
                .collect::<Vec<_>>()
        };
        // Problems first (the unschedulable/pull failures before OOM), then starting, running.
        assert_eq!(by("status", ""), ["Ken", "dennis", "grace", "ada"]);
        assert_eq!(by("status", "desc"), ["ada", "grace", "dennis", "Ken"]);
        // Youngest first: not started yet, 5 s, 60 s, an hour.
        assert_eq!(by("age", ""), ["Ken", "grace", "dennis", "ada"]);
        assert_eq!(by("age", "desc"), ["ada", "dennis", "grace", "Ken"]);
        // Ties (no restarts) stay in user order whichever the direction.
        assert_eq!(by("restarts", ""), ["grace", "Ken", "ada", "dennis"]);
        assert_eq!(by("restarts", "desc"), ["dennis", "ada", "grace", "Ken"]);
        assert_eq!(by("user", "desc"), ["Ken", "grace", "dennis", "ada"]);
        assert_eq!(by("nonsense", ""), by("user", ""));
    }

    #[test]
    fn stopped_servers_come_last_by_status_and_need_no_attention() {
        let mut rows = sample();
        let mut eve = row("eve", PodState::Stopped);
        eve.age_seconds = None;
        rows.push(eve);
        let q = ServerQuery {
            sort: "status".into(),
            ..Default::default()
        };
        let p = select(rows.clone(), &q);
        assert_eq!(p.rows.last().map(|r| r.user.as_str()), Some("eve"));
        assert_eq!(p.problems, 2);
        let stopped = ServerQuery {
            status: "stopped".into(),
            ..Default::default()
        };
        assert_eq!(users(&select(rows, &stopped)), ["eve"]);
    }

    #[test]
    fn pages_are_cut_after_sorting_and_clamped() {
        let many: Vec<ServerRow> = (0..120)
            .map(|i| row(&format!("user{i:03}"), PodState::Running))
            .collect();
        let q = |page: &str, per_page: &str| ServerQuery {
            page: page.into(),
            per_page: per_page.into(),
            ..Default::default()
        };
        let p = select(many.clone(), &q("3", ""));
        assert_eq!((p.page, p.pages(), p.total, p.rows.len()), (3, 3, 120, 20));
        assert_eq!(p.rows[0].user, "user100");
        // Past the end: the last page; nonsense: the first; the size is capped at 200.
        assert_eq!(select(many.clone(), &q("9", "")).page, 3);
        assert_eq!(select(many.clone(), &q("x", "0")).page, 1);
        assert_eq!(
            select(many.clone(), &q("", "0")).page_size,
            DEFAULT_PAGE_SIZE
        );
        let big = select(many.clone(), &q("", "5000"));
        assert_eq!((big.page_size, big.rows.len()), (MAX_PAGE_SIZE, 120));
        let ten = select(many, &q("2", "10"));
        assert_eq!(
            (ten.page, ten.pages(), ten.rows[0].user.as_str()),
            (2, 12, "user010")
        );
        // An empty list is one empty page.
        let empty = select(Vec::new(), &ServerQuery::default());
        assert_eq!((empty.page, empty.pages(), empty.total), (1, 1, 0));
    }

    #[test]
    fn query_round_trips_through_its_pairs() {
        let q = ServerQuery {
            q: " ada ".into(),
            status: "running".into(),
            sort: "age".into(),
            dir: "desc".into(),
            page: "2".into(),
            ..Default::default()
        };
        let pairs = q.pairs();
        assert_eq!(
            pairs,
            [
                ("q", "ada".to_string()),
                ("status", "running".into()),
                ("sort", "age".into()),
                ("dir", "desc".into()),
                ("page", "2".into())
            ]
        );
        let back = ServerQuery::from_lookup(|k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        });
        assert_eq!(back.sort_by(), ServerSort::Age);
        assert!(back.descending() && back.is_filtered());
        assert_eq!(back.page_number(), 2);
        assert!(!ServerQuery::default().is_filtered());
    }

    #[test]
    fn texts() {
        assert_eq!(age_text(None), "not started");
        assert_eq!(age_text(Some(12)), "12s");
        assert_eq!(age_text(Some(4 * 60 + 3)), "4m");
        assert_eq!(age_text(Some(2 * 3_600 + 5 * 60)), "2h 5m");
        assert_eq!(age_text(Some(3 * 86_400 + 4 * 3_600)), "3d 4h");
        assert_eq!(age_text(Some(-3)), "0s");
        assert_eq!(request_limit_text(Some("500m"), Some("2")), "500m / 2");
        assert_eq!(request_limit_text(Some("1 GiB"), None), "1 GiB / no limit");
        assert_eq!(request_limit_text(None, Some("2")), "none / 2");
        assert_eq!(request_limit_text(None, None), "not set");
    }
}
