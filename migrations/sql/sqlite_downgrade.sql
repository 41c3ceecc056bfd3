-- Running downgrade 0010_quarantine_links -> 0009_access_policy

DROP INDEX ix_quarantine_repeats_run_id;

DROP INDEX ix_quarantine_repeats_quarantined_row_id;

DROP TABLE quarantine_repeats;

DROP INDEX ix_quarantined_rows_source_id_fingerprint;

ALTER TABLE quarantined_rows DROP COLUMN fingerprint;

UPDATE healthai_alembic_version SET version_num='0009_access_policy' WHERE healthai_alembic_version.version_num = '0010_quarantine_links';

-- Running downgrade 0009_access_policy -> 0008_erasure

CREATE TABLE _alembic_tmp_audit_log (
    id INTEGER NOT NULL, 
    at DATETIME NOT NULL, 
    actor VARCHAR(120) NOT NULL, 
    action VARCHAR(40) NOT NULL, 
    entity VARCHAR(60) NOT NULL, 
    entity_id INTEGER NOT NULL, 
    field VARCHAR(120), 
    "before" JSON, 
    "after" JSON, 
    comment TEXT, 
    CONSTRAINT pk_audit_log PRIMARY KEY (id)
);

INSERT INTO _alembic_tmp_audit_log (id, at, actor, action, entity, entity_id, field, "before", "after", comment) SELECT audit_log.id, audit_log.at, audit_log.actor, audit_log.action, audit_log.entity, audit_log.entity_id, audit_log.field, audit_log."before", audit_log."after", audit_log.comment 
FROM audit_log;

DROP TABLE audit_log;

ALTER TABLE _alembic_tmp_audit_log RENAME TO audit_log;

CREATE INDEX ix_audit_log_at ON audit_log (at);

CREATE INDEX ix_audit_log_entity_entity_id ON audit_log (entity, entity_id);

ALTER TABLE api_keys ADD COLUMN role VARCHAR(20) DEFAULT 'analyst' NOT NULL;

ALTER TABLE api_keys ADD COLUMN organisation_id INTEGER;

UPDATE api_keys SET role = (SELECT a.role FROM api_accounts a WHERE a.id = api_keys.account_id), organisation_id = (SELECT a.organisation_id FROM api_accounts a WHERE a.id = api_keys.account_id) WHERE account_id IS NOT NULL;

CREATE TABLE _alembic_tmp_api_keys (
    id INTEGER NOT NULL, 
    name VARCHAR(120) NOT NULL, 
    prefix VARCHAR(16) NOT NULL, 
    key_hash CHAR(64) NOT NULL, 
    revoked_at DATETIME, 
    created_at DATETIME NOT NULL, 
    role VARCHAR(20) NOT NULL, 
    organisation_id INTEGER, 
    CONSTRAINT pk_api_keys PRIMARY KEY (id), 
    CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash), 
    CONSTRAINT uq_api_keys_name UNIQUE (name), 
    CONSTRAINT fk_api_keys_organisation_id_organisations FOREIGN KEY(organisation_id) REFERENCES organisations (id), 
    CONSTRAINT ck_api_keys_role_known CHECK (role IN ('admin', 'steward', 'analyst', 'partner')), 
    CONSTRAINT ck_api_keys_partner_has_organisation CHECK (role <> 'partner' OR organisation_id IS NOT NULL)
);

INSERT INTO _alembic_tmp_api_keys (id, name, prefix, key_hash, revoked_at, created_at, role, organisation_id) SELECT api_keys.id, api_keys.name, api_keys.prefix, api_keys.key_hash, api_keys.revoked_at, api_keys.created_at, api_keys.role, api_keys.organisation_id 
FROM api_keys;

DROP TABLE api_keys;

ALTER TABLE _alembic_tmp_api_keys RENAME TO api_keys;

CREATE INDEX ix_api_keys_prefix ON api_keys (prefix);

CREATE TABLE _alembic_tmp_api_accounts (
    id INTEGER NOT NULL, 
    username VARCHAR(120) NOT NULL, 
    password_hash VARCHAR(300) NOT NULL, 
    role VARCHAR(20) NOT NULL, 
    organisation_id INTEGER, 
    is_active BOOLEAN NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_api_accounts PRIMARY KEY (id), 
    CONSTRAINT ck_api_accounts_partner_has_organisation CHECK (role <> 'partner' OR organisation_id IS NOT NULL), 
    CONSTRAINT ck_api_accounts_role_known CHECK (role IN ('admin', 'steward', 'analyst', 'partner')), 
    CONSTRAINT fk_api_accounts_organisation_id_organisations FOREIGN KEY(organisation_id) REFERENCES organisations (id), 
    CONSTRAINT uq_api_accounts_username UNIQUE (username)
);

