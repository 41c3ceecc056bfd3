BEGIN;

-- Running downgrade 0008_revoked_sessions -> 0007_file_replaced

DROP INDEX ix_revoked_sessions_expires_at;

DROP INDEX ix_revoked_sessions_account_id;

DROP TABLE revoked_sessions;

UPDATE healthai_alembic_version SET version_num='0007_file_replaced' WHERE healthai_alembic_version.version_num = '0008_revoked_sessions';

-- Running downgrade 0007_file_replaced -> 0006_user_workouts

UPDATE raw_files SET state = 'failed' WHERE state = 'replaced';

ALTER TABLE raw_files DROP CONSTRAINT ck_raw_files_state_known;

ALTER TABLE raw_files ADD CONSTRAINT ck_raw_files_state_known CHECK (state IN ('received', 'read', 'validated', 'staged', 'audited', 'approved', 'published', 'settled', 'refused', 'failed', 'rejected', 'rolled_back'));

ALTER TABLE raw_files DROP COLUMN replaced_by_id;

UPDATE healthai_alembic_version SET version_num='0006_user_workouts' WHERE healthai_alembic_version.version_num = '0007_file_replaced';

-- Running downgrade 0006_user_workouts -> 0005_daily_fact_aggregates

DROP TABLE user_workouts;

UPDATE healthai_alembic_version SET version_num='0005_daily_fact_aggregates' WHERE healthai_alembic_version.version_num = '0006_user_workouts';

-- Running downgrade 0005_daily_fact_aggregates -> 0004_file_lifecycle

DROP INDEX ix_daily_user_workouts_day_user_id;

DROP TABLE daily_user_workouts;

DROP INDEX ix_daily_user_surveys_day_user_id;

DROP TABLE daily_user_surveys;

DROP INDEX ix_daily_user_plans_day_user_id;

DROP TABLE daily_user_plans;

UPDATE healthai_alembic_version SET version_num='0004_file_lifecycle' WHERE healthai_alembic_version.version_num = '0005_daily_fact_aggregates';

-- Running downgrade 0004_file_lifecycle -> 0003_quarantine_links

ALTER TABLE raw_files DROP CONSTRAINT ck_raw_files_state_known;

DROP INDEX ix_raw_files_state;

ALTER TABLE raw_files DROP COLUMN run_id;

ALTER TABLE raw_files DROP COLUMN error;

ALTER TABLE raw_files DROP COLUMN state_by;

ALTER TABLE raw_files DROP COLUMN state_at;

ALTER TABLE raw_files DROP COLUMN state;

ALTER TABLE ingestion_runs DROP COLUMN heartbeat_at;

ALTER TABLE ingestion_runs DROP COLUMN owner;

UPDATE healthai_alembic_version SET version_num='0003_quarantine_links' WHERE healthai_alembic_version.version_num = '0004_file_lifecycle';

-- Running downgrade 0003_quarantine_links -> 0002_access_policy

DROP INDEX ix_quarantine_repeats_run_id;

DROP INDEX ix_quarantine_repeats_quarantined_row_id;

DROP TABLE quarantine_repeats;

DROP INDEX ix_quarantined_rows_source_id_fingerprint;

ALTER TABLE quarantined_rows DROP COLUMN fingerprint;

UPDATE healthai_alembic_version SET version_num='0002_access_policy' WHERE healthai_alembic_version.version_num = '0003_quarantine_links';

-- Running downgrade 0002_access_policy -> 0001_baseline

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

UPDATE healthai_alembic_version SET version_num='0001_baseline' WHERE healthai_alembic_version.version_num = '0002_access_policy';

-- Running downgrade 0001_baseline -> 

DROP VIEW biometric_measurements;

DROP INDEX ix_workout_sessions_workout_type;

DROP INDEX ix_workout_sessions_user_id_performed_on;

DROP INDEX ix_workout_sessions_performed_on;

DROP INDEX ix_workout_sessions_exercise_id;

DROP INDEX ix_workout_sessions_batch_id;

DROP TABLE workout_sessions;

DROP INDEX ix_user_session_spans_last_at;

DROP TABLE user_session_spans;

DROP INDEX ix_user_metric_spans_metric_user_id;

DROP TABLE user_metric_spans;

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

DROP INDEX ix_daily_user_sessions_day_user_id;

DROP TABLE daily_user_sessions;

