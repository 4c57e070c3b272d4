# A real JupyterHub 5.5.0 (PyPI) for the start/stop test of the hub REST client: SQLite in the
# working directory, the hub's API on HUB_PORT, the portal registered as a service with the
# token HUBFLEET_TEST_TOKEN and only the scopes it uses, no proxy process (routes are kept in
# memory) and a spawner that starts nothing but records what it was asked (profile included)
# in SPAWN_LOG, one JSON object per line. Loaded with `jupyterhub -f <this file>`.
import json
import os

from jupyterhub.proxy import Proxy
from jupyterhub.spawner import Spawner

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

PORT = int(os.environ["HUB_PORT"])
LOG = os.environ["SPAWN_LOG"]


def record(event, spawner):
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": event, "user": spawner.user.name,
                            "server": spawner.name, "options": spawner.user_options}) + "\n")


class MemoryProxy(Proxy):
    """No proxy process: the routes live in this dict."""

    should_start = False
    routes = {}

    async def add_route(self, routespec, target, data):
        self.routes[routespec] = {"routespec": routespec, "target": target, "data": data}

    async def delete_route(self, routespec):
        self.routes.pop(routespec, None)

    async def get_all_routes(self):
        return dict(self.routes)


class RecordingSpawner(Spawner):
    """Starts nothing; says the server is at the hub's own address, which answers HTTP."""

    running = False

    async def start(self):
        record("start", self)
        self.running = True
        return f"http://127.0.0.1:{PORT}"

    async def poll(self):
        return None if self.running else 0

    async def stop(self, now=False):
        record("stop", self)
        self.running = False


c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT
c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT + 1}"
c.JupyterHub.proxy_class = MemoryProxy
c.JupyterHub.spawner_class = RecordingSpawner
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
c.JupyterHub.cleanup_servers = True
c.Spawner.http_timeout = 10
c.Spawner.start_timeout = 10
c.JupyterHub.services = [{"name": "hubfleet", "api_token": os.environ["HUBFLEET_TEST_TOKEN"]}]
c.JupyterHub.load_roles = [{
    "name": "hubfleet",
    "scopes": ["admin:users", "admin:servers", "read:users"],
    "services": ["hubfleet"],
}]