INSERT INTO _alembic_tmp_api_accounts (id, username, password_hash, role, organisation_id, is_active, created_at) SELECT api_accounts.id, api_accounts.username, api_accounts.password_hash, api_accounts.role, api_accounts.organisation_id, api_accounts.is_active, api_accounts.created_at 
FROM api_accounts;

DROP TABLE api_accounts;

ALTER TABLE _alembic_tmp_api_accounts RENAME TO api_accounts;

CREATE INDEX ix_api_accounts_organisation_id ON api_accounts (organisation_id);

UPDATE healthai_alembic_version SET version_num='0008_erasure' WHERE healthai_alembic_version.version_num = '0009_access_policy';

-- Running downgrade 0008_erasure -> 0007_login_attempts

DROP INDEX ix_raw_files_content_sha256;

CREATE TABLE _alembic_tmp_raw_files (
    id INTEGER NOT NULL, 
    source_id INTEGER NOT NULL, 
    sha256 CHAR(64) NOT NULL, 
    original_name VARCHAR(500) NOT NULL, 
    stored_path VARCHAR(1000) NOT NULL, 
    size_bytes BIGINT NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_raw_files PRIMARY KEY (id), 
    CONSTRAINT fk_raw_files_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id), 
    CONSTRAINT uq_raw_files_source_id_sha256 UNIQUE (source_id, sha256)
);

INSERT INTO _alembic_tmp_raw_files (id, source_id, sha256, original_name, stored_path, size_bytes, created_at) SELECT raw_files.id, raw_files.source_id, raw_files.sha256, raw_files.original_name, raw_files.stored_path, raw_files.size_bytes, raw_files.created_at 
FROM raw_files;

DROP TABLE raw_files;

ALTER TABLE _alembic_tmp_raw_files RENAME TO raw_files;

CREATE TABLE _alembic_tmp_ingestion_runs (
    id INTEGER NOT NULL, 
    source_id INTEGER NOT NULL, 
    dagster_run_id VARCHAR(64), 
    raw_file_id INTEGER, 
    started_at DATETIME NOT NULL, 
    finished_at DATETIME, 
    status VARCHAR(12) NOT NULL, 
    rows_in INTEGER NOT NULL, 
    rows_published INTEGER NOT NULL, 
    rows_quarantined INTEGER NOT NULL, 
    rows_duplicate INTEGER NOT NULL, 
    rows_pending INTEGER NOT NULL, 
    error TEXT, 
    CONSTRAINT pk_ingestion_runs PRIMARY KEY (id), 
    CONSTRAINT ck_ingestion_runs_status_known CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'skipped')), 
    CONSTRAINT fk_ingestion_runs_raw_file_id_raw_files FOREIGN KEY(raw_file_id) REFERENCES raw_files (id), 
    CONSTRAINT fk_ingestion_runs_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id), 
    CONSTRAINT ck_ingestion_runs_rows_add_up CHECK (status = 'running' OR status = 'failed' OR rows_in = rows_published + rows_quarantined + rows_duplicate + rows_pending)
);

INSERT INTO _alembic_tmp_ingestion_runs (id, source_id, dagster_run_id, raw_file_id, started_at, finished_at, status, rows_in, rows_published, rows_quarantined, rows_duplicate, rows_pending, error) SELECT ingestion_runs.id, ingestion_runs.source_id, ingestion_runs.dagster_run_id, ingestion_runs.raw_file_id, ingestion_runs.started_at, ingestion_runs.finished_at, ingestion_runs.status, ingestion_runs.rows_in, ingestion_runs.rows_published, ingestion_runs.rows_quarantined, ingestion_runs.rows_duplicate, ingestion_runs.rows_pending, ingestion_runs.error 
FROM ingestion_runs;

DROP TABLE ingestion_runs;

ALTER TABLE _alembic_tmp_ingestion_runs RENAME TO ingestion_runs;

CREATE INDEX ix_ingestion_runs_dagster_run_id ON ingestion_runs (dagster_run_id);

