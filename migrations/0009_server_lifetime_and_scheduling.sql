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
