"""copydesk's shared contract: payload models, settings, errors, database and Celery wiring."""
