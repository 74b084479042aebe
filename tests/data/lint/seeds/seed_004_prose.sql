-- SQL extracted from the ```sql blocks of /work/shared/seeds/004_327137a80fa22f2f.txt, in order.

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users)
- display_name (VARCHAR(100))
- avatar_url (TEXT)
- bio (TEXT)
- preferences (JSONB)
- is_active (BOOLEAN)
- last_login_at (TIMESTAMP)
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users)
- selected_model (VARCHAR(50)) - AI model preference
- selected_framework (VARCHAR(50)) - Framework preference
- theme (VARCHAR(20)) - UI theme preference
- language (VARCHAR(10)) - Language preference
- enable_notifications (BOOLEAN)
- enable_analytics (BOOLEAN)
- enable_history (BOOLEAN)
- enable_feedback (BOOLEAN)
- max_history_days (INTEGER)
- auto_cleanup (BOOLEAN)
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- name (VARCHAR(50), Unique) - Provider identifier
- display_name (VARCHAR(100)) - Human-readable name
- base_url (TEXT) - API base URL
- api_key_pattern (TEXT) - Regex pattern for validation
- is_enabled (BOOLEAN) - Provider availability
- max_requests_per_minute (INTEGER) - Rate limiting
- max_requests_per_day (INTEGER) - Daily limits
- supported_models (JSONB) - Available models
- validation_rules (JSONB) - Validation configuration
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users)
- provider (VARCHAR(50)) - Provider name
- api_key_encrypted (TEXT) - Encrypted API key
- is_active (BOOLEAN) - Configuration status
- is_validated (BOOLEAN) - Validation status
- last_validated_at (TIMESTAMP)
- validation_error (TEXT)
- usage_count (INTEGER) - Usage tracking
- last_used_at (TIMESTAMP)
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users)
- provider (VARCHAR(50)) - Provider name
- endpoint (TEXT) - API endpoint used
- request_size (INTEGER) - Request size in bytes
- response_size (INTEGER) - Response size in bytes
- response_time_ms (INTEGER) - Response time
- status_code (INTEGER) - HTTP status code
- error_message (TEXT) - Error details
- created_at (TIMESTAMP)

- id (UUID, Primary Key)
- name (VARCHAR(50), Unique) - Framework identifier
- display_name (VARCHAR(100)) - Human-readable name
- description (TEXT) - Framework description
- components (JSONB) - Framework components
- template (TEXT) - Prompt template
- examples (JSONB) - Example prompts
- is_enabled (BOOLEAN) - Framework availability
- sort_order (INTEGER) - Display order
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users)
- framework_id (VARCHAR(50)) - Framework used
- framework_name (VARCHAR(100)) - Framework display name
- model (VARCHAR(50)) - AI model used
- provider (VARCHAR(50)) - Provider used
- user_input (TEXT) - User's input
- ai_response (TEXT) - AI's response
- tone (VARCHAR(50)) - Prompt tone
- length (VARCHAR(50)) - Prompt length
- temperature (DECIMAL) - AI temperature setting
- max_tokens (INTEGER) - Token limit
- vibe_coding (BOOLEAN) - Vibe coding flag
- processing_time_ms (INTEGER) - Processing time
- tokens_used (INTEGER) - Tokens consumed
- cost_usd (DECIMAL) - Cost in USD
- status (VARCHAR(20)) - Generation status
- error_message (TEXT) - Error details
- error_code (VARCHAR(50)) - Error code
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users, nullable)
- name (VARCHAR(100)) - Template name
- description (TEXT) - Template description
- framework_id (VARCHAR(50)) - Framework used
- template_content (TEXT) - Template content
- variables (JSONB) - Template variables
- is_public (BOOLEAN) - Public visibility
- is_active (BOOLEAN) - Template status
- usage_count (INTEGER) - Usage tracking
- created_at, updated_at (TIMESTAMP)

- id (UUID, Primary Key)
- user_id (UUID, Foreign Key to auth.users, nullable)
- message (TEXT) - Feedback message
- feedback_type (VARCHAR(50)) - Type of feedback
- priority (VARCHAR(20)) - Priority level
- status (VARCHAR(20)) - Status
- contact_email (VARCHAR(255)) - Contact email
- contact_name (VARCHAR(100)) - Contact name
- user_agent (TEXT) - Browser info
- browser_info (JSONB) - Browser details
- device_info (JSONB) - Device details
- admin_response (TEXT) - Admin response
- admin_user_id (UUID) - Admin who responded
- responded_at (TIMESTAMP) - Response time
- rating (INTEGER) - User rating (1-5)
- created_at, updated_at (TIMESTAMP)

-- 1. Create new schema
\i supabase/schema/01_core_functions.sql
\i supabase/schema/02_user_management.sql
\i supabase/schema/03_api_management.sql
\i supabase/schema/04_prompt_management.sql
\i supabase/schema/05_feedback_system.sql
\i supabase/schema/06_indexes_and_performance.sql
\i supabase/schema/07_security_and_rls.sql
\i supabase/schema/08_initial_data.sql

-- 2. Migrate existing data (if applicable)
-- 3. Drop old tables (after verification)
-- 4. Update application code

-- Daily maintenance
SELECT public.daily_maintenance();

-- Analyze tables
SELECT public.analyze_all_tables();

-- Vacuum tables
SELECT public.vacuum_all_tables();

-- Get database statistics
SELECT * FROM public.get_database_stats();
