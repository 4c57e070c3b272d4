"""The generated hub.extraConfig code, run the way the z2jh hub runs it, with JupyterHub 5.5.0
and KubeSpawner 7.0.0.

Started by the Rust test `python_kubespawner_gets_the_profiles_of_each_user`
(server/tests/hub_api.rs), which serves a portal with seeded data on a loopback port and
passes, through the environment:

  HUBFLEET_VALUES_JSON  the hub's generated values, as JSON
  HUBFLEET_EXPECT_JSON  what each user must get
  HUBFLEET_URL, HUBFLEET_TOKEN, HUBFLEET_HUB  the portal, a token of the hub, the hub's name
  HUBFLEET_DOWN_URL     a URL where nothing listens

For each user it builds a KubeSpawner from the chart's configuration (the parts the values
set) plus the extraConfig code, renders the profile form, loads the user's default profile
and checks the profiles offered and the settings KubeSpawner ends up with, then builds the
server's pod spec and checks its GPU limit, tolerations and required node affinity. It picks
choices inside a profile as the spawn form submits them (a listed image and two GPUs, a
free-form image) and checks the pod spec's image, GPU limit and tolerations, and that a value
outside the pattern or an unknown choice is refused. Then it checks
that a profile the user may not use is refused, and that with the portal down (or refusing
the token) everyone gets the static profile list, which fails closed: it holds only the
profiles open to everyone, so a group member gets no restricted profile, image or volume;
and when no profile is open to everyone (HUBFLEET_CLOSED_VALUES_JSON), the hub refuses to
start servers with 503 while the portal is down.
"""

import asyncio
import json
import os
import sys
import tempfile
import time

# KubeSpawner loads a Kubernetes client configuration when it is constructed; this placeholder
# stands in for the cluster, which these checks never contact.
PLACEHOLDER_KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""
# (read by the Kubernetes client when it is imported, so set before importing KubeSpawner).
_kubeconfig = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
_kubeconfig.write(PLACEHOLDER_KUBECONFIG)
_kubeconfig.close()
os.environ["KUBECONFIG"] = _kubeconfig.name
os.environ.pop("KUBERNETES_SERVICE_HOST", None)

from jupyterhub.objects import Server  # noqa: E402
from traitlets.config import Config  # noqa: E402

from kubespawner import KubeSpawner  # noqa: E402
from tornado.web import HTTPError  # noqa: E402