CREATE INDEX ix_ingestion_runs_source_id_started_at ON ingestion_runs (source_id, started_at);

DROP INDEX ix_erasures_subject;

DROP INDEX ix_erasures_at;

DROP TABLE erasures;

UPDATE healthai_alembic_version SET version_num='0007_login_attempts' WHERE healthai_alembic_version.version_num = '0008_erasure';

-- Running downgrade 0007_login_attempts -> 0006_lean_staging

DROP INDEX ix_login_attempts_at;

DROP INDEX ix_login_attempts_key_at;

DROP TABLE login_attempts;

UPDATE healthai_alembic_version SET version_num='0006_lean_staging' WHERE healthai_alembic_version.version_num = '0007_login_attempts';

-- Running downgrade 0006_lean_staging -> 0005_analytics_rollups

CREATE TABLE _alembic_tmp_staging_app_sessions (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    started_at DATETIME, 
    duration_s INTEGER, 
    platform VARCHAR(10), 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_app_sessions PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_app_sessions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_app_sessions (staging_id, user_key, started_at, duration_s, platform, source_record, batch_id) SELECT staging_app_sessions.staging_id, staging_app_sessions.user_key, staging_app_sessions.started_at, staging_app_sessions.duration_s, staging_app_sessions.platform, staging_app_sessions.source_record, staging_app_sessions.batch_id 
FROM staging_app_sessions;

DROP TABLE staging_app_sessions;

ALTER TABLE _alembic_tmp_staging_app_sessions RENAME TO staging_app_sessions;

CREATE INDEX ix_staging_app_sessions_batch_id ON staging_app_sessions (batch_id);

UPDATE staging_app_sessions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_app_sessions.batch_id);

CREATE TABLE _alembic_tmp_staging_biometric_measurements (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    metric VARCHAR(20), 
    measured_at DATETIME, 
    value FLOAT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_biometric_measurements PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_biometric_measurements_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_biometric_measurements (staging_id, user_key, metric, measured_at, value, source_record, batch_id) SELECT staging_biometric_measurements.staging_id, staging_biometric_measurements.user_key, staging_biometric_measurements.metric, staging_biometric_measurements.measured_at, staging_biometric_measurements.value, staging_biometric_measurements.source_record, staging_biometric_measurements.batch_id 
FROM staging_biometric_measurements;

DROP TABLE staging_biometric_measurements;

ALTER TABLE _alembic_tmp_staging_biometric_measurements RENAME TO staging_biometric_measurements;

CREATE INDEX ix_staging_biometric_measurements_batch_id ON staging_biometric_measurements (batch_id);

UPDATE staging_biometric_measurements SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_biometric_measurements.batch_id);

CREATE TABLE _alembic_tmp_staging_daily_activity (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    activity_date DATE, 
    steps INTEGER, 
    distance_km FLOAT, 
    very_active_min SMALLINT, 
    fairly_active_min SMALLINT, 
    lightly_active_min SMALLINT, 
    sedentary_min SMALLINT, 
    calories_kcal FLOAT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_daily_activity PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_daily_activity_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_daily_activity (staging_id, user_key, activity_date, steps, distance_km, very_active_min, fairly_active_min, lightly_active_min, sedentary_min, calories_kcal, source_record, batch_id) SELECT staging_daily_activity.staging_id, staging_daily_activity.user_key, staging_daily_activity.activity_date, staging_daily_activity.steps, staging_daily_activity.distance_km, staging_daily_activity.very_active_min, staging_daily_activity.fairly_active_min, staging_daily_activity.lightly_active_min, staging_daily_activity.sedentary_min, staging_daily_activity.calories_kcal, staging_daily_activity.source_record, staging_daily_activity.batch_id 
FROM staging_daily_activity;

DROP TABLE staging_daily_activity;

ALTER TABLE _alembic_tmp_staging_daily_activity RENAME TO staging_daily_activity;

CREATE INDEX ix_staging_daily_activity_batch_id ON staging_daily_activity (batch_id);

UPDATE staging_daily_activity SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_daily_activity.batch_id);

