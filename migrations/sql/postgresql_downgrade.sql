BEGIN;

-- Running downgrade 0010_quarantine_links -> 0009_access_policy

DROP INDEX ix_quarantine_repeats_run_id;

DROP INDEX ix_quarantine_repeats_quarantined_row_id;

DROP TABLE quarantine_repeats;

DROP INDEX ix_quarantined_rows_source_id_fingerprint;

ALTER TABLE quarantined_rows DROP COLUMN fingerprint;

UPDATE healthai_alembic_version SET version_num='0009_access_policy' WHERE healthai_alembic_version.version_num = '0010_quarantine_links';

-- Running downgrade 0009_access_policy -> 0008_erasure

COMMENT ON COLUMN api_accounts.username IS NULL;

COMMENT ON COLUMN login_attempts.key IS 'HMAC-SHA256 of the client address and the lower-cased username, keyed with PSEUDONYM_SECRET.';

ALTER TABLE audit_log DROP CONSTRAINT fk_audit_log_actor_account_id_api_accounts;

ALTER TABLE audit_log DROP COLUMN actor_account_id;

ALTER TABLE api_keys ADD COLUMN role VARCHAR(20) DEFAULT 'analyst' NOT NULL;

ALTER TABLE api_keys ADD COLUMN organisation_id INTEGER;

UPDATE api_keys SET role = (SELECT a.role FROM api_accounts a WHERE a.id = api_keys.account_id), organisation_id = (SELECT a.organisation_id FROM api_accounts a WHERE a.id = api_keys.account_id) WHERE account_id IS NOT NULL;

ALTER TABLE api_keys ALTER COLUMN role DROP DEFAULT;

ALTER TABLE api_keys DROP CONSTRAINT fk_api_keys_account_id_api_accounts;

ALTER TABLE api_keys ADD CONSTRAINT fk_api_keys_organisation_id_organisations FOREIGN KEY(organisation_id) REFERENCES organisations (id);

ALTER TABLE api_keys ADD CONSTRAINT ck_api_keys_role_known CHECK (role IN ('admin', 'steward', 'analyst', 'partner'));

ALTER TABLE api_keys ADD CONSTRAINT ck_api_keys_partner_has_organisation CHECK (role <> 'partner' OR organisation_id IS NOT NULL);

DROP INDEX ix_api_keys_account_id;

ALTER TABLE api_keys DROP COLUMN account_id;

ALTER TABLE api_accounts DROP CONSTRAINT fk_api_accounts_created_by_id_api_accounts;

ALTER TABLE api_accounts DROP COLUMN created_by_id;

ALTER TABLE api_accounts DROP COLUMN token_version;

UPDATE healthai_alembic_version SET version_num='0008_erasure' WHERE healthai_alembic_version.version_num = '0009_access_policy';

-- Running downgrade 0008_erasure -> 0007_login_attempts

DROP INDEX ix_raw_files_content_sha256;

ALTER TABLE raw_files DROP COLUMN content_sha256;

ALTER TABLE ingestion_runs DROP CONSTRAINT ck_ingestion_runs_rows_add_up;

ALTER TABLE ingestion_runs ADD CONSTRAINT ck_ingestion_runs_rows_add_up CHECK (status = 'running' OR status = 'failed' OR rows_in = rows_published + rows_quarantined + rows_duplicate + rows_pending);

ALTER TABLE ingestion_runs DROP COLUMN rows_erased;

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

ALTER TABLE staging_app_sessions ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_app_sessions ADD CONSTRAINT fk_staging_app_sessions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_app_sessions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_app_sessions.batch_id);

ALTER TABLE staging_biometric_measurements ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_biometric_measurements ADD CONSTRAINT fk_staging_biometric_measurements_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_biometric_measurements SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_biometric_measurements.batch_id);

ALTER TABLE staging_daily_activity ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_daily_activity ADD CONSTRAINT fk_staging_daily_activity_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_daily_activity SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_daily_activity.batch_id);

ALTER TABLE staging_exercise_muscles ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_exercise_muscles ADD CONSTRAINT fk_staging_exercise_muscles_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_exercise_muscles SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_exercise_muscles.batch_id);

ALTER TABLE staging_exercises ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_exercises ADD CONSTRAINT fk_staging_exercises_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_exercises SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_exercises.batch_id);

ALTER TABLE staging_foods ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_foods ADD CONSTRAINT fk_staging_foods_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_foods SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_foods.batch_id);

ALTER TABLE staging_meal_logs ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_meal_logs ADD CONSTRAINT fk_staging_meal_logs_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_meal_logs SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_meal_logs.batch_id);

ALTER TABLE staging_recipe_ingredients ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_recipe_ingredients ADD CONSTRAINT fk_staging_recipe_ingredients_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_recipe_ingredients SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_recipe_ingredients.batch_id);

ALTER TABLE staging_recipes ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_recipes ADD CONSTRAINT fk_staging_recipes_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_recipes SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_recipes.batch_id);

ALTER TABLE staging_satisfaction_surveys ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_satisfaction_surveys ADD CONSTRAINT fk_staging_satisfaction_surveys_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_satisfaction_surveys SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_satisfaction_surveys.batch_id);

ALTER TABLE staging_subscriptions ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_subscriptions ADD CONSTRAINT fk_staging_subscriptions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_subscriptions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_subscriptions.batch_id);

ALTER TABLE staging_user_allergies ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_user_allergies ADD CONSTRAINT fk_staging_user_allergies_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_user_allergies SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_user_allergies.batch_id);

ALTER TABLE staging_user_dietary_restrictions ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_user_dietary_restrictions ADD CONSTRAINT fk_staging_user_dietary_restrictions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_user_dietary_restrictions SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_user_dietary_restrictions.batch_id);

ALTER TABLE staging_users ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_users ADD CONSTRAINT fk_staging_users_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

UPDATE staging_users SET source_sha256 = (SELECT b.source_sha256 FROM batches b WHERE b.id = staging_users.batch_id);

ALTER TABLE staging_workout_sessions ADD COLUMN source_sha256 CHAR(64);

ALTER TABLE staging_workout_sessions ADD CONSTRAINT fk_staging_workout_sessions_batch_id_batches FOREIGN KEY(batch_id) REFERENCES batches (id) ON DELETE CASCADE;

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

COMMIT;