# The chart's defaults for what the values leave out (z2jh 4.4.0 values.yaml).
CHART_HOME_VOLUME = "volume-{user_server}"
CHART_MEM_GUARANTEE = "1G"
# scheduling.userPods.tolerations: the chart puts them before singleuser.extraTolerations.
# scheduling.userPods.nodeAffinity.matchNodePurpose: prefer (the chart's default).
CHART_NODE_PURPOSE = {
    "weight": 100,
    "preference": {"matchExpressions": [{"key": "hub.jupyter.org/node-purpose", "operator": "In", "values": ["user"]}]},
}
CHART_USER_TOLERATIONS = [
    {"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
    {"key": "hub.jupyter.org_dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
]


class User:
    """The parts of a JupyterHub user KubeSpawner reads."""

    def __init__(self, name):
        self.name = name
        self.id = 1
        self.server = Server()
        self.url = "/user/%s/" % name

    @property
    def escaped_name(self):
        return self.name


def chart_config(values):
    """What z2jh's jupyterhub_config.py configures from the singleuser values the portal writes."""
    su = values["singleuser"]
    c = Config()
    image = su.get("image") or {}
    if image.get("name"):
        c.KubeSpawner.image = image["name"] + (":" + image["tag"] if image.get("tag") else "")
    if image.get("pullPolicy"):
        c.KubeSpawner.image_pull_policy = image["pullPolicy"]
    if image.get("pullSecrets"):
        c.KubeSpawner.image_pull_secrets = list(image["pullSecrets"])
    cpu = su.get("cpu") or {}
    memory = su.get("memory") or {}
    for trait, value in (
        ("cpu_limit", cpu.get("limit")),
        ("cpu_guarantee", cpu.get("guarantee")),
        ("mem_limit", memory.get("limit")),
        ("mem_guarantee", memory.get("guarantee", CHART_MEM_GUARANTEE)),
    ):
        if value is not None:
            setattr(c.KubeSpawner, trait, value)
    storage = su["storage"]
    dynamic = storage.get("dynamic") or {}
    template = dynamic.get("volumeNameTemplate") or CHART_HOME_VOLUME
    if storage.get("capacity"):
        c.KubeSpawner.storage_capacity = storage["capacity"]
    if dynamic.get("storageClass"):
        c.KubeSpawner.storage_class = dynamic["storageClass"]
    volumes = {template: {"name": template, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
    mounts = {template: {"mountPath": storage["homeMountPath"], "name": template}}
    volumes.update(storage.get("extraVolumes") or {})
    mounts.update(storage.get("extraVolumeMounts") or {})
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = mounts
    c.KubeSpawner.environment = dict(su.get("extraEnv") or {})
    c.KubeSpawner.node_selector = dict(su.get("nodeSelector") or {})
    c.KubeSpawner.tolerations = CHART_USER_TOLERATIONS + list(su.get("extraTolerations") or [])
    affinity = su.get("extraNodeAffinity") or {}
    c.KubeSpawner.node_affinity_required = list(affinity.get("required") or [])
    c.KubeSpawner.node_affinity_preferred = [CHART_NODE_PURPOSE] + list(affinity.get("preferred") or [])
    extra = su.get("extraResource") or {}
    c.KubeSpawner.extra_resource_limits = dict(extra.get("limits") or {})
    c.KubeSpawner.extra_resource_guarantees = dict(extra.get("guarantees") or {})
    if su.get("startTimeout") is not None:
        c.KubeSpawner.start_timeout = su["startTimeout"]
    if su.get("profileList"):
        c.KubeSpawner.profile_list = su["profileList"]
    return c


def install(values, env):
    """The chart's configuration, then hub.extraConfig executed in key order, as the hub does,
    with the literal hub.extraEnv values in the environment (as the chart sets them on the hub
    pod), then `env` (the test's own URL and token) over them."""
    os.environ.pop("HUBFLEET_REQUIRE_PROFILE", None)
    extra = values["hub"].get("extraEnv") or {}
    os.environ.update({k: v for k, v in extra.items() if isinstance(v, str)})
    os.environ.update(env)
    c = chart_config(values)
    for key, code in sorted(values["hub"]["extraConfig"].items()):
        exec(compile(code, key, "exec"), {"c": c})
    assert callable(c.KubeSpawner.profile_list), "extraConfig did not install a callable"
    return c


failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


async def spawner_for(c, name, profile=None):
    spawner = KubeSpawner(config=c, user=User(name), _mock=True)
    listed = await spawner.profile_list(spawner)
    form = await spawner.get_options_form()
    spawner.user_options = {"profile": profile} if profile else {}
    await spawner.load_user_options()
    return spawner, listed, form


def mount_paths(spawner):
    mounts = spawner.volume_mounts
    items = mounts.values() if isinstance(mounts, dict) else mounts
    return sorted(m["mountPath"] for m in items)


async def main():
    values = json.load(open(os.environ["HUBFLEET_VALUES_JSON"]))
    expect = json.load(open(os.environ["HUBFLEET_EXPECT_JSON"]))
    portal = {
        "HUBFLEET_URL": os.environ["HUBFLEET_URL"],
        "HUBFLEET_TOKEN": os.environ["HUBFLEET_TOKEN"],
        "HUBFLEET_HUB": os.environ["HUBFLEET_HUB"],
        "HUBFLEET_TIMEOUT": "3",
    }
    c = install(values, portal)

    for name, want in expect["users"].items():
        spawner, listed, form = await spawner_for(c, name)
        slugs = [p["slug"] for p in listed]
        defaults = [p["slug"] for p in listed if p.get("default")]
        check(slugs == want["slugs"], "%s is offered %s (got %s)" % (name, want["slugs"], slugs))
        check(
            defaults == ([want["default"]] if want["default"] else []),
            "%s's default is %s (got %s)" % (name, want["default"], defaults),
        )
        for slug in want["slugs"]:
            check('value="%s"' % slug in form, "%s's profile form offers %s" % (name, slug))
        eff = want["effective"]
        check(spawner.image == eff["image"], "%s runs %s (got %s)" % (name, eff["image"], spawner.image))
        check(
            spawner.cpu_limit == eff["cpu_limit"],
            "%s's CPU limit is %s (got %s)" % (name, eff["cpu_limit"], spawner.cpu_limit),
        )
        check(
            spawner.mem_limit == eff["mem_limit_bytes"],
            "%s's memory limit is %s bytes (got %s)" % (name, eff["mem_limit_bytes"], spawner.mem_limit),
        )
        check(
            spawner.mem_guarantee == eff["mem_guarantee_bytes"],
            "%s's memory guarantee is %s (got %s)"
            % (name, eff["mem_guarantee_bytes"], spawner.mem_guarantee),
        )
        check(
            sorted(spawner.environment) == sorted(eff["environment"]),
            "%s's environment has %s (got %s)" % (name, eff["environment"], sorted(spawner.environment)),
        )
        check(
            mount_paths(spawner) == sorted(eff["mount_paths"]),
            "%s's mounts are %s (got %s)" % (name, sorted(eff["mount_paths"]), mount_paths(spawner)),
        )
        check(
            spawner.extra_annotations.get("hubfleet.io/profile") == want["default"],
            "%s's pod is annotated with profile %s (got %s)"
            % (name, want["default"], spawner.extra_annotations.get("hubfleet.io/profile")),
        )
        check(
            dict(spawner.node_selector) == eff["node_selector"],
            "%s's node selector is %s (got %s)" % (name, eff["node_selector"], dict(spawner.node_selector)),
        )
        # The pod KubeSpawner would create: GPU limit, tolerations, required node affinity.
        pod = await spawner.get_pod_manifest()
        limits = pod.spec.containers[0].resources.limits or {}
        extra = {k: v for k, v in limits.items() if k not in ("cpu", "memory")}
        check(
            extra == eff["extra_resource_limits"],
            "%s's pod has the extra limits %s (got %s)" % (name, eff["extra_resource_limits"], extra),
        )
        keys = [t.key for t in pod.spec.tolerations or []]
        check(
            keys == eff["tolerations"],
            "%s's pod tolerates %s (got %s)" % (name, eff["tolerations"], keys),
        )
        affinity = pod.spec.affinity and pod.spec.affinity.node_affinity
        required = affinity and affinity.required_during_scheduling_ignored_during_execution
        expressions = [
            [m["key"] if isinstance(m, dict) else m.key,
             m["operator"] if isinstance(m, dict) else m.operator,
             m["values"] if isinstance(m, dict) else m.values]
            for term in (required.node_selector_terms if required else [])
            for m in (term["matchExpressions"] if isinstance(term, dict) else term.match_expressions)
        ]
        check(
            expressions == eff["node_affinity"],
            "%s's pod requires nodes %s (got %s)" % (name, eff["node_affinity"], expressions),
        )

    # Choices inside a profile, as the spawn form submits them.
    _, _, form = await spawner_for(c, "alice")
    for needle in expect["choice_form"]:
        check(needle in form, "alice's spawn form has %s" % needle)
    for case in expect["choices"]:
        spawner = KubeSpawner(config=c, user=User(case["user"]), _mock=True)
        spawner.user_options = spawner.options_from_form(case["form"])
        await spawner.load_user_options()
        what = "%s with %s" % (case["user"], case["form"])
        check(spawner.image == case["image"], "%s runs %s (got %s)" % (what, case["image"], spawner.image))
        check(
            spawner.mem_limit == case["mem_limit_bytes"],
            "%s has %s bytes of memory (got %s)" % (what, case["mem_limit_bytes"], spawner.mem_limit),
        )
        pod = await spawner.get_pod_manifest()
        container = pod.spec.containers[0]
        limits = container.resources.limits or {}
        check(container.image == case["image"], "%s: the pod's image is %s (got %s)" % (what, case["image"], container.image))
        check(
            limits.get("nvidia.com/gpu") == case["gpus"],
            "%s: the pod's GPU limit is %s (got %s)" % (what, case["gpus"], limits.get("nvidia.com/gpu")),
        )
        keys = [t.key for t in pod.spec.tolerations or []]
        check(keys == case["tolerations"], "%s: the pod tolerates %s (got %s)" % (what, case["tolerations"], keys))
        preferred = pod.spec.affinity.node_affinity.preferred_during_scheduling_ignored_during_execution or []
        weights = [t["weight"] if isinstance(t, dict) else t.weight for t in preferred]
        check(weights == [100], "%s: the chart's node-purpose preference stays (got %s)" % (what, weights))
    for case in expect["bad_choices"]:
        spawner = KubeSpawner(config=c, user=User(case["user"]), _mock=True)
        spawner.user_options = spawner.options_from_form(case["form"])
        try:
            await spawner.load_user_options()
            check(False, "%s is refused %s" % (case["user"], case["form"]))
        except (ValueError, KeyError) as e:
            check(True, "%s is refused %s (%s: %s)" % (case["user"], case["form"], type(e).__name__, e))

    for name, slug in expect["refused"]:
        try:
            await spawner_for(c, name, slug)
            check(False, "%s may not start %s" % (name, slug))
        except ValueError as e:
            check("No such profile" in str(e), "%s may not start %s (%s)" % (name, slug, e))

    static = [p["slug"] for p in values["singleuser"]["profileList"]]
    for label, env in (
        ("the portal is down", dict(portal, HUBFLEET_URL=os.environ["HUBFLEET_DOWN_URL"])),
        ("the portal refuses the token", dict(portal, HUBFLEET_TOKEN="hfh_" + "x" * 40)),
    ):
        c2 = install(values, env)
        started = time.monotonic()
        for name in expect["users"]:
            spawner, listed, _ = await spawner_for(c2, name)
            slugs = [p["slug"] for p in listed]
            check(slugs == static, "%s: %s gets the static list %s (got %s)" % (label, name, static, slugs))
            check(
                spawner.image == expect["static_default_image"],
                "%s: %s starts the static default image (got %s)" % (label, name, spawner.image),
            )
        elapsed = time.monotonic() - started
        check(elapsed < 10, "%s: the fallback is quick (%.1f s)" % (label, elapsed))
        # Fail closed: a group member gets no restricted profile, image or volume either.
        for name, slug in expect["restricted"]:
            spawner, listed, _ = await spawner_for(c2, name)
            check(
                slug not in [p["slug"] for p in listed],
                "%s: %s is not offered restricted %s" % (label, name, slug),
            )
            check(
                not set(mount_paths(spawner)) & set(expect["restricted_mounts"]),
                "%s: %s mounts no restricted volume (got %s)" % (label, name, mount_paths(spawner)),
            )
            try:
                await spawner_for(c2, name, slug)
                check(False, "%s: %s may not start restricted %s" % (label, name, slug))
            except ValueError as e:
                check("No such profile" in str(e), "%s: %s may not start %s (%s)" % (label, name, slug, e))

    # A hub where no profile is open to everyone: with the portal down nobody starts anything.
    closed = json.load(open(os.environ["HUBFLEET_CLOSED_VALUES_JSON"]))
    check(
        not closed["singleuser"].get("profileList"),
        "no profile open to everyone: the static list is empty",
    )
    check(
        closed["hub"]["extraEnv"].get("HUBFLEET_REQUIRE_PROFILE") == "1",
        "no profile open to everyone: HUBFLEET_REQUIRE_PROFILE is set",
    )
    c3 = install(closed, dict(portal, HUBFLEET_URL=os.environ["HUBFLEET_DOWN_URL"]))
    for name in expect["users"]:
        for label, profile in (("the profile form", None), ("a named profile", "gpu")):
            try:
                await spawner_for(c3, name, profile)
                check(False, "portal down, nothing open: %s gets %s" % (name, label))
            except HTTPError as e:
                check(
                    e.status_code == 503 and "unavailable" in (e.log_message or ""),
                    "portal down, nothing open: %s is refused %s with 503 (%s)" % (name, label, e),
                )

    # Markup in a profile's name and description is shown, not run, by KubeSpawner's own
    # spawn page template (which does not escape): the portal sends it escaped.
    xss = json.load(open(os.environ["HUBFLEET_XSS_VALUES_JSON"]))
    c4 = install(xss, dict(portal, HUBFLEET_URL=os.environ["HUBFLEET_DOWN_URL"]))
    _, _, form = await spawner_for(c4, "carol")
    check(
        "<img src=x" not in form and "<script>alert(" not in form,
        "the spawn page has no markup from profile names or descriptions",
    )
    check(
        "&lt;img src=x onerror=alert(1)&gt;" in form
        and "&lt;script&gt;alert(&#39;hub&#39;)&lt;/script&gt; &amp; more" in form,
        "the spawn page shows the name and description as typed (escaped once)",
    )

    if failures:
        print("%d check(s) failed" % len(failures), flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