CREATE TABLE _alembic_tmp_staging_exercise_muscles (
    staging_id INTEGER NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    exercise_key VARCHAR(200), 
    muscle_key VARCHAR(200), 
    role VARCHAR(10), 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_exercise_muscles PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_exercise_muscles_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_exercise_muscles (staging_id, batch_id, source_record, exercise_key, muscle_key, role) SELECT staging_exercise_muscles.staging_id, staging_exercise_muscles.batch_id, staging_exercise_muscles.source_record, staging_exercise_muscles.exercise_key, staging_exercise_muscles.muscle_key, staging_exercise_muscles.role 
FROM staging_exercise_muscles;

DROP TABLE staging_exercise_muscles;

ALTER TABLE _alembic_tmp_staging_exercise_muscles RENAME TO staging_exercise_muscles;

CREATE INDEX ix_staging_exercise_muscles_batch_id ON staging_exercise_muscles (batch_id);

UPDATE staging_exercise_muscles SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_exercise_muscles.batch_id);

CREATE TABLE _alembic_tmp_staging_exercises (
    staging_id INTEGER NOT NULL, 
    code VARCHAR(170), 
    source VARCHAR(40), 
    source_key VARCHAR(120), 
    name VARCHAR(200), 
    exercise_type VARCHAR(40), 
    body_part_key VARCHAR(200), 
    equipment_key VARCHAR(200), 
    level VARCHAR(20), 
    force VARCHAR(10), 
    mechanic VARCHAR(12), 
    instructions TEXT, 
    same_as_key VARCHAR(200), 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_exercises PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_exercises_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_exercises (staging_id, code, source, source_key, name, exercise_type, body_part_key, equipment_key, level, force, mechanic, instructions, same_as_key, source_record, batch_id) SELECT staging_exercises.staging_id, staging_exercises.code, staging_exercises.source, staging_exercises.source_key, staging_exercises.name, staging_exercises.exercise_type, staging_exercises.body_part_key, staging_exercises.equipment_key, staging_exercises.level, staging_exercises.force, staging_exercises.mechanic, staging_exercises.instructions, staging_exercises.same_as_key, staging_exercises.source_record, staging_exercises.batch_id 
FROM staging_exercises;

DROP TABLE staging_exercises;

ALTER TABLE _alembic_tmp_staging_exercises RENAME TO staging_exercises;

CREATE INDEX ix_staging_exercises_batch_id ON staging_exercises (batch_id);

UPDATE staging_exercises SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_exercises.batch_id);

CREATE TABLE _alembic_tmp_staging_foods (
    staging_id INTEGER NOT NULL, 
    code VARCHAR(130), 
    source VARCHAR(40), 
    source_code VARCHAR(80), 
    name VARCHAR(300), 
    category VARCHAR(200), 
    energy_kcal FLOAT, 
    protein_g FLOAT, 
    carbohydrate_g FLOAT, 
    fat_g FLOAT, 
    fibre_g FLOAT, 
    sugars_g FLOAT, 
    salt_g FLOAT, 
    sodium_mg FLOAT, 
    cholesterol_mg FLOAT, 
    portion_g FLOAT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_foods PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_foods_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_foods (staging_id, code, source, source_code, name, category, energy_kcal, protein_g, carbohydrate_g, fat_g, fibre_g, sugars_g, salt_g, sodium_mg, cholesterol_mg, portion_g, source_record, batch_id) SELECT staging_foods.staging_id, staging_foods.code, staging_foods.source, staging_foods.source_code, staging_foods.name, staging_foods.category, staging_foods.energy_kcal, staging_foods.protein_g, staging_foods.carbohydrate_g, staging_foods.fat_g, staging_foods.fibre_g, staging_foods.sugars_g, staging_foods.salt_g, staging_foods.sodium_mg, staging_foods.cholesterol_mg, staging_foods.portion_g, staging_foods.source_record, staging_foods.batch_id 
FROM staging_foods;

DROP TABLE staging_foods;

ALTER TABLE _alembic_tmp_staging_foods RENAME TO staging_foods;

CREATE INDEX ix_staging_foods_batch_id ON staging_foods (batch_id);

UPDATE staging_foods SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_foods.batch_id);

