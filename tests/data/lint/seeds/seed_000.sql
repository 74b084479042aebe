-- SQL extracted from the ```sql blocks of /work/shared/seeds/000_282fddaec3159fae.txt, in order.

UPDATE api_secrets 
SET key_value = 'your-actual-openai-api-key' 
WHERE key_name = 'OPENAI_API_KEY';