DROP INDEX ix_daily_user_nutrition_day_user_id;

DROP TABLE daily_user_nutrition;

DROP INDEX ix_daily_activity_batch_id;

DROP INDEX ix_daily_activity_activity_date;

DROP TABLE daily_activity;

DROP INDEX uq_biometric_readings_user_id_measured_at_batch_id;

DROP TABLE batch_metric_spans;

DROP TABLE biometric_readings;

DROP INDEX ix_app_sessions_user_id;

DROP INDEX ix_app_sessions_started_at_user_id;

DROP INDEX ix_app_sessions_batch_id;

DROP TABLE app_sessions;

DROP INDEX ix_users_plan_tier;

DROP INDEX ix_users_organisation_id_plan_tier;

DROP INDEX ix_users_organisation_id;

DROP INDEX ix_users_batch_id;

DROP TABLE users;

DROP INDEX ix_recipes_batch_id;

DROP TABLE recipes;

DROP INDEX ix_quarantined_rows_source_id_status;

DROP INDEX ix_quarantined_rows_run_id;

DROP TABLE quarantined_rows;

DROP INDEX ix_quality_metrics_source_id_dimension_measured_at;

DROP INDEX ix_quality_metrics_snapshot_id;

DROP TABLE quality_metrics;

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

DROP TABLE dataset_versions;

DROP TABLE batch_checks;

DROP INDEX ix_quality_snapshots_source_id_measured_at;

DROP TABLE quality_snapshots;

DROP INDEX ix_batches_source_id_status;

DROP TABLE batches;

DROP INDEX ix_refresh_tokens_account_id;

DROP TABLE refresh_tokens;

DROP INDEX ix_ingestion_runs_source_id_started_at;

DROP INDEX ix_ingestion_runs_dagster_run_id;

DROP TABLE ingestion_runs;

DROP INDEX ix_erasures_subject;

DROP INDEX ix_erasures_at;

DROP TABLE erasures;

DROP INDEX ix_raw_files_content_sha256;

DROP TABLE raw_files;

DROP INDEX ix_api_keys_prefix;

DROP TABLE api_keys;

DROP INDEX ix_api_accounts_organisation_id;

DROP TABLE api_accounts;

DROP INDEX ix_workout_sessions_history_batch_id;

DROP TABLE workout_sessions_history;

DROP INDEX ix_users_history_batch_id;

DROP TABLE users_history;

DROP INDEX ix_subscriptions_history_batch_id;

DROP TABLE subscriptions_history;

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

DROP INDEX ix_staging_biometric_readings_batch_id;

DROP TABLE staging_biometric_readings;

DROP INDEX ix_staging_app_sessions_batch_id;

DROP TABLE staging_app_sessions;

DROP TABLE sources;

DROP INDEX ix_satisfaction_surveys_history_batch_id;

DROP TABLE satisfaction_surveys_history;

DROP INDEX ix_recipes_history_batch_id;

DROP TABLE recipes_history;

DROP TABLE progression_rollups;

DROP INDEX ix_personal_data_access_at;

DROP INDEX ix_personal_data_access_actor_at;

DROP TABLE personal_data_access;

DROP TABLE organisations;

DROP TABLE muscles;

DROP INDEX ix_meal_logs_history_batch_id;

DROP TABLE meal_logs_history;

DROP INDEX ix_login_attempts_key_at;

DROP INDEX ix_login_attempts_at;

DROP TABLE login_attempts;

DROP INDEX ix_foods_history_batch_id;

DROP TABLE foods_history;

DROP INDEX ix_exercises_history_batch_id;

DROP TABLE exercises_history;

DROP TABLE equipment;

DROP TABLE engagement_rollups;

DROP INDEX ix_daily_activity_history_batch_id;

DROP TABLE daily_activity_history;

DROP TABLE conversion_rollups;

DROP TABLE body_parts;

DROP INDEX ix_biometric_readings_history_batch_id;

DROP TABLE biometric_readings_history;

DROP INDEX ix_audit_log_entity_entity_id;

DROP INDEX ix_audit_log_at;

DROP TABLE audit_log;

DROP INDEX ix_app_sessions_history_batch_id;

DROP TABLE app_sessions_history;

DELETE FROM healthai_alembic_version WHERE healthai_alembic_version.version_num = '0001_baseline';

COMMIT;