CREATE TABLE _alembic_tmp_staging_meal_logs (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    eaten_on DATE, 
    meal_type VARCHAR(20), 
    food_key VARCHAR(200), 
    food_label VARCHAR(300), 
    quantity_g FLOAT, 
    energy_kcal FLOAT, 
    protein_g FLOAT, 
    carbohydrate_g FLOAT, 
    fat_g FLOAT, 
    fibre_g FLOAT, 
    sugars_g FLOAT, 
    sodium_mg FLOAT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_meal_logs PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_meal_logs_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_meal_logs (staging_id, user_key, eaten_on, meal_type, food_key, food_label, quantity_g, energy_kcal, protein_g, carbohydrate_g, fat_g, fibre_g, sugars_g, sodium_mg, source_record, batch_id) SELECT staging_meal_logs.staging_id, staging_meal_logs.user_key, staging_meal_logs.eaten_on, staging_meal_logs.meal_type, staging_meal_logs.food_key, staging_meal_logs.food_label, staging_meal_logs.quantity_g, staging_meal_logs.energy_kcal, staging_meal_logs.protein_g, staging_meal_logs.carbohydrate_g, staging_meal_logs.fat_g, staging_meal_logs.fibre_g, staging_meal_logs.sugars_g, staging_meal_logs.sodium_mg, staging_meal_logs.source_record, staging_meal_logs.batch_id 
FROM staging_meal_logs;

DROP TABLE staging_meal_logs;

ALTER TABLE _alembic_tmp_staging_meal_logs RENAME TO staging_meal_logs;

CREATE INDEX ix_staging_meal_logs_batch_id ON staging_meal_logs (batch_id);

UPDATE staging_meal_logs SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_meal_logs.batch_id);

CREATE TABLE _alembic_tmp_staging_recipe_ingredients (
    staging_id INTEGER NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    recipe_key VARCHAR(200), 
    food_key VARCHAR(200), 
    quantity_g FLOAT, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_recipe_ingredients PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_recipe_ingredients_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_recipe_ingredients (staging_id, batch_id, source_record, recipe_key, food_key, quantity_g) SELECT staging_recipe_ingredients.staging_id, staging_recipe_ingredients.batch_id, staging_recipe_ingredients.source_record, staging_recipe_ingredients.recipe_key, staging_recipe_ingredients.food_key, staging_recipe_ingredients.quantity_g 
FROM staging_recipe_ingredients;

DROP TABLE staging_recipe_ingredients;

ALTER TABLE _alembic_tmp_staging_recipe_ingredients RENAME TO staging_recipe_ingredients;

CREATE INDEX ix_staging_recipe_ingredients_batch_id ON staging_recipe_ingredients (batch_id);

UPDATE staging_recipe_ingredients SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_recipe_ingredients.batch_id);

CREATE TABLE _alembic_tmp_staging_recipes (
    staging_id INTEGER NOT NULL, 
    code VARCHAR(130), 
    source VARCHAR(40), 
    source_code VARCHAR(80), 
    name VARCHAR(300), 
    servings SMALLINT, 
    instructions TEXT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_recipes PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_recipes_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_recipes (staging_id, code, source, source_code, name, servings, instructions, source_record, batch_id) SELECT staging_recipes.staging_id, staging_recipes.code, staging_recipes.source, staging_recipes.source_code, staging_recipes.name, staging_recipes.servings, staging_recipes.instructions, staging_recipes.source_record, staging_recipes.batch_id 
FROM staging_recipes;

DROP TABLE staging_recipes;

ALTER TABLE _alembic_tmp_staging_recipes RENAME TO staging_recipes;

CREATE INDEX ix_staging_recipes_batch_id ON staging_recipes (batch_id);

UPDATE staging_recipes SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_recipes.batch_id);

CREATE TABLE _alembic_tmp_staging_satisfaction_surveys (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    answered_on DATE, 
    score SMALLINT, 
    comment TEXT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_satisfaction_surveys PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_satisfaction_surveys_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_satisfaction_surveys (staging_id, user_key, answered_on, score, comment, source_record, batch_id) SELECT staging_satisfaction_surveys.staging_id, staging_satisfaction_surveys.user_key, staging_satisfaction_surveys.answered_on, staging_satisfaction_surveys.score, staging_satisfaction_surveys.comment, staging_satisfaction_surveys.source_record, staging_satisfaction_surveys.batch_id 
FROM staging_satisfaction_surveys;

DROP TABLE staging_satisfaction_surveys;

ALTER TABLE _alembic_tmp_staging_satisfaction_surveys RENAME TO staging_satisfaction_surveys;

CREATE INDEX ix_staging_satisfaction_surveys_batch_id ON staging_satisfaction_surveys (batch_id);

UPDATE staging_satisfaction_surveys SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_satisfaction_surveys.batch_id);

