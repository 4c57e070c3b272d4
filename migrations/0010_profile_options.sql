-- Choices inside a profile (KubeSpawner's profile_options: options, each with listed choices
-- that override the image, CPU, memory and extended resources, one default, and optionally a
-- free-form value) and preferred node affinity (weighted match expressions). JSON text like
-- the other per-profile lists: read and written whole with the profile (through the one
-- versioned write path, so the audit trail records them field by field and a revert restores
-- them), validated by the same Rust code as the form. Empty by default, so existing profiles
-- are unchanged.
ALTER TABLE profiles ADD COLUMN profile_options_json TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(profile_options_json) AND json_type(profile_options_json) = 'array');
ALTER TABLE profiles ADD COLUMN node_affinity_preferred_json TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(node_affinity_preferred_json) AND json_type(node_affinity_preferred_json) = 'array');
