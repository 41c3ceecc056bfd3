BEGIN;

CREATE TABLE healthai_alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT healthai_alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001_baseline

CREATE TABLE app_sessions_history (
    id INTEGER, 
    user_id INTEGER, 
    started_at TIMESTAMP WITH TIME ZONE, 
    duration_s INTEGER, 
    platform VARCHAR(10), 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE app_sessions_history IS 'Rows that left app_sessions (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN app_sessions_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN app_sessions_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN app_sessions_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN app_sessions_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN app_sessions_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_app_sessions_history_batch_id ON app_sessions_history (batch_id);

CREATE TABLE audit_log (
    id SERIAL NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    actor VARCHAR(120) NOT NULL, 
    action VARCHAR(40) NOT NULL, 
    entity VARCHAR(60) NOT NULL, 
    entity_id INTEGER NOT NULL, 
    field VARCHAR(120), 
    before JSON, 
    after JSON, 
    comment TEXT, 
    CONSTRAINT pk_audit_log PRIMARY KEY (id)
);

CREATE INDEX ix_audit_log_at ON audit_log (at);

CREATE INDEX ix_audit_log_entity_entity_id ON audit_log (entity, entity_id);

CREATE TABLE biometric_readings_history (
    id INTEGER, 
    batch_id INTEGER, 
    record INTEGER, 
    since_version INTEGER, 
    user_id INTEGER, 
    measured_at TIMESTAMP WITH TIME ZONE, 
    weight_kg FLOAT, 
    body_fat_pct FLOAT, 
    bmi FLOAT, 
    sleep_hours FLOAT, 
    resting_hr_bpm FLOAT, 
    steps FLOAT, 
    water_l FLOAT, 
    until_version INTEGER
);

COMMENT ON TABLE biometric_readings_history IS 'Rows that left biometric_readings (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN biometric_readings_history.id IS 'Reading id (on PostgreSQL the primary key is (id, batch_id), as a partitioned table requires). A measurement''s id in the long view is id * 8 + the metric''s rank.';

COMMENT ON COLUMN biometric_readings_history.batch_id IS 'Batch that published this row (its partition on PostgreSQL; batches are never deleted, so no foreign key is checked row by row).';

COMMENT ON COLUMN biometric_readings_history.record IS 'Record number in the batch''s source file (1-based, header excluded); 0 for a reading written through the API (audit_log says who and when).';

COMMENT ON COLUMN biometric_readings_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN biometric_readings_history.weight_kg IS 'kg';

COMMENT ON COLUMN biometric_readings_history.body_fat_pct IS '%%';

COMMENT ON COLUMN biometric_readings_history.bmi IS 'kg/m2';

COMMENT ON COLUMN biometric_readings_history.sleep_hours IS 'h';

COMMENT ON COLUMN biometric_readings_history.resting_hr_bpm IS 'bpm';

COMMENT ON COLUMN biometric_readings_history.steps IS 'steps';

COMMENT ON COLUMN biometric_readings_history.water_l IS 'L';

COMMENT ON COLUMN biometric_readings_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_biometric_readings_history_batch_id ON biometric_readings_history (batch_id);

CREATE TABLE body_parts (
    id SERIAL NOT NULL, 
    name VARCHAR(60) NOT NULL, 
    CONSTRAINT pk_body_parts PRIMARY KEY (id), 
    CONSTRAINT uq_body_parts_name UNIQUE (name)
);

CREATE TABLE conversion_rollups (
    scope INTEGER NOT NULL, 
    free_users_with_history INTEGER NOT NULL, 
    converted INTEGER NOT NULL, 
    CONSTRAINT pk_conversion_rollups PRIMARY KEY (scope)
);

COMMENT ON COLUMN conversion_rollups.scope IS '0: every user; otherwise the id of an organisation (its current members).';

CREATE TABLE daily_activity_history (
    id INTEGER, 
    user_id INTEGER, 
    activity_date DATE, 
    steps INTEGER, 
    distance_km FLOAT, 
    very_active_min SMALLINT, 
    fairly_active_min SMALLINT, 
    lightly_active_min SMALLINT, 
    sedentary_min SMALLINT, 
    calories_kcal FLOAT, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE daily_activity_history IS 'Rows that left daily_activity (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN daily_activity_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN daily_activity_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN daily_activity_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN daily_activity_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN daily_activity_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_daily_activity_history_batch_id ON daily_activity_history (batch_id);

CREATE TABLE engagement_rollups (
    scope INTEGER NOT NULL, 
    as_of TIMESTAMP WITH TIME ZONE NOT NULL, 
    dau INTEGER NOT NULL, 
    wau INTEGER NOT NULL, 
    mau INTEGER NOT NULL, 
    users_with_sessions INTEGER NOT NULL, 
    retained_d7 INTEGER NOT NULL, 
    retained_d30 INTEGER NOT NULL, 
    CONSTRAINT pk_engagement_rollups PRIMARY KEY (scope)
);

COMMENT ON COLUMN engagement_rollups.scope IS '0: every user; otherwise the id of an organisation (its current members).';

COMMENT ON COLUMN engagement_rollups.as_of IS 'Start of the scope''s latest session.';

CREATE TABLE equipment (
    id SERIAL NOT NULL, 
    name VARCHAR(60) NOT NULL, 
    CONSTRAINT pk_equipment PRIMARY KEY (id), 
    CONSTRAINT uq_equipment_name UNIQUE (name)
);

CREATE TABLE exercises_history (
    id INTEGER, 
    code VARCHAR(170), 
    source VARCHAR(40), 
    source_key VARCHAR(120), 
    name VARCHAR(200), 
    exercise_type VARCHAR(40), 
    body_part_id INTEGER, 
    equipment_id INTEGER, 
    level VARCHAR(20), 
    force VARCHAR(10), 
    mechanic VARCHAR(12), 
    instructions TEXT, 
    same_as_id INTEGER, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE exercises_history IS 'Rows that left exercises (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN exercises_history.code IS '''<source>:<id>''.';

COMMENT ON COLUMN exercises_history.source_key IS 'Identifier in the source.';

COMMENT ON COLUMN exercises_history.exercise_type IS 'strength, cardio, stretching, plyometrics...';

COMMENT ON COLUMN exercises_history.level IS 'Difficulty level.';

COMMENT ON COLUMN exercises_history.instructions IS 'Steps, one per line.';

COMMENT ON COLUMN exercises_history.same_as_id IS 'The matching exercise of another source, if any.';

COMMENT ON COLUMN exercises_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN exercises_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN exercises_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN exercises_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN exercises_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_exercises_history_batch_id ON exercises_history (batch_id);

CREATE TABLE foods_history (
    id INTEGER, 
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
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE foods_history IS 'Rows that left foods (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN foods_history.code IS 'Natural key: ''<source>:<identifier in the source>''.';

COMMENT ON COLUMN foods_history.source IS 'Source name (e.g. ciqual).';

COMMENT ON COLUMN foods_history.source_code IS 'Identifier in the source.';

COMMENT ON COLUMN foods_history.energy_kcal IS 'kcal per 100 g';

COMMENT ON COLUMN foods_history.protein_g IS 'g per 100 g';

COMMENT ON COLUMN foods_history.carbohydrate_g IS 'g per 100 g';

COMMENT ON COLUMN foods_history.fat_g IS 'g per 100 g';

COMMENT ON COLUMN foods_history.fibre_g IS 'g per 100 g';

COMMENT ON COLUMN foods_history.sugars_g IS 'g per 100 g';

COMMENT ON COLUMN foods_history.salt_g IS 'g per 100 g';

COMMENT ON COLUMN foods_history.sodium_mg IS 'mg per 100 g';

COMMENT ON COLUMN foods_history.cholesterol_mg IS 'mg per 100 g';

COMMENT ON COLUMN foods_history.portion_g IS 'Typical portion in grams, when the source states one.';

COMMENT ON COLUMN foods_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN foods_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN foods_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN foods_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN foods_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_foods_history_batch_id ON foods_history (batch_id);

CREATE TABLE login_attempts (
    id SERIAL NOT NULL, 
    key CHAR(64) NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_login_attempts PRIMARY KEY (id)
);

COMMENT ON COLUMN login_attempts.key IS 'HMAC-SHA256 of the client address and the lower-cased username, keyed with PSEUDONYM_SECRET.';

COMMENT ON COLUMN login_attempts.at IS 'When the attempt was made.';

CREATE INDEX ix_login_attempts_at ON login_attempts (at);

CREATE INDEX ix_login_attempts_key_at ON login_attempts (key, at);

CREATE TABLE meal_logs_history (
    id INTEGER, 
    user_id INTEGER, 
    eaten_on DATE, 
    meal_type VARCHAR(20), 
    food_id INTEGER, 
    food_label VARCHAR(300), 
    quantity_g FLOAT, 
    energy_kcal FLOAT, 
    protein_g FLOAT, 
    carbohydrate_g FLOAT, 
    fat_g FLOAT, 
    fibre_g FLOAT, 
    sugars_g FLOAT, 
    sodium_mg FLOAT, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE meal_logs_history IS 'Rows that left meal_logs (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN meal_logs_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN meal_logs_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN meal_logs_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN meal_logs_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN meal_logs_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_meal_logs_history_batch_id ON meal_logs_history (batch_id);

CREATE TABLE muscles (
    id SERIAL NOT NULL, 
    name VARCHAR(60) NOT NULL, 
    CONSTRAINT pk_muscles PRIMARY KEY (id), 
    CONSTRAINT uq_muscles_name UNIQUE (name)
);

CREATE TABLE organisations (
    id SERIAL NOT NULL, 
    slug VARCHAR(60) NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    kind VARCHAR(20) NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_organisations PRIMARY KEY (id), 
    CONSTRAINT ck_organisations_kind_known CHECK (kind IN ('gym', 'insurer', 'employer', 'other')), 
    CONSTRAINT uq_organisations_slug UNIQUE (slug)
);

COMMENT ON COLUMN organisations.slug IS 'Stable tenant key.';

COMMENT ON COLUMN organisations.kind IS 'gym, insurer, employer or other.';

COMMENT ON COLUMN organisations.created_at IS 'When the row was written.';

CREATE TABLE personal_data_access (
    id SERIAL NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    actor VARCHAR(120) NOT NULL, 
    role VARCHAR(20) NOT NULL, 
    action VARCHAR(20) NOT NULL, 
    resource VARCHAR(60) NOT NULL, 
    path VARCHAR(500) NOT NULL, 
    detail JSON NOT NULL, 
    CONSTRAINT pk_personal_data_access PRIMARY KEY (id)
);

COMMENT ON COLUMN personal_data_access.action IS 'read, export or erase.';

CREATE INDEX ix_personal_data_access_actor_at ON personal_data_access (actor, at);

CREATE INDEX ix_personal_data_access_at ON personal_data_access (at);

CREATE TABLE progression_rollups (
    scope INTEGER NOT NULL, 
    metric VARCHAR(20) NOT NULL, 
    users_measured INTEGER NOT NULL, 
    users_with_progression INTEGER NOT NULL, 
    change_sum FLOAT NOT NULL, 
    rated_users INTEGER NOT NULL, 
    rate_sum FLOAT NOT NULL, 
    decreasing_users INTEGER NOT NULL, 
    CONSTRAINT pk_progression_rollups PRIMARY KEY (scope, metric)
);

COMMENT ON COLUMN progression_rollups.scope IS '0: every user; otherwise the id of an organisation (its current members).';

COMMENT ON COLUMN progression_rollups.users_with_progression IS 'Users with at least two measurements.';

COMMENT ON COLUMN progression_rollups.change_sum IS 'Sum of last minus first value.';

COMMENT ON COLUMN progression_rollups.rated_users IS 'Users whose first and last measurements differ in time.';

COMMENT ON COLUMN progression_rollups.rate_sum IS 'Sum of the changes per week.';

CREATE TABLE recipes_history (
    id INTEGER, 
    code VARCHAR(130), 
    source VARCHAR(40), 
    source_code VARCHAR(80), 
    name VARCHAR(300), 
    servings SMALLINT, 
    instructions TEXT, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE recipes_history IS 'Rows that left recipes (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN recipes_history.code IS '''<source>:<id>''.';

COMMENT ON COLUMN recipes_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN recipes_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN recipes_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN recipes_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN recipes_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_recipes_history_batch_id ON recipes_history (batch_id);

CREATE TABLE satisfaction_surveys_history (
    id INTEGER, 
    user_id INTEGER, 
    answered_on DATE, 
    score SMALLINT, 
    comment TEXT, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE satisfaction_surveys_history IS 'Rows that left satisfaction_surveys (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN satisfaction_surveys_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN satisfaction_surveys_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN satisfaction_surveys_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN satisfaction_surveys_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN satisfaction_surveys_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_satisfaction_surveys_history_batch_id ON satisfaction_surveys_history (batch_id);

CREATE TABLE sources (
    id SERIAL NOT NULL, 
    name VARCHAR(60) NOT NULL, 
    title VARCHAR(200) NOT NULL, 
    format VARCHAR(20) NOT NULL, 
    location VARCHAR(500) NOT NULL, 
    owner VARCHAR(120) NOT NULL, 
    licence VARCHAR(300) NOT NULL, 
    update_frequency VARCHAR(40) NOT NULL, 
    auto_approve BOOLEAN NOT NULL, 
    CONSTRAINT pk_sources PRIMARY KEY (id), 
    CONSTRAINT uq_sources_name UNIQUE (name)
);

CREATE TABLE staging_app_sessions (
    staging_id SERIAL NOT NULL, 
    user_key VARCHAR(200), 
    started_at TIMESTAMP WITH TIME ZONE, 
    duration_s INTEGER, 
    platform VARCHAR(10), 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    CONSTRAINT pk_staging_app_sessions PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_app_sessions IS 'Cleaned rows of unpublished batches for app_sessions.';

CREATE INDEX ix_staging_app_sessions_batch_id ON staging_app_sessions (batch_id);

CREATE TABLE staging_biometric_readings (
    staging_id SERIAL NOT NULL, 
    batch_id INTEGER, 
    record INTEGER, 
    user_key VARCHAR(200), 
    measured_at TIMESTAMP WITH TIME ZONE, 
    weight_kg FLOAT, 
    body_fat_pct FLOAT, 
    bmi FLOAT, 
    sleep_hours FLOAT, 
    resting_hr_bpm FLOAT, 
    steps FLOAT, 
    water_l FLOAT, 
    CONSTRAINT pk_staging_biometric_readings PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_biometric_readings IS 'Cleaned rows of unpublished batches for biometric_readings.';

CREATE INDEX ix_staging_biometric_readings_batch_id ON staging_biometric_readings (batch_id);

CREATE TABLE staging_daily_activity (
    staging_id SERIAL NOT NULL, 
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
    CONSTRAINT pk_staging_daily_activity PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_daily_activity IS 'Cleaned rows of unpublished batches for daily_activity.';

CREATE INDEX ix_staging_daily_activity_batch_id ON staging_daily_activity (batch_id);

CREATE TABLE staging_exercise_muscles (
    staging_id SERIAL NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    exercise_key VARCHAR(200), 
    muscle_key VARCHAR(200), 
    role VARCHAR(10), 
    CONSTRAINT pk_staging_exercise_muscles PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_exercise_muscles IS 'Cleaned rows of unpublished batches for exercise_muscles.';

CREATE INDEX ix_staging_exercise_muscles_batch_id ON staging_exercise_muscles (batch_id);

CREATE TABLE staging_exercises (
    staging_id SERIAL NOT NULL, 
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
    CONSTRAINT pk_staging_exercises PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_exercises IS 'Cleaned rows of unpublished batches for exercises.';

CREATE INDEX ix_staging_exercises_batch_id ON staging_exercises (batch_id);

CREATE TABLE staging_foods (
    staging_id SERIAL NOT NULL, 
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
    CONSTRAINT pk_staging_foods PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_foods IS 'Cleaned rows of unpublished batches for foods.';

CREATE INDEX ix_staging_foods_batch_id ON staging_foods (batch_id);

CREATE TABLE staging_meal_logs (
    staging_id SERIAL NOT NULL, 
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
    CONSTRAINT pk_staging_meal_logs PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_meal_logs IS 'Cleaned rows of unpublished batches for meal_logs.';

CREATE INDEX ix_staging_meal_logs_batch_id ON staging_meal_logs (batch_id);

CREATE TABLE staging_recipe_ingredients (
    staging_id SERIAL NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    recipe_key VARCHAR(200), 
    food_key VARCHAR(200), 
    quantity_g FLOAT, 
    CONSTRAINT pk_staging_recipe_ingredients PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_recipe_ingredients IS 'Cleaned rows of unpublished batches for recipe_ingredients.';

CREATE INDEX ix_staging_recipe_ingredients_batch_id ON staging_recipe_ingredients (batch_id);

CREATE TABLE staging_recipes (
    staging_id SERIAL NOT NULL, 
    code VARCHAR(130), 
    source VARCHAR(40), 
    source_code VARCHAR(80), 
    name VARCHAR(300), 
    servings SMALLINT, 
    instructions TEXT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    CONSTRAINT pk_staging_recipes PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_recipes IS 'Cleaned rows of unpublished batches for recipes.';

CREATE INDEX ix_staging_recipes_batch_id ON staging_recipes (batch_id);

CREATE TABLE staging_satisfaction_surveys (
    staging_id SERIAL NOT NULL, 
    user_key VARCHAR(200), 
    answered_on DATE, 
    score SMALLINT, 
    comment TEXT, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    CONSTRAINT pk_staging_satisfaction_surveys PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_satisfaction_surveys IS 'Cleaned rows of unpublished batches for satisfaction_surveys.';

CREATE INDEX ix_staging_satisfaction_surveys_batch_id ON staging_satisfaction_surveys (batch_id);

CREATE TABLE staging_subscriptions (
    staging_id SERIAL NOT NULL, 
    user_key VARCHAR(200), 
    plan_tier VARCHAR(20), 
    started_on DATE, 
    ended_on DATE, 
    source_record VARCHAR(200), 
    batch_id INTEGER, 
    CONSTRAINT pk_staging_subscriptions PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_subscriptions IS 'Cleaned rows of unpublished batches for subscriptions.';

CREATE INDEX ix_staging_subscriptions_batch_id ON staging_subscriptions (batch_id);

CREATE TABLE staging_user_allergies (
    staging_id SERIAL NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    user_key VARCHAR(200), 
    allergen VARCHAR(40), 
    CONSTRAINT pk_staging_user_allergies PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_user_allergies IS 'Cleaned rows of unpublished batches for user_allergies.';

CREATE INDEX ix_staging_user_allergies_batch_id ON staging_user_allergies (batch_id);

CREATE TABLE staging_user_dietary_restrictions (
    staging_id SERIAL NOT NULL, 
    batch_id INTEGER, 
    source_record VARCHAR(200), 
    user_key VARCHAR(200), 
    restriction VARCHAR(40), 
    CONSTRAINT pk_staging_user_dietary_restrictions PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_user_dietary_restrictions IS 'Cleaned rows of unpublished batches for user_dietary_restrictions.';

CREATE INDEX ix_staging_user_dietary_restrictions_batch_id ON staging_user_dietary_restrictions (batch_id);

CREATE TABLE staging_users (
    staging_id SERIAL NOT NULL, 
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
    created_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_staging_users PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_users IS 'Cleaned rows of unpublished batches for users.';

CREATE INDEX ix_staging_users_batch_id ON staging_users (batch_id);

CREATE TABLE staging_workout_sessions (
    staging_id SERIAL NOT NULL, 
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
    CONSTRAINT pk_staging_workout_sessions PRIMARY KEY (staging_id)
);

COMMENT ON TABLE staging_workout_sessions IS 'Cleaned rows of unpublished batches for workout_sessions.';

CREATE INDEX ix_staging_workout_sessions_batch_id ON staging_workout_sessions (batch_id);

CREATE TABLE subscriptions_history (
    id INTEGER, 
    user_id INTEGER, 
    plan_tier VARCHAR(20), 
    started_on DATE, 
    ended_on DATE, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE subscriptions_history IS 'Rows that left subscriptions (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN subscriptions_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN subscriptions_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN subscriptions_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN subscriptions_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN subscriptions_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_subscriptions_history_batch_id ON subscriptions_history (batch_id);

CREATE TABLE users_history (
    id INTEGER, 
    external_key VARCHAR(120), 
    birth_year SMALLINT, 
    sex VARCHAR(10), 
    height_cm FLOAT, 
    goal VARCHAR(30), 
    activity_level VARCHAR(20), 
    experience_level SMALLINT, 
    workouts_per_week SMALLINT, 
    plan_tier VARCHAR(20), 
    organisation_id INTEGER, 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE, 
    until_version INTEGER
);

COMMENT ON TABLE users_history IS 'Rows that left users (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN users_history.external_key IS 'Pseudonymous natural key: source name + record.';

COMMENT ON COLUMN users_history.experience_level IS '1 beginner, 2 intermediate, 3 expert.';

COMMENT ON COLUMN users_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN users_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN users_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN users_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN users_history.created_at IS 'When the row was written.';

COMMENT ON COLUMN users_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_users_history_batch_id ON users_history (batch_id);

CREATE TABLE workout_sessions_history (
    id INTEGER, 
    user_id INTEGER, 
    exercise_id INTEGER, 
    workout_type VARCHAR(40), 
    performed_on DATE, 
    duration_min FLOAT, 
    calories_kcal FLOAT, 
    avg_hr_bpm SMALLINT, 
    max_hr_bpm SMALLINT, 
    intensity VARCHAR(10), 
    source_sha256 CHAR(64), 
    source_record VARCHAR(200), 
    since_version INTEGER, 
    batch_id INTEGER, 
    until_version INTEGER
);

COMMENT ON TABLE workout_sessions_history IS 'Rows that left workout_sessions (rolled back with their batch, or changed or deleted through the API), kept for as-of reads (healthai.pipeline.versions).';

COMMENT ON COLUMN workout_sessions_history.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN workout_sessions_history.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN workout_sessions_history.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN workout_sessions_history.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN workout_sessions_history.until_version IS 'Dataset version from which this row no longer holds (changed or deleted through the API); NULL when it left with its batch''s rollback.';

CREATE INDEX ix_workout_sessions_history_batch_id ON workout_sessions_history (batch_id);

CREATE TABLE api_accounts (
    id SERIAL NOT NULL, 
    username VARCHAR(120) NOT NULL, 
    password_hash VARCHAR(300) NOT NULL, 
    role VARCHAR(20) NOT NULL, 
    organisation_id INTEGER, 
    is_active BOOLEAN NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_api_accounts PRIMARY KEY (id), 
    CONSTRAINT ck_api_accounts_partner_has_organisation CHECK (role <> 'partner' OR organisation_id IS NOT NULL), 
    CONSTRAINT ck_api_accounts_role_known CHECK (role IN ('admin', 'steward', 'analyst', 'partner')), 
    CONSTRAINT fk_api_accounts_organisation_id_organisations FOREIGN KEY(organisation_id) REFERENCES organisations (id), 
    CONSTRAINT uq_api_accounts_username UNIQUE (username)
);

COMMENT ON COLUMN api_accounts.password_hash IS 'Argon2 hash (pwdlib).';

COMMENT ON COLUMN api_accounts.organisation_id IS 'Tenant of a partner account.';

COMMENT ON COLUMN api_accounts.created_at IS 'When the row was written.';

CREATE INDEX ix_api_accounts_organisation_id ON api_accounts (organisation_id);

CREATE TABLE api_keys (
    id SERIAL NOT NULL, 
    name VARCHAR(120) NOT NULL, 
    prefix VARCHAR(16) NOT NULL, 
    key_hash CHAR(64) NOT NULL, 
    role VARCHAR(20) NOT NULL, 
    organisation_id INTEGER, 
    revoked_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_api_keys PRIMARY KEY (id), 
    CONSTRAINT ck_api_keys_partner_has_organisation CHECK (role <> 'partner' OR organisation_id IS NOT NULL), 
    CONSTRAINT ck_api_keys_role_known CHECK (role IN ('admin', 'steward', 'analyst', 'partner')), 
    CONSTRAINT fk_api_keys_organisation_id_organisations FOREIGN KEY(organisation_id) REFERENCES organisations (id), 
    CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash), 
    CONSTRAINT uq_api_keys_name UNIQUE (name)
);

COMMENT ON COLUMN api_keys.key_hash IS 'SHA-256 of the key.';

COMMENT ON COLUMN api_keys.created_at IS 'When the row was written.';

CREATE INDEX ix_api_keys_prefix ON api_keys (prefix);

CREATE TABLE raw_files (
    id SERIAL NOT NULL, 
    source_id INTEGER NOT NULL, 
    sha256 CHAR(64) NOT NULL, 
    original_name VARCHAR(500) NOT NULL, 
    stored_path VARCHAR(1000) NOT NULL, 
    size_bytes BIGINT NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    content_sha256 CHAR(64), 
    CONSTRAINT pk_raw_files PRIMARY KEY (id), 
    CONSTRAINT fk_raw_files_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id), 
    CONSTRAINT uq_raw_files_source_id_sha256 UNIQUE (source_id, sha256)
);

COMMENT ON COLUMN raw_files.created_at IS 'When the row was written.';

COMMENT ON COLUMN raw_files.content_sha256 IS 'SHA-256 of the stored bytes once an erasure rewrote the file without a person''s records (NULL: never rewritten; `sha256` stays the fingerprint of what came in). A file with either fingerprint is known and not ingested again.';

CREATE INDEX ix_raw_files_content_sha256 ON raw_files (content_sha256);

CREATE TABLE erasures (
    id SERIAL NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    actor VARCHAR(120) NOT NULL, 
    subject CHAR(64) NOT NULL, 
    detail JSON NOT NULL, 
    CONSTRAINT pk_erasures PRIMARY KEY (id)
);

COMMENT ON COLUMN erasures.subject IS 'HMAC-SHA256, keyed with PSEUDONYM_SECRET, of `erased:<users.external_key>`.';

COMMENT ON COLUMN erasures.detail IS 'Rows removed per table, log entries cleared, files rewritten.';

CREATE INDEX ix_erasures_at ON erasures (at);

CREATE INDEX ix_erasures_subject ON erasures (subject);

CREATE TABLE ingestion_runs (
    id SERIAL NOT NULL, 
    source_id INTEGER NOT NULL, 
    dagster_run_id VARCHAR(64), 
    raw_file_id INTEGER, 
    started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    finished_at TIMESTAMP WITH TIME ZONE, 
    status VARCHAR(12) NOT NULL, 
    rows_in INTEGER NOT NULL, 
    rows_published INTEGER NOT NULL, 
    rows_quarantined INTEGER NOT NULL, 
    rows_duplicate INTEGER NOT NULL, 
    rows_pending INTEGER NOT NULL, 
    rows_erased INTEGER DEFAULT 0 NOT NULL, 
    error TEXT, 
    CONSTRAINT pk_ingestion_runs PRIMARY KEY (id), 
    CONSTRAINT ck_ingestion_runs_rows_add_up CHECK (status = 'running' OR status = 'failed' OR rows_in = rows_published + rows_quarantined + rows_duplicate + rows_pending + rows_erased), 
    CONSTRAINT ck_ingestion_runs_status_known CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'skipped')), 
    CONSTRAINT fk_ingestion_runs_raw_file_id_raw_files FOREIGN KEY(raw_file_id) REFERENCES raw_files (id), 
    CONSTRAINT fk_ingestion_runs_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id)
);

COMMENT ON COLUMN ingestion_runs.rows_pending IS 'Staged rows waiting for approval (not yet published).';

COMMENT ON COLUMN ingestion_runs.rows_erased IS 'Records published, quarantined or pending, later erased with their person (right to erasure).';

CREATE INDEX ix_ingestion_runs_dagster_run_id ON ingestion_runs (dagster_run_id);

CREATE INDEX ix_ingestion_runs_source_id_started_at ON ingestion_runs (source_id, started_at);

CREATE TABLE refresh_tokens (
    jti VARCHAR(64) NOT NULL, 
    account_id INTEGER NOT NULL, 
    issued_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    revoked_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_refresh_tokens PRIMARY KEY (jti), 
    CONSTRAINT fk_refresh_tokens_account_id_api_accounts FOREIGN KEY(account_id) REFERENCES api_accounts (id) ON DELETE CASCADE
);

CREATE INDEX ix_refresh_tokens_account_id ON refresh_tokens (account_id);

CREATE TABLE batches (
    id SERIAL NOT NULL, 
    source_id INTEGER NOT NULL, 
    run_id INTEGER, 
    raw_file_id INTEGER, 
    source_sha256 CHAR(64), 
    status VARCHAR(12) NOT NULL, 
    rows_staged INTEGER NOT NULL, 
    rows_by_table JSON NOT NULL, 
    audited_at TIMESTAMP WITH TIME ZONE, 
    decided_by VARCHAR(120), 
    decided_at TIMESTAMP WITH TIME ZONE, 
    decision_comment TEXT, 
    published_at TIMESTAMP WITH TIME ZONE, 
    rolled_back_by VARCHAR(120), 
    rolled_back_at TIMESTAMP WITH TIME ZONE, 
    published_version INTEGER, 
    rolled_back_version INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_batches PRIMARY KEY (id), 
    CONSTRAINT ck_batches_status_known CHECK (status IN ('staged', 'audited', 'audit_failed', 'approved', 'rejected', 'published', 'rolled_back')), 
    CONSTRAINT fk_batches_raw_file_id_raw_files FOREIGN KEY(raw_file_id) REFERENCES raw_files (id), 
    CONSTRAINT fk_batches_run_id_ingestion_runs FOREIGN KEY(run_id) REFERENCES ingestion_runs (id), 
    CONSTRAINT fk_batches_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id)
);

COMMENT ON COLUMN batches.source_sha256 IS 'SHA-256 of the source file or API response of every row staged in the batch; publication writes it into each row''s lineage.';

COMMENT ON COLUMN batches.published_version IS 'Dataset version its publication made (its rows are visible from it).';

COMMENT ON COLUMN batches.rolled_back_version IS 'Dataset version its rollback made (its rows are visible before it).';

COMMENT ON COLUMN batches.created_at IS 'When the row was written.';

CREATE INDEX ix_batches_source_id_status ON batches (source_id, status);

CREATE TABLE quality_snapshots (
    id SERIAL NOT NULL, 
    source_id INTEGER NOT NULL, 
    measured_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    dagster_run_id VARCHAR(64), 
    run_id INTEGER, 
    score FLOAT, 
    threshold FLOAT NOT NULL, 
    completeness FLOAT, 
    validity FLOAT, 
    uniqueness FLOAT, 
    consistency FLOAT, 
    freshness FLOAT, 
    volume FLOAT, 
    backlog FLOAT, 
    newest_data_at TIMESTAMP WITH TIME ZONE, 
    age_hours FLOAT, 
    max_age_hours FLOAT, 
    stale BOOLEAN NOT NULL, 
    rows_in INTEGER, 
    rows_expected FLOAT, 
    volume_anomaly BOOLEAN NOT NULL, 
    quarantine_open INTEGER NOT NULL, 
    alerts JSON NOT NULL, 
    CONSTRAINT pk_quality_snapshots PRIMARY KEY (id), 
    CONSTRAINT fk_quality_snapshots_run_id_ingestion_runs FOREIGN KEY(run_id) REFERENCES ingestion_runs (id), 
    CONSTRAINT fk_quality_snapshots_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id)
);

COMMENT ON COLUMN quality_snapshots.run_id IS 'Latest ingestion run taken into account.';

COMMENT ON COLUMN quality_snapshots.score IS 'Overall score 0-100 (weighted mean of the measured dimensions).';

COMMENT ON COLUMN quality_snapshots.threshold IS 'Score below which an alert fires.';

COMMENT ON COLUMN quality_snapshots.newest_data_at IS 'When the newest file of the source arrived.';

COMMENT ON COLUMN quality_snapshots.max_age_hours IS 'Allowed age from the update frequency (null: no expectation).';

COMMENT ON COLUMN quality_snapshots.rows_in IS 'Rows of the latest delivery.';

COMMENT ON COLUMN quality_snapshots.rows_expected IS 'Mean rows of the previous deliveries.';

CREATE INDEX ix_quality_snapshots_source_id_measured_at ON quality_snapshots (source_id, measured_at);

CREATE TABLE batch_checks (
    id SERIAL NOT NULL, 
    batch_id INTEGER NOT NULL, 
    name VARCHAR(120) NOT NULL, 
    description TEXT NOT NULL, 
    passed BOOLEAN NOT NULL, 
    blocking BOOLEAN NOT NULL, 
    observed JSON NOT NULL, 
    checked_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_batch_checks PRIMARY KEY (id), 
    CONSTRAINT fk_batch_checks_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE, 
    CONSTRAINT uq_batch_checks_batch_id_name UNIQUE (batch_id, name)
);

CREATE TABLE dataset_versions (
    version INTEGER NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    kind VARCHAR(20) NOT NULL, 
    batch_id INTEGER, 
    actor VARCHAR(120), 
    detail JSON, 
    CONSTRAINT pk_dataset_versions PRIMARY KEY (version), 
    CONSTRAINT ck_dataset_versions_kind_known CHECK (kind IN ('publication', 'rollback', 'correction', 'erasure', 'api_write')), 
    CONSTRAINT fk_dataset_versions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id)
);

CREATE TABLE exercises (
    id SERIAL NOT NULL, 
    code VARCHAR(170) NOT NULL, 
    source VARCHAR(40) NOT NULL, 
    source_key VARCHAR(120) NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    exercise_type VARCHAR(40), 
    body_part_id INTEGER, 
    equipment_id INTEGER, 
    level VARCHAR(20), 
    force VARCHAR(10), 
    mechanic VARCHAR(12), 
    instructions TEXT, 
    same_as_id INTEGER, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_exercises PRIMARY KEY (id), 
    CONSTRAINT ck_exercises_force_known CHECK (force IN ('push', 'pull', 'static')), 
    CONSTRAINT ck_exercises_level_known CHECK (level IN ('beginner', 'intermediate', 'expert')), 
    CONSTRAINT ck_exercises_mechanic_known CHECK (mechanic IN ('compound', 'isolation')), 
    CONSTRAINT fk_exercises_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_exercises_body_part_id_body_parts FOREIGN KEY(body_part_id) REFERENCES body_parts (id), 
    CONSTRAINT fk_exercises_equipment_id_equipment FOREIGN KEY(equipment_id) REFERENCES equipment (id), 
    CONSTRAINT fk_exercises_same_as_id_exercises FOREIGN KEY(same_as_id) REFERENCES exercises (id), 
    CONSTRAINT uq_exercises_code UNIQUE (code)
);

COMMENT ON COLUMN exercises.code IS '''<source>:<id>''.';

COMMENT ON COLUMN exercises.source_key IS 'Identifier in the source.';

COMMENT ON COLUMN exercises.exercise_type IS 'strength, cardio, stretching, plyometrics...';

COMMENT ON COLUMN exercises.level IS 'Difficulty level.';

COMMENT ON COLUMN exercises.instructions IS 'Steps, one per line.';

COMMENT ON COLUMN exercises.same_as_id IS 'The matching exercise of another source, if any.';

COMMENT ON COLUMN exercises.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN exercises.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN exercises.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN exercises.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_exercises_batch_id ON exercises (batch_id);

CREATE INDEX ix_exercises_body_part_id ON exercises (body_part_id);

CREATE INDEX ix_exercises_equipment_id ON exercises (equipment_id);

CREATE INDEX ix_exercises_exercise_type ON exercises (exercise_type);

CREATE INDEX ix_exercises_name ON exercises (name);

CREATE TABLE foods (
    id SERIAL NOT NULL, 
    code VARCHAR(130) NOT NULL, 
    source VARCHAR(40) NOT NULL, 
    source_code VARCHAR(80) NOT NULL, 
    name VARCHAR(300) NOT NULL, 
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
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_foods PRIMARY KEY (id), 
    CONSTRAINT ck_foods_carbohydrate_g_per_100g CHECK (carbohydrate_g IS NULL OR carbohydrate_g BETWEEN 0 AND 100), 
    CONSTRAINT ck_foods_cholesterol CHECK (cholesterol_mg IS NULL OR cholesterol_mg BETWEEN 0 AND 5000), 
    CONSTRAINT ck_foods_energy CHECK (energy_kcal IS NULL OR energy_kcal BETWEEN 0 AND 950), 
    CONSTRAINT ck_foods_fat_g_per_100g CHECK (fat_g IS NULL OR fat_g BETWEEN 0 AND 100), 
    CONSTRAINT ck_foods_fibre_g_per_100g CHECK (fibre_g IS NULL OR fibre_g BETWEEN 0 AND 100), 
    CONSTRAINT ck_foods_protein_g_per_100g CHECK (protein_g IS NULL OR protein_g BETWEEN 0 AND 100), 
    CONSTRAINT ck_foods_salt_g_per_100g CHECK (salt_g IS NULL OR salt_g BETWEEN 0 AND 100), 
    CONSTRAINT ck_foods_sodium CHECK (sodium_mg IS NULL OR sodium_mg BETWEEN 0 AND 40000), 
    CONSTRAINT ck_foods_sugars_g_per_100g CHECK (sugars_g IS NULL OR sugars_g BETWEEN 0 AND 100), 
    CONSTRAINT fk_foods_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT uq_foods_code UNIQUE (code)
);

COMMENT ON COLUMN foods.code IS 'Natural key: ''<source>:<identifier in the source>''.';

COMMENT ON COLUMN foods.source IS 'Source name (e.g. ciqual).';

COMMENT ON COLUMN foods.source_code IS 'Identifier in the source.';

COMMENT ON COLUMN foods.energy_kcal IS 'kcal per 100 g';

COMMENT ON COLUMN foods.protein_g IS 'g per 100 g';

COMMENT ON COLUMN foods.carbohydrate_g IS 'g per 100 g';

COMMENT ON COLUMN foods.fat_g IS 'g per 100 g';

COMMENT ON COLUMN foods.fibre_g IS 'g per 100 g';

COMMENT ON COLUMN foods.sugars_g IS 'g per 100 g';

COMMENT ON COLUMN foods.salt_g IS 'g per 100 g';

COMMENT ON COLUMN foods.sodium_mg IS 'mg per 100 g';

COMMENT ON COLUMN foods.cholesterol_mg IS 'mg per 100 g';

COMMENT ON COLUMN foods.portion_g IS 'Typical portion in grams, when the source states one.';

COMMENT ON COLUMN foods.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN foods.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN foods.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN foods.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_foods_batch_id ON foods (batch_id);

CREATE INDEX ix_foods_category ON foods (category);

CREATE INDEX ix_foods_name ON foods (name);

CREATE TABLE quality_metrics (
    id SERIAL NOT NULL, 
    snapshot_id INTEGER NOT NULL, 
    source_id INTEGER NOT NULL, 
    measured_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    dimension VARCHAR(20) NOT NULL, 
    table_name VARCHAR(80), 
    column_name VARCHAR(120), 
    rule VARCHAR(120) NOT NULL, 
    description VARCHAR(300), 
    value FLOAT, 
    numerator FLOAT, 
    denominator FLOAT, 
    passed BOOLEAN, 
    detail JSON NOT NULL, 
    CONSTRAINT pk_quality_metrics PRIMARY KEY (id), 
    CONSTRAINT ck_quality_metrics_dimension_known CHECK (dimension IN ('completeness', 'validity', 'uniqueness', 'consistency', 'freshness', 'volume', 'backlog')), 
    CONSTRAINT fk_quality_metrics_snapshot_id_quality_snapshots FOREIGN KEY(snapshot_id) REFERENCES quality_snapshots (id) ON DELETE CASCADE, 
    CONSTRAINT fk_quality_metrics_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id)
);

COMMENT ON COLUMN quality_metrics.table_name IS 'Published table, or ''raw'' for the latest source file.';

COMMENT ON COLUMN quality_metrics.rule IS 'What was measured, as a short name.';

COMMENT ON COLUMN quality_metrics.value IS 'Share in [0, 1] (1 is best).';

CREATE INDEX ix_quality_metrics_snapshot_id ON quality_metrics (snapshot_id);

CREATE INDEX ix_quality_metrics_source_id_dimension_measured_at ON quality_metrics (source_id, dimension, measured_at);

CREATE TABLE quarantined_rows (
    id SERIAL NOT NULL, 
    source_id INTEGER NOT NULL, 
    run_id INTEGER NOT NULL, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    raw JSON NOT NULL, 
    reasons JSON NOT NULL, 
    status VARCHAR(10) NOT NULL, 
    resolved_by VARCHAR(120), 
    resolved_at TIMESTAMP WITH TIME ZONE, 
    requeued_batch_id INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_quarantined_rows PRIMARY KEY (id), 
    CONSTRAINT ck_quarantined_rows_status_known CHECK (status IN ('open', 'requeued', 'discarded')), 
    CONSTRAINT fk_quarantined_rows_requeued_batch_id_batches FOREIGN KEY(requeued_batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_quarantined_rows_run_id_ingestion_runs FOREIGN KEY(run_id) REFERENCES ingestion_runs (id), 
    CONSTRAINT fk_quarantined_rows_source_id_sources FOREIGN KEY(source_id) REFERENCES sources (id)
);

COMMENT ON COLUMN quarantined_rows.raw IS 'The untouched source row.';

COMMENT ON COLUMN quarantined_rows.reasons IS 'Every broken rule: [{rule, column, value}].';

COMMENT ON COLUMN quarantined_rows.created_at IS 'When the row was written.';

CREATE INDEX ix_quarantined_rows_run_id ON quarantined_rows (run_id);

CREATE INDEX ix_quarantined_rows_source_id_status ON quarantined_rows (source_id, status);

CREATE TABLE recipes (
    id SERIAL NOT NULL, 
    code VARCHAR(130) NOT NULL, 
    source VARCHAR(40) NOT NULL, 
    source_code VARCHAR(80) NOT NULL, 
    name VARCHAR(300) NOT NULL, 
    servings SMALLINT NOT NULL, 
    instructions TEXT, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_recipes PRIMARY KEY (id), 
    CONSTRAINT ck_recipes_servings_positive CHECK (servings > 0), 
    CONSTRAINT fk_recipes_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT uq_recipes_code UNIQUE (code)
);

COMMENT ON COLUMN recipes.code IS '''<source>:<id>''.';

COMMENT ON COLUMN recipes.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN recipes.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN recipes.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN recipes.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_recipes_batch_id ON recipes (batch_id);

CREATE TABLE users (
    id SERIAL NOT NULL, 
    external_key VARCHAR(120) NOT NULL, 
    birth_year SMALLINT, 
    sex VARCHAR(10), 
    height_cm FLOAT, 
    goal VARCHAR(30), 
    activity_level VARCHAR(20), 
    experience_level SMALLINT, 
    workouts_per_week SMALLINT, 
    plan_tier VARCHAR(20) NOT NULL, 
    organisation_id INTEGER, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_users PRIMARY KEY (id), 
    CONSTRAINT ck_users_activity_level_known CHECK (activity_level IN ('sedentary', 'light', 'moderate', 'active', 'very_active')), 
    CONSTRAINT ck_users_goal_known CHECK (goal IN ('lose_weight', 'gain_muscle', 'maintain', 'improve_fitness', 'improve_sleep', 'health')), 
    CONSTRAINT ck_users_plan_tier_known CHECK (plan_tier IN ('free', 'premium', 'premium_plus', 'b2b')), 
    CONSTRAINT ck_users_sex_known CHECK (sex IN ('female', 'male', 'other')), 
    CONSTRAINT ck_users_birth_year_plausible CHECK (birth_year BETWEEN 1900 AND 2100), 
    CONSTRAINT ck_users_experience_level_range CHECK (experience_level BETWEEN 1 AND 3), 
    CONSTRAINT ck_users_height_plausible CHECK (height_cm BETWEEN 50 AND 260), 
    CONSTRAINT ck_users_workouts_per_week_range CHECK (workouts_per_week BETWEEN 0 AND 14), 
    CONSTRAINT fk_users_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_users_organisation_id_organisations FOREIGN KEY(organisation_id) REFERENCES organisations (id), 
    CONSTRAINT uq_users_external_key UNIQUE (external_key)
);

COMMENT ON COLUMN users.external_key IS 'Pseudonymous natural key: source name + record.';

COMMENT ON COLUMN users.experience_level IS '1 beginner, 2 intermediate, 3 expert.';

COMMENT ON COLUMN users.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN users.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN users.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN users.batch_id IS 'Batch that published this row.';

COMMENT ON COLUMN users.created_at IS 'When the row was written.';

CREATE INDEX ix_users_batch_id ON users (batch_id);

CREATE INDEX ix_users_organisation_id ON users (organisation_id);

CREATE INDEX ix_users_organisation_id_plan_tier ON users (organisation_id, plan_tier);

CREATE INDEX ix_users_plan_tier ON users (plan_tier);

CREATE TABLE app_sessions (
    id SERIAL NOT NULL, 
    user_id INTEGER NOT NULL, 
    started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    duration_s INTEGER NOT NULL, 
    platform VARCHAR(10) NOT NULL, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_app_sessions PRIMARY KEY (id), 
    CONSTRAINT ck_app_sessions_platform_known CHECK (platform IN ('ios', 'android', 'web')), 
    CONSTRAINT ck_app_sessions_duration CHECK (duration_s >= 0 AND duration_s <= 86400), 
    CONSTRAINT fk_app_sessions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_app_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN app_sessions.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN app_sessions.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN app_sessions.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN app_sessions.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_app_sessions_batch_id ON app_sessions (batch_id);

CREATE INDEX ix_app_sessions_started_at_user_id ON app_sessions (started_at, user_id);

CREATE INDEX ix_app_sessions_user_id ON app_sessions (user_id);

CREATE SEQUENCE biometric_readings_id_seq AS integer;

CREATE TABLE biometric_readings (
    id INTEGER DEFAULT nextval('biometric_readings_id_seq') NOT NULL, 
    batch_id INTEGER NOT NULL, 
    record INTEGER NOT NULL, 
    since_version INTEGER, 
    user_id INTEGER NOT NULL, 
    measured_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    weight_kg FLOAT, 
    body_fat_pct FLOAT, 
    bmi FLOAT, 
    sleep_hours FLOAT, 
    resting_hr_bpm FLOAT, 
    steps FLOAT, 
    water_l FLOAT, 
    CONSTRAINT pk_biometric_readings PRIMARY KEY (id, batch_id), 
    CONSTRAINT ck_biometric_readings_bmi_range CHECK (bmi IS NULL OR bmi BETWEEN 8.0 AND 80.0), 
    CONSTRAINT ck_biometric_readings_body_fat_pct_range CHECK (body_fat_pct IS NULL OR body_fat_pct BETWEEN 2.0 AND 75.0), 
    CONSTRAINT ck_biometric_readings_resting_hr_bpm_range CHECK (resting_hr_bpm IS NULL OR resting_hr_bpm BETWEEN 25.0 AND 220.0), 
    CONSTRAINT ck_biometric_readings_sleep_hours_range CHECK (sleep_hours IS NULL OR sleep_hours BETWEEN 0.0 AND 24.0), 
    CONSTRAINT ck_biometric_readings_steps_range CHECK (steps IS NULL OR steps BETWEEN 0.0 AND 150000.0), 
    CONSTRAINT ck_biometric_readings_water_l_range CHECK (water_l IS NULL OR water_l BETWEEN 0.0 AND 15.0), 
    CONSTRAINT ck_biometric_readings_has_a_measurement CHECK (weight_kg IS NOT NULL OR body_fat_pct IS NOT NULL OR bmi IS NOT NULL OR sleep_hours IS NOT NULL OR resting_hr_bpm IS NOT NULL OR steps IS NOT NULL OR water_l IS NOT NULL), 
    CONSTRAINT ck_biometric_readings_weight_kg_range CHECK (weight_kg IS NULL OR weight_kg BETWEEN 20.0 AND 400.0), 
    CONSTRAINT fk_biometric_readings_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
)
 PARTITION BY LIST (batch_id);

COMMENT ON COLUMN biometric_readings.id IS 'Reading id (on PostgreSQL the primary key is (id, batch_id), as a partitioned table requires). A measurement''s id in the long view is id * 8 + the metric''s rank.';

COMMENT ON COLUMN biometric_readings.batch_id IS 'Batch that published this row (its partition on PostgreSQL; batches are never deleted, so no foreign key is checked row by row).';

COMMENT ON COLUMN biometric_readings.record IS 'Record number in the batch''s source file (1-based, header excluded); 0 for a reading written through the API (audit_log says who and when).';

COMMENT ON COLUMN biometric_readings.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN biometric_readings.weight_kg IS 'kg';

COMMENT ON COLUMN biometric_readings.body_fat_pct IS '%%';

COMMENT ON COLUMN biometric_readings.bmi IS 'kg/m2';

COMMENT ON COLUMN biometric_readings.sleep_hours IS 'h';

COMMENT ON COLUMN biometric_readings.resting_hr_bpm IS 'bpm';

COMMENT ON COLUMN biometric_readings.steps IS 'steps';

COMMENT ON COLUMN biometric_readings.water_l IS 'L';

ALTER SEQUENCE biometric_readings_id_seq OWNED BY biometric_readings.id;

CREATE UNIQUE INDEX uq_biometric_readings_user_id_measured_at_batch_id ON biometric_readings (user_id, measured_at, batch_id);

CREATE TABLE batch_metric_spans (
    batch_id INTEGER NOT NULL, 
    user_id INTEGER NOT NULL, 
    metric VARCHAR(20) NOT NULL, 
    measurements INTEGER NOT NULL, 
    first_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    first_value FLOAT NOT NULL, 
    last_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    last_value FLOAT NOT NULL, 
    CONSTRAINT pk_batch_metric_spans PRIMARY KEY (batch_id, user_id, metric), 
    CONSTRAINT fk_batch_metric_spans_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE, 
    CONSTRAINT fk_batch_metric_spans_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE daily_activity (
    id SERIAL NOT NULL, 
    user_id INTEGER NOT NULL, 
    activity_date DATE NOT NULL, 
    steps INTEGER NOT NULL, 
    distance_km FLOAT, 
    very_active_min SMALLINT NOT NULL, 
    fairly_active_min SMALLINT NOT NULL, 
    lightly_active_min SMALLINT NOT NULL, 
    sedentary_min SMALLINT NOT NULL, 
    calories_kcal FLOAT NOT NULL, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_daily_activity PRIMARY KEY (id), 
    CONSTRAINT ck_daily_activity_calories CHECK (calories_kcal BETWEEN 0 AND 15000), 
    CONSTRAINT ck_daily_activity_steps CHECK (steps BETWEEN 0 AND 150000), 
    CONSTRAINT ck_daily_activity_minutes_within_day CHECK (very_active_min + fairly_active_min + lightly_active_min + sedentary_min <= 1440), 
    CONSTRAINT ck_daily_activity_minutes_non_negative CHECK (very_active_min >= 0 AND fairly_active_min >= 0 AND lightly_active_min >= 0 AND sedentary_min >= 0), 
    CONSTRAINT fk_daily_activity_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_daily_activity_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
    CONSTRAINT uq_daily_activity_user_id_activity_date UNIQUE (user_id, activity_date)
);

COMMENT ON COLUMN daily_activity.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN daily_activity.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN daily_activity.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN daily_activity.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_daily_activity_activity_date ON daily_activity (activity_date);

CREATE INDEX ix_daily_activity_batch_id ON daily_activity (batch_id);

CREATE TABLE daily_user_nutrition (
    user_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    meals INTEGER NOT NULL, 
    energy_kcal FLOAT, 
    protein_g FLOAT, 
    carbohydrate_g FLOAT, 
    fat_g FLOAT, 
    fibre_g FLOAT, 
    sugars_g FLOAT, 
    sodium_mg FLOAT, 
    CONSTRAINT pk_daily_user_nutrition PRIMARY KEY (user_id, day), 
    CONSTRAINT fk_daily_user_nutrition_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_daily_user_nutrition_day_user_id ON daily_user_nutrition (day, user_id);

CREATE TABLE daily_user_sessions (
    user_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    sessions INTEGER NOT NULL, 
    first_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    last_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_daily_user_sessions PRIMARY KEY (user_id, day), 
    CONSTRAINT fk_daily_user_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN daily_user_sessions.day IS 'UTC day.';

CREATE INDEX ix_daily_user_sessions_day_user_id ON daily_user_sessions (day, user_id);

CREATE TABLE exercise_muscles (
    exercise_id INTEGER NOT NULL, 
    muscle_id INTEGER NOT NULL, 
    role VARCHAR(10) NOT NULL, 
    CONSTRAINT pk_exercise_muscles PRIMARY KEY (exercise_id, muscle_id, role), 
    CONSTRAINT ck_exercise_muscles_role_known CHECK (role IN ('primary', 'secondary')), 
    CONSTRAINT fk_exercise_muscles_exercise_id_exercises FOREIGN KEY(exercise_id) REFERENCES exercises (id) ON DELETE CASCADE, 
    CONSTRAINT fk_exercise_muscles_muscle_id_muscles FOREIGN KEY(muscle_id) REFERENCES muscles (id)
);

CREATE INDEX ix_exercise_muscles_muscle_id ON exercise_muscles (muscle_id);

CREATE TABLE meal_logs (
    id SERIAL NOT NULL, 
    user_id INTEGER NOT NULL, 
    eaten_on DATE NOT NULL, 
    meal_type VARCHAR(20) NOT NULL, 
    food_id INTEGER, 
    food_label VARCHAR(300), 
    quantity_g FLOAT, 
    energy_kcal FLOAT NOT NULL, 
    protein_g FLOAT, 
    carbohydrate_g FLOAT, 
    fat_g FLOAT, 
    fibre_g FLOAT, 
    sugars_g FLOAT, 
    sodium_mg FLOAT, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_meal_logs PRIMARY KEY (id), 
    CONSTRAINT ck_meal_logs_meal_type_known CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snack', 'other')), 
    CONSTRAINT ck_meal_logs_carbohydrate_g_range CHECK (carbohydrate_g IS NULL OR carbohydrate_g BETWEEN 0 AND 2000), 
    CONSTRAINT ck_meal_logs_energy CHECK (energy_kcal BETWEEN 0 AND 10000), 
    CONSTRAINT ck_meal_logs_fat_g_range CHECK (fat_g IS NULL OR fat_g BETWEEN 0 AND 2000), 
    CONSTRAINT ck_meal_logs_fibre_g_range CHECK (fibre_g IS NULL OR fibre_g BETWEEN 0 AND 2000), 
    CONSTRAINT ck_meal_logs_protein_g_range CHECK (protein_g IS NULL OR protein_g BETWEEN 0 AND 2000), 
    CONSTRAINT ck_meal_logs_quantity CHECK (quantity_g IS NULL OR quantity_g BETWEEN 0 AND 5000), 
    CONSTRAINT ck_meal_logs_sugars_g_range CHECK (sugars_g IS NULL OR sugars_g BETWEEN 0 AND 2000), 
    CONSTRAINT fk_meal_logs_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_meal_logs_food_id_foods FOREIGN KEY(food_id) REFERENCES foods (id), 
    CONSTRAINT fk_meal_logs_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN meal_logs.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN meal_logs.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN meal_logs.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN meal_logs.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_meal_logs_batch_id ON meal_logs (batch_id);

CREATE INDEX ix_meal_logs_eaten_on ON meal_logs (eaten_on);

CREATE INDEX ix_meal_logs_food_id ON meal_logs (food_id);

CREATE INDEX ix_meal_logs_user_id_eaten_on ON meal_logs (user_id, eaten_on);

CREATE TABLE recipe_ingredients (
    recipe_id INTEGER NOT NULL, 
    food_id INTEGER NOT NULL, 
    quantity_g FLOAT NOT NULL, 
    CONSTRAINT pk_recipe_ingredients PRIMARY KEY (recipe_id, food_id), 
    CONSTRAINT ck_recipe_ingredients_quantity CHECK (quantity_g > 0 AND quantity_g <= 10000), 
    CONSTRAINT fk_recipe_ingredients_food_id_foods FOREIGN KEY(food_id) REFERENCES foods (id), 
    CONSTRAINT fk_recipe_ingredients_recipe_id_recipes FOREIGN KEY(recipe_id) REFERENCES recipes (id) ON DELETE CASCADE
);

CREATE INDEX ix_recipe_ingredients_food_id ON recipe_ingredients (food_id);

CREATE TABLE satisfaction_surveys (
    id SERIAL NOT NULL, 
    user_id INTEGER NOT NULL, 
    answered_on DATE NOT NULL, 
    score SMALLINT NOT NULL, 
    comment TEXT, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_satisfaction_surveys PRIMARY KEY (id), 
    CONSTRAINT ck_satisfaction_surveys_score_range CHECK (score BETWEEN 0 AND 10), 
    CONSTRAINT fk_satisfaction_surveys_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_satisfaction_surveys_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN satisfaction_surveys.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN satisfaction_surveys.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN satisfaction_surveys.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN satisfaction_surveys.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_satisfaction_surveys_answered_on ON satisfaction_surveys (answered_on);

CREATE INDEX ix_satisfaction_surveys_batch_id ON satisfaction_surveys (batch_id);

CREATE INDEX ix_satisfaction_surveys_user_id ON satisfaction_surveys (user_id);

CREATE TABLE subscriptions (
    id SERIAL NOT NULL, 
    user_id INTEGER NOT NULL, 
    plan_tier VARCHAR(20) NOT NULL, 
    started_on DATE NOT NULL, 
    ended_on DATE, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_subscriptions PRIMARY KEY (id), 
    CONSTRAINT ck_subscriptions_plan_tier_known CHECK (plan_tier IN ('free', 'premium', 'premium_plus', 'b2b')), 
    CONSTRAINT ck_subscriptions_period_ordered CHECK (ended_on IS NULL OR ended_on >= started_on), 
    CONSTRAINT fk_subscriptions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_subscriptions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
    CONSTRAINT uq_subscriptions_user_id_started_on_plan_tier UNIQUE (user_id, started_on, plan_tier)
);

COMMENT ON COLUMN subscriptions.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN subscriptions.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN subscriptions.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN subscriptions.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_subscriptions_batch_id ON subscriptions (batch_id);

CREATE INDEX ix_subscriptions_user_id ON subscriptions (user_id);

CREATE TABLE user_allergies (
    user_id INTEGER NOT NULL, 
    allergen VARCHAR(40) NOT NULL, 
    CONSTRAINT pk_user_allergies PRIMARY KEY (user_id, allergen), 
    CONSTRAINT fk_user_allergies_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE user_dietary_restrictions (
    user_id INTEGER NOT NULL, 
    restriction VARCHAR(40) NOT NULL, 
    CONSTRAINT pk_user_dietary_restrictions PRIMARY KEY (user_id, restriction), 
    CONSTRAINT fk_user_dietary_restrictions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE user_metric_spans (
    user_id INTEGER NOT NULL, 
    metric VARCHAR(20) NOT NULL, 
    measurements INTEGER NOT NULL, 
    first_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    first_value FLOAT NOT NULL, 
    last_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    last_value FLOAT NOT NULL, 
    CONSTRAINT pk_user_metric_spans PRIMARY KEY (user_id, metric), 
    CONSTRAINT fk_user_metric_spans_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_user_metric_spans_metric_user_id ON user_metric_spans (metric, user_id);

CREATE TABLE user_session_spans (
    user_id INTEGER NOT NULL, 
    sessions INTEGER NOT NULL, 
    first_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    last_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_user_session_spans PRIMARY KEY (user_id), 
    CONSTRAINT fk_user_session_spans_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_user_session_spans_last_at ON user_session_spans (last_at);

CREATE TABLE workout_sessions (
    id SERIAL NOT NULL, 
    user_id INTEGER NOT NULL, 
    exercise_id INTEGER, 
    workout_type VARCHAR(40) NOT NULL, 
    performed_on DATE, 
    duration_min FLOAT NOT NULL, 
    calories_kcal FLOAT, 
    avg_hr_bpm SMALLINT, 
    max_hr_bpm SMALLINT, 
    intensity VARCHAR(10), 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    since_version INTEGER, 
    batch_id INTEGER NOT NULL, 
    CONSTRAINT pk_workout_sessions PRIMARY KEY (id), 
    CONSTRAINT ck_workout_sessions_intensity_known CHECK (intensity IN ('low', 'moderate', 'high')), 
    CONSTRAINT ck_workout_sessions_avg_hr CHECK (avg_hr_bpm IS NULL OR avg_hr_bpm BETWEEN 25 AND 250), 
    CONSTRAINT ck_workout_sessions_avg_le_max_hr CHECK (avg_hr_bpm IS NULL OR max_hr_bpm IS NULL OR avg_hr_bpm <= max_hr_bpm), 
    CONSTRAINT ck_workout_sessions_calories CHECK (calories_kcal IS NULL OR calories_kcal BETWEEN 0 AND 10000), 
    CONSTRAINT ck_workout_sessions_duration CHECK (duration_min > 0 AND duration_min <= 1440), 
    CONSTRAINT ck_workout_sessions_max_hr CHECK (max_hr_bpm IS NULL OR max_hr_bpm BETWEEN 25 AND 250), 
    CONSTRAINT fk_workout_sessions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id), 
    CONSTRAINT fk_workout_sessions_exercise_id_exercises FOREIGN KEY(exercise_id) REFERENCES exercises (id), 
    CONSTRAINT fk_workout_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN workout_sessions.source_sha256 IS 'SHA-256 of the source file or API response.';

COMMENT ON COLUMN workout_sessions.source_record IS 'Row number (1-based, header excluded) or record key in the source.';

COMMENT ON COLUMN workout_sessions.since_version IS 'Dataset version from which this row holds, when it differs from its batch''s publication (a row written or changed through the API); NULL otherwise.';

COMMENT ON COLUMN workout_sessions.batch_id IS 'Batch that published this row.';

CREATE INDEX ix_workout_sessions_batch_id ON workout_sessions (batch_id);

CREATE INDEX ix_workout_sessions_exercise_id ON workout_sessions (exercise_id);

CREATE INDEX ix_workout_sessions_performed_on ON workout_sessions (performed_on);

CREATE INDEX ix_workout_sessions_user_id_performed_on ON workout_sessions (user_id, performed_on);

CREATE INDEX ix_workout_sessions_workout_type ON workout_sessions (workout_type);

CREATE VIEW biometric_measurements AS

SELECT r.id * 8 + 0 AS id, r.id AS reading_id, r.user_id, 'weight_kg' AS metric, r.measured_at, r.weight_kg AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.weight_kg IS NOT NULL
UNION ALL
SELECT r.id * 8 + 1 AS id, r.id AS reading_id, r.user_id, 'body_fat_pct' AS metric, r.measured_at, r.body_fat_pct AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.body_fat_pct IS NOT NULL
UNION ALL
SELECT r.id * 8 + 2 AS id, r.id AS reading_id, r.user_id, 'bmi' AS metric, r.measured_at, r.bmi AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.bmi IS NOT NULL
UNION ALL
SELECT r.id * 8 + 3 AS id, r.id AS reading_id, r.user_id, 'sleep_hours' AS metric, r.measured_at, r.sleep_hours AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.sleep_hours IS NOT NULL
UNION ALL
SELECT r.id * 8 + 4 AS id, r.id AS reading_id, r.user_id, 'resting_hr_bpm' AS metric, r.measured_at, r.resting_hr_bpm AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.resting_hr_bpm IS NOT NULL
UNION ALL
SELECT r.id * 8 + 5 AS id, r.id AS reading_id, r.user_id, 'steps' AS metric, r.measured_at, r.steps AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.steps IS NOT NULL
UNION ALL
SELECT r.id * 8 + 6 AS id, r.id AS reading_id, r.user_id, 'water_l' AS metric, r.measured_at, r.water_l AS value, r.batch_id, r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id WHERE r.water_l IS NOT NULL;

INSERT INTO healthai_alembic_version (version_num) VALUES ('0001_baseline') RETURNING healthai_alembic_version.version_num;

-- Running upgrade 0001_baseline -> 0002_access_policy

ALTER TABLE api_accounts ADD COLUMN token_version INTEGER DEFAULT '0' NOT NULL;

COMMENT ON COLUMN api_accounts.token_version IS 'Bumped by a change of password, role, organisation or active flag: every token issued before carries an older version and is refused.';

ALTER TABLE api_accounts ADD COLUMN created_by_id INTEGER;

COMMENT ON COLUMN api_accounts.created_by_id IS 'The account that created this one (four eyes: neither approves the other''s work). None: made on the command line.';

ALTER TABLE api_accounts ADD CONSTRAINT fk_api_accounts_created_by_id_api_accounts FOREIGN KEY(created_by_id) REFERENCES api_accounts (id);

UPDATE api_accounts SET username = lower(username) WHERE username <> lower(username) AND lower(username) NOT IN (SELECT username FROM api_accounts);

UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL;

ALTER TABLE api_keys ADD COLUMN account_id INTEGER;

COMMENT ON COLUMN api_keys.account_id IS 'The account the key acts as. None only for keys made before keys had owners (revoked by the migration).';

CREATE INDEX ix_api_keys_account_id ON api_keys (account_id);

ALTER TABLE api_keys DROP CONSTRAINT ck_api_keys_partner_has_organisation;

ALTER TABLE api_keys DROP CONSTRAINT ck_api_keys_role_known;

ALTER TABLE api_keys DROP CONSTRAINT fk_api_keys_organisation_id_organisations;

ALTER TABLE api_keys ADD CONSTRAINT fk_api_keys_account_id_api_accounts FOREIGN KEY(account_id) REFERENCES api_accounts (id);

ALTER TABLE api_keys DROP COLUMN organisation_id;

ALTER TABLE api_keys DROP COLUMN role;

ALTER TABLE audit_log ADD COLUMN actor_account_id INTEGER;

COMMENT ON COLUMN audit_log.actor_account_id IS 'The person''s account behind `actor` (an API key''s owner); None for the pipeline. Four eyes compares these, never names.';

ALTER TABLE audit_log ADD CONSTRAINT fk_audit_log_actor_account_id_api_accounts FOREIGN KEY(actor_account_id) REFERENCES api_accounts (id);

COMMENT ON COLUMN api_accounts.username IS 'Normalised (NFKC, case-folded, ASCII): one per person.';

COMMENT ON COLUMN login_attempts.key IS 'HMAC-SHA256, keyed with PSEUDONYM_SECRET, of the normalised username or of the client address (each attempt writes one row of each).';

UPDATE healthai_alembic_version SET version_num='0002_access_policy' WHERE healthai_alembic_version.version_num = '0001_baseline';

-- Running upgrade 0002_access_policy -> 0003_quarantine_links

CREATE TABLE quarantine_repeats (
    id SERIAL NOT NULL, 
    quarantined_row_id INTEGER NOT NULL, 
    run_id INTEGER NOT NULL, 
    source_sha256 CHAR(64) NOT NULL, 
    source_record VARCHAR(200) NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_quarantine_repeats PRIMARY KEY (id), 
    CONSTRAINT fk_quarantine_repeats_quarantined_row_id_quarantined_rows FOREIGN KEY(quarantined_row_id) REFERENCES quarantined_rows (id) ON DELETE CASCADE, 
    CONSTRAINT fk_quarantine_repeats_run_id_ingestion_runs FOREIGN KEY(run_id) REFERENCES ingestion_runs (id)
);

CREATE INDEX ix_quarantine_repeats_quarantined_row_id ON quarantine_repeats (quarantined_row_id);

CREATE INDEX ix_quarantine_repeats_run_id ON quarantine_repeats (run_id);

ALTER TABLE quarantined_rows ADD COLUMN fingerprint CHAR(64);

COMMENT ON COLUMN quarantined_rows.fingerprint IS 'SHA-256 of the untouched row (its values, not its place in the file): the same bad row brought again is linked here, not quarantined twice.';

CREATE INDEX ix_quarantined_rows_source_id_fingerprint ON quarantined_rows (source_id, fingerprint);

UPDATE healthai_alembic_version SET version_num='0003_quarantine_links' WHERE healthai_alembic_version.version_num = '0002_access_policy';

-- Running upgrade 0003_quarantine_links -> 0004_file_lifecycle

ALTER TABLE ingestion_runs ADD COLUMN owner VARCHAR(200);

COMMENT ON COLUMN ingestion_runs.owner IS 'host:pid:start of the process running it (healthai.pipeline.runs): a run whose process is gone is closed as failed, never left running.';

ALTER TABLE ingestion_runs ADD COLUMN heartbeat_at TIMESTAMP WITH TIME ZONE;

ALTER TABLE raw_files ADD COLUMN state VARCHAR(12) DEFAULT 'received' NOT NULL;

COMMENT ON COLUMN raw_files.state IS 'Where the file stands in its life cycle (healthai.pipeline.lifecycle_states); changed only by healthai.pipeline.lifecycle.';

ALTER TABLE raw_files ADD COLUMN state_at TIMESTAMP WITH TIME ZONE;

ALTER TABLE raw_files ADD COLUMN state_by VARCHAR(120);

ALTER TABLE raw_files ADD COLUMN error TEXT;

COMMENT ON COLUMN raw_files.error IS 'Why it failed or was refused.';

ALTER TABLE raw_files ADD COLUMN run_id INTEGER;

COMMENT ON COLUMN raw_files.run_id IS 'The ingestion run that last claimed it (no foreign key: runs name their file).';

CREATE INDEX ix_raw_files_state ON raw_files (state);

ALTER TABLE raw_files ADD CONSTRAINT ck_raw_files_state_known CHECK (state IN ('received', 'read', 'validated', 'staged', 'audited', 'approved', 'published', 'settled', 'refused', 'failed', 'rejected', 'rolled_back'));

UPDATE raw_files SET state = COALESCE(
    (SELECT CASE b.status WHEN 'audit_failed' THEN 'staged' ELSE b.status END
     FROM batches b WHERE b.raw_file_id = raw_files.id ORDER BY b.id DESC LIMIT 1),
    (SELECT CASE r.status WHEN 'failed' THEN 'failed' WHEN 'running' THEN 'received'
            ELSE 'settled' END
     FROM ingestion_runs r WHERE r.raw_file_id = raw_files.id ORDER BY r.id DESC LIMIT 1),
    'received');

UPDATE healthai_alembic_version SET version_num='0004_file_lifecycle' WHERE healthai_alembic_version.version_num = '0003_quarantine_links';

-- Running upgrade 0004_file_lifecycle -> 0005_daily_fact_aggregates

CREATE TABLE daily_user_plans (
    user_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    free_periods INTEGER NOT NULL, 
    paid_periods INTEGER NOT NULL, 
    CONSTRAINT pk_daily_user_plans PRIMARY KEY (user_id, day), 
    CONSTRAINT fk_daily_user_plans_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_daily_user_plans_day_user_id ON daily_user_plans (day, user_id);

CREATE TABLE daily_user_surveys (
    user_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    answers INTEGER NOT NULL, 
    score_sum INTEGER NOT NULL, 
    promoters INTEGER NOT NULL, 
    detractors INTEGER NOT NULL, 
    CONSTRAINT pk_daily_user_surveys PRIMARY KEY (user_id, day), 
    CONSTRAINT fk_daily_user_surveys_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_daily_user_surveys_day_user_id ON daily_user_surveys (day, user_id);

CREATE TABLE daily_user_workouts (
    user_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    workout_type VARCHAR(40) NOT NULL, 
    intensity VARCHAR(10) NOT NULL, 
    sessions INTEGER NOT NULL, 
    minutes FLOAT NOT NULL, 
    CONSTRAINT pk_daily_user_workouts PRIMARY KEY (user_id, day, workout_type, intensity), 
    CONSTRAINT fk_daily_user_workouts_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN daily_user_workouts.intensity IS ''''' when not recorded.';

CREATE INDEX ix_daily_user_workouts_day_user_id ON daily_user_workouts (day, user_id);

INSERT INTO daily_user_workouts (user_id, day, workout_type, intensity, sessions, minutes)
    SELECT user_id, performed_on, workout_type, COALESCE(intensity, ''), count(*), sum(duration_min)
    FROM workout_sessions WHERE performed_on IS NOT NULL
    GROUP BY user_id, performed_on, workout_type, COALESCE(intensity, '');

INSERT INTO daily_user_surveys (user_id, day, answers, score_sum, promoters, detractors)
    SELECT user_id, answered_on, count(*), sum(score),
           sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END), sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END)
    FROM satisfaction_surveys GROUP BY user_id, answered_on;

INSERT INTO daily_user_plans (user_id, day, free_periods, paid_periods)
    SELECT user_id, started_on, sum(CASE WHEN plan_tier = 'free' THEN 1 ELSE 0 END),
           sum(CASE WHEN plan_tier IN ('premium', 'premium_plus') THEN 1 ELSE 0 END)
    FROM subscriptions GROUP BY user_id, started_on;

UPDATE healthai_alembic_version SET version_num='0005_daily_fact_aggregates' WHERE healthai_alembic_version.version_num = '0004_file_lifecycle';

-- Running upgrade 0005_daily_fact_aggregates -> 0006_user_workouts

CREATE TABLE user_workouts (
    user_id INTEGER NOT NULL, 
    workout_type VARCHAR(40) NOT NULL, 
    intensity VARCHAR(10) NOT NULL, 
    sessions INTEGER NOT NULL, 
    minutes FLOAT NOT NULL, 
    CONSTRAINT pk_user_workouts PRIMARY KEY (user_id, workout_type, intensity), 
    CONSTRAINT fk_user_workouts_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

COMMENT ON COLUMN user_workouts.intensity IS ''''' when not recorded.';

INSERT INTO user_workouts (user_id, workout_type, intensity, sessions, minutes)
    SELECT user_id, workout_type, COALESCE(intensity, ''), count(*), sum(duration_min)
    FROM workout_sessions GROUP BY user_id, workout_type, COALESCE(intensity, '');

UPDATE healthai_alembic_version SET version_num='0006_user_workouts' WHERE healthai_alembic_version.version_num = '0005_daily_fact_aggregates';

-- Running upgrade 0006_user_workouts -> 0007_file_replaced

ALTER TABLE raw_files ADD COLUMN replaced_by_id INTEGER;

COMMENT ON COLUMN raw_files.replaced_by_id IS 'The later file of the same source a steward named as this one''s replacement (state replaced).';

ALTER TABLE raw_files DROP CONSTRAINT ck_raw_files_state_known;

ALTER TABLE raw_files ADD CONSTRAINT ck_raw_files_state_known CHECK (state IN ('received', 'read', 'validated', 'staged', 'audited', 'approved', 'published', 'settled', 'refused', 'failed', 'rejected', 'rolled_back', 'replaced'));

UPDATE healthai_alembic_version SET version_num='0007_file_replaced' WHERE healthai_alembic_version.version_num = '0006_user_workouts';

-- Running upgrade 0007_file_replaced -> 0008_revoked_sessions

CREATE TABLE revoked_sessions (
    session_id VARCHAR(64) NOT NULL, 
    account_id INTEGER NOT NULL, 
    revoked_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_revoked_sessions PRIMARY KEY (session_id), 
    CONSTRAINT fk_revoked_sessions_account_id_api_accounts FOREIGN KEY(account_id) REFERENCES api_accounts (id) ON DELETE CASCADE
);

COMMENT ON COLUMN revoked_sessions.session_id IS 'The tokens'' `sid` claim (their `jti` for tokens issued without one).';

COMMENT ON COLUMN revoked_sessions.expires_at IS 'When the last token the session may have issued expires: the row can go then.';

CREATE INDEX ix_revoked_sessions_account_id ON revoked_sessions (account_id);

CREATE INDEX ix_revoked_sessions_expires_at ON revoked_sessions (expires_at);

UPDATE healthai_alembic_version SET version_num='0008_revoked_sessions' WHERE healthai_alembic_version.version_num = '0007_file_replaced';

COMMIT;