CREATE TABLE _alembic_tmp_staging_subscriptions (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    plan_tier VARCHAR(20), 
    started_on DATE, 
    ended_on DATE, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_subscriptions PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_subscriptions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_subscriptions (staging_id, user_key, plan_tier, started_on, ended_on, source_record, batch_id) SELECT staging_subscriptions.staging_id, staging_subscriptions.user_key, staging_subscriptions.plan_tier, staging_subscriptions.started_on, staging_subscriptions.ended_on, staging_subscriptions.source_record, staging_subscriptions.batch_id 
FROM staging_subscriptions;

DROP TABLE staging_subscriptions;

ALTER TABLE _alembic_tmp_staging_subscriptions RENAME TO staging_subscriptions;

CREATE INDEX ix_staging_subscriptions_batch_id ON staging_subscriptions (batch_id);

UPDATE staging_subscriptions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_subscriptions.batch_id);

CREATE TABLE _alembic_tmp_staging_user_allergies (
    staging_id INTEGER NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    user_key VARCHAR(200), 
    allergen VARCHAR(40), 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_user_allergies PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_user_allergies_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_user_allergies (staging_id, batch_id, source_record, user_key, allergen) SELECT staging_user_allergies.staging_id, staging_user_allergies.batch_id, staging_user_allergies.source_record, staging_user_allergies.user_key, staging_user_allergies.allergen 
FROM staging_user_allergies;

DROP TABLE staging_user_allergies;

ALTER TABLE _alembic_tmp_staging_user_allergies RENAME TO staging_user_allergies;

CREATE INDEX ix_staging_user_allergies_batch_id ON staging_user_allergies (batch_id);

UPDATE staging_user_allergies SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_user_allergies.batch_id);

CREATE TABLE _alembic_tmp_staging_user_dietary_restrictions (
    staging_id INTEGER NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    user_key VARCHAR(200), 
    restriction VARCHAR(40), 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_user_dietary_restrictions PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_user_dietary_restrictions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_user_dietary_restrictions (staging_id, batch_id, source_record, user_key, restriction) SELECT staging_user_dietary_restrictions.staging_id, staging_user_dietary_restrictions.batch_id, staging_user_dietary_restrictions.source_record, staging_user_dietary_restrictions.user_key, staging_user_dietary_restrictions.restriction 
FROM staging_user_dietary_restrictions;

DROP TABLE staging_user_dietary_restrictions;

ALTER TABLE _alembic_tmp_staging_user_dietary_restrictions RENAME TO staging_user_dietary_restrictions;

CREATE INDEX ix_staging_user_dietary_restrictions_batch_id ON staging_user_dietary_restrictions (batch_id);

UPDATE staging_user_dietary_restrictions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_user_dietary_restrictions.batch_id);

CREATE TABLE _alembic_tmp_staging_users (
    staging_id INTEGER NOT NULL, 
    external_key VARCHAR(120), 
    birth_year SMALLINT, 
    sex VARCHAR(10), 
    height_cm FLOAT, 
    goal VARCHAR(30), 
    activity_level VARCHAR(20), 
    experience_level SMALLINT, 
    workouts_per_week SMALLINT, 
    plan_tier VARCHAR(20), 
    organisation_key VARCHAR(200), 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    created_at DATETIME, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_users PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_users_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_users (staging_id, external_key, birth_year, sex, height_cm, goal, activity_level, experience_level, workouts_per_week, plan_tier, organisation_key, source_record, batch_id, created_at) SELECT staging_users.staging_id, staging_users.external_key, staging_users.birth_year, staging_users.sex, staging_users.height_cm, staging_users.goal, staging_users.activity_level, staging_users.experience_level, staging_users.workouts_per_week, staging_users.plan_tier, staging_users.organisation_key, staging_users.source_record, staging_users.batch_id, staging_users.created_at 
FROM staging_users;

DROP TABLE staging_users;

ALTER TABLE _alembic_tmp_staging_users RENAME TO staging_users;

CREATE INDEX ix_staging_users_batch_id ON staging_users (batch_id);

UPDATE staging_users SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_users.batch_id);

