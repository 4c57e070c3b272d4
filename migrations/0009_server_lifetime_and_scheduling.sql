-- The lifetime of a hub's servers: idle culling, start and HTTP timeouts, spawn and active
-- server limits. NULL everywhere means "the chart's default" (nothing is written into the
-- values), so existing hubs keep exactly what they had.
ALTER TABLE hubs ADD COLUMN cull_enabled INTEGER CHECK (cull_enabled IS NULL OR cull_enabled IN (0, 1));
ALTER TABLE hubs ADD COLUMN cull_users INTEGER CHECK (cull_users IS NULL OR cull_users IN (0, 1));
ALTER TABLE hubs ADD COLUMN cull_timeout INTEGER CHECK (cull_timeout IS NULL OR cull_timeout > 0);
ALTER TABLE hubs ADD COLUMN cull_every INTEGER CHECK (cull_every IS NULL OR cull_every > 0);
ALTER TABLE hubs ADD COLUMN cull_max_age INTEGER CHECK (cull_max_age IS NULL OR cull_max_age >= 0);
ALTER TABLE hubs ADD COLUMN start_timeout INTEGER CHECK (start_timeout IS NULL OR start_timeout > 0);
ALTER TABLE hubs ADD COLUMN http_timeout INTEGER CHECK (http_timeout IS NULL OR http_timeout > 0);
ALTER TABLE hubs ADD COLUMN concurrent_spawn_limit INTEGER CHECK (concurrent_spawn_limit IS NULL OR concurrent_spawn_limit >= 0);
ALTER TABLE hubs ADD COLUMN active_server_limit INTEGER CHECK (active_server_limit IS NULL OR active_server_limit >= 0);

-- GPUs and node pools of a profile: extended resources (KubeSpawner's extra_resource_limits /
-- extra_resource_guarantees, name -> amount), tolerations and required node-affinity match
-- expressions. JSON text like the other per-profile lists (read and written whole, never
-- queried element by element); empty by default, so existing profiles are unchanged.
ALTER TABLE profiles ADD COLUMN extra_resource_limits_json TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(extra_resource_limits_json) AND json_type(extra_resource_limits_json) = 'object');
ALTER TABLE profiles ADD COLUMN extra_resource_guarantees_json TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(extra_resource_guarantees_json) AND json_type(extra_resource_guarantees_json) = 'object');
ALTER TABLE profiles ADD COLUMN tolerations_json TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(tolerations_json) AND json_type(tolerations_json) = 'array');
ALTER TABLE profiles ADD COLUMN node_affinity_json TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(node_affinity_json) AND json_type(node_affinity_json) = 'array');