CREATE TABLE _alembic_tmp_staging_workout_sessions (
    staging_id INTEGER NOT NULL, 
    user_key VARCHAR(200), 
    exercise_key VARCHAR(200), 
    workout_type VARCHAR(40), 
    performed_on DATE, 
    duration_min FLOAT, 
    calories_kcal FLOAT, 
    avg_hr_bpm SMALLINT, 
    max_hr_bpm SMALLINT, 
    intensity VARCHAR(10), 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    source_sha256 CHAR(64), 
    CONSTRAINT pk_staging_workout_sessions PRIMARY KEY (staging_id), 
    CONSTRAINT fk_staging_workout_sessions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_staging_workout_sessions (staging_id, user_key, exercise_key, workout_type, performed_on, duration_min, calories_kcal, avg_hr_bpm, max_hr_bpm, intensity, source_record, batch_id) SELECT staging_workout_sessions.staging_id, staging_workout_sessions.user_key, staging_workout_sessions.exercise_key, staging_workout_sessions.workout_type, staging_workout_sessions.performed_on, staging_workout_sessions.duration_min, staging_workout_sessions.calories_kcal, staging_workout_sessions.avg_hr_bpm, staging_workout_sessions.max_hr_bpm, staging_workout_sessions.intensity, staging_workout_sessions.source_record, staging_workout_sessions.batch_id 
FROM staging_workout_sessions;

DROP TABLE staging_workout_sessions;

ALTER TABLE _alembic_tmp_staging_workout_sessions RENAME TO staging_workout_sessions;

CREATE INDEX ix_staging_workout_sessions_batch_id ON staging_workout_sessions (batch_id);

UPDATE staging_workout_sessions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_workout_sessions.batch_id);

ALTER TABLE batches DROP COLUMN source_sha256;

UPDATE healthai_alembic_version SET version_num='0005_analytics_rollups' WHERE healthai_alembic_version.version_num = '0006_lean_staging';

-- Running downgrade 0005_analytics_rollups -> 0004

DROP TABLE progression_rollups;

DROP TABLE engagement_rollups;

DROP TABLE conversion_rollups;

UPDATE healthai_alembic_version SET version_num='0004' WHERE healthai_alembic_version.version_num = '0005_analytics_rollups';

-- Running downgrade 0004 -> 0002

DROP INDEX ix_user_session_spans_last_at;

DROP TABLE user_session_spans;

DROP INDEX ix_user_metric_spans_metric_user_id;

DROP TABLE user_metric_spans;

DROP INDEX ix_daily_user_sessions_day_user_id;

DROP TABLE daily_user_sessions;

DROP INDEX ix_daily_user_nutrition_day_user_id;

DROP TABLE daily_user_nutrition;

UPDATE healthai_alembic_version SET version_num='0002' WHERE healthai_alembic_version.version_num = '0004';

-- Running downgrade 0002 -> 0003

DROP INDEX ix_refresh_tokens_account_id;

DROP TABLE refresh_tokens;

DROP INDEX ix_api_keys_prefix;

DROP TABLE api_keys;

DROP INDEX ix_api_accounts_organisation_id;

DROP TABLE api_accounts;

DROP INDEX ix_personal_data_access_at;

DROP INDEX ix_personal_data_access_actor_at;

DROP TABLE personal_data_access;

UPDATE healthai_alembic_version SET version_num='0003' WHERE healthai_alembic_version.version_num = '0002';

-- Running downgrade 0003 -> 0001

DROP INDEX ix_quality_metrics_source_id_dimension_measured_at;

DROP INDEX ix_quality_metrics_snapshot_id;

DROP TABLE quality_metrics;

DROP INDEX ix_quality_snapshots_source_id_measured_at;

DROP TABLE quality_snapshots;

UPDATE healthai_alembic_version SET version_num='0001' WHERE healthai_alembic_version.version_num = '0003';

-- Running downgrade 0001 -> 

DROP INDEX ix_workout_sessions_workout_type;

DROP INDEX ix_workout_sessions_user_id_performed_on;

DROP INDEX ix_workout_sessions_performed_on;

DROP INDEX ix_workout_sessions_exercise_id;

DROP INDEX ix_workout_sessions_batch_id;

DROP TABLE workout_sessions;

DROP TABLE user_dietary_restrictions;

DROP TABLE user_allergies;

DROP INDEX ix_subscriptions_user_id;

DROP INDEX ix_subscriptions_batch_id;

DROP TABLE subscriptions;

DROP INDEX ix_satisfaction_surveys_user_id;

DROP INDEX ix_satisfaction_surveys_batch_id;

DROP INDEX ix_satisfaction_surveys_answered_on;

DROP TABLE satisfaction_surveys;

DROP INDEX ix_recipe_ingredients_food_id;

DROP TABLE recipe_ingredients;

DROP INDEX ix_meal_logs_user_id_eaten_on;

DROP INDEX ix_meal_logs_food_id;

DROP INDEX ix_meal_logs_eaten_on;

DROP INDEX ix_meal_logs_batch_id;

DROP TABLE meal_logs;

DROP INDEX ix_exercise_muscles_muscle_id;

DROP TABLE exercise_muscles;

DROP INDEX ix_daily_activity_batch_id;

DROP INDEX ix_daily_activity_activity_date;

DROP TABLE daily_activity;

DROP INDEX ix_biometric_measurements_metric_measured_at;

DROP INDEX ix_biometric_measurements_batch_id;

DROP TABLE biometric_measurements;

DROP INDEX ix_app_sessions_user_id;

DROP INDEX ix_app_sessions_started_at_user_id;

DROP INDEX ix_app_sessions_batch_id;

DROP TABLE app_sessions;

DROP INDEX ix_users_plan_tier;

DROP INDEX ix_users_organisation_id_plan_tier;

DROP INDEX ix_users_organisation_id;

DROP INDEX ix_users_batch_id;

DROP TABLE users;

DROP INDEX ix_staging_workout_sessions_batch_id;

DROP TABLE staging_workout_sessions;

DROP INDEX ix_staging_users_batch_id;

DROP TABLE staging_users;

DROP INDEX ix_staging_user_dietary_restrictions_batch_id;

DROP TABLE staging_user_dietary_restrictions;

DROP INDEX ix_staging_user_allergies_batch_id;

DROP TABLE staging_user_allergies;

DROP INDEX ix_staging_subscriptions_batch_id;

DROP TABLE staging_subscriptions;

DROP INDEX ix_staging_satisfaction_surveys_batch_id;

DROP TABLE staging_satisfaction_surveys;

DROP INDEX ix_staging_recipes_batch_id;

DROP TABLE staging_recipes;

DROP INDEX ix_staging_recipe_ingredients_batch_id;

DROP TABLE staging_recipe_ingredients;

DROP INDEX ix_staging_meal_logs_batch_id;

DROP TABLE staging_meal_logs;

DROP INDEX ix_staging_foods_batch_id;

DROP TABLE staging_foods;

DROP INDEX ix_staging_exercises_batch_id;

DROP TABLE staging_exercises;

DROP INDEX ix_staging_exercise_muscles_batch_id;

DROP TABLE staging_exercise_muscles;

DROP INDEX ix_staging_daily_activity_batch_id;

DROP TABLE staging_daily_activity;

DROP INDEX ix_staging_biometric_measurements_batch_id;

DROP TABLE staging_biometric_measurements;

DROP INDEX ix_staging_app_sessions_batch_id;

DROP TABLE staging_app_sessions;

DROP INDEX ix_recipes_batch_id;

DROP TABLE recipes;

DROP INDEX ix_quarantined_rows_source_id_status;

DROP INDEX ix_quarantined_rows_run_id;

DROP TABLE quarantined_rows;

DROP INDEX ix_foods_name;

DROP INDEX ix_foods_category;

DROP INDEX ix_foods_batch_id;

DROP TABLE foods;

DROP INDEX ix_exercises_name;

DROP INDEX ix_exercises_exercise_type;

DROP INDEX ix_exercises_equipment_id;

DROP INDEX ix_exercises_body_part_id;

DROP INDEX ix_exercises_batch_id;

DROP TABLE exercises;

DROP TABLE batch_checks;

DROP INDEX ix_batches_source_id_status;

DROP TABLE batches;

DROP INDEX ix_ingestion_runs_source_id_started_at;

DROP INDEX ix_ingestion_runs_dagster_run_id;

DROP TABLE ingestion_runs;

DROP TABLE raw_files;

DROP TABLE sources;

DROP TABLE organisations;

DROP TABLE muscles;

DROP TABLE equipment;

DROP TABLE body_parts;

DROP INDEX ix_audit_log_entity_entity_id;

DROP INDEX ix_audit_log_at;

DROP TABLE audit_log;

DELETE FROM healthai_alembic_version WHERE healthai_alembic_version.version_num = '0001';

